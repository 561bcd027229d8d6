"""Lazy, immutable queries: ``(RawBiasChip.night == d) & (RawBiasChip.ifu == 5)``.

Every method returns a new query. These run SQL: ``len(q)`` (one COUNT), iteration and
``list(q)``, ``q[i]``, ``q.max(attr)``; building, combining, slicing, ``order_by`` and
``prefetch`` do not (``list(q)`` asks ``len(q)`` right after iterating; that length comes
from the rows already fetched, not from a second query). ``bool(q)`` raises, so ``if q:``
and ``a and b`` cannot silently mean something else: write ``len(q)``, ``&`` and ``|``.

A query runs in the current session (:func:`~common.persistent.session.current_session`)
through the loader (:mod:`common.persistent.loading`), which runs all its SQL, and reduces to
plain data (:meth:`Query.to_dict`, :meth:`Query.from_dict`).

``MasterBias.ifu`` is a query column, an :class:`Attribute` (a path from a class through
links to an attribute: ``PixTable.master_flat.ifu``); comparing it builds a condition node
(:mod:`common.persistent.expressions`) and returns a :class:`Query`. Values are checked when
the condition is built: an unknown attribute, a link compared with a string, ``like`` on a
number, ordering a bool or a link, an integer outside the signed 64-bit range, NaN, a string
with a NUL raise :class:`QueryError` naming class and attribute. ``&``, ``|`` and ``~`` mean
boolean only; bits of an integer are tested with :meth:`Attribute.any_bits`. Nodes reduce to
plain data (:func:`node_to_data` / :func:`node_from_data`), so a query can cross the Pyro5
wire and be logged.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import threading
from collections.abc import Iterator
from typing import Any

from common.config import is_privilege_level
from common.errors import QueryError
from common.persistent.expressions import (
    OPERATORS,
    ORDERED_KINDS,
    And,
    Bits,
    Compare,
    In,
    Like,
    Node,
    Not,
    Or,
    describe,
    resolve_path,
)
from common.persistent.loading import count_query, load_attribute, load_query
from common.persistent.properties import INT_RANGE, WrongValue, check_text, shown_value
from common.persistent.registry import persistent_class
from common.persistent.session import current_session

__all__ = ["Attribute", "Query", "decode_value", "encode_value", "node_from_data",
           "node_to_data"]

# The last iteration started in this thread: (query, its iterator, number of objects).
_LAST_ITERATION = threading.local()


def _path_of(cls: type, attribute: Any) -> tuple[str, ...]:
    if isinstance(attribute, Attribute):
        if not issubclass(cls, attribute._cls) and not issubclass(attribute._cls, cls):
            raise QueryError(f"{attribute} is not an attribute of {cls.__name__}")
        path = attribute._path
    elif isinstance(attribute, str):
        path = tuple(attribute.split("."))
    else:
        raise QueryError(f"{cls.__name__}: expected an attribute name or column, found "
                         f"{attribute!r}")
    props = resolve_path(cls, path)
    if props[-1].is_list or props[-1].kind == "dict":
        raise QueryError(f"{cls.__name__}.{'.'.join(path)}: a {props[-1].kind} "
                         f"{'list' if props[-1].is_list else ''} has no order")
    return path


def _combine(kind: type, left: Node | None, right: Node | None) -> Node | None:
    parts: list[Node] = []
    for node in (left, right):
        if node is None:
            if kind is And:
                continue
            return None
        parts.extend(node.parts if isinstance(node, kind) else (node,))
    return kind(tuple(parts)) if parts else None



class Attribute:
    """A query column: ``Class.attribute`` or a link path ``Class.link.attribute``."""

    __slots__ = ("_cls", "_path", "_props")
    __iter__ = None

    def __init__(self, cls: type, path: tuple[str, ...]) -> None:
        self._cls = cls
        self._path = path
        self._props = resolve_path(cls, path)

    def __getattr__(self, name: str) -> Attribute:
        if name.startswith("_"):
            raise AttributeError(name)
        return Attribute(self._cls, (*self._path, name))

    def __repr__(self) -> str:
        return f"{self._cls.__name__}.{'.'.join(self._path)}"

    def __hash__(self) -> int:
        return hash((self._cls, self._path))

    def __bool__(self) -> bool:
        raise QueryError(f"{self}: a query column has no truth value; combine conditions with "
                         "& and | (not 'and'/'or') and write no chained comparisons")

    @property
    def path(self) -> str:
        """The dotted path from the class, such as ``master_flat.ifu``."""
        return ".".join(self._path)

    def _query(self, node: Node) -> Query:
        return Query(self._cls, node)

    def _value(self, value: Any, op: str) -> Any:
        """Check one comparison value; return it as SQL compares it (a link as its id)."""
        prop = self._props[-1]
        if prop.is_list or prop.kind == "dict":
            what = "a list" if prop.is_list else "a dict (JSON)"
            raise QueryError(f"{self}: {what} attribute cannot be compared")
        if value is None:
            if op not in ("==", "!="):
                raise QueryError(f"{self} {op} None: only == None and != None test for NULL")
            return None
        if op not in ("==", "!=") and prop.kind not in ORDERED_KINDS:
            raise QueryError(f"{self}: a {prop.kind} has no order; use == or !=")
        if prop.is_link:
            target = prop.target
            if isinstance(value, target):
                if value.object_id is None or not value.is_committed:
                    raise QueryError(f"{self}: compared with an uncommitted {target.__name__}")
                return value.object_id
            if isinstance(value, int) and not isinstance(value, bool):
                if value not in INT_RANGE:
                    raise QueryError(f"{self}: expected an object id in the signed 64-bit "
                                     f"range, found {shown_value(value)}")
                return value
            raise QueryError(f"{self} is a link to {target.__name__}: compare it with a "
                             f"{target.__name__} object or an object id, not {shown_value(value)}")
        if prop.kind in ("int", "float") and isinstance(value, numbers.Real) \
                and not isinstance(value, bool):
            return self._number(value)
        if prop.kind == "str":
            if not isinstance(value, str):
                raise QueryError(f"{self}: expected a string, found {shown_value(value)}")
            return self._text(value)
        try:
            return prop.check_value(value)
        except WrongValue as exc:
            raise QueryError(f"{self}: expected {exc}, found {shown_value(value)}") from None

    def _number(self, value: numbers.Real) -> int | float:
        """A number as SQL compares it with an int or float column (checked range, no NaN)."""
        if not isinstance(value, numbers.Integral):
            number = float(value)
            if math.isnan(number):
                raise QueryError(f"{self}: compared with NaN, which matches nothing")
            return number
        number = int(value)
        if number in INT_RANGE:
            return number
        if self._props[-1].kind == "int":
            raise QueryError(f"{self}: expected an integer in the signed 64-bit range, found "
                             f"{shown_value(number)}")
        try:
            return float(number)
        except OverflowError:
            raise QueryError(f"{self}: expected a number within the range of a float, found "
                             f"{shown_value(number)}") from None

    def _text(self, value: str) -> str:
        try:
            return check_text(value)
        except WrongValue as exc:
            raise QueryError(f"{self}: expected {exc}, found {shown_value(value)}") from None

    def _compare(self, op: str, value: Any) -> Query:
        return self._query(Compare(self._path, op, self._value(value, op)))

    def __eq__(self, value: object) -> Query:  # type: ignore[override]
        return self._compare("==", value)

    def __ne__(self, value: object) -> Query:  # type: ignore[override]
        return self._compare("!=", value)

    def __lt__(self, value: object) -> Query:
        return self._compare("<", value)

    def __le__(self, value: object) -> Query:
        return self._compare("<=", value)

    def __gt__(self, value: object) -> Query:
        return self._compare(">", value)

    def __ge__(self, value: object) -> Query:
        return self._compare(">=", value)

    def in_(self, values: Any) -> Query:
        """The attribute equals one of ``values`` (not None; use ``== None`` for NULL)."""
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise QueryError(f"{self}.in_(): expected a list of values, found "
                             f"{shown_value(values)}")
        checked = []
        for value in values:
            if value is None:
                raise QueryError(f"{self}.in_(): None is never equal; use == None")
            checked.append(self._value(value, "=="))
        return self._query(In(self._path, tuple(dict.fromkeys(checked))))

    def like(self, pattern: str) -> Query:
        """The string attribute matches ``pattern``; ``*`` is any run of characters."""
        if self._props[-1].kind != "str" or self._props[-1].is_list:
            raise QueryError(f"{self}.like(): like applies to strings; {self} is a "
                             f"{self._props[-1].kind}")
        if not isinstance(pattern, str):
            raise QueryError(f"{self}.like(): expected a pattern string, found "
                             f"{shown_value(pattern)}")
        return self._query(Like(self._path, self._text(pattern)))

    def any_bits(self, mask: int) -> Query:
        """The integer attribute has any of the bits of ``mask`` set (``quality_flags``)."""
        prop = self._props[-1]
        if prop.kind != "int" or prop.is_list:
            raise QueryError(f"{self}.any_bits(): applies to integers; {self} is a {prop.kind}")
        if isinstance(mask, bool) or not isinstance(mask, int) or not 0 < mask < 2**63:
            raise QueryError(f"{self}.any_bits(): expected a positive 64-bit integer mask, "
                             f"found {shown_value(mask)}")
        return self._query(Bits(self._path, mask))

    def _no_boolean(self, *other: object) -> None:
        raise QueryError(f"{self}: &, | and ~ combine conditions, not columns; to test bits "
                         f"write {self}.any_bits(mask)")

    __and__ = __rand__ = __or__ = __ror__ = __invert__ = _no_boolean


class Query:
    """Objects of ``cls`` (and its subclasses) that satisfy ``where``."""

    __slots__ = ("cls", "limit", "offset", "order", "prefetched", "where")
    __hash__ = None

    def __init__(self, cls: type, where: Node | None = None, *,
                 order: tuple[tuple[tuple[str, ...], bool], ...] = (), offset: int = 0,
                 limit: int | None = None, prefetched: tuple[str, ...] = ()) -> None:
        self.cls = cls
        self.where = where
        self.order = order
        self.offset = offset
        self.limit = limit
        self.prefetched = prefetched

    def _copy(self, **changes: Any) -> Query:
        values = {"where": self.where, "order": self.order, "offset": self.offset,
                  "limit": self.limit, "prefetched": self.prefetched}
        values.update(changes)
        cls = values.pop("cls", self.cls)
        return Query(cls, **values)

    def __repr__(self) -> str:
        text = f"{self.cls.__name__}: {describe(self.where)}"
        for path, descending in self.order:
            text += f", order by {'.'.join(path)}{' desc' if descending else ''}"
        if self.offset or self.limit is not None:
            stop = "" if self.limit is None else self.offset + self.limit
            text += f", [{self.offset}:{stop}]"
        return f"Query({text})"

    def __bool__(self) -> bool:
        raise QueryError(f"a query on {self.cls.__name__} has no truth value: use len(q) to "
                         "count, and & and | (not 'and'/'or') to combine conditions")

    # -- combining ----------------------------------------------------------------------

    def _operand(self, other: object, symbol: str) -> Query:
        if not isinstance(other, Query):
            raise QueryError(f"{symbol} combines two conditions; found {other!r}")
        if self.offset or self.limit is not None or other.offset or other.limit is not None:
            raise QueryError(f"{symbol}: a sliced query cannot be combined")
        if issubclass(other.cls, self.cls):
            return other
        if issubclass(self.cls, other.cls):
            return other._copy(cls=self.cls)
        raise QueryError(f"{symbol}: a query on {self.cls.__name__} and one on "
                         f"{other.cls.__name__} have no class in common")

    def __and__(self, other: object) -> Query:
        other = self._operand(other, "&")
        return self._copy(cls=other.cls, where=_combine(And, self.where, other.where),
                          order=self.order or other.order,
                          prefetched=tuple(dict.fromkeys(self.prefetched + other.prefetched)))

    def __or__(self, other: object) -> Query:
        other = self._operand(other, "|")
        return self._copy(cls=other.cls, where=_combine(Or, self.where, other.where),
                          order=self.order or other.order,
                          prefetched=tuple(dict.fromkeys(self.prefetched + other.prefetched)))

    def __invert__(self) -> Query:
        if self.offset or self.limit is not None:
            raise QueryError("~: a sliced query cannot be negated")
        return self._copy(where=Or(()) if self.where is None else Not(self.where))

    # -- shaping ------------------------------------------------------------------------

    def order_by(self, attribute: Any, *, desc: bool = False) -> Query:
        """Sort by ``attribute`` (a name, a dotted link path or a column); more calls add keys.

        NULL sorts as the largest value; ties are broken by ``object_id``, in the direction of
        the last key.
        """
        if self.offset or self.limit is not None:
            raise QueryError("order_by: order a query before slicing it")
        return self._copy(order=(*self.order, (_path_of(self.cls, attribute), bool(desc))))

    def prefetch(self, *paths: str) -> Query:
        """Load these links or lists (dotted paths) with the results, one query per class."""
        for path in paths:
            if not isinstance(path, str):
                raise QueryError(f"prefetch: expected attribute names, found {path!r}")
            _check_prefetch(self.cls, tuple(path.split(".")))
        return self._copy(prefetched=tuple(dict.fromkeys((*self.prefetched, *paths))))

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return self._slice(index)
        if isinstance(index, bool) or not isinstance(index, int) or abs(index) >= 2**63:
            raise QueryError(f"a query is indexed by 64-bit integers, found {shown_value(index)}")
        position = index + len(self) if index < 0 else index
        found = self._slice(slice(position, position + 1))._fetch() if position >= 0 else []
        if not found:
            raise self.cls.NotFound(f"{self!r} has no element {index}")
        return found[0]

    def _slice(self, index: slice) -> Query:
        if index.step not in (None, 1):
            raise QueryError("a query slice has no step")
        start, stop = index.start or 0, index.stop
        for bound in (start, stop):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)
                                      or abs(bound) >= 2**63):
                raise QueryError(f"a query slice takes 64-bit integers, found {shown_value(bound)}")
        if start < 0 or (stop is not None and stop < 0):
            size = len(self)
            start = max(start + size, 0) if start < 0 else start
            stop = max(stop + size, 0) if stop is not None and stop < 0 else stop
        offset = self.offset + start
        limit = None if stop is None else max(stop - start, 0)
        if self.limit is not None:
            remaining = max(self.limit - start, 0)
            limit = remaining if limit is None else min(limit, remaining)
        if offset >= 2**63:
            raise QueryError(f"{self!r}: offset {offset} is outside the signed 64-bit range")
        return self._copy(offset=offset, limit=limit)

    # -- narrowing by the context ---------------------------------------------------------

    def _narrowed(self, name: str, value: Any) -> Query:
        if self.offset or self.limit is not None:
            raise QueryError(f"{name}: narrow a query before slicing it")
        return self._copy(where=_combine(And, self.where, Compare((name,), "==", value)))

    def project_only(self) -> Query:
        """Only the objects of the context's project (the project is fixed now, as data).

        Row-level security is the most a user may see; this, :meth:`user_only` and
        :meth:`privileges_only` narrow further and survive :meth:`to_dict`.
        """
        return self._narrowed("project", current_session().context.project)

    def user_only(self) -> Query:
        """Only the objects the acting user created."""
        return self._narrowed("creator", current_session().user)

    def privileges_only(self, level: int) -> Query:
        """Only the objects at privilege level ``level`` (1-5)."""
        if not is_privilege_level(level):
            raise QueryError(f"privileges_only: expected a level 1-5, found {level!r}")
        return self._narrowed("privileges", level)

    # -- running ------------------------------------------------------------------------

    def _fetch(self) -> list[Any]:
        current = current_session()
        objects = load_query(current, self)
        for path in self.prefetched:
            reached: list[Any] = objects
            for name in path.split("."):
                reached = load_attribute(current, reached, name)
        return objects

    def __iter__(self) -> Iterator[Any]:
        objects = self._fetch()
        iterator = iter(objects)
        if objects:
            _LAST_ITERATION.fetched = (self, iterator, len(objects))
        return iterator

    def __len__(self) -> int:
        fetched = getattr(_LAST_ITERATION, "fetched", None)
        if fetched is not None and fetched[0] is self and \
                fetched[1].__length_hint__() == fetched[2]:
            # list(q) asks for the length right after iter(q): answer from the rows fetched
            _LAST_ITERATION.fetched = None
            return fetched[2]
        return count_query(current_session(), self)

    def max(self, attribute: Any) -> Any:
        """The object with the largest non-NULL ``attribute`` (ties: the largest id)."""
        path = _path_of(self.cls, attribute)
        present = Query(self.cls, Compare(path, "!=", None))
        ordered = (self & present) if self.offset == 0 and self.limit is None else None
        if ordered is None:
            raise QueryError("max: take the maximum before slicing")
        ordered = ordered._copy(order=((path, True),))
        found = ordered._slice(slice(0, 1))._fetch()
        if not found:
            raise self.cls.NotFound(f"{self!r}: no object with a value of {'.'.join(path)}")
        return found[0]

    # -- plain data ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON- and serpent-safe; object ids as strings)."""
        return {
            "class": self.cls.__name__,
            "where": node_to_data(self.cls, self.where),
            "order": [[".".join(path), descending] for path, descending in self.order],
            "offset": self.offset,
            "limit": self.limit,
            "prefetch": list(self.prefetched),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Query:
        """Rebuild a query from :meth:`to_dict`, checking it as if written in Python."""
        if not isinstance(data, dict) or "class" not in data:
            raise QueryError(f"query data: expected a dict with 'class', found {data!r}")
        try:
            target = persistent_class(data["class"])
        except LookupError as exc:
            raise QueryError(f"query data: {exc}") from None
        query = Query(target, node_from_data(target, data.get("where")))
        for path, descending in data.get("order", []):
            query = query.order_by(path, desc=descending)
        if data.get("prefetch"):
            query = query.prefetch(*data["prefetch"])
        offset, limit = data.get("offset", 0), data.get("limit")
        if offset or limit is not None:
            query = query._slice(slice(offset, None if limit is None else offset + limit))
        return query


def _check_prefetch(cls: type, path: tuple[str, ...]) -> None:
    current = cls
    for position, name in enumerate(path):
        prop = current._meta.properties.get(name)
        if prop is None or not (prop.is_link or prop.is_list):
            raise QueryError(f"prefetch {'.'.join(path)}: {current.__name__}.{name} is not a "
                             "link or a list")
        if prop.kind != "link" and position < len(path) - 1:
            raise QueryError(f"prefetch {'.'.join(path)}: {current.__name__}.{name} holds "
                             "values, not links, and cannot be followed")
        if prop.kind == "link":
            current = prop.target


# -- plain data -----------------------------------------------------------------------------


def encode_value(value: Any, kind: str) -> Any:
    """A JSON-safe form of a value (ids as strings, datetimes as ISO text)."""
    if value is None:
        return None
    if kind == "link":
        return {"object_id": str(value)}
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat(timespec="microseconds")}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, float) and math.isinf(value):
        return {"float": "inf" if value > 0 else "-inf"}
    return value


def decode_value(data: Any) -> Any:
    """Undo :func:`encode_value`."""
    if not isinstance(data, dict):
        return data
    if len(data) != 1:
        raise QueryError(f"query data: expected one tagged value, found {data!r}")
    (tag, text), = data.items()
    try:
        if tag == "object_id":
            return int(text)
        if tag == "datetime":
            return dt.datetime.fromisoformat(text)
        if tag == "date":
            return dt.date.fromisoformat(text)
        if tag == "float":
            return float(text)
    except (TypeError, ValueError):
        raise QueryError(f"query data: {tag} value {text!r} is malformed") from None
    raise QueryError(f"query data: unknown value tag {tag!r}")


def node_to_data(cls: type, node: Node | None) -> Any:
    """The plain-data form of ``node`` (a query on ``cls``)."""
    if node is None:
        return None
    if isinstance(node, (And, Or)):
        return {type(node).__name__.lower(): [node_to_data(cls, part) for part in node.parts]}
    if isinstance(node, Not):
        return {"not": node_to_data(cls, node.part)}
    path = ".".join(node.path)
    kind = resolve_path(cls, node.path)[-1].kind
    if isinstance(node, Compare):
        return {"op": node.op, "path": path, "value": encode_value(node.value, kind)}
    if isinstance(node, In):
        return {"in": path, "values": [encode_value(value, kind) for value in node.values]}
    if isinstance(node, Like):
        return {"like": path, "pattern": node.pattern}
    return {"bits": path, "mask": node.mask}


def node_from_data(cls: type, data: Any) -> Node | None:
    """Rebuild a condition from :func:`node_to_data`, checking it as if written in Python."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise QueryError(f"query data for {cls.__name__}: expected a dict, found "
                         f"{shown_value(data)}")
    if "and" in data or "or" in data:
        key = "and" if "and" in data else "or"
        parts = tuple(node_from_data(cls, part) for part in data[key])
        return And(parts) if key == "and" else Or(parts)
    if "not" in data:
        return Not(node_from_data(cls, data["not"]))
    try:
        if "op" in data:
            if data["op"] not in OPERATORS:
                raise QueryError(f"query data: unknown operator {data['op']!r}")
            attribute = Attribute(cls, tuple(data["path"].split(".")))
            return attribute._compare(data["op"], decode_value(data["value"])).where
        if "in" in data:
            attribute = Attribute(cls, tuple(data["in"].split(".")))
            return attribute.in_([decode_value(value) for value in data["values"]]).where
        if "like" in data:
            return Attribute(cls, tuple(data["like"].split("."))).like(data["pattern"]).where
        if "bits" in data:
            return Attribute(cls, tuple(data["bits"].split("."))).any_bits(data["mask"]).where
    except (KeyError, AttributeError, TypeError) as exc:
        raise QueryError(f"query data for {cls.__name__}: malformed condition {data!r} "
                         f"({exc})") from None
    raise QueryError(f"query data for {cls.__name__}: unknown condition {data!r}")
