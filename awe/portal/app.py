"""The portal's aiohttp application: routes, sign-in, CSRF and one database session a request.

Pages are Jinja2 templates (autoescaped) that work without JavaScript; only the trend page
loads Plotly (served from the installed ``plotly`` package, no CDN) for zoom, with a PNG
beside it. Database work runs in a worker thread (:func:`asyncio.to_thread`) inside a fresh
persistence session for the signed-in user and ``database.acting_as(user)``
(:func:`awe.portal.access.acting`). Bad input answers 400 (a one-line message naming the
field), unknown objects 404, a missing or wrong CSRF token 403, a query string over 4 KiB
414.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.resources
import json
import logging
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from sqlalchemy import func, select

from awe.portal import queries
from awe.portal.access import PortalSession, SessionStore, can_see, check_csrf, projects_of
from awe.portal.files import FileCache
from awe.portal.graph import lineage_graph
from common.config import Context
from common.database import Database, table_name
from common.errors import (
    AweError,
    ConfigError,
    NotFound,
    PermissionDenied,
    PersistenceError,
    QueryError,
)
from common.persistent.objects import AuditRecord, DBObject
from common.persistent.session import session as persistent_session
from dataserver.tokens import TokenRegistry

__all__ = ["PortalSettings", "create_app"]

log = logging.getLogger("awe.portal")

COOKIE = "awe_portal"
MAX_QUERY = 4096
MAX_FORM = 64 * 1024
DEFAULT_NIGHTS = 60
DEFAULT_TREND_NIGHTS = 365


@dataclass(frozen=True)
class PortalSettings:
    """What a portal serves: the database, the store, who may sign in, where to cache files."""

    database: Database
    store: Any
    tokens: TokenRegistry
    cache: Path
    project: str
    secure_cookie: bool = False


SETTINGS = web.AppKey("settings", PortalSettings)
SESSIONS = web.AppKey("sessions", SessionStore)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
FILES = web.AppKey("files", FileCache)


def _plotly_js() -> Path:
    return Path(str(importlib.resources.files("plotly") / "package_data" / "plotly.min.js"))


def _static(name: str) -> Path:
    return Path(str(importlib.resources.files("awe.portal") / "static" / name))


# -- helpers ---------------------------------------------------------------------------------


def _signed_in(request: web.Request) -> PortalSession | None:
    return request.app[SESSIONS].find(request.cookies.get(COOKIE))


def _user(request: web.Request, *, json_reply: bool = False) -> str:
    """The signed-in user (or a bearer token's, for JSON); else redirect to sign-in / 401."""
    opened = _signed_in(request)
    if opened is not None:
        return opened.user
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        identity = request.app[SETTINGS].tokens.identify(header.removeprefix("Bearer ").strip())
        if identity is not None and identity.kind == "user":
            return identity.name
    if json_reply:
        raise web.HTTPUnauthorized(text="sign in first (session cookie or 'Authorization: "
                                        "Bearer TOKEN')\n")
    target = request.path_qs if len(request.path_qs) < 512 else "/nights"
    raise web.HTTPSeeOther(f"/login?{urllib.parse.urlencode({'next': target})}")


def _night(text: str | None, name: str) -> dt.date | None:
    if text in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise QueryError(f"{name}: expected a night YYYY-MM-DD, found {text[:40]!r}") from None


def _count(text: str | None, name: str, default: int) -> int:
    if text in (None, ""):
        return default
    try:
        return int(text)
    except ValueError:
        raise QueryError(f"{name}: expected a whole number, found {text[:40]!r}") from None


def _object_id(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise QueryError(f"object id: expected an integer or 0x… hex, found {text[:40]!r}") \
            from None
    if not -(1 << 63) <= value < (1 << 63):
        raise QueryError(f"object id: expected a signed 64-bit integer, found {text[:40]!r}")
    return value


def _context(settings: PortalSettings, user: str) -> Context:
    return Context(user=user, project=settings.project, privileges=2,
                   site=settings.database.site)


def _run(settings: PortalSettings, user: str, work: Callable[..., Any], *args: Any) -> Any:
    """``work(session, *args)`` in a fresh session for ``user``, acting as ``user``."""
    with persistent_session(settings.database, _context(settings, user), store=settings.store) \
            as opened, settings.database.acting_as(user):
        return work(opened, *args)


async def _db(request: web.Request, user: str, work: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.to_thread(_run, request.app[SETTINGS], user, work, *args)


def _render(request: web.Request, template: str, status: int = 200, **values: Any) \
        -> web.Response:
    opened = _signed_in(request)
    page = request.app[TEMPLATES].get_template(template).render(
        user=opened.user if opened else None, csrf=opened.csrf if opened else "",
        path=request.path, **values)
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")


def _latest_night(opened: Any) -> dt.date:
    """The newest night with visible raw chips or calibrations (today without any)."""
    newest = []
    for cls in (*queries.CALIBRATIONS, queries.RawBiasChip):
        table = opened.table(table_name(cls.__name__))
        where = queries._where(opened, table)
        with opened.database.read() as connection:
            value = connection.execute(select(func.max(table.c.night)).where(*where)).scalar()
        if value is not None:
            newest.append(value)
    return max(newest, default=dt.datetime.now(dt.UTC).date())


def _window(request: web.Request, default_nights: int) -> tuple[dt.date | None, int]:
    last = _night(request.query.get("last"), "last")
    nights = _count(request.query.get("nights"), "nights", default_nights)
    queries.window(last or dt.date(2000, 1, 1), nights)
    return last, nights


# -- middleware ------------------------------------------------------------------------------


@web.middleware
async def errors(request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
    """Bad input → 400, unknown → 404, refused → 403, long query string → 414: one line each."""
    if len(request.query_string) > MAX_QUERY:
        return _error(request, 414, f"query string of {len(request.query_string)} characters; "
                                    f"expected at most {MAX_QUERY}")
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except NotFound as exc:
        return _error(request, 404, str(exc))
    except PermissionDenied as exc:
        return _error(request, 403, str(exc))
    except (QueryError, ConfigError, PersistenceError) as exc:
        return _error(request, 400, str(exc))
    except AweError as exc:
        return _error(request, 500, f"{exc.error_type}: {exc}")
    except Exception as exc:
        log.exception("internal error on %s %s", request.method, request.path)
        return _error(request, 500, f"internal error: {type(exc).__name__}: {exc}")


def _error(request: web.Request, status: int, message: str) -> web.Response:
    if request.path.endswith(".json"):
        return web.json_response({"error": message}, status=status)
    return _render(request, "error.html", status=status, status_code=status, message=message)


# -- sign-in ---------------------------------------------------------------------------------


def _next(target: str | None) -> str:
    """A local path to go to after sign-in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/nights"
    return target


async def login_page(request: web.Request) -> web.Response:
    """The sign-in form."""
    return _render(request, "login.html", next=_next(request.query.get("next")), message="")


async def login(request: web.Request) -> web.Response:
    """Check the token; open a session and set its cookie."""
    form = await request.post()
    token = str(form.get("token", "")).strip()
    target = _next(str(form.get("next", "")))
    identity = request.app[SETTINGS].tokens.identify(token) if token else None
    if identity is None or identity.kind != "user":
        return _render(request, "login.html", status=403, next=target,
                       message="token not accepted: expected a user's data-server token")
    opened = request.app[SESSIONS].open(identity.name)
    response = web.HTTPSeeOther(target)
    response.set_cookie(COOKIE, opened.session_id, httponly=True, samesite="Strict",
                        secure=request.app[SETTINGS].secure_cookie, path="/")
    raise response


async def logout(request: web.Request) -> web.Response:
    """End the session (CSRF-checked like every POST)."""
    opened = await _checked_form(request)
    request.app[SESSIONS].close(opened[0].session_id)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


async def _checked_form(request: web.Request) -> tuple[PortalSession, Any]:
    opened = _signed_in(request)
    if opened is None:
        raise web.HTTPUnauthorized(text="sign in first\n")
    form = await request.post()
    if not check_csrf(opened, str(form.get("csrf", ""))):
        raise web.HTTPForbidden(text="CSRF token missing or wrong: reload the page and try "
                                     "again\n")
    return opened, form


# -- pages -----------------------------------------------------------------------------------


async def index(request: web.Request) -> web.Response:
    """Go to the nights."""
    raise web.HTTPSeeOther("/nights")


def _overview(opened: Any, last: dt.date | None, nights: int) -> dict[str, Any]:
    last = last or _latest_night(opened)
    summaries = queries.nights_overview(opened, last, nights)
    months: dict[str, list[Any]] = {}
    for summary in summaries:
        months.setdefault(summary.night.strftime("%Y-%m"), []).append(summary)
    return {"last": last, "nights": nights, "months": months, "count": len(summaries)}


async def nights_page(request: web.Request) -> web.Response:
    """The nights of a window with their traffic lights."""
    user = _user(request)
    last, nights = _window(request, DEFAULT_NIGHTS)
    return _render(request, "nights.html", **await _db(request, user, _overview, last, nights))


def _cell(obj: Any) -> dict[str, Any]:
    properties = obj._meta.properties
    headline = []
    for name in queries.HEADLINE.get(type(obj).__name__, ()):
        if name in properties:
            thresholds = [t for t in obj.qc_thresholds if t.attribute == name]
            value = getattr(obj, name)
            headline.append({"name": name.removeprefix("QC_"), "value": value,
                             "bad": any(t.violated_by(value) for t in thresholds),
                             "limits": ", ".join(t.describe(value).split(", expected ")[1]
                                                 .split(" (")[0] for t in thresholds)})
    return {"obj": obj, "status": queries.product_status(obj), "headline": headline,
            "failures": obj.qc_failures(),
            "preview": type(obj).__name__ in ("MasterBias", "MasterFlat")}


def _night_data(opened: Any, night: dt.date) -> dict[str, Any]:
    products = queries.night_products(opened, night)
    grid = [{"ifu": ifu, "cells": [[_cell(obj) for obj in products[cls.__name__].get(ifu, [])]
                                   for cls in queries.CALIBRATIONS]}
            for ifu in queries.IFUS]
    trends = [queries.trend(opened, quantity, night, 1) for quantity in queries.RAW_QUANTITIES]
    raw = {data.quantity.key: {point.ifu: point for point in data.points} for data in trends}
    # the night's alerts from what is loaded already: the trends and the products
    flagged = [obj for by_ifu in products.values() for objects in by_ifu.values()
               for obj in objects if obj.quality_flags and not obj.qc_override]
    alerts = queries.collect_alerts(trends, flagged)
    return {"night": night, "grid": grid, "classes": queries.CALIBRATIONS, "raw": raw,
            "raw_quantities": queries.RAW_QUANTITIES, "alerts": alerts,
            "previous": night - dt.timedelta(days=1), "next": night + dt.timedelta(days=1)}


async def night_page(request: web.Request) -> web.Response:
    """One night: 24 IFUs × the calibrations, QC against thresholds, raw QC and alerts."""
    user = _user(request)
    night = _night(request.match_info["night"], "night")
    return _render(request, "night.html", **await _db(request, user, _night_data, night))


def _visible_object(opened: Any, object_id: int) -> Any:
    obj = DBObject.get(object_id)
    if not can_see(opened, obj):
        raise NotFound(f"no object with object_id {object_id:#018x} (or it is not visible)")
    return obj


def _value_rows(obj: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    thresholds: dict[str, list[Any]] = {}
    for threshold in getattr(obj, "qc_thresholds", ()):
        thresholds.setdefault(threshold.attribute, []).append(threshold)
    qc, attributes = [], []
    for name, prop in obj._meta.properties.items():
        if prop.is_list:
            continue
        value = obj.__dict__.get(name)
        if prop.is_link:
            target = getattr(obj, name)
            attributes.append({"name": name, "value": None if target is None else
                               f"{type(target).__name__} {target.object_id:#018x}",
                               "link": None if target is None else target.object_id})
            continue
        checks = thresholds.get(name, [])
        row = {"name": name, "value": value, "doc": prop.doc,
               "bad": any(t.violated_by(value) for t in checks),
               "limits": "; ".join(t.describe(value) for t in checks), "link": None}
        if name.startswith("QC_") or name in thresholds:
            if value is not None:
                qc.append(row)
        else:
            attributes.append(row)
    return qc, attributes


def _product_data(opened: Any, object_id: int, files: FileCache) -> dict[str, Any]:
    obj = _visible_object(opened, object_id)
    qc, attributes = _value_rows(obj)
    header: list[tuple[str, str, str]] = []
    header_error = ""
    if getattr(obj, "checksum", None):
        try:
            header = files.header(obj)
        except (AweError, OSError) as exc:
            header_error = str(exc)
    projects = projects_of(opened, opened.context.user)  # once, not per node
    graph = lineage_graph(obj.lineage(), lambda other: can_see(opened, other, projects))
    dependents = [other for other in obj.dependents() if can_see(opened, other, projects)]
    audit = list((AuditRecord.target == obj).order_by(AuditRecord.creation_date))
    mutable = "is_valid" in obj._meta.properties
    facts = {name: obj.__dict__.get(name) for name in ("filename", "night", "ifu")}
    return {"obj": obj, "cls": type(obj).__name__, "facts": facts, "qc": qc,
            "attributes": attributes,
            "header": header, "header_error": header_error, "graph": graph,
            "dependents": dependents, "audit": audit,
            "state": queries.product_status(obj) if mutable else "",
            "failures": obj.qc_failures() if hasattr(obj, "qc_failures") else [],
            "mutable": mutable, "can_override": "qc_override" in obj._meta.properties,
            "has_validity": "timestamp_start" in obj._meta.properties,
            "preview": bool(getattr(obj, "checksum", None))
            and getattr(type(obj), "product_category", None) is not None}


async def product_page(request: web.Request) -> web.Response:
    """One object: QC against thresholds, header, preview, lineage, dependents, audit."""
    user = _user(request)
    object_id = _object_id(request.match_info["object_id"])
    return _render(request, "product.html", **await _db(request, user, _product_data, object_id,
                                                         request.app[FILES]))


def _preview(opened: Any, object_id: int, files: FileCache) -> Path:
    return files.preview(_visible_object(opened, object_id))


async def preview(request: web.Request) -> web.StreamResponse:
    """The PNG preview of a product's image."""
    user = _user(request)
    object_id = _object_id(request.match_info["object_id"])
    path = await _db(request, user, _preview, object_id, request.app[FILES])
    return web.FileResponse(path, headers={"Content-Type": "image/png",
                                           "Cache-Control": "private, max-age=3600"})


# -- overrides -------------------------------------------------------------------------------


def _reason(form: Any) -> str:
    reason = str(form.get("reason", "")).strip()
    if not reason:
        raise QueryError("reason: expected why the change is made (the audit record keeps it)")
    if len(reason) > 2000:
        raise QueryError(f"reason: expected at most 2000 characters, found {len(reason)}")
    return reason


def _moment(text: str, name: str) -> dt.datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(f"{name}: expected a date and time YYYY-MM-DDTHH:MM[:SS], found "
                         f"{text[:40]!r}") from None


def _change(opened: Any, object_id: int, action: str, form: Any) -> None:
    obj = _visible_object(opened, object_id)
    if "is_valid" not in obj._meta.properties:
        raise QueryError(f"{type(obj).__name__} {object_id:#018x}: has no validity or QC "
                         "flags to change")
    reason = _reason(form)
    if action == "valid":
        state = _count(str(form.get("is_valid", "")), "is_valid", -1)
        if state not in (0, 1, 2):
            raise QueryError(f"is_valid: expected 0, 1 or 2, found {form.get('is_valid')!r}")
        obj.set_valid(state, reason)
    elif action == "override":
        obj.override_qc(reason)
    else:
        start = _moment(str(form.get("start", "")), "start")
        if start is None:
            raise QueryError("start: expected a date and time YYYY-MM-DDTHH:MM[:SS], found "
                             "nothing")
        obj.set_validity(start, _moment(str(form.get("end", "")), "end"), reason)


def _action(action: str) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        object_id = _object_id(request.match_info["object_id"])
        opened, form = await _checked_form(request)
        await _db(request, opened.user, _change, object_id, action, form)
        raise web.HTTPSeeOther(f"/product/{object_id:#x}")

    handler.__doc__ = f"POST /product/{{id}}/{action}: the audited change, then the page."
    return handler


# -- trends, search, alerts ------------------------------------------------------------------


def _quantity(key: str) -> queries.Quantity:
    try:
        return queries.QUANTITIES[key]
    except KeyError:
        raise NotFound(f"no trend {key[:40]!r}; expected one of "
                       f"{', '.join(queries.QUANTITIES)}") from None


def _trend(opened: Any, key: str, last: dt.date | None, nights: int) -> queries.TrendData:
    return queries.trend(opened, _quantity(key), last or _latest_night(opened), nights)


async def trends_page(request: web.Request) -> web.Response:
    """The trend of one quantity: Plotly for zoom, the PNG without JavaScript."""
    user = _user(request)
    key = request.query.get("quantity", "ron")
    _quantity(key)
    last, nights = _window(request, DEFAULT_TREND_NIGHTS)
    if last is None:
        last = await _db(request, user, _latest_night)
    return _render(request, "trends.html", quantities=queries.QUANTITIES, key=key, last=last,
                   nights=nights)


async def trend_json(request: web.Request) -> web.Response:
    """A trend as lean JSON for Plotly."""
    user = _user(request, json_reply=True)
    last, nights = _window(request, DEFAULT_TREND_NIGHTS)
    data = await _db(request, user, _trend, request.match_info["key"], last, nights)
    return web.json_response(data.to_json(), dumps=lambda value: json.dumps(
        value, separators=(",", ":")))


async def trend_png(request: web.Request) -> web.Response:
    """A trend as a PNG for print."""
    user = _user(request)
    last, nights = _window(request, DEFAULT_TREND_NIGHTS)
    data = await _db(request, user, _trend, request.match_info["key"], last, nights)
    # lazy for start-up speed: matplotlib is imported when a PNG is first asked for
    from awe.trend_plot import trend_png as draw

    quantity = data.quantity
    body = await asyncio.to_thread(
        draw, quantity, data.points,
        [(point.night, value) for point, value in data.outliers], "outside threshold",
        f"{quantity.label}, nights {data.first} to {data.last}", data.first, data.last)
    return web.Response(body=body, content_type="image/png")


def _search(opened: Any, form: dict[str, str]) -> list[dict[str, Any]]:
    found = queries.search(opened, form["q"], form["class"], form["attribute"], form["value"])
    return [{"obj": obj, "cls": type(obj).__name__,
             "filename": obj.__dict__.get("filename"), "night": obj.__dict__.get("night"),
             "ifu": obj.__dict__.get("ifu")} for obj in found]


async def search_page(request: web.Request) -> web.Response:
    """Search by object id, ARCFILE, or class and attribute."""
    user = _user(request)
    form = {name: request.query.get(name, "")[:300]
            for name in ("q", "class", "attribute", "value")}
    asked = any(form.values())
    results = await _db(request, user, _search, form) if asked else []
    return _render(request, "search.html", form=form, asked=asked, results=results,
                   limit=queries.SEARCH_LIMIT)


def _alerts(opened: Any, last: dt.date | None, nights: int) -> tuple[dt.date, list[Any]]:
    last = last or _latest_night(opened)
    return last, queries.alerts(opened, last, nights)


async def alerts_page(request: web.Request) -> web.Response:
    """Values outside the thresholds and flagged products of a window."""
    user = _user(request)
    last, nights = _window(request, 7)
    last, found = await _db(request, user, _alerts, last, nights)
    return _render(request, "alerts.html", alerts=found, last=last, nights=nights)


async def alerts_json(request: web.Request) -> web.Response:
    """The alerts as JSON, for e-mail or chat bridges (session cookie or bearer token)."""
    user = _user(request, json_reply=True)
    last, nights = _window(request, 7)
    last, found = await _db(request, user, _alerts, last, nights)
    return web.json_response({"last": last.isoformat(), "nights": nights,
                              "alerts": [alert.to_json() for alert in found]})


async def static(request: web.Request) -> web.StreamResponse:
    """The stylesheet, the trend script and Plotly."""
    name = request.match_info["name"]
    path = _plotly_js() if name == "plotly.min.js" else _static(name)
    if name not in ("plotly.min.js", "portal.css", "trends.js") or not path.is_file():
        raise web.HTTPNotFound(text=f"no static file {name[:40]!r}\n")
    return web.FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})


def create_app(settings: PortalSettings) -> web.Application:
    """The portal application for ``settings``."""
    app = web.Application(middlewares=[errors], client_max_size=MAX_FORM)
    app[SETTINGS] = settings
    app[SESSIONS] = SessionStore()
    app[FILES] = FileCache(settings.cache)
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.PackageLoader("awe.portal", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined)
    app.add_routes([
        web.get("/", index),
        web.get("/login", login_page), web.post("/login", login), web.post("/logout", logout),
        web.get("/nights", nights_page), web.get("/night/{night}", night_page),
        web.get("/product/{object_id}", product_page),
        web.get("/product/{object_id}/preview.png", preview),
        web.post("/product/{object_id}/valid", _action("valid")),
        web.post("/product/{object_id}/override", _action("override")),
        web.post("/product/{object_id}/validity", _action("validity")),
        web.get("/trends", trends_page),
        web.get("/trends/{key}.json", trend_json), web.get("/trends/{key}.png", trend_png),
        web.get("/search", search_page),
        web.get("/alerts", alerts_page), web.get("/alerts.json", alerts_json),
        web.get("/static/{name}", static),
    ])
    return app
