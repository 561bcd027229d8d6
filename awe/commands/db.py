"""Initialise, evolve and inspect the database schema.

  awe db init                     initialise an empty database; as a PostgreSQL superuser also
                                  create the roles awe_owner and awe_service (AWE_ROLE_PREFIX)
  awe db migrate                  apply the additive changes the data model needs (as the owner)
  awe db migrate --dry-run        list the changes or refusals and their SQL; alter nothing
  awe db migrate --sql            print the SQL script for a DBA (Oracle: for SQL*Plus)
  awe db history [--statements]   every schema version, oldest first

Connecting already evolves the schema when the role is the owner (always on SQLite); these
commands are for the owner on behalf of everyone else, for a DBA (Oracle), and for looking.
Every command takes --database URL (default: the configured database); on an empty
database, history first initialises it as any connect does.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from common.config import load_config

if TYPE_CHECKING:
    from common.database import Database

# common.database (SQLAlchemy, Alembic) is imported where used: `awe` imports every command
# module to build its parser.

HELP = "initialise (init), evolve (migrate) and show the history of the database schema"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One sub-command per task: ``init``, ``migrate``, ``history``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = sub.add_parser("init", help="initialise an empty database (and the owner roles)")
    migrate = sub.add_parser("migrate", help="apply the additive changes the data model needs")
    mode = migrate.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true",
                      help="list the changes (or refusals) and their SQL; alter nothing")
    mode.add_argument("--sql", action="store_true",
                      help="print the SQL script for a DBA instead of running it")
    history = sub.add_parser("history", help="list every schema version")
    history.add_argument("--statements", action="store_true",
                         help="also print the SQL statements of each version")
    for command in (init, migrate, history):
        command.add_argument("--database", metavar="URL",
                             help="the database (default: the configured 'database')")


def run(args: argparse.Namespace) -> int:
    """Open the database without evolving it, then do the chosen action."""
    from common.database import connect, register_declaring

    # The system classes are declared by the persistent layer, which common.database may not
    # name: this command, above both, has connect import it.
    register_declaring("common.persistent")
    database = connect(args.database, evolve=False)
    try:
        if args.action == "init":
            return _init(database)
        if args.action == "migrate":
            return _migrate(database, dry_run=args.dry_run, sql=args.sql)
        return _history(database, statements=args.statements)
    finally:
        database.dispose()


def _entries(database: Database) -> list:
    from sqlalchemy import inspect

    from common.database.history import HISTORY_TABLE, history_table, read_history

    with database.read() as connection:
        if not inspect(connection).has_table(HISTORY_TABLE):
            return []
        return read_history(connection, history_table(database.metadata))


def _newest_version(database: Database) -> int:
    entries = _entries(database)
    return entries[-1].version_id if entries else 0


def _report(database: Database, changes: list) -> None:
    version = _newest_version(database)
    if not changes:
        print(f"{database.url}: up to date (schema version {version})")
        return
    print(f"{database.url}: schema version {version}, {len(changes)} change(s):")
    for change in changes:
        print(f"  {change.describe()}")


def _init(database: Database) -> int:
    from common.database.evolution import prepare_owner_roles
    from common.database.schema import ensure_schema, secure_schema

    prefix = load_config().role_prefix
    created = prepare_owner_roles(database, prefix)
    if created:
        print(f"created roles: {', '.join(created)}")
    _report(database, ensure_schema(database))
    if secure_schema(database, prefix):
        print("row-level security: grants and policies in place on every table")
    return 0


def _migrate(database: Database, *, dry_run: bool, sql: bool) -> int:
    from common.database.evolution import preview
    from common.database.schema import declared_schema, ensure_schema
    from common.database.scripts import render_script

    if not (dry_run or sql):
        _report(database, ensure_schema(database))
        return 0
    planned = preview(database, declared_schema())
    if planned.up_to_date:
        print(f"-- {database.url}: up to date (schema version {planned.newest_version})")
        return 0
    if sql:
        print(render_script(planned, database.dialect), end="")
        return 0
    for refusal in planned.plan.refusals:
        print(f"refused: {refusal}")
    for line in planned.plan.describe():
        print(f"change: {line}")
    if planned.plan.refusals:
        return 1
    print(f"-- SQL ({database.dialect}):")
    print(render_script(planned, database.dialect, record=False), end="")
    return 0


def _history(database: Database, *, statements: bool) -> int:
    from common.database.changes import Change

    entries = _entries(database)
    if not entries:
        # An empty database: initialise it as every other connect does, then show that.
        from common.database.schema import ensure_schema

        ensure_schema(database)
        entries = _entries(database)
    for entry in entries:
        model = f"data model {entry.datamodel_version}, " if entry.datamodel_version else ""
        print(f"version {entry.version_id}  {entry.applied_at:%Y-%m-%d %H:%M:%S} UTC  "
              f"release {entry.software_release}, {model}by {entry.applied_by}, hash "
              f"{entry.schema_hash[:12]}")
        for change in entry.changes:
            print(f"  {Change(**change).describe()}")
        if statements and entry.statements:
            print("  " + entry.statements.replace("\n", "\n  "))
    return 0
