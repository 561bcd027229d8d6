"""Property tests: random queries against the database agree with a Python filter.

The Python side states the documented semantics once: a comparison with NULL is false, ``~``
is "not (condition is true)", strings compare by code point (binary), ``*`` in ``like`` is
any run of characters, NULL sorts as the largest value and ties go by ``object_id`` in the
direction of the last key.
"""

from __future__ import annotations

import datetime as dt
import operator
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.persistent import DBObject, commit, persistent, session
from common.persistent.expressions import And, Bits, Compare, In, Like, Not, Or
from common.persistent.query import Query

INTS = [-3, -1, 0, 1, 2, 5, 7]
FLOATS = [-1.5, 0.0, 0.5, 1.0, 2.25]
STRINGS = ["", "a", "A", "ab", "b_", "a%c", "ä", "Z", "a*b"]
DATETIMES = [dt.datetime(2016, 3, 14, 20, 40), dt.datetime(2016, 3, 14, 20, 40, 0, 1),
             dt.datetime(2016, 3, 15, 2, 10, 11, 123000), dt.datetime(2017, 1, 1)]
DATES = [dt.date(2016, 3, 13), dt.date(2016, 3, 14), dt.date(2016, 3, 15)]
VALUES = {"i": INTS, "f": FLOATS, "s": STRINGS, "t": DATETIMES, "d": DATES,
          "b": [True, False], "peer.k": INTS, "peer.name": STRINGS}
ORDERED = ["i", "f", "s", "t", "d", "peer.k", "peer.name"]
PYTHON_OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
              ">": operator.gt, ">=": operator.ge}
EXAMPLES = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


class PropPeer(DBObject):
    k = persistent("a number", int)
    name = persistent("a name", str, None, length=8)


class PropItem(DBObject):
    tag = persistent("test isolation tag", str, None, length=40)
    i = persistent("an integer", int)
    f = persistent("a float", float)
    s = persistent("a string", str, None, length=8)
    b = persistent("a flag", bool)
    t = persistent("a time", dt.datetime)
    d = persistent("a date", dt.date)
    peer = persistent("a linked peer", PropPeer)


def _maybe(rng: random.Random, values: list) -> object:
    return None if rng.random() < 0.2 else rng.choice(values)


@pytest.fixture(scope="module")
def dataset(database, tester):
    """40 items with random values (and NULLs), committed once per backend."""
    rng = random.Random(4)
    tag = f"prop-{rng.getrandbits(40):x}-{database.dialect}"
    peers = [PropPeer(k=_maybe(rng, INTS), name=_maybe(rng, STRINGS)) for _ in range(8)]
    items = [PropItem(tag=tag, i=_maybe(rng, INTS), f=_maybe(rng, FLOATS),
                      s=_maybe(rng, STRINGS), b=_maybe(rng, [True, False]),
                      t=_maybe(rng, DATETIMES), d=_maybe(rng, DATES),
                      peer=_maybe(rng, peers)) for _ in range(40)]
    with session(database, tester):
        commit(*items)
    rows = []
    for item in items:
        row = {name: item.__dict__[name] for name in ("i", "f", "s", "b", "t", "d")}
        peer = item.__dict__["peer"]
        row["peer.k"] = None if peer is None else peer.k
        row["peer.name"] = None if peer is None else peer.name
        row["object_id"] = item.object_id
        rows.append(row)
    return tag, rows


def _leaf(draw_path: str):
    path = tuple(draw_path.split("."))
    values = VALUES[draw_path]
    kind_ops = ["==", "!="] if draw_path == "b" else list(PYTHON_OPS)
    compare = st.builds(Compare, st.just(path), st.sampled_from(kind_ops),
                        st.sampled_from(values))
    null = st.builds(Compare, st.just(path), st.sampled_from(["==", "!="]), st.none())
    member = st.builds(In, st.just(path),
                       st.lists(st.sampled_from(values), max_size=3, unique=True).map(tuple))
    options = [compare, compare, null, member]
    if draw_path in ("s", "peer.name"):
        pattern = st.lists(st.sampled_from(["a", "*", "_", "%", "b", "ä", "A", "c"]),
                           min_size=1, max_size=4).map("".join)
        options.append(st.builds(Like, st.just(path), pattern))
    if draw_path in ("i", "peer.k"):
        options.append(st.builds(Bits, st.just(path), st.sampled_from([1, 2, 4, 6])))
    return st.one_of(options)


LEAVES = st.sampled_from(sorted(VALUES)).flatmap(_leaf)
CONDITIONS = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: And(tuple(parts))),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: Or(tuple(parts))),
    ),
    max_leaves=5,
)


def _like(value: str, pattern: str) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _true(node, row: dict) -> bool:
    if isinstance(node, And):
        return all(_true(part, row) for part in node.parts)
    if isinstance(node, Or):
        return any(_true(part, row) for part in node.parts)
    if isinstance(node, Not):
        return not _true(node.part, row)
    value = row[".".join(node.path)]
    if isinstance(node, Compare) and node.value is None:
        return (value is None) == (node.op == "==")
    if value is None:
        return False
    if isinstance(node, Compare):
        return PYTHON_OPS[node.op](value, node.value)
    if isinstance(node, In):
        return value in node.values
    if isinstance(node, Like):
        return _like(value, node.pattern)
    return value & node.mask != 0


def _query(tag: str, node) -> Query:
    """The condition, rebuilt through the public API from its plain data (checks it too)."""
    checked = Query.from_dict({"class": "PropItem", "where": Query(PropItem, node).to_dict()
                               ["where"]})
    return (PropItem.tag == tag) & checked


@EXAMPLES
@given(condition=CONDITIONS)
def test_random_conditions_match_a_python_filter(dataset, database, tester, condition):
    tag, rows = dataset
    expected = [row["object_id"] for row in rows if _true(condition, row)]
    with session(database, tester):
        query = _query(tag, condition)
        assert [item.object_id for item in query] == sorted(expected)
        assert len(query) == len(expected)


@EXAMPLES
@given(key=st.sampled_from(ORDERED), descending=st.booleans(),
       window=st.tuples(st.integers(0, 45), st.integers(0, 45)))
def test_random_orders_and_slices_match_python(dataset, database, tester, key, descending,
                                               window):
    tag, rows = dataset
    start, stop = sorted(window)

    def sort_key(row: dict) -> tuple:
        value = row[key]
        return (value is None, value if value is not None else 0, row["object_id"])

    expected = [row["object_id"] for row in sorted(rows, key=sort_key, reverse=descending)]
    with session(database, tester):
        query = (PropItem.tag == tag).order_by(key, desc=descending)
        assert [item.object_id for item in query[start:stop]] == expected[start:stop]
