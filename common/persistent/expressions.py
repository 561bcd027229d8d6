"""Query columns and conditions, and their plain-data form.

``MasterBias.ifu`` is an :class:`Attribute` (a path from a class through links to an
attribute: ``PixTable.master_flat.ifu``). Comparing it builds a condition node and returns a
:class:`~common.persistent.query.Query`. Nodes are frozen dataclasses that reduce to plain data
(:func:`node_to_data` / :func:`node_from_data`), so a query can cross the Pyro5 wire and be
logged.

Values are checked when the condition is built: an unknown attribute, a link compared with a
string, ``like`` on a number, ordering a bool or a link raise :class:`QueryError` naming class
and attribute. ``&``, ``|`` and ``~`` mean boolean only; bits of an integer are tested with
:meth:`Attribute.any_bits`.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common.errors import QueryError
from common.persistent.properties import WrongValue, persistent

if TYPE_CHECKING:
    from common.persistent.query import Query

__all__ = [
    "OPERATORS",
    "QUERY_METHODS",
    "And",
    "Attribute",
    "Bits",
    "Compare",
    "In",
    "Like",
    "Node",
    "Not",
    "Or",
    "decode_value",
    "describe",
    "encode_value",
    "node_from_data",
    "node_to_data",
    "resolve_path",
]

OPERATORS = ("==", "!=", "<", "<=", ">", ">=")
# Attribute methods; a persistent attribute may not take these names (see meta).
QUERY_METHODS = frozenset({"like", "in_", "any_bits"})
_ORDERED_KINDS = frozenset({"int", "float", "str", "datetime", "date"})


def resolve_path(cls: type, path: tuple[str, ...]) -> tuple[persistent, ...]:
    """The properties along ``path`` from ``cls``; every step but the last must be a link."""
    props = []
    current = cls
    for position, name in enumerate(path):
        prop = current.__awe_properties__.get(name)
        where = f"{cls.__name__}.{'.'.join(path[:position + 1])}"
        if prop is None:
            raise QueryError(f"{where}: {current.__name__} has no persistent attribute {name!r}")
        props.append(prop)
        if position < len(path) - 1:
            if prop.is_list:
                raise QueryError(f"{where}: a list cannot be followed in a query (use "
                                 "prefetch to load it)")
            if not prop.is_link:
                raise QueryError(f"{where}: {prop.kind} is not a link and cannot be followed")
            current = prop.target
    return tuple(props)


class Node:
    """A condition; combine with ``&``, ``|`` and ``~`` through :class:`Query`."""


@dataclass(frozen=True)
class Compare(Node):
    """``path op value``; ``value`` None means IS NULL (``==``) or IS NOT NULL (``!=``)."""

    path: tuple[str, ...]
    op: str
    value: Any


@dataclass(frozen=True)
class In(Node):
    """``path`` is one of ``values`` (an empty tuple matches nothing)."""

    path: tuple[str, ...]
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Like(Node):
    """``path`` matches ``pattern``, where ``*`` is any run of characters (case-sensitive)."""

    path: tuple[str, ...]
    pattern: str


@dataclass(frozen=True)
class Bits(Node):
    """``path & mask != 0``."""

    path: tuple[str, ...]
    mask: int


@dataclass(frozen=True)
class And(Node):
    """All parts are true (no parts: always true)."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or(Node):
    """Some part is true (no parts: never true)."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    """``part`` is not true (a comparison with NULL is false, so its negation is true)."""

    part: Node


def _found(value: object) -> str:
    return f"{value!r} ({type(value).__name__})"


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
        from common.persistent.query import Query

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
        if op not in ("==", "!=") and prop.kind not in _ORDERED_KINDS:
            raise QueryError(f"{self}: a {prop.kind} has no order; use == or !=")
        if prop.is_link:
            target = prop.target
            if isinstance(value, target):
                if value.object_id is None or not value.is_committed:
                    raise QueryError(f"{self}: compared with an uncommitted {target.__name__}")
                return value.object_id
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            raise QueryError(f"{self} is a link to {target.__name__}: compare it with a "
                             f"{target.__name__} object or an object id, not {_found(value)}")
        if prop.kind in ("int", "float") and isinstance(value, numbers.Real) \
                and not isinstance(value, bool):
            if math.isnan(value):
                raise QueryError(f"{self}: compared with NaN, which matches nothing")
            return value
        if prop.kind == "str":
            if not isinstance(value, str):
                raise QueryError(f"{self}: expected a string, found {_found(value)}")
            return value
        try:
            return prop.check_value(value)
        except WrongValue as exc:
            raise QueryError(f"{self}: expected {exc}, found {_found(value)}") from None

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
            raise QueryError(f"{self}.in_(): expected a list of values, found {_found(values)}")
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
            raise QueryError(f"{self}.like(): expected a pattern string, found {_found(pattern)}")
        return self._query(Like(self._path, pattern))

    def any_bits(self, mask: int) -> Query:
        """The integer attribute has any of the bits of ``mask`` set (``quality_flags``)."""
        prop = self._props[-1]
        if prop.kind != "int" or prop.is_list:
            raise QueryError(f"{self}.any_bits(): applies to integers; {self} is a {prop.kind}")
        if isinstance(mask, bool) or not isinstance(mask, int) or mask <= 0:
            raise QueryError(f"{self}.any_bits(): expected a positive integer mask, found "
                             f"{_found(mask)}")
        return self._query(Bits(self._path, mask))

    def _no_boolean(self, *other: object) -> None:
        raise QueryError(f"{self}: &, | and ~ combine conditions, not columns; to test bits "
                         f"write {self}.any_bits(mask)")

    __and__ = __rand__ = __or__ = __ror__ = __invert__ = _no_boolean


def _shown(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return repr(value)


def describe(node: Node | None) -> str:
    """The condition as written in Python (for ``repr`` and logs)."""
    if node is None:
        return "everything"
    if isinstance(node, (And, Or)):
        if not node.parts:
            return "everything" if isinstance(node, And) else "nothing"
        symbol = " & " if isinstance(node, And) else " | "
        return symbol.join(f"({describe(part)})" for part in node.parts)
    if isinstance(node, Not):
        return f"~({describe(node.part)})"
    path = ".".join(node.path)
    if isinstance(node, Compare):
        return f"{path} {node.op} {_shown(node.value)}"
    if isinstance(node, In):
        return f"{path}.in_([{', '.join(_shown(value) for value in node.values)}])"
    if isinstance(node, Like):
        return f"{path}.like({node.pattern!r})"
    return f"{path}.any_bits({node.mask})"


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
        raise QueryError(f"query data for {cls.__name__}: expected a dict, found {_found(data)}")
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
