"""Overrides over plain HTTP: CSRF checked, reason required, audited, selection changes at once."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from common.config import Context
from common.database import connect
from common.persistent import session
from common.persistent.objects import AuditRecord
from muse.datamodel import MasterBias, RawBiasChip
from tests.awe.portal.conftest import Client, copy_database, start_portal
from tests.awe.portal.test_http import signed_in


@pytest.fixture
def writable(portal_data, tmp_path):
    data = copy_database(portal_data, tmp_path)
    server = start_portal(data)
    yield data, server
    server.stop()


def _selected(data, moment):
    database = connect(data.url, site=0)
    try:
        with session(database, Context(user="alice", project="p1", privileges=2, site=0)):
            found = MasterBias.select_for_dates([moment], ifu=5)[0]
            flagged = MasterBias.get(data.flagged)
            audit = [(a.field, a.new_value, a.reason, a.creator)
                     for a in AuditRecord.target == flagged]
            return (None if found is None else found.object_id), audit
    finally:
        database.dispose()


def test_override_needs_csrf_and_reason_then_changes_selection(writable):
    data, server = writable
    client, csrf = signed_in(server, data.alice)
    path = f"/product/{data.flagged:#x}/override"
    moment = _first_chip_time(data)
    assert _selected(data, moment) == (None, [])
    # no CSRF token, a wrong one, no session: refused, nothing changed
    assert client.post(path, data={"reason": "fine"}).status_code == 403
    assert client.post(path, data={"reason": "fine", "csrf": "x" + csrf}).status_code == 403
    assert Client(server.url).post(path, data={"reason": "fine", "csrf": csrf}
                                   ).status_code == 401
    reply = client.post(path, data={"reason": " ", "csrf": csrf})
    assert reply.status_code == 400 and "reason: expected why" in html.unescape(reply.text)
    assert _selected(data, moment) == (None, [])
    reply = client.post(path, data={"reason": "RON high from a known pickup; accept",
                                    "csrf": csrf})
    assert reply.status_code == 303 and reply.headers["location"] == f"/product/{data.flagged:#x}"
    selected, audit = _selected(data, moment)
    assert selected == data.flagged
    assert audit == [("qc_override", "True", "RON high from a known pickup; accept", "alice")]
    page = client.get(f"/product/{data.flagged:#x}").text
    assert 'id="status">overridden' in page and "RON high from a known pickup" in page


def _first_chip_time(data):
    database = connect(data.url, site=0)
    try:
        with session(database, Context(user="alice", project="p1", privileges=2, site=0)):
            return min(chip.DATE_OBS for chip in ((RawBiasChip.ifu == 5)
                                                    & (RawBiasChip.night == data.night)))
    finally:
        database.dispose()


def test_set_valid_and_validity(writable):
    data, server = writable
    client, csrf = signed_in(server, data.alice)
    base = f"/product/{data.good:#x}"
    reply = client.post(f"{base}/valid", data={"is_valid": "7", "reason": "x", "csrf": csrf})
    assert reply.status_code == 400 and "is_valid: expected 0, 1 or 2" in html.unescape(reply.text)
    reply = client.post(f"{base}/validity", data={"start": "soon", "reason": "x", "csrf": csrf})
    assert reply.status_code == 400 and "start: expected a date and time" in \
        html.unescape(reply.text)
    assert client.post(f"{base}/valid", data={"is_valid": "0", "reason": "bad cable",
                                              "csrf": csrf}).status_code == 303
    start, end = dt.datetime(2016, 3, 1, 12), dt.datetime(2016, 4, 1, 12)
    assert client.post(f"{base}/validity", data={"start": start.isoformat(),
                                                 "end": end.isoformat(),
                                                 "reason": "extended for the run",
                                                 "csrf": csrf}).status_code == 303
    page = html.unescape(client.get(base).text)
    assert 'id="status">invalid' in page and "bad cable" in page
    assert "extended for the run" in page
    rows = re.findall(r"<td>alice</td><td>(\w+)</td>", page)
    assert sorted(rows) == ["is_valid", "timestamp_end", "timestamp_start"]


def test_another_project_cannot_override(writable):
    data, server = writable
    client, csrf = signed_in(server, data.bob)
    reply = client.post(f"/product/{data.flagged:#x}/override",
                        data={"reason": "mine now", "csrf": csrf})
    assert reply.status_code == 404
    assert _selected(data, _first_chip_time(data)) == (None, [])


def test_sign_out_needs_csrf(writable):
    data, server = writable
    client, csrf = signed_in(server, data.alice)
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    assert client.get("/nights").status_code == 303
