"""Oracle quirks: the python-oracledb driver, JSON in a CLOB, booleans as NUMBER(1).

Oracle is compile-tested only (no server runs here): every DDL statement and query is compiled
with SQLAlchemy's oracle dialect in the tests. Clients never run DDL on Oracle; the DBA runs
the script ``awe db migrate --sql`` writes, and clients refuse until it has run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    CLOB,
    CheckConstraint,
    ColumnElement,
    Connection,
    Constraint,
    FromClause,
    Table,
    Text,
    bindparam,
    func,
    literal,
    select,
    text,
)
from sqlalchemy import Sequence as SqlSequence
from sqlalchemy import column as catalog_column
from sqlalchemy.dialects import oracle
from sqlalchemy.dialects.oracle import NUMBER
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import Boolean, TypeDecorator, TypeEngine

from common.database.backends.base import Backend, json_rows
from common.database.naming import constraint_name

__all__ = ["IsJson", "JsonClob", "NumberBoolean", "OracleBackend"]

# Oracle refuses string literals over 4000 bytes: long texts go in as TO_CLOB pieces.
LITERAL_CHARS = 1000


class JsonClob(TypeDecorator[dict]):
    """A JSON document in a CLOB (checked by an ``IS JSON`` constraint)."""

    impl = CLOB
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        """The JSON text."""
        return None if value is None else json.dumps(value, sort_keys=True)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        """The parsed JSON."""
        return None if value is None else json.loads(value)


class NumberBoolean(TypeDecorator[bool]):
    """A boolean stored as NUMBER(1) 0/1."""

    impl = NUMBER(1)
    cache_ok = True

    def process_bind_param(self, value: bool | None, dialect: Any) -> int | None:
        """0 or 1."""
        return None if value is None else int(value)

    def process_result_value(self, value: Any, dialect: Any) -> bool | None:
        """False or True."""
        return None if value is None else bool(value)


class IsJson(ColumnElement[bool]):
    """The condition ``column IS JSON`` of a check constraint."""

    type = Boolean()
    inherit_cache = False

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column


@compiles(IsJson)
def _compile_is_json(element: IsJson, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} IS JSON"


class OracleBackend(Backend):
    """Oracle through python-oracledb (the maintained successor of cx_Oracle)."""

    name = "oracle"
    driver = "oracledb"
    in_chunk = 1000
    migrate_command = ("clients do not change an Oracle schema: have the DBA run the script "
                       "that `awe db migrate --sql` writes")

    def begin_script(self, context: MigrationContext, operations: Operations) -> None:
        """SQL*Plus stops at the first error and takes ``&`` literally."""
        context.impl.static_output("WHENEVER SQLERROR EXIT SQL.SQLCODE\nSET DEFINE OFF")

    def added_column_constraints(self, table: Table, column: str) -> list[Constraint]:
        """The ``IS JSON`` check of a ``dict`` column."""
        json_check = constraint_name("ck", table.name, column)
        return [constraint for constraint in table.constraints
                if isinstance(constraint, CheckConstraint) and constraint.name == json_check]

    def long_text(self, value: str) -> Any:
        """A text over :data:`LITERAL_CHARS` as concatenated ``TO_CLOB`` pieces."""
        if len(value) <= LITERAL_CHARS:
            return value
        pieces = [func.to_clob(literal(value[start:start + LITERAL_CHARS], Text()))
                  for start in range(0, len(value), LITERAL_CHARS)]
        joined = pieces[0]
        for piece in pieces[1:]:
            joined = joined.concat(piece)
        return joined

    def reserve_blocks(self, connection: Connection, sequence: SqlSequence, counter: Table,
                       count: int, block: int) -> list[int]:
        """One ``SELECT seq.NEXTVAL FROM DUAL`` per block."""
        statement = select(sequence.next_value())
        return sorted(connection.execute(statement).scalar_one() for _ in range(count))

    def rows_table(self, name: str, columns: Mapping[str, TypeEngine[Any]],
                   rows: Sequence[Mapping[str, Any]]) -> FromClause:
        """``JSON_TABLE`` over one JSON parameter: no limit on the number of rows."""
        dialect = oracle.dialect()
        definitions = ", ".join(f"{key} {kind.compile(dialect=dialect)} PATH '$.{key}'"
                                for key, kind in columns.items())
        statement = text(f"SELECT * FROM JSON_TABLE(:{name}_rows, '$[*]' "
                         f"COLUMNS ({definitions}))")
        return (statement.bindparams(bindparam(f"{name}_rows", json_rows(rows), type_=CLOB()))
                .columns(*(catalog_column(key, kind) for key, kind in columns.items()))
                .subquery(name))
