"""The schema check of every connect: :func:`ensure_schema`, one row read when nothing changed.

The declared tables are the system tables plus every registered persistent class: connect
first imports the system classes and the ``AWE_TARGET`` package, by name, because this layer
may not import the layers that declare classes. Their model hash (see
:mod:`common.database.history`) is compared with the newest ``awe_schema_history`` row:

- equal: nothing more happens (one query, no reflection, Alembic not even imported);
- different or no history: :func:`common.database.evolution.evolve` initialises an empty
  database, lets an older client run, applies additive changes, or refuses (DESIGN §3).

A process remembers the hash it matched per :class:`~common.database.engine.Database`, so a
class registered after connect costs one query, and a comparison of its new tables only.
"""

from __future__ import annotations

import importlib
import importlib.util
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import MetaData, inspect
from sqlalchemy.exc import DBAPIError

from common.database.catalogue import SYSTEM_TABLES
from common.database.history import (
    HISTORY_TABLE,
    DeclaredSchema,
    history_table,
    newest_statement,
)
from common.database.mapping import build_metadata
from common.database.registry import registered_tables
from common.database.spec import TableSpec
from common.errors import ConfigError, DatabaseError

if TYPE_CHECKING:
    from common.database.engine import Database
    from common.database.evolution import Change

__all__ = [
    "DECLARING_PACKAGES",
    "datamodel_version",
    "declared_schema",
    "ensure_schema",
    "import_declaring_packages",
    "newest_hash",
]

# Packages whose import registers the system classes (AuditRecord, ParameterSet, QcRecord).
DECLARING_PACKAGES = ("common.persistent",)
# The attribute of a target package that names its data-model version (e.g. muse.xml's).
VERSION_ATTRIBUTE = "DATAMODEL_VERSION"

_HISTORY = history_table(MetaData())
_NEWEST = newest_statement(_HISTORY)
_target_versions: dict[str, str] = {}


@dataclass(frozen=True)
class _Synced:
    schema_hash: str
    tables: frozenset[str]


_SYNCED: weakref.WeakKeyDictionary[Database, _Synced] = weakref.WeakKeyDictionary()


def import_declaring_packages(target: str, *, required: bool) -> None:
    """Import the system classes and the ``target`` package, so their tables are registered.

    A missing ``target`` package is an error only when it was configured explicitly
    (``required``); the default (``muse.datamodel``) may not exist yet. The package's
    ``DATAMODEL_VERSION`` (if it has one) is recorded with every schema version it writes.
    """
    for name in DECLARING_PACKAGES:
        importlib.import_module(name)
    try:
        found = importlib.util.find_spec(target) is not None
    except ModuleNotFoundError:
        found = False
    if found:
        module = importlib.import_module(target)
        _target_versions.clear()
        _target_versions[target] = str(getattr(module, VERSION_ATTRIBUTE, ""))
    elif required:
        raise ConfigError(f"target: the package {target!r} cannot be imported (not found)")


def datamodel_version() -> str:
    """The data-model version of the imported target package ("" when it declares none)."""
    return next(iter(_target_versions.values()), "")


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
            from common.database.evolution import evolve

            changes = evolve(database, declared, has_history=newest is not None,
                             synced_hash=synced.schema_hash if synced else None,
                             only=declared.table_names - synced.tables if synced else None)
        _SYNCED[database] = _Synced(declared.schema_hash, declared.table_names)
    build_metadata(declared.specs, metadata=database.metadata)
    history_table(database.metadata)
    return changes
