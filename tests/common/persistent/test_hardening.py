"""Hardening (issue #11): no back door to immutability, and bad inputs fail with a clear error.

- ``del obj.attr`` is refused on a committed object and resets a new one's attribute;
- committed ``dict`` values are deep-frozen (nested lists and dicts too), also when loaded;
- integers outside the signed 64-bit range, strings no database can store and malformed ids
  raise PersistenceError or QueryError naming class and attribute, on SQLite and PostgreSQL;
- a property test: any query input either works or raises an AweError, never anything else.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.errors import AweError, ImmutableError, PersistenceError, QueryError
from common.persistent import DBObject, persistent
from common.persistent.identity import IdentityMap
from common.persistent.query import Query

HUGE = 2**70


class HardPeer(DBObject):
    k = persistent("a number", int)


class HardItem(DBObject):
    tag = persistent("test isolation tag", str, None, length=40)
    count = persistent("an integer", int, 3)
    median = persistent("a float", float)
    label = persistent("a string", str, None, length=20)
    flagged = persistent("a flag", bool)
    stamp = persistent("a time", dt.datetime)
    night = persistent("a date", dt.date)
    header = persistent("a JSON document", dict)
    peer = persistent("a linked peer", HardPeer)
    peers = persistent("linked peers", HardPeer, [])
    counts = persistent("a list of integers", int, [])


# -- del ------------------------------------------------------------------------------------


def test_del_on_a_new_object_resets_to_the_default():
    item = HardItem(count=7, label="x", peers=[HardPeer(k=1)], counts=[1, 2])
    del item.count, item.label, item.peers, item.counts
    assert (item.count, item.label, item.peers, item.counts) == (3, None, [], [])
    item.counts.append(5)
    assert HardItem().counts == [], "the reset list is the object's own"
    with pytest.raises(PersistenceError, match="HardItem.object_id is set by commit"):
        del item.object_id
    item.scratch = 1
    del item.scratch
    assert not hasattr(item, "scratch")


def test_del_on_a_committed_object_is_refused(db_session, tag):
    item = HardItem(tag=tag, count=7, peer=HardPeer(k=1), counts=[1]).commit()
    for name in ("count", "label", "peer", "counts", "privileges", "object_id"):
        with pytest.raises(ImmutableError, match=rf"HardItem {item.object_id:#018x} is "
                                                 rf"committed and immutable: cannot delete "
                                                 rf"{name}"):
            delattr(item, name)
    assert (item.count, item.counts) == (7, (1,))
    db_session.identity = IdentityMap()
    loaded = HardItem.get(item.object_id)
    with pytest.raises(ImmutableError, match="cannot delete count"):
        del loaded.count


# -- deep-frozen dicts ----------------------------------------------------------------------

DOCUMENT = {"a": [1, {"b": [2, 3]}], "c": {"d": {"e": 4}}, "f": "g"}


def _assert_deep_frozen(header: dict) -> None:
    assert header == DOCUMENT
    mutations = [
        lambda: header.__setitem__("f", 1),
        lambda: header.pop("f"),
        lambda: header.update(x=1),
        lambda: header["a"].append(5),
        lambda: header["a"].__setitem__(0, 9),
        lambda: header["a"][1]["b"].extend([4]),
        lambda: header["a"][1].__setitem__("b", 0),
        lambda: header["c"]["d"].__delitem__("e"),
        lambda: header["c"].setdefault("z", 1),
    ]
    for mutate in mutations:
        with pytest.raises(ImmutableError, match=r"HardItem 0x[0-9a-f]{16}\.header is "
                                                 "committed and immutable"):
            mutate()
    assert header == DOCUMENT
    assert json.loads(json.dumps(header)) == DOCUMENT
    assert pickle.loads(pickle.dumps(header)) == DOCUMENT
    with pytest.raises(ImmutableError):
        pickle.loads(pickle.dumps(header))["a"].append(1)
    thawed = copy.deepcopy(header)
    thawed["a"][1]["b"].append(4)
    assert type(thawed) is dict and thawed["a"] == [1, {"b": [2, 3, 4]}]
    assert type(copy.copy(header)) is dict


def test_committed_dicts_are_deep_frozen(db_session, tag):
    item = HardItem(tag=tag, header=DOCUMENT)
    item.header["a"][1]["b"].append(0)  # free before commit
    item.header["a"][1]["b"].pop()
    item.commit()
    _assert_deep_frozen(item.header)
    db_session.identity = IdentityMap()
    _assert_deep_frozen(HardItem.get(item.object_id).header)


# -- 64-bit integers and storable strings ---------------------------------------------------


@pytest.mark.parametrize(("values", "message"), [
    ({"count": 2**63}, "HardItem.count: expected an integer in the signed 64-bit range"),
    ({"count": 10**5000}, "HardItem.count: expected an integer in the signed 64-bit range.*, "
                          r"found an integer of 16610 bits \(int\)"),
    ({"count": -2**63 - 1}, "HardItem.count: expected an integer in the signed 64-bit"),
    ({"counts": [1, HUGE]}, r"HardItem.counts\[1\]: expected an integer in the signed 64"),
    ({"label": "a\x00b"}, "HardItem.label: expected a string without NUL characters"),
    ({"label": "a\ud800"}, "HardItem.label: expected a string of Unicode characters"),
    ({"stamp": dt.datetime.max.replace(tzinfo=dt.timezone(-dt.timedelta(hours=1)))},
     "HardItem.stamp: expected a datetime that exists in UTC"),
])
def test_values_no_database_can_store_are_refused(values, message):
    with pytest.raises(PersistenceError, match=message):
        HardItem(**values)


def test_the_extremes_of_the_64_bit_range_round_trip(db_session, tag):
    low = HardItem(tag=tag, count=-2**63, label="ä\U0010fffd").commit()
    high = HardItem(tag=tag, count=2**63 - 1).commit()
    db_session.identity = IdentityMap()
    assert [item.count for item in (HardItem.tag == tag).order_by("count")] == \
        [-2**63, 2**63 - 1]
    assert HardItem.get(low.object_id).label == "ä\U0010fffd"
    assert len((HardItem.tag == tag) & (HardItem.count == 2**63 - 1)) == 1
    assert HardItem.get(str(high.object_id)).count == 2**63 - 1


@pytest.mark.parametrize(("build", "message"), [
    (lambda: HardItem.count == HUGE, "HardItem.count: expected an integer in the signed "
                                     r"64-bit range, found 1180591620717411303424 \(int\)"),
    (lambda: HardItem.count < -HUGE, "HardItem.count: expected an integer in the signed 64"),
    (lambda: HardItem.count.in_([1, HUGE]), "HardItem.count: expected an integer in the signed"),
    (lambda: HardItem.peer == 2**64, "HardItem.peer: expected an object id in the signed "
                                     r"64-bit range, found 18446744073709551616 \(int\)"),
    (lambda: HardItem.peer.k >= 2**63, "HardItem.peer.k: expected an integer in the signed"),
    (lambda: HardItem.count.any_bits(2**64), r"HardItem.count.any_bits\(\): expected a "
                                             "positive 64-bit integer mask"),
    (lambda: HardItem.median > 10**400, "HardItem.median: expected a number within the range "
                                        r"of a float, found an integer of 1329 bits \(int\)"),
    (lambda: HardItem.count == 10**5000, "found an integer of 16610 bits"),
    (lambda: HardItem.label == "a\x00", "HardItem.label: expected a string without NUL"),
    (lambda: HardItem.label.like("\ud800*"), "HardItem.label: expected a string of Unicode"),
    (lambda: HardItem.select_all()[HUGE], "a query is indexed by 64-bit integers"),
    (lambda: HardItem.select_all()[5:HUGE], "a query slice takes 64-bit integers"),
    (lambda: HardItem.get("abc"), r"HardItem.get: expected an object_id \(a signed 64-bit "
                                  r"integer or its text\), found 'abc' \(str\)"),
    (lambda: HardItem.get(HUGE), "HardItem.get: expected an object_id .* found "
                                 r"1180591620717411303424 \(int\)"),
    (lambda: HardItem.get(10**5000), "HardItem.get: expected an object_id .* found an "
                                     "integer of 16610 bits"),
    (lambda: HardItem.get(1.5), r"HardItem.get: expected an object_id .* found 1.5 \(float\)"),
    (lambda: HardItem.get(None), r"HardItem.get: expected an object_id .* found None"),
])
def test_query_inputs_out_of_range_raise_query_errors(db_session, build, message):
    with pytest.raises(QueryError, match=message):
        build()


def test_a_huge_integer_compares_with_a_float_column(db_session, tag):
    HardItem(tag=tag, median=1e30).commit()
    mine = HardItem.tag == tag
    assert len(mine & (HardItem.median < HUGE)) == 0
    assert len(mine & (HardItem.median > HUGE)) == 1
    assert len(mine & (HardItem.median > -(2**80))) == 1


# -- any query input works or raises an AweError ---------------------------------------------

ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2**70, max_value=2**70),
    st.sampled_from([2**63 - 1, -2**63, 2**63, -2**63 - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.text(alphabet=st.sampled_from(["\x00", "\ud800", "\U0010ffff", "é", "*", "%", "_",
                                      "'", "\\", "a"]), max_size=6),
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30),
                 timezones=st.sampled_from([None, dt.UTC])),
    st.dates(),
    st.binary(max_size=4),
    st.lists(st.integers(), max_size=2),
)
PATHS = ["count", "median", "label", "flagged", "stamp", "night", "header", "peer", "peers",
         "peer.k", "object_id"]
OPERATIONS = ["==", "!=", "<", "<=", ">", ">=", "in_", "like", "any_bits", "get", "index"]


def _query(path: str, operation: str, value: object) -> object:
    if operation == "get":
        return HardItem.get(value)
    if operation == "index":
        return HardItem.select_all()[value]
    column: object = HardItem
    for name in path.split("."):
        column = getattr(column, name)
    if operation == "in_":
        return column.in_([value, value])
    if operation in ("like", "any_bits"):
        return getattr(column, operation)(value)
    return {"==": column.__eq__, "!=": column.__ne__, "<": column.__lt__, "<=": column.__le__,
            ">": column.__gt__, ">=": column.__ge__}[operation](value)


@settings(max_examples=120, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), operation=st.sampled_from(OPERATIONS), value=ANY_VALUE)
def test_any_query_input_works_or_raises_a_clear_error(db_session, path, operation, value):
    """A query either runs and survives the wire (plain data) or raises an AweError."""
    try:
        query = _query(path, operation, value)
        if operation not in ("get", "index"):
            assert len(query) >= 0
            list(query[:2])
            wire = json.loads(json.dumps(query.to_dict(), allow_nan=False))
            assert repr(Query.from_dict(wire)) == repr(query)
    except AweError as exc:
        assert str(exc) and "\n" not in str(exc), "a clear one-line message"
