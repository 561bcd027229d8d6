"""Oracle quirks: the python-oracledb driver, JSON in a CLOB, booleans as NUMBER(1).

Oracle is compile-tested only (no server runs here): every DDL statement and query is compiled
with SQLAlchemy's oracle dialect in the tests. Clients never run DDL on Oracle; the DBA runs
the script ``awe db migrate --sql`` writes, and clients refuse until it has run.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import CLOB, ColumnElement, Connection, Sequence, Table, select
from sqlalchemy.dialects.oracle import NUMBER
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import Boolean, TypeDecorator

from common.database.backends.base import Backend

__all__ = ["IsJson", "JsonClob", "NumberBoolean", "OracleBackend"]


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

    def reserve_blocks(self, connection: Connection, sequence: Sequence, counter: Table,
                       count: int, block: int) -> list[int]:
        """One ``SELECT seq.NEXTVAL FROM DUAL`` per block."""
        statement = select(sequence.next_value())
        return sorted(connection.execute(statement).scalar_one() for _ in range(count))
