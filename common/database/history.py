"""The schema history: ``awe_schema_history``, one row per schema version, and the model hash.

- A **model** is the canonical description of the declared tables (the system tables plus every
  registered persistent class): per table its primary key and per column its kind, length,
  nullability, index and uniqueness. Documentation, defaults and ``renamed_from`` are left out:
  they change no column. Its text is JSON with sorted keys and no whitespace, so the
  **schema hash** (sha256 of that text) is the same in every process and Python version.
- Each row records one schema version: its number, the hash of the client that wrote it, the
  data-model version and software release of that client, who applied it and when, the changes
  (as JSON), the SQL statements, and the merged model (every table any client has declared).
- Connect reads only the newest row's hash (:func:`newest_statement`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Select,
    Table,
    Text,
    select,
)

from common.database.naming import constraint_name
from common.database.spec import TableSpec
from common.database.types import sql_type

__all__ = [
    "DISTRIBUTION",
    "HISTORY_TABLE",
    "DeclaredSchema",
    "HistoryEntry",
    "describe_tables",
    "history_table",
    "merge_models",
    "model_hash",
    "model_text",
    "newest_statement",
    "read_history",
    "software_release",
]

HISTORY_TABLE = "awe_schema_history"
DISTRIBUTION = "muse-wise"
# Bumped when the model description or the history table itself changes shape.
MODEL_FORMAT = 1


def history_table(metadata: MetaData) -> Table:
    """The ``awe_schema_history`` table in ``metadata`` (added when missing)."""
    existing = metadata.tables.get(HISTORY_TABLE)
    if existing is not None:
        return existing
    return Table(
        HISTORY_TABLE, metadata,
        Column("version_id", sql_type("int"), nullable=False, autoincrement=False,
               comment="schema version: 1, 2, 3 …"),
        Column("schema_hash", sql_type("str", 64), nullable=False,
               comment="sha256 of the model of the client that wrote the row"),
        Column("datamodel_version", sql_type("str", 63), nullable=False,
               comment="DATAMODEL_VERSION of that client's target package, or empty"),
        Column("software_release", sql_type("str", 63), nullable=False,
               comment="version of the software that wrote the row"),
        Column("applied_by", sql_type("str", 63), nullable=False,
               comment="the database role or user that applied it"),
        Column("applied_at", sql_type("datetime"), nullable=False, comment="when (naive UTC)"),
        Column("changes", Text(), nullable=False, comment="the changes, as a JSON list"),
        Column("statements", Text(), nullable=False, comment="the SQL that was run"),
        Column("model", Text(), nullable=False,
               comment="canonical JSON of every table declared so far (merged)"),
        PrimaryKeyConstraint("version_id", name=constraint_name("pk", HISTORY_TABLE)),
        Index(constraint_name("ix", HISTORY_TABLE, "schema_hash"), "schema_hash"),
        comment="one row per schema version (DESIGN §3, schema evolution)",
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One row of ``awe_schema_history`` (``changes`` as parsed JSON)."""

    version_id: int
    schema_hash: str
    datamodel_version: str
    software_release: str
    applied_by: str
    applied_at: dt.datetime
    changes: tuple[dict[str, str], ...]
    statements: str


def _describe_table(spec: TableSpec) -> dict[str, Any]:
    return {
        "primary_key": list(spec.primary_key),
        "columns": {
            column.name: {"kind": column.kind, "length": column.length,
                          "nullable": column.nullable, "index": column.index,
                          "unique": column.unique}
            for column in spec.columns
        },
    }


def describe_tables(specs: Iterable[TableSpec]) -> dict[str, Any]:
    """The model of ``specs``: ``{"format": …, "tables": {name: description}}``."""
    return {"format": MODEL_FORMAT,
            "tables": {spec.name: _describe_table(spec) for spec in specs}}


def merge_models(recorded: Mapping[str, Any] | None, declared: Mapping[str, Any]
                 ) -> dict[str, Any]:
    """``recorded`` with the tables of ``declared`` added or replaced (the database's model)."""
    tables = dict(recorded["tables"]) if recorded else {}
    tables.update(declared["tables"])
    return {"format": MODEL_FORMAT, "tables": tables}


def model_text(model: Mapping[str, Any]) -> str:
    """The canonical JSON text of a model (sorted keys, no whitespace, ASCII)."""
    return json.dumps(model, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def model_hash(model: Mapping[str, Any]) -> str:
    """The schema hash of a model: sha256 (hex) of its canonical text."""
    return hashlib.sha256(model_text(model).encode("ascii")).hexdigest()


@dataclass(frozen=True)
class DeclaredSchema:
    """What a client declares: its table specs, their model and hash, its data-model version."""

    specs: tuple[TableSpec, ...]
    model: dict[str, Any]
    schema_hash: str
    datamodel_version: str

    @classmethod
    def of(cls, specs: Iterable[TableSpec], datamodel_version: str = "") -> DeclaredSchema:
        """The declaration of ``specs`` (a later spec of the same name replaces an earlier)."""
        unique = tuple({spec.name: spec for spec in specs}.values())
        model = describe_tables(unique)
        return cls(unique, model, model_hash(model), datamodel_version)

    @property
    def table_names(self) -> frozenset[str]:
        """The declared tables, the history table included."""
        return frozenset((*(spec.name for spec in self.specs), HISTORY_TABLE))


def software_release() -> str:
    """The installed version of this software (``unknown`` when it is not installed)."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def newest_statement(table: Table) -> Select:
    """The one-row read of every connect: hash and data-model version of the newest version."""
    return (select(table.c.version_id, table.c.schema_hash, table.c.datamodel_version)
            .order_by(table.c.version_id.desc()).limit(1))


def read_history(connection: Connection, table: Table) -> list[HistoryEntry]:
    """Every history row, oldest first."""
    rows = connection.execute(
        select(table.c.version_id, table.c.schema_hash, table.c.datamodel_version,
               table.c.software_release, table.c.applied_by, table.c.applied_at,
               table.c.changes, table.c.statements)
        .order_by(table.c.version_id)).all()
    return [HistoryEntry(row.version_id, row.schema_hash, row.datamodel_version,
                         row.software_release, row.applied_by, row.applied_at,
                         tuple(json.loads(row.changes)), row.statements)
            for row in rows]
