"""Make the database's schema match the declared tables: :func:`ensure_schema`.

Today this creates whatever is missing (an empty database is initialised: tables, the id
sequence, site 0); it is the one place schema evolution replaces (DESIGN §3, "Schema
evolution"). The declared tables are the system tables plus every registered persistent
class: connect first imports the system classes and the ``AWE_TARGET`` package, by name,
because this layer may not import the layers that declare classes.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

from sqlalchemy import inspect, select

from common.database.catalogue import ID_COUNTER, ID_SEQUENCE
from common.database.mapping import build_metadata
from common.errors import ConfigError, DatabaseError

if TYPE_CHECKING:
    from common.database.engine import Database

__all__ = ["DECLARING_PACKAGES", "ensure_schema", "import_declaring_packages"]

# Packages whose import registers the system classes (AuditRecord, ParameterSet, QcRecord).
DECLARING_PACKAGES = ("common.persistent",)


def import_declaring_packages(target: str, *, required: bool) -> None:
    """Import the system classes and the ``target`` package, so their tables are registered.

    A missing ``target`` package is an error only when it was configured explicitly
    (``required``); the default (``muse.datamodel``) may not exist yet.
    """
    for name in DECLARING_PACKAGES:
        importlib.import_module(name)
    try:
        found = importlib.util.find_spec(target) is not None
    except ModuleNotFoundError:
        found = False
    if found:
        importlib.import_module(target)
    elif required:
        raise ConfigError(f"target: the package {target!r} cannot be imported (not found)")


def _missing_tables(database: Database) -> list[str]:
    with database.read() as connection:
        existing = set(inspect(connection).get_table_names())
    return [name for name in database.metadata.tables if name not in existing]


def ensure_schema(database: Database) -> list[str]:
    """Create every declared table the database lacks; return their names.

    Runs under the backend's schema lock (PostgreSQL advisory lock, SQLite ``BEGIN
    IMMEDIATE``), so concurrent first connects create everything once. A role that may not run
    DDL gets :class:`DatabaseError` naming the missing tables and the command to run.
    """
    build_metadata(metadata=database.metadata)
    missing = _missing_tables(database)
    if not missing:
        return []
    with database.read() as connection:
        allowed = database.backend.may_run_ddl(connection)
    if not allowed:
        who = f"role {database.current_user}" if database.current_user else "this role"
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise DatabaseError(f"database {database.url}: tables {shown} are missing and {who} "
                            "may not create them; run `awe db migrate` as the owner")
    from common.database.sites import seed_local_site

    with database.write() as connection:
        database.backend.lock_schema(connection)
        database.metadata.create_all(connection, checkfirst=True)
        counter = database.metadata.tables[ID_COUNTER.name]
        present = connection.execute(
            select(counter.c.name).where(counter.c.name == ID_SEQUENCE)).first()
        if present is None:
            connection.execute(counter.insert().values(name=ID_SEQUENCE, next_value=1))
        seed_local_site(database, connection)
    return missing
