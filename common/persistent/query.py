"""Lazy, immutable queries: ``(RawBiasChip.night == d) & (RawBiasChip.ifu == 5)``.

Every method returns a new query. These run SQL: ``len(q)`` (one COUNT), iteration and
``list(q)``, ``q[i]``, ``q.max(attr)``; building, combining, slicing, ``order_by`` and
``prefetch`` do not (``list(q)`` asks ``len(q)`` right after iterating; that length comes
from the rows already fetched, not from a second query). ``bool(q)`` raises, so ``if q:``
and ``a and b`` cannot silently mean something else: write ``len(q)``, ``&`` and ``|``.

A query runs in the current session (:func:`~common.persistent.session.current_session`)
and reduces to plain data (:meth:`Query.to_dict`, :meth:`Query.from_dict`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from common.errors import QueryError
from common.persistent.compiler import QueryCompiler
from common.persistent.expressions import (
    And,
    Attribute,
    Compare,
    Node,
    Not,
    Or,
    describe,
    node_from_data,
    node_to_data,
    resolve_path,
)
from common.persistent.loading import load_attribute, load_query
from common.persistent.session import current_session

__all__ = ["Query"]

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
        if isinstance(index, bool) or not isinstance(index, int):
            raise QueryError(f"a query is indexed by integers, found {index!r}")
        position = index + len(self) if index < 0 else index
        found = self._slice(slice(position, position + 1))._fetch() if position >= 0 else []
        if not found:
            raise self.cls.NotFound(f"{self!r} has no element {index}")
        return found[0]

    def _slice(self, index: slice) -> Query:
        if index.step not in (None, 1):
            raise QueryError("a query slice has no step")
        start, stop = index.start or 0, index.stop
        if start < 0 or (stop is not None and stop < 0):
            size = len(self)
            start = max(start + size, 0) if start < 0 else start
            stop = max(stop + size, 0) if stop is not None and stop < 0 else stop
        offset = self.offset + start
        limit = None if stop is None else max(stop - start, 0)
        if self.limit is not None:
            remaining = max(self.limit - start, 0)
            limit = remaining if limit is None else min(limit, remaining)
        return self._copy(offset=offset, limit=limit)

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
        current = current_session()
        compiler = QueryCompiler(self, current.database.backend, current.database.table)
        if compiler.empty:
            return 0
        with current.database.read() as connection:
            return connection.execute(compiler.count()).scalar_one()

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
        from common.persistent.meta import persistent_class

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
        prop = current.__awe_properties__.get(name)
        if prop is None or not (prop.is_link or prop.is_list):
            raise QueryError(f"prefetch {'.'.join(path)}: {current.__name__}.{name} is not a "
                             "link or a list")
        if prop.kind != "link" and position < len(path) - 1:
            raise QueryError(f"prefetch {'.'.join(path)}: {current.__name__}.{name} holds "
                             "values, not links, and cannot be followed")
        if prop.kind == "link":
            current = prop.target
