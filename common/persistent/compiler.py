"""Compile a query to SQLAlchemy Core: joins for link paths, UNION ALL for class hierarchies.

- A class with one concrete table is queried directly and its rows come back in one query.
- A class with subclasses compiles to a UNION ALL over their tables, projecting the ids, the
  class name and the filter and sort columns; the rows are then loaded with one batched query
  per class (see :mod:`common.persistent.loading`).
- A link path (``PixTable.master_flat.ifu``) is a LEFT OUTER JOIN per link, to the target's
  table or its UNION ALL; a missing link makes the condition false, as NULL does.

Semantics: a comparison with NULL is false and ``~c`` is "not (c is true)" (a negated
condition is compiled in two-valued form: ``x IS NOT NULL AND x < 5``). Strings compare binary
(``COLLATE "C"`` columns on PostgreSQL, GLOB on SQLite). Order: NULL sorts as the largest
value; ties are broken by ``object_id``, in the direction of the last sort key, and unordered
queries are ordered by ``object_id``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Alias,
    ColumnElement,
    FromClause,
    Select,
    String,
    Table,
    and_,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    union_all,
)

from common.database import column_name
from common.database.backends import Backend
from common.errors import QueryError
from common.persistent.expressions import And, Bits, Compare, In, Like, Node, Not, Or
from common.persistent.properties import persistent
from common.persistent.registry import concrete_classes
from common.persistent.statements import chunks

if TYPE_CHECKING:
    from common.persistent.query import Query
    from common.persistent.visibility import Visible

__all__ = ["CLASS_COLUMN", "QueryCompiler"]

CLASS_COLUMN = "awe_class"
_OPERATORS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "==": lambda column, value: column == value,
    "!=": lambda column, value: column != value,
    "<": lambda column, value: column < value,
    "<=": lambda column, value: column <= value,
    ">": lambda column, value: column > value,
    ">=": lambda column, value: column >= value,
}


def _paths(node: Node | None, found: list[tuple[str, ...]]) -> None:
    if node is None:
        return
    if isinstance(node, (And, Or)):
        for part in node.parts:
            _paths(part, found)
    elif isinstance(node, Not):
        _paths(node.part, found)
    else:
        found.append(node.path)


class QueryCompiler:
    """The Core statements of one query, for one backend and its tables.

    ``table`` maps a table name to its :class:`~sqlalchemy.Table` (``Database.table``, or a
    :class:`~sqlalchemy.MetaData`'s tables for compile-only tests). ``visible`` (see
    :mod:`common.persistent.visibility`) is the visibility condition of a table, applied to
    every table read where the database has no row-level security (None: not needed).
    """

    def __init__(self, query: Query, backend: Backend, table: Callable[[str], Table], *,
                 visible: Visible | None = None) -> None:
        self.query = query
        self.backend = backend
        self._table = table
        self._visible = visible
        self.classes = concrete_classes(query.cls)
        self.single = len(self.classes) == 1
        self.empty = not self.classes
        paths: list[tuple[str, ...]] = []
        _paths(query.where, paths)
        paths.extend(path for path, _ in query.order)
        self._paths = paths
        self._sources: dict[tuple[str, ...], FromClause] = {}
        self._from: FromClause | None = None
        if not self.empty:
            self._build_sources()

    # -- sources -------------------------------------------------------------------------

    def _needed(self, prefix: tuple[str, ...]) -> list[str]:
        """Column names read from the source at ``prefix`` (the attribute after it)."""
        names = {path[len(prefix)] for path in self._paths
                 if len(path) > len(prefix) and path[:len(prefix)] == prefix}
        return sorted(column_name(name) for name in names)

    def _source(self, cls: type, prefix: tuple[str, ...], *, root: bool) -> FromClause:
        classes = concrete_classes(cls)
        where = f"{self.query.cls.__name__}.{'.'.join(prefix)}" if prefix else cls.__name__
        if not classes:
            raise QueryError(f"{where}: no class derived from {cls.__name__} has a table")
        if len(classes) == 1:
            table = self._table(classes[0]._meta.table)
            return table if root else table.alias(f"link_{len(self._sources)}")
        columns = self._needed(prefix)
        branches = []
        for klass in classes:
            table = self._table(klass._meta.table)
            projected = [table.c.object_id]
            if root:
                projected.append(literal(klass.__name__, String(128)).label(CLASS_COLUMN))
            projected.extend(table.c[name] for name in columns)
            branch = select(*projected)
            if self._visible is not None:
                branch = branch.where(self._visible(table))
            branches.append(branch)
        name = "root" if root else f"link_{len(self._sources)}"
        return union_all(*branches).subquery(name)

    def _build_sources(self) -> None:
        root = self._source(self.query.cls, (), root=True)
        self._sources[()] = root
        joined: FromClause = root
        prefixes = sorted({path[:end] for path in self._paths for end in range(1, len(path))},
                          key=len)
        for prefix in prefixes:
            parent = self._sources[prefix[:-1]]
            prop = self._prop(prefix)
            target = self._source(prop.target, prefix, root=False)
            self._sources[prefix] = target
            on = target.c.object_id == parent.c[column_name(prefix[-1])]
            if self._visible is not None and isinstance(target, Alias):
                on = and_(on, self._visible(target))
            joined = joined.outerjoin(target, on)
        self._from = joined

    def _prop(self, path: tuple[str, ...]) -> persistent:
        cls = self.query.cls
        prop = None
        for name in path:
            prop = cls._meta.properties[name]
            if prop.is_link:
                cls = prop.target
        return prop

    def column(self, path: tuple[str, ...]) -> ColumnElement[Any]:
        """The SQL column of an attribute path."""
        return self._sources[path[:-1]].c[column_name(path[-1])]

    # -- conditions ----------------------------------------------------------------------

    def _leaf(self, node: Node) -> ColumnElement[bool]:
        column = self.column(node.path)
        if isinstance(node, Compare):
            if node.value is None:
                return column.is_(None) if node.op == "==" else column.is_not(None)
            return _OPERATORS[node.op](column, node.value)
        if isinstance(node, In):
            if not node.values:
                return false()
            parts = [column.in_(piece) for piece in chunks(node.values, self.backend.in_chunk)]
            return parts[0] if len(parts) == 1 else or_(*parts)
        if isinstance(node, Like):
            return self.backend.wildcard_match(column, node.pattern)
        if isinstance(node, Bits):
            return column.bitwise_and(node.mask) != 0
        raise QueryError(f"unknown condition {node!r}")

    def condition(self, node: Node | None, *, two_valued: bool = False) -> ColumnElement[bool]:
        """The SQL condition of ``node``; ``two_valued`` makes it never NULL."""
        if node is None:
            return true()
        if isinstance(node, And):
            if not node.parts:
                return true()
            return and_(*(self.condition(part, two_valued=two_valued) for part in node.parts))
        if isinstance(node, Or):
            if not node.parts:
                return false()
            return or_(*(self.condition(part, two_valued=two_valued) for part in node.parts))
        if isinstance(node, Not):
            return not_(self.condition(node.part, two_valued=True))
        leaf = self._leaf(node)
        if two_valued and not (isinstance(node, Compare) and node.value is None):
            return and_(self.column(node.path).is_not(None), leaf)
        return leaf

    # -- statements ----------------------------------------------------------------------

    def _ordered(self, statement: Select) -> Select:
        root = self._sources[()]
        clauses = []
        for path, descending in self.query.order:
            column = self.column(path)
            clauses.append(column.desc().nulls_first() if descending
                           else column.asc().nulls_last())
        last_descending = bool(self.query.order) and self.query.order[-1][1]
        clauses.append(root.c.object_id.desc() if last_descending else root.c.object_id.asc())
        statement = statement.order_by(*clauses)
        if self.query.offset:
            statement = statement.offset(self.query.offset)
        if self.query.limit is not None:
            statement = statement.limit(self.query.limit)
        return statement

    def _filtered(self, *columns: Any) -> Select:
        statement = select(*columns).select_from(self._from)
        root = self._sources[()]
        if self._visible is not None and isinstance(root, Table):
            statement = statement.where(self._visible(root))
        if self.query.where is not None:
            statement = statement.where(self.condition(self.query.where))
        return statement

    def rows(self) -> Select:
        """Whole rows of the one concrete table, filtered, ordered and sliced."""
        table = self._sources[()]
        return self._ordered(self._filtered(*table.c))

    def ids(self) -> Select:
        """``(object_id, class name)`` pairs, filtered, ordered and sliced."""
        root = self._sources[()]
        return self._ordered(self._filtered(root.c.object_id, root.c[CLASS_COLUMN]))

    def count(self) -> Select:
        """``SELECT count(*)`` of the query (of its slice, when sliced)."""
        root = self._sources[()]
        if self.query.offset or self.query.limit is not None:
            inner = self._ordered(self._filtered(root.c.object_id)).subquery("sliced")
            return select(func.count()).select_from(inner)
        return self._filtered(func.count())
