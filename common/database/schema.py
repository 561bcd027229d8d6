"""The schema check of every connect: :func:`ensure_schema`, one row read when nothing changed.

The declared tables are the system tables plus every registered persistent class: connect
first imports the packages registered as declaring and the ``AWE_TARGET`` package (see
:mod:`common.database.declaring`). Their model hash (see
:mod:`common.database.history`) is compared with the newest ``awe_schema_history`` row:

- equal: nothing more happens (one query, no reflection, Alembic not even imported);
- different or no history: :func:`common.database.evolution.evolve` initialises an empty
  database, lets an older client run, applies additive changes, or refuses (DESIGN §3).

A process remembers the hash it matched per :class:`~common.database.engine.Database`, so a
class registered after connect costs one query, and a comparison of its new tables only.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import MetaData, inspect
from sqlalchemy.exc import DBAPIError

from common.database.catalogue import ID_SEQUENCE, SYSTEM_TABLES
from common.database.declaring import datamodel_version
from common.database.history import (
    HISTORY_TABLE,
    DeclaredSchema,
    history_table,
    newest_statement,
)
from common.database.mapping import build_metadata
from common.database.registry import registered_tables
from common.database.roles import RoleNames
from common.database.spec import TableSpec
from common.errors import DatabaseError

if TYPE_CHECKING:
    from common.database.changes import Change
    from common.database.engine import Database

__all__ = ["declared_schema", "ensure_schema", "newest_hash", "secure_schema"]

_HISTORY = history_table(MetaData())
_NEWEST = newest_statement(_HISTORY)


@dataclass(frozen=True)
class _Synced:
    schema_hash: str
    tables: frozenset[str]


_SYNCED: weakref.WeakKeyDictionary[Database, _Synced] = weakref.WeakKeyDictionary()


def declared_schema(specs: Iterable[TableSpec] | None = None) -> DeclaredSchema:
    """The system tables plus ``specs`` (default: every registered table), with their hash."""
    chosen = registered_tables() if specs is None else tuple(specs)
    return DeclaredSchema.of((*SYSTEM_TABLES, *chosen), datamodel_version())


def newest_hash(database: Database) -> str | None:
    """The schema hash of the newest history row (one query); None when there is no history."""
    try:
        with database.read() as connection:
            row = connection.execute(_NEWEST).first()
    except DBAPIError as exc:
        with database.read() as connection:
            exists = inspect(connection).has_table(HISTORY_TABLE)
        if exists:
            raise DatabaseError(f"database {database.url}: cannot read {HISTORY_TABLE} "
                                f"({exc.orig or exc}); grant the role SELECT on the tables, "
                                "or connect as the owner") from exc
        return None
    return None if row is None else row.schema_hash


def ensure_schema(database: Database, specs: Iterable[TableSpec] | None = None
                  ) -> list[Change]:
    """Check the schema version and evolve the schema if needed; return the changes applied.

    ``specs`` default to every registered table. Raises
    :class:`~common.errors.SchemaEvolutionError` for a difference that is not additive, or
    when the schema needs changes the connected role may not make (nothing is altered then).
    Afterwards ``database.metadata`` holds every declared table.
    """
    declared = declared_schema(specs)
    synced = _SYNCED.get(database)
    changes: list[Change] = []
    if synced is None or synced.schema_hash != declared.schema_hash:
        newest = newest_hash(database)
        if newest != declared.schema_hash:
            # Lazy for start-up speed: Alembic is imported only when the schema changed.
            from common.database.evolution import evolve

            changes = evolve(database, declared, has_history=newest is not None,
                             synced_hash=synced.schema_hash if synced else None,
                             only=declared.table_names - synced.tables if synced else None)
        _SYNCED[database] = _Synced(declared.schema_hash, declared.table_names)
    build_metadata(declared.specs, metadata=database.metadata)
    history_table(database.metadata)
    return changes


def secure_schema(database: Database, prefix: str) -> bool:
    """Give every declared table its grants and row-level-security policies now.

    For ``awe db init`` after it made the roles: schema evolution does the same with every
    change, but a database whose schema is current would otherwise wait for the next one.
    Runs as the tables' owner; False when the backend has no policies or no roles yet.
    """
    declared = declared_schema()
    with database.write() as connection:
        permission = database.backend.ddl_permission(
            connection, user="", owner_role=RoleNames(prefix).owner, history_table=HISTORY_TABLE)
        if not permission.allowed:
            return False
        if permission.run_as:
            database.backend.run_ddl_as(connection, permission.run_as)
        return database.backend.secure_tables(connection, declared.specs, prefix,
                                              sequence=ID_SEQUENCE)
