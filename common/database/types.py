"""The type table of DESIGN §3: one SQL type per value kind, per backend.

| kind | SQLite | PostgreSQL | Oracle |
|---|---|---|---|
| int, link | INTEGER | BIGINT | NUMBER(19) |
| float | REAL | DOUBLE PRECISION | BINARY_DOUBLE |
| str | TEXT | VARCHAR(n) COLLATE "C" | VARCHAR2(n CHAR) |
| bool | INTEGER | BOOLEAN | NUMBER(1) |
| datetime | TEXT (ISO, µs) | TIMESTAMP(6) | TIMESTAMP (Oracle's default precision is 6) |
| date | DATE | DATE | DATE |
| dict | JSON | JSONB | CLOB with an IS JSON check |

Datetimes are naive UTC with microseconds. String lengths are enforced by the persistent
layer before a value reaches SQL, so SQLite's TEXT needs none.
"""

from __future__ import annotations

import functools

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Float, String
from sqlalchemy.dialects import oracle, postgresql, sqlite
from sqlalchemy.types import TypeEngine

from common.database.backends.oracle import JsonClob, NumberBoolean
from common.database.backends.sqlite import IntegerBoolean, IsoDateTime
from common.errors import TableSpecError

__all__ = ["sql_type"]


def _integer() -> TypeEngine:
    return (BigInteger()
            .with_variant(sqlite.INTEGER(), "sqlite")
            .with_variant(oracle.NUMBER(19), "oracle"))


def _float() -> TypeEngine:
    return (Float(53)
            .with_variant(sqlite.REAL(), "sqlite")
            .with_variant(postgresql.DOUBLE_PRECISION(), "postgresql")
            .with_variant(oracle.BINARY_DOUBLE(), "oracle"))


def _string(length: int) -> TypeEngine:
    return (String(length)
            .with_variant(sqlite.TEXT(), "sqlite")
            .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql"))


def _boolean() -> TypeEngine:
    return (Boolean(create_constraint=False)
            .with_variant(IntegerBoolean(), "sqlite")
            .with_variant(NumberBoolean(), "oracle"))


def _datetime() -> TypeEngine:
    return (DateTime()
            .with_variant(IsoDateTime(), "sqlite")
            .with_variant(postgresql.TIMESTAMP(precision=6), "postgresql")
            .with_variant(oracle.TIMESTAMP(), "oracle"))


def _json() -> TypeEngine:
    return (JSON(none_as_null=True)
            .with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
            .with_variant(JsonClob(), "oracle"))


@functools.cache
def sql_type(kind: str, length: int | None = None) -> TypeEngine:
    """The SQLAlchemy type of a column of ``kind`` (see :data:`common.database.spec.KINDS`).

    Types are immutable and shared between columns: building one per column made a connect to
    the 1,700 columns of the MUSE model take seconds.
    """
    if kind in ("int", "link"):
        return _integer()
    if kind == "float":
        return _float()
    if kind == "str":
        if length is None:
            raise TableSpecError("a str column needs its length")
        return _string(length)
    if kind == "bool":
        return _boolean()
    if kind == "datetime":
        return _datetime()
    if kind == "date":
        return Date()
    if kind == "dict":
        return _json()
    raise TableSpecError(f"unknown column kind {kind!r}")
