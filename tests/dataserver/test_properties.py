"""Property tests (hypothesis): store names and Range headers, against the real code paths."""

import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.errors import StoreRequestError
from dataserver.store import NAME_RULE, LocalStore, check_name

ARCFILE = "MUSE.2016-03-15T02:10:11.123.fits"
VALID_NAMES = st.from_regex(re.compile(NAME_RULE), fullmatch=True)
ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300)


@settings(max_examples=300, deadline=None)
@given(name=st.one_of(VALID_NAMES, ANY_TEXT))
def test_a_name_is_accepted_exactly_when_it_follows_the_rule(name):
    if re.fullmatch(NAME_RULE, name):
        assert check_name(name) == name
    else:
        with pytest.raises(StoreRequestError, match="bad file name"):
            check_name(name)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=VALID_NAMES, content=st.binary(max_size=300))
def test_every_valid_name_round_trips_and_stays_inside_the_store(tmp_path, name, content):
    store = LocalStore(tmp_path / "store")
    source = tmp_path / "source"
    source.write_bytes(content)
    try:
        store.put(source, name)
    except Exception as exc:  # the same name twice (hypothesis repeats) must be accepted too
        pytest.fail(f"put {name!r}: {exc!r}")
    path = store.path(name)
    assert path.resolve().is_relative_to((tmp_path / "store" / "files").resolve())
    assert store.get(name, tmp_path / "back").read_bytes() == content
    store.delete(name)


def test_the_server_answers_any_name_with_400_or_a_real_answer(cluster, raw):
    a = cluster.start("a")
    auth = {"Authorization": f"Bearer {cluster.tokens.alice}"}

    @settings(max_examples=150, deadline=None)
    @given(name=st.one_of(VALID_NAMES, ANY_TEXT.filter(bool)))
    def check(name):
        reply = raw(a.url, "GET", "/files/" + quote(name, safe=""), auth)
        if re.fullmatch(NAME_RULE, name):
            assert reply.status == 404, (name, reply.status)
        else:
            assert reply.status in (400, 404), (name, reply.status, reply.body[:200])

    check()


def _expected(header_range, size):
    """(status, slice) RFC 9110 prescribes for one parsed range on a file of ``size``."""
    first, last = header_range
    if first is None:  # suffix
        if last == 0 or size == 0:
            return 416, None
        return 206, slice(max(size - last, 0), size)
    if first >= size:
        return 416, None
    return 206, slice(first, size if last is None else min(last, size - 1) + 1)


@pytest.mark.parametrize("size", [0, 1, 5000, 70_000])
def test_any_range_header_is_answered_by_the_rfc_never_a_500(cluster, tmp_path, raw, size):
    a = cluster.start("a")
    source = tmp_path / "f"
    source.write_bytes(bytes(index % 251 for index in range(size)))
    data = source.read_bytes()
    a.client().put(source, ARCFILE)
    auth = {"Authorization": f"Bearer {cluster.tokens.alice}"}
    numbers = st.integers(0, 2 * size + 10)
    ranges = st.one_of(
        st.tuples(numbers, st.one_of(st.none(), numbers)).filter(
            lambda pair: pair[1] is None or pair[0] <= pair[1]),
        st.tuples(st.none(), numbers))

    @settings(max_examples=60, deadline=None)
    @given(ranges)
    def well_formed(header_range):
        first, last = header_range
        text = f"bytes={'' if first is None else first}-{'' if last is None else last}"
        reply = raw(a.url, "GET", f"/files/{ARCFILE}", {**auth, "Range": text})
        status, part = _expected(header_range, size)
        assert reply.status == status, (text, size, reply.status, reply.body[:200])
        if part is not None:
            assert reply.body == data[part]

    @settings(max_examples=60, deadline=None)
    @given(st.one_of(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E),  # VCHAR, SP
                             max_size=40).map(lambda text: "bytes=" + text),
                     st.lists(st.tuples(numbers, numbers), min_size=2, max_size=4).map(
                         lambda pairs: "bytes=" + ",".join(f"{x}-{y}" for x, y in pairs))))
    def arbitrary(header):
        reply = raw(a.url, "GET", f"/files/{ARCFILE}", {**auth, "Range": header})
        assert reply.status in (200, 206, 416), (header, reply.status, reply.body[:200])
        missing = raw(a.url, "GET", "/files/missing.fits", {**auth, "Range": header})
        assert missing.status in (404, 416), (header, missing.status)
        if "," in header:
            assert reply.status == missing.status == 416

    well_formed()
    arbitrary()
