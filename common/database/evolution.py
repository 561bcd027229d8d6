"""Additive schema evolution, applied safely: :func:`evolve`, :func:`preview` and the refusals.

:func:`evolve` applies the additive changes :func:`~common.database.planning.plan_evolution`
finds in one transaction under the schema lock (the backend's: ``pg_advisory_xact_lock``,
SQLite ``BEGIN IMMEDIATE``), re-reading the newest hash under the lock, and records them in
``awe_schema_history`` with their statements. Any refusal raises
:class:`~common.errors.SchemaEvolutionError` naming each difference, and nothing is altered.
Only the owner runs DDL (the backend says who that is); on Oracle nobody (the DBA runs the
script of :func:`~common.database.scripts.render_script`).

Split by job: ``changes.py`` (what a change is), ``planning.py`` (the diff), ``applying.py``
(the DDL and the history row), ``scripts.py`` (scripts for a DBA), this module (the entry
points). Every evolution also gives all declared tables their grants and row-level-security
policies where the backend has them (:meth:`~common.database.backends.base.Backend.
secure_tables`), so a new table is never left open.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData, func, inspect, select

from common.config import load_config
from common.database.applying import apply_plan, capturing, history_row
from common.database.catalogue import ID_SEQUENCE
from common.database.changes import RENAME_COLUMN, Change, Plan, Preview, refusals_text
from common.database.history import (
    HISTORY_TABLE,
    DeclaredSchema,
    history_table,
    merge_models,
    software_release,
)
from common.database.planning import declared_metadata, plan_evolution
from common.database.scripts import render_script
from common.errors import SchemaEvolutionError

if TYPE_CHECKING:
    from common.database.backends.base import DdlPermission
    from common.database.engine import Database

__all__ = [
    "Change",
    "Plan",
    "Preview",
    "evolve",
    "not_owner_error",
    "plan_evolution",
    "prepare_owner_roles",
    "preview",
    "render_script",
]

_HISTORY = history_table(MetaData())


@dataclass(frozen=True)
class _Newest:
    version_id: int
    schema_hash: str
    model: dict[str, Any] | None


def _newest(connection: Connection) -> _Newest | None:
    if not inspect(connection).has_table(HISTORY_TABLE):
        return None
    row = connection.execute(
        select(_HISTORY.c.version_id, _HISTORY.c.schema_hash, _HISTORY.c.model)
        .order_by(_HISTORY.c.version_id.desc()).limit(1)).first()
    if row is None:
        return None
    return _Newest(row.version_id, row.schema_hash, json.loads(row.model))


def _versions_since(connection: Connection, schema_hash: str
                    ) -> list[tuple[int, str, list[dict[str, str]]]] | None:
    """History rows from the first one with ``schema_hash`` on; None when it is unknown."""
    first = (select(func.min(_HISTORY.c.version_id))
             .where(_HISTORY.c.schema_hash == schema_hash).scalar_subquery())
    rows = connection.execute(
        select(_HISTORY.c.version_id, _HISTORY.c.software_release, _HISTORY.c.changes)
        .where(_HISTORY.c.version_id >= first).order_by(_HISTORY.c.version_id)).all()
    if not rows:
        return None
    return [(row.version_id, row.software_release, json.loads(row.changes)) for row in rows]


def _refuse_stale_names(database: Database, declared: DeclaredSchema,
                        since: list[tuple[int, str, list[dict[str, str]]]]) -> None:
    """An older client may run, unless a later version renamed a column it still uses."""
    columns = {(spec.name, column.name) for spec in declared.specs for column in spec.columns}
    stale = [f"schema version {version} (release {release}) renamed {change['table']}."
             f"{change['detail']} to {change['column']}"
             for version, release, changes in since[1:] for change in changes
             if change["action"] == RENAME_COLUMN
             and (change["table"], change["detail"]) in columns]
    if stale:
        raise SchemaEvolutionError(
            f"database {database.url}: this software (release {software_release()}) is older "
            f"than the database's schema and still uses renamed columns: {'; '.join(stale)}; "
            "upgrade the software")


def _permission(database: Database, connection: Connection) -> DdlPermission:
    config = load_config()
    return database.backend.ddl_permission(connection, user=config.user,
                                           owner_role=f"{config.role_prefix}awe_owner",
                                           history_table=HISTORY_TABLE)


def _refusal_error(database: Database, plan: Plan) -> SchemaEvolutionError:
    return SchemaEvolutionError(
        f"database {database.url}: the declared data model differs from the database in "
        f"{len(plan.refusals)} way(s) that are not additive; nothing was altered:\n"
        f"{refusals_text(plan)}")


def not_owner_error(database: Database, plan: Plan, user: str) -> SchemaEvolutionError:
    """The refusal of a role that may not run the DDL ``plan`` needs: who runs what instead."""
    shown = "; ".join(plan.describe()[:5]) + (" …" if len(plan.changes) > 5 else "")
    return SchemaEvolutionError(
        f"database {database.url}: the schema needs {len(plan.changes)} change(s) ({shown}) "
        f"and {user or 'this role'} may not change it; {database.backend.migrate_command}")


def evolve(database: Database, declared: DeclaredSchema, *, has_history: bool = True,
           synced_hash: str | None = None, only: frozenset[str] | None = None) -> list[Change]:
    """Bring the database to ``declared`` with additive changes; return the changes applied.

    The caller has read the newest history row and found another hash (``has_history=False``:
    there is no history). A client whose hash is in the history is older: it runs as it is,
    unless a later version renamed a column it uses. Otherwise the plan is made and applied in
    one transaction under the schema lock, after re-reading the newest hash there (another
    process may have evolved the schema meanwhile), and recorded in the history. ``only``
    limits the comparison to new tables while the newest hash is still ``synced_hash`` (the
    one this process last matched). Refusals raise
    :class:`~common.errors.SchemaEvolutionError`, as does a role that may not run DDL when the
    schema needs changes; nothing is altered then.
    """
    if has_history:
        with database.read() as connection:
            since = _versions_since(connection, declared.schema_hash)
        if since is not None:
            _refuse_stale_names(database, declared, since)
            return []
    with database.read() as connection:
        permission = _permission(database, connection)
        if not permission.allowed:
            newest = _newest(connection)
            plan = plan_evolution(connection, declared, declared_metadata(declared),
                                  recorded=newest.model if newest else None)
    if not permission.allowed:
        if plan.refusals:
            raise _refusal_error(database, plan)
        if plan.changes:
            raise not_owner_error(database, plan, permission.user)
        return []
    with database.write() as connection:
        database.backend.lock_schema(connection)
        newest = _newest(connection)
        if newest is not None and newest.schema_hash == declared.schema_hash:
            return []
        if newest is None or newest.schema_hash != synced_hash:
            only = None
        metadata = declared_metadata(declared, only)
        plan = plan_evolution(connection, declared, metadata,
                              recorded=newest.model if newest else None, only=only)
        if plan.refusals:
            raise _refusal_error(database, plan)
        if permission.run_as:
            database.backend.run_ddl_as(connection, permission.run_as)
        statements: list[str] = []
        with capturing(connection, statements):
            apply_plan(Operations(MigrationContext.configure(connection)), database.backend,
                       plan, metadata, declared)
            database.backend.secure_tables(connection, declared.specs,
                                           load_config().role_prefix, sequence=ID_SEQUENCE)
        connection.execute(history_row(
            _HISTORY, database.backend, version_id=newest.version_id + 1 if newest else 1,
            declared=declared, applied_by=permission.user, plan=plan, statements=statements,
            model=merge_models(newest.model if newest else None, declared.model)))
    return plan.changes


def preview(database: Database, declared: DeclaredSchema) -> Preview:
    """The plan for ``declared`` against the database as it is now (read only, no lock)."""
    metadata = declared_metadata(declared)
    with database.read() as connection:
        newest = _newest(connection)
        if newest is not None and newest.schema_hash == declared.schema_hash:
            plan = Plan()
        else:
            plan = plan_evolution(connection, declared, metadata,
                                  recorded=newest.model if newest else None)
    return Preview(plan, declared, metadata, newest.version_id if newest else 0,
                   newest.model if newest else None)


def prepare_owner_roles(database: Database, role_prefix: str) -> list[str] | None:
    """Create the owner and service roles where the backend has roles and the role may.

    See :meth:`~common.database.backends.base.Backend.prepare_owner_roles`; None when nothing
    was done.
    """
    with database.write() as connection:
        return database.backend.prepare_owner_roles(connection, role_prefix)
