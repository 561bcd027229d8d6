"""Turn table specs into SQLAlchemy Core tables: types, keys, foreign keys, indexes.

- Every ``link`` column is a foreign key to ``awe_object.object_id``, deferrable and initially
  deferred, so a graph of new objects can be inserted in any order within one transaction.
- Indexes and constraints get explicit names of at most 30 characters
  (:func:`common.database.naming.constraint_name`).
- A ``dict`` column gets an ``IS JSON`` check on Oracle only.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Sequence,
    Table,
    UniqueConstraint,
)

from common.database.backends.oracle import IsJson
from common.database.catalogue import ID_BLOCK, ID_SEQUENCE, OBJECT_TABLE, SYSTEM_TABLES
from common.database.naming import constraint_name
from common.database.registry import registered_tables
from common.database.spec import TableSpec
from common.database.types import sql_type

__all__ = ["build_metadata", "build_table"]


def build_table(spec: TableSpec, metadata: MetaData) -> Table:
    """Add the table of ``spec`` to ``metadata`` and return it."""
    columns: list[Column] = []
    extras: list[object] = [PrimaryKeyConstraint(*spec.primary_key,
                                                 name=constraint_name("pk", spec.name))]
    for column in spec.columns:
        arguments = []
        if column.kind == "link":
            arguments.append(ForeignKey(
                f"{OBJECT_TABLE.name}.object_id",
                name=constraint_name("fk", spec.name, column.name),
                deferrable=True, initially="DEFERRED",
            ))
        columns.append(Column(column.name, sql_type(column.kind, column.length), *arguments,
                              nullable=column.nullable and column.name not in spec.primary_key,
                              autoincrement=False, comment=column.doc or None))
        if column.unique:
            extras.append(UniqueConstraint(column.name,
                                           name=constraint_name("uq", spec.name, column.name)))
        elif column.index:
            extras.append(Index(constraint_name("ix", spec.name, column.name), column.name))
    table = Table(spec.name, metadata, *columns, *extras, comment=spec.doc or None)
    for column in spec.columns:
        if column.kind == "dict":
            check = CheckConstraint(IsJson(table.c[column.name]),
                                    name=constraint_name("ck", spec.name, column.name))
            table.append_constraint(check.ddl_if(dialect="oracle"))
    return table


def build_metadata(specs: Iterable[TableSpec] | None = None,
                   metadata: MetaData | None = None) -> MetaData:
    """The system tables, the id sequence and a table per spec, in one :class:`MetaData`.

    The sequence is also ``metadata.info[ID_SEQUENCE]``.

    ``specs`` defaults to every registered table (every persistent class the process has
    imported). Given an existing ``metadata``, only the tables it lacks are added, so tables
    already built keep their identity.
    """
    metadata = MetaData() if metadata is None else metadata
    if ID_SEQUENCE not in metadata.info:
        metadata.info[ID_SEQUENCE] = Sequence(ID_SEQUENCE, start=1, increment=ID_BLOCK,
                                              metadata=metadata)
    wanted = (*SYSTEM_TABLES, *(registered_tables() if specs is None else specs))
    for spec in wanted:
        if spec.name not in metadata.tables:
            build_table(spec, metadata)
    return metadata
