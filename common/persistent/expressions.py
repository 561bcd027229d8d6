"""The condition nodes of a query: plain frozen data, checked when built (see ``query``).

A node names attributes by their path from the query's class (``("master_flat", "ifu")``);
:func:`resolve_path` finds the properties along a path. The query columns that build nodes,
and the plain-data form of nodes, live beside :class:`~common.persistent.query.Query`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common.errors import QueryError

if TYPE_CHECKING:
    from common.persistent.properties import persistent

__all__ = [
    "OPERATORS",
    "ORDERED_KINDS",
    "QUERY_METHODS",
    "And",
    "Bits",
    "Compare",
    "In",
    "Like",
    "Node",
    "Not",
    "Or",
    "describe",
    "resolve_path",
]

OPERATORS = ("==", "!=", "<", "<=", ">", ">=")
# Query column methods; a persistent attribute may not take these names (see meta).
QUERY_METHODS = frozenset({"like", "in_", "any_bits"})
ORDERED_KINDS = frozenset({"int", "float", "str", "datetime", "date"})


def resolve_path(cls: type, path: tuple[str, ...]) -> tuple[persistent, ...]:
    """The properties along ``path`` from ``cls``; every step but the last must be a link."""
    props = []
    current = cls
    for position, name in enumerate(path):
        prop = current._meta.properties.get(name)
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
