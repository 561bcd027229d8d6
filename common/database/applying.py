"""Applying a schema-evolution plan: the DDL of each change, and the history row recording it.

The same code runs the changes on a connection (:func:`common.database.evolution.evolve`) and
writes them as a script for a DBA (:func:`common.database.scripts.render_script`); what differs
between products comes from the backend.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from alembic.operations import Operations
from sqlalchemy import Column, Connection, ForeignKey, Insert, MetaData, Table, Text, event, literal
from sqlalchemy.schema import (
    AddConstraint,
    CreateIndex,
    CreateSequence,
    CreateTable,
    SetColumnComment,
    SetTableComment,
)

from common.database.backends import Backend
from common.database.catalogue import ID_COUNTER, ID_SEQUENCE
from common.database.changes import (
    ADD_COLUMN,
    CREATE_INDEX,
    CREATE_SEQUENCE,
    CREATE_TABLE,
    INSERT_ROW,
    RENAME_COLUMN,
    WIDEN_COLUMN,
    Change,
    Plan,
)
from common.database.constants import LOCAL_SITE, utcnow
from common.database.history import DeclaredSchema, model_text, software_release
from common.database.spec import ColumnSpec, TableSpec

__all__ = ["apply_plan", "capturing", "history_row"]

log = logging.getLogger(__name__)


def _server_default(spec: ColumnSpec | None, declared: Column) -> Any:
    if spec is None or spec.default is None:
        return None
    if spec.kind == "dict":
        return literal(json.dumps(spec.default, sort_keys=True), Text())
    return literal(spec.default, declared.type)


def _added_column(table_spec: TableSpec | None, declared: Column) -> Column:
    spec = next((column for column in table_spec.columns if column.name == declared.name),
                None) if table_spec is not None else None
    links = [ForeignKey(key.target_fullname, name=key.name, deferrable=key.deferrable,
                        initially=key.initially) for key in declared.foreign_keys]
    return Column(declared.name, declared.type, *links, nullable=True,
                  server_default=_server_default(spec, declared), comment=declared.comment)


def _create_table(operations: Operations, declared: Table) -> None:
    dialect = operations.migration_context.dialect
    operations.execute(CreateTable(declared))
    for index in sorted(declared.indexes, key=lambda item: item.name):
        operations.execute(CreateIndex(index))
    if dialect.supports_comments and not dialect.inline_comments:
        if declared.comment:
            operations.execute(SetTableComment(declared))
        for item in declared.columns:
            if item.comment:
                operations.execute(SetColumnComment(item))


def _apply(operations: Operations, backend: Backend, change: Change, metadata: MetaData,
           specs: dict[str, TableSpec]) -> None:
    if change.action == CREATE_SEQUENCE:
        operations.execute(CreateSequence(metadata.info[ID_SEQUENCE],
                                          if_not_exists=backend.creates_sequence_if_missing))
        return
    declared = metadata.tables[change.table]
    if change.action == CREATE_TABLE:
        _create_table(operations, declared)
    elif change.action == INSERT_ROW:
        if change.table == ID_COUNTER.name:
            operations.execute(declared.insert().values(name=ID_SEQUENCE, next_value=1))
        else:
            operations.execute(declared.insert().values(
                site_id=LOCAL_SITE[0], name=LOCAL_SITE[1], registered=utcnow()))
    elif change.action == RENAME_COLUMN:
        operations.alter_column(change.table, change.detail, new_column_name=change.column)
    elif change.action == WIDEN_COLUMN:
        if backend.sized_strings:
            operations.alter_column(change.table, change.column,
                                    type_=declared.c[change.column].type)
    elif change.action == ADD_COLUMN:
        operations.add_column(change.table,
                              _added_column(specs.get(change.table), declared.c[change.column]),
                              inline_references=backend.inline_references)
        for constraint in backend.added_column_constraints(declared, change.column):
            operations.execute(AddConstraint(constraint))
    elif change.action == CREATE_INDEX:
        index = next(item for item in declared.indexes if item.name == change.column)
        operations.execute(CreateIndex(index))


def apply_plan(operations: Operations, backend: Backend, plan: Plan, metadata: MetaData,
               declared: DeclaredSchema) -> None:
    """Run (or, in an offline context, write) the DDL of every change of ``plan``, in order."""
    specs = {spec.name: spec for spec in declared.specs}
    total = len(plan.changes)
    for number, change in enumerate(plan.changes, 1):
        log.info("schema evolution %d/%d: %s", number, total, change.describe())
        _apply(operations, backend, change, metadata, specs)


def history_row(history: Table, backend: Backend, *, version_id: int,
                declared: DeclaredSchema, applied_by: str, plan: Plan,
                statements: Sequence[str], model: dict[str, Any]) -> Insert:
    """The INSERT of the history row that records ``plan`` as schema version ``version_id``."""
    return history.insert().values(
        version_id=version_id,
        schema_hash=declared.schema_hash,
        datamodel_version=declared.datamodel_version[:63],
        software_release=software_release()[:63],
        applied_by=applied_by[:63],
        applied_at=utcnow(),
        changes=backend.long_text(json.dumps([change.to_json() for change in plan.changes],
                                             sort_keys=True)),
        statements=backend.long_text(";\n".join(statements)),
        model=backend.long_text(model_text(model)),
    )


@contextmanager
def capturing(connection: Connection, statements: list[str]) -> Iterator[None]:
    """Append every statement ``connection`` sends inside the block to ``statements``."""
    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        statements.append(statement.strip())

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(connection, "before_cursor_execute", record)
