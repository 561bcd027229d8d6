"""The portal in Debian's Chromium (Playwright): sign in, find the flagged bias, override it.

Screenshots of every page are kept under the test's temporary directory (``screenshots/``)
as artifacts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from common.config import Context
from common.database import connect
from common.persistent import session
from common.persistent.objects import AuditRecord
from muse.datamodel import MasterBias, RawBiasChip
from tests.awe.portal.conftest import copy_database, start_portal

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists() and os.environ.get("CI") != "true",
                                reason="Debian's chromium is not installed (make test installs it)")
NIGHT = "2016-03-14"


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-background-networking",
                  "--disable-component-update"])
        yield launched
        launched.close()


def _state(data):
    database = connect(data.url, site=0)
    try:
        with session(database, Context(user="alice", project="p1", privileges=2, site=0)):
            moment = min(chip.DATE_OBS for chip in ((RawBiasChip.ifu == 5)
                                                    & (RawBiasChip.night == data.night)))
            found = MasterBias.select_for_dates([moment], ifu=5)[0]
            audit = [(a.field, a.reason) for a in
                     AuditRecord.target == MasterBias.get(data.flagged)]
            return (None if found is None else found.object_id), audit
    finally:
        database.dispose()


def _sign_in(page, url, token):
    page.goto(f"{url}/nights")
    assert "/login" in page.url
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/nights")


def test_override_in_the_browser(portal_data, browser, tmp_path):
    data = copy_database(portal_data, tmp_path / "db")
    server = start_portal(data)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        _sign_in(page, server.url, data.alice)
        page.screenshot(path=shots / "nights.png", full_page=True)
        assert page.locator(f'tr[data-night="{NIGHT}"]').get_attribute("class") == "night red"
        page.click(f'a[href="/night/{NIGHT}"]')
        page.wait_for_url(f"{server.url}/night/{NIGHT}")
        page.screenshot(path=shots / "night.png", full_page=True)
        flagged = page.locator("#ifu-5 a.status.flagged")
        assert flagged.count() == 1
        flagged.click()
        page.wait_for_url(f"{server.url}/product/{data.flagged:#x}")
        assert page.locator("#status").inner_text() == "flagged"
        assert "BIAS MASTER1 RON" in page.locator("#failures").inner_text()
        page.screenshot(path=shots / "product-flagged.png", full_page=True)
        assert _state(data) == (None, [])
        page.fill("#override input[name=reason]", "pickup noise understood; accept")
        page.click("#override button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#status").inner_text() == "overridden"
        assert "pickup noise understood; accept" in page.locator("#audit").inner_text()
        page.screenshot(path=shots / "product-overridden.png", full_page=True)
        assert _state(data) == (data.flagged, [("qc_override",
                                                 "pickup noise understood; accept")])
        page.goto(f"{server.url}/trends?quantity=ron&last={NIGHT}&nights=30")
        page.wait_for_selector("#plot[data-drawn]")
        page.screenshot(path=shots / "trends.png", full_page=True)
        page.goto(f"{server.url}/alerts?last={NIGHT}")
        page.screenshot(path=shots / "alerts.png", full_page=True)
        page.goto(f"{server.url}/search?q={data.flagged:#x}")
        page.screenshot(path=shots / "search.png", full_page=True)
        assert page.locator("#results tbody tr").count() == 1

        other = browser.new_page()
        _sign_in(other, server.url, data.bob)
        assert other.locator(f'tr[data-night="{NIGHT}"]').count() == 0
        other.goto(f"{server.url}/night/{NIGHT}")
        assert other.locator("a.status").count() == 0
        other.screenshot(path=shots / "night-other-project.png", full_page=True)
        other.goto(f"{server.url}/product/{data.flagged:#x}")
        assert "not visible" in other.locator("#message").inner_text()
        assert sorted(path.name for path in shots.iterdir()) == [
            "alerts.png", "night-other-project.png", "night.png", "nights.png",
            "product-flagged.png", "product-overridden.png", "search.png", "trends.png"]
    finally:
        server.stop()
