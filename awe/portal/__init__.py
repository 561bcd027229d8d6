"""The QA portal: nights, products, trends, alerts and audited overrides in the browser.

``awe portal serve`` runs :mod:`awe.portal.server`; :mod:`awe.portal.app` holds the aiohttp
routes, :mod:`awe.portal.access` sign-in, sessions, CSRF and who sees what,
:mod:`awe.portal.queries` the set-based statements behind the pages, :mod:`awe.portal.files`
headers and previews from the logical store and :mod:`awe.trend_plot` the PNG trends.
Every request runs in its own persistence session, inside ``database.acting_as(user)``.
"""
