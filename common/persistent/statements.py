"""Every SQL statement the persistent layer runs besides a query's own (see ``compiler``).

They live here, as small builders, so the tests can compile each one for SQLite, PostgreSQL
and Oracle; :func:`chunks` and :func:`select_in_chunks` split a long IN list into the pieces a
backend accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Insert, Row, Select, Table, Update, select

__all__ = [
    "catalogue_classes",
    "chunks",
    "equal_values",
    "insert_rows",
    "list_items",
    "lock_fields",
    "rows_by_ids",
    "select_in_chunks",
    "update_catalogue_privileges",
    "update_fields",
]

_T = TypeVar("_T")


def chunks(values: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    """``values`` in consecutive pieces of at most ``size`` (a backend's IN list limit)."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def select_in_chunks(connection: Connection, build: Callable[[Sequence[_T]], Select],
                     values: Sequence[_T], size: int) -> list[Row]:
    """The rows of ``build(piece)`` for each piece of ``values`` (see :func:`chunks`)."""
    rows: list[Row] = []
    for piece in chunks(values, size):
        rows.extend(connection.execute(build(piece)))
    return rows


def rows_by_ids(table: Table, ids: Sequence[int]) -> Select:
    """Whole rows of ``table`` for ``ids``."""
    return select(*table.c).where(table.c.object_id.in_(ids))


def catalogue_classes(catalogue: Table, ids: Sequence[int]) -> Select:
    """``(object_id, class_name)`` of ``ids`` from ``awe_object``."""
    return select(catalogue.c.object_id, catalogue.c.class_name).where(
        catalogue.c.object_id.in_(ids))


def list_items(table: Table, ids: Sequence[int]) -> Select:
    """``(object_id, value)`` of the lists of ``ids``, in list order."""
    return (select(table.c.object_id, table.c.value)
            .where(table.c.object_id.in_(ids))
            .order_by(table.c.object_id, table.c.position))


def equal_values(table: Table, digests: Sequence[str]) -> Select:
    """``(params_hash, object_id)`` of the parameter sets with these hashes."""
    return select(table.c.params_hash, table.c.object_id).where(
        table.c.params_hash.in_(digests))


def insert_rows(table: Table) -> Insert:
    """The INSERT executed once per table with all its rows (executemany)."""
    return table.insert()


def lock_fields(table: Table, object_id: int, columns: Sequence[str]) -> Select:
    """The current values of ``columns`` of one row, locked until the transaction ends."""
    return (select(*(table.c[name] for name in columns))
            .where(table.c.object_id == object_id).with_for_update())


def update_fields(table: Table, object_id: int, values: dict[str, Any]) -> Update:
    """Set mutable columns of one row."""
    return table.update().where(table.c.object_id == object_id).values(values)


def update_catalogue_privileges(catalogue: Table, object_id: int, privileges: int) -> Update:
    """Keep ``awe_object.privileges`` equal to the class table's."""
    return catalogue.update().where(catalogue.c.object_id == object_id).values(
        privileges=privileges)
