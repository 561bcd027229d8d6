"""Every route over plain HTTP against ``awe portal serve``: sign-in, pages, JSON, bad input."""

from __future__ import annotations

import html
import re

import pytest

from tests.awe.portal.conftest import WARM_NIGHT, Client

NIGHT = "2016-03-14"


def _client(portal) -> Client:
    return Client(portal.url)


def signed_in(portal, token: str) -> tuple[Client, str]:
    """A client with a session cookie, and the CSRF token of its pages."""
    client = _client(portal)
    reply = client.post("/login", data={"token": token, "next": "/nights"})
    assert reply.status_code == 303, reply.text
    assert reply.headers["location"] == "/nights"
    cookie = reply.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = client.get("/nights")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client, csrf


@pytest.fixture(scope="module")
def alice(portal, portal_data):
    client, csrf = signed_in(portal, portal_data.alice)
    yield client, csrf
    client.close()


@pytest.fixture(scope="module")
def bob(portal, portal_data):
    client, csrf = signed_in(portal, portal_data.bob)
    yield client, csrf
    client.close()


def test_pages_need_sign_in(portal):
    with _client(portal) as client:
        for path in ("/", "/nights", f"/night/{NIGHT}", "/trends", "/search?q=1", "/alerts"):
            reply = client.get(path)
            assert reply.status_code == 303, path
            assert reply.headers["location"].startswith(("/login", "/nights")), path
        assert client.get("/alerts.json").status_code == 401
        assert client.get("/trends/ron.json").status_code == 401
        assert client.get("/login").status_code == 200


def test_a_wrong_token_is_refused(portal):
    with _client(portal) as client:
        reply = client.post("/login", data={"token": "not-a-token"})
        assert reply.status_code == 403
        assert "token not accepted" in reply.text
        assert "set-cookie" not in reply.headers


def test_sign_in_goes_only_to_local_paths(portal, portal_data):
    with _client(portal) as client:
        reply = client.post("/login", data={"token": portal_data.alice,
                                            "next": "//evil.example/"})
        assert reply.headers["location"] == "/nights"


def test_nights_shows_the_night_red(alice):
    client, _ = alice
    page = client.get("/nights").text
    row = re.search(rf'<tr class="night (\w+)" data-night="{NIGHT}">(.*?)</tr>', page, re.S)
    assert row is not None, page
    assert row.group(1) == "red"  # a flagged MASTER_BIAS
    cells = re.findall(r"<td>([^<]*)</td>", row.group(2))
    assert cells[0] == str(24 * 5 + 24 * 5)  # raw chips: 24 IFUs × (5 BIAS + 5 FLAT)
    # made: MASTER_BIAS of 2 IFUs, MASTER_FLAT and TRACE_TABLE of 1; expected: one of each
    # per IFU with raw chips (BIAS: MASTER_BIAS; FLAT: MASTER_FLAT, TRACE_TABLE)
    assert cells[2] == f"4 / {3 * 24}"
    assert cells[3] == "1"  # flagged
    assert cells[4] == str(22 + 23 + 23)  # missing
    warm = re.search(rf'<tr class="night (\w+)" data-night="{WARM_NIGHT}">(.*?)</tr>', page,
                     re.S)
    assert warm.group(1) == "red"
    assert re.findall(r"<td>([^<]*)</td>", warm.group(2))[:2] == ["24", "24"]  # all too warm


def test_night_page_shows_the_products(alice, portal_data):
    client, _ = alice
    page = client.get(f"/night/{NIGHT}").text
    assert f'href="/product/{portal_data.flagged:#x}" class="status flagged"' in page
    assert f'href="/product/{portal_data.good:#x}" class="status ok"' in page
    assert "BIAS MASTER1 RON" in page  # the failure, described
    assert "raw BIAS median level" in page and "IFU temperature INS.TEMP7" in page
    assert "<script" not in page  # works without JavaScript
    assert page.count('class="status missing"') == 24 * 4 - 4
    row = re.search(r'<tr id="ifu-7">(.*?)</tr>', page, re.S).group(1)
    assert row.count('class="status ok"') == 3  # MASTER_BIAS, MASTER_FLAT, TRACE_TABLE
    assert "FLAT_MASTER_MEDIAN" in row and "TRACE_WIDTHS_STDEV" in row


def test_product_page(alice, portal_data):
    client, _ = alice
    page = client.get(f"/product/{portal_data.flagged:#x}").text
    assert 'id="status">flagged' in page
    assert "ron_high" in page
    assert "RawBiasChip" in page and "BiasParameters" in page  # lineage graph
    assert "HIERARCH ESO PRO CATG" in page or "ESO PRO CATG" in page  # header
    assert "No changes." in page
    assert "<script" not in page
    assert "QC_BIAS_INPUT32_NSATURATED" not in page  # not measured (5 inputs): not listed
    preview = client.get(f"/product/{portal_data.flagged:#x}/preview.png")
    assert preview.status_code == 200 and preview.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_trends(alice):
    client, _ = alice
    page = client.get("/trends").text
    assert '<script src="/static/plotly.min.js"' in page
    assert "<noscript><img" in page  # the PNG without JavaScript
    data = client.get(f"/trends/temp7.json?last={NIGHT}&nights=365").json()
    assert data["nights"] == [WARM_NIGHT, NIGHT] and len(data["series"]) == 24
    assert data["threshold"] == {"min": 0.0, "max": 25.0, "flag": "temperature"}
    ron = client.get(f"/trends/ron.json?last={NIGHT}&nights=30").json()
    assert set(ron["series"]) == {"5", "7"}
    assert [outlier[1] for outlier in ron["outliers"]] == [5]
    png = client.get(f"/trends/ron.png?last={NIGHT}&nights=30")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"


def test_search(alice, portal_data, small_night):
    client, _ = alice
    page = client.get("/search", params={"q": f"{portal_data.good:#x}"}).text
    assert f"{portal_data.good:#018x}" in page
    arcfile = small_night.bias_files[0].name
    page = client.get("/search", params={"q": arcfile}).text
    assert arcfile in page and "RawBias" in page
    page = client.get("/search", params={"class": "MasterBias", "attribute": "ifu",
                                         "value": "5"}).text
    assert f"{portal_data.flagged:#018x}" in page and f"{portal_data.good:#018x}" not in page


def test_alerts(alice, portal_data):
    client, _ = alice
    data = client.get(f"/alerts.json?last={NIGHT}&nights=7").json()
    flagged = [alert for alert in data["alerts"] if alert["what"] == "MASTER_BIAS"]
    assert [alert["object_id"] for alert in flagged] == [f"{portal_data.flagged:#018x}"]
    assert "BIAS MASTER1 RON" in flagged[0]["message"]
    assert "MASTER_BIAS" in client.get("/alerts", params={"last": NIGHT}).text


def test_raw_qc_alerts(alice):
    client, _ = alice
    data = client.get(f"/alerts.json?last={NIGHT}&nights=2").json()
    warm = [alert for alert in data["alerts"] if alert["what"] == "temp7"]
    assert [(alert["night"], alert["ifu"]) for alert in warm] == [
        (WARM_NIGHT, ifu) for ifu in range(24, 0, -1)]
    assert "INS TEMP7 VAL = 31.0, expected >= 0 and <= 25" in warm[0]["message"]
    page = client.get(f"/night/{WARM_NIGHT}").text
    assert "Alerts (24)" in page and page.count('<td class="raw bad">') == 24
    trend = client.get(f"/trends/temp7.json?last={NIGHT}&nights=2").json()
    assert trend["nights"] == [WARM_NIGHT, NIGHT]
    assert trend["series"]["3"] == [31.0, pytest.approx(11.3, abs=0.2)]
    assert len(trend["outliers"]) == 24


def test_alerts_json_takes_a_bearer_token(portal, portal_data):
    with _client(portal) as client:
        reply = client.get(f"/alerts.json?last={NIGHT}",
                           headers={"Authorization": f"Bearer {portal_data.alice}"})
        assert reply.status_code == 200 and reply.json()["alerts"]
        assert client.get("/alerts.json", headers={"Authorization": "Bearer nope"}
                          ).status_code == 401


def test_another_project_sees_nothing(bob, portal_data):
    client, _ = bob
    assert f'data-night="{NIGHT}"' not in client.get(f"/nights?last={NIGHT}").text
    page = client.get(f"/night/{NIGHT}").text
    assert page.count('class="status missing"') == 24 * 4 and "flagged" not in page
    assert client.get(f"/product/{portal_data.flagged:#x}").status_code == 404
    assert client.get(f"/product/{portal_data.flagged:#x}/preview.png").status_code == 404
    assert client.get(f"/trends/ron.json?last={NIGHT}").json()["series"] == {}
    assert client.get(f"/alerts.json?last={NIGHT}").json()["alerts"] == []
    assert "0 found" in client.get("/search", params={"q": f"{portal_data.good:#x}"}).text


@pytest.mark.parametrize(("path", "status", "message"), [
    ("/night/2016-13-45", 400, "night: expected a night YYYY-MM-DD"),
    ("/nights?last=yesterday", 400, "last: expected a night YYYY-MM-DD"),
    ("/nights?nights=many", 400, "nights: expected a whole number"),
    ("/nights?nights=0", 400, "nights: expected 1 to"),
    ("/product/0x7fffffffffff", 404, "no DBObject"),
    ("/product/banana", 400, "object id: expected an integer"),
    ("/product/0x1ffffffffffffffff", 400, "signed 64-bit"),
    ("/trends/nope.json", 404, "no trend 'nope'"),
    ("/search?class=Nope", 400, "no class 'Nope'"),
    ("/search?class=MasterBias&attribute=ifu&value=seven", 400, "expected a int value"),
    ("/search?class=MasterBias&attribute=colour&value=1", 400, "no attribute 'colour'"),
    ("/static/secret.txt", 404, "no static file"),
])
def test_bad_input_is_a_clear_4xx(alice, path, status, message):
    client, _ = alice
    reply = client.get(path)
    assert reply.status_code == status, reply.text
    assert message in html.unescape(reply.text)


def test_a_huge_query_string_is_refused(alice):
    client, _ = alice
    reply = client.get("/search", params={"q": "x" * 5000})
    assert reply.status_code == 414 and "expected at most 4096" in reply.text
    reply = client.get("/search", params={"q": "x" * 20000})
    assert 400 <= reply.status_code < 500


def test_static_files(alice):
    client, _ = alice
    assert "Plotly" in client.get("/static/plotly.min.js").text[:2000]
    assert client.get("/static/portal.css").status_code == 200


def test_every_object_in_a_lineage_has_a_page(alice, portal, portal_data):
    client, _ = alice
    night = client.get(f"/night/{NIGHT}").text
    row = re.search(r'<tr id="ifu-7">(.*?)</tr>', night, re.S).group(1)
    trace = re.findall(r'href="(/product/0x[0-9a-f]+)" class="status ok"', row)[-1]
    page = client.get(trace).text
    linked = set(re.findall(r'href="(/product/0x[0-9a-f]+)"', page)) - {trace}
    kinds = set()
    for path in sorted(linked):
        reply = client.get(path)
        assert reply.status_code == 200, (path, "".join(portal.output[-30:]))
        kinds.add(re.search(r"<h1>(\w+) ", reply.text).group(1))
    assert {"MasterBias", "RawFlatChip", "RawFlat", "FlatParameters"} <= kinds, kinds
    assert "MasterFlat" not in kinds  # a sibling, not an input
