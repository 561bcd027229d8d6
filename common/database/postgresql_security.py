"""PostgreSQL grants and row-level-security policies, derived from each table's columns.

Schema evolution calls :func:`secure_tables` with every declared table (idempotent: policies are
dropped and created again), so a table added later — by the data model or by an upper layer's
system table such as ``awe_job`` — gets its grants and policies without code of its own. What
a table gets depends only on its columns (DESIGN §3):

- **owned** (``creator``, ``project`` and ``privileges``: ``awe_object``, every class table,
  audit records): visible when ``privileges >= 3``, or ``privileges = 2`` and the user is a
  member of ``project``, or the user is the creator; inserted only with ``creator`` = the user
  (the column's default) and in a project of theirs (or one not registered); updated (only
  the ``mutable`` columns are granted) by the creator or a manager of the project; deleted by
  the creator below level 3, or by a manager. The anonymous role sees levels 4 and 5.
- **creator only** (``creator`` without ``privileges``, e.g. ``awe_job``): the creator's rows;
  ``<prefix>awe_service`` (the DPU scheduler) sees and updates every row.
- **rows of an object** (``object_id`` without ``creator``: list tables): visible, inserted
  and deleted with their object in ``awe_object`` (whose policy applies inside the check).
- **system** (the rest: sites, schema history, users, projects, memberships): read by every
  user, written by the owner only.

``<prefix>awe_owner`` gets a policy that passes every row (it owns the tables and runs ``awe
dataserver gc``); RLS is enabled *and forced*, so the owner is held to its own policy too. The
user name in ``creator`` is ``awe_user_name()``, the SQL form of
:func:`common.database.roles.user_name`. Statements are built as text: PostgreSQL's policy and
grant DDL has no SQLAlchemy construct; every identifier is quoted by the dialect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import Connection, bindparam, select, text
from sqlalchemy import column as catalog_column
from sqlalchemy import table as catalog_table

from common.database.catalogue import MEMBER_TABLE, OBJECT_TABLE, PROJECT_TABLE
from common.database.roles import RoleNames
from common.database.spec import TableSpec

__all__ = ["POLICIES", "secure_tables", "security_statements", "table_kind"]

POLICIES = ("awe_owner_all", "awe_service_all", "awe_read", "awe_world_read", "awe_insert",
            "awe_update", "awe_delete")
OWNED, CREATOR_ONLY, OBJECT_ROWS, SYSTEM = "owned", "creator only", "object rows", "system"
# Tables every installation has that are not declared as specs (read by every user).
UNDECLARED_SYSTEM_TABLES = ("awe_schema_history",)

_PG_ROLES = catalog_table("pg_roles", catalog_column("rolname"))
_PG_TABLES = catalog_table("pg_tables", catalog_column("schemaname"),
                           catalog_column("tablename"))


def table_kind(spec: TableSpec) -> str:
    """What the policies of ``spec`` are derived from: owned, creator only, object rows, system."""
    names = {column.name for column in spec.columns}
    if {"creator", "project", "privileges"} <= names:
        return OWNED
    if "creator" in names:
        return CREATOR_ONLY
    if "object_id" in names and spec.name != OBJECT_TABLE.name:
        return OBJECT_ROWS
    return SYSTEM


def _functions(prefix: str) -> list[str]:
    literal = prefix.replace("'", "''")
    members = MEMBER_TABLE.name
    return [
        # The SQL form of roles.user_name(): the login role without the installation's prefix.
        "CREATE OR REPLACE FUNCTION awe_user_name() RETURNS text LANGUAGE sql STABLE "
        f"PARALLEL SAFE AS $$ SELECT CASE WHEN length(current_user) > {len(prefix)} AND "
        f"left(current_user, {len(prefix)}) = '{literal}' THEN substr(current_user, "
        f"{len(prefix) + 1}) ELSE current_user::text END $$",
        "CREATE OR REPLACE FUNCTION awe_manages(p text) RETURNS boolean LANGUAGE sql STABLE "
        f"PARALLEL SAFE AS $$ SELECT EXISTS (SELECT 1 FROM {members} m WHERE m.project = p "
        "AND m.user_name = awe_user_name() AND m.manager) $$",
    ]


# The user name as an InitPlan: evaluated once per statement, not once per row.
ME = "(SELECT awe_user_name())"


def _visible(alias: str = "") -> str:
    """The visibility rule of DESIGN §3 over an owned row (columns qualified by ``alias``)."""
    a = f"{alias}." if alias else ""
    return (f"({a}privileges >= 3 OR {a}creator = {ME} OR ({a}privileges = 2 AND "
            f"{a}project IN (SELECT m.project FROM {MEMBER_TABLE.name} m "
            f"WHERE m.user_name = {ME})))")


def _insertable() -> str:
    """Created by the user, in one of their projects or in a project nobody registered."""
    return (f"(creator = {ME} AND (project IN (SELECT m.project FROM {MEMBER_TABLE.name} m "
            f"WHERE m.user_name = {ME}) OR project NOT IN (SELECT p.project FROM "
            f"{PROJECT_TABLE.name} p)))")


def _changeable(alias: str = "") -> str:
    a = f"{alias}." if alias else ""
    return f"({a}creator = {ME} OR awe_manages({a}project))"


def _deletable(alias: str = "") -> str:
    a = f"{alias}." if alias else ""
    return (f"(({a}creator = {ME} AND {a}privileges < 3) OR "
            f"awe_manages({a}project))")


def _of_object(condition: str) -> str:
    return (f"(object_id IN (SELECT o.object_id FROM {OBJECT_TABLE.name} o "
            f"WHERE {condition}))")


def _policies(kind: str) -> dict[str, tuple[str, str | None, str | None]]:
    """Policy name → (command, USING, WITH CHECK) for the users group (and the world role)."""
    mine = f"(creator = {ME})"
    if kind == OWNED:
        return {"awe_read": ("SELECT", _visible(), None),
                "awe_world_read": ("SELECT", "(privileges >= 4)", None),
                "awe_insert": ("INSERT", None, _insertable()),
                "awe_update": ("UPDATE", _changeable(), _changeable()),
                "awe_delete": ("DELETE", _deletable(), None)}
    if kind == CREATOR_ONLY:
        return {"awe_read": ("SELECT", mine, None), "awe_insert": ("INSERT", None, mine),
                "awe_update": ("UPDATE", mine, mine), "awe_delete": ("DELETE", mine, None)}
    if kind == OBJECT_ROWS:
        return {"awe_read": ("SELECT", _of_object("true"), None),
                "awe_world_read": ("SELECT", _of_object("true"), None),
                "awe_insert": ("INSERT", None, _of_object(f"o.creator = {ME}")),
                "awe_delete": ("DELETE", _of_object(_deletable("o")), None)}
    return {"awe_read": ("SELECT", "true", None), "awe_world_read": ("SELECT", "true", None)}


def security_statements(specs: Iterable[TableSpec], roles: RoleNames, *, sequence: str,
                        quote: Callable[[str], str],
                        undeclared: Iterable[str] = UNDECLARED_SYSTEM_TABLES) -> list[str]:
    """The grants, RLS switches, policies and defaults of ``specs``, in order (idempotent).

    ``undeclared`` are system tables without a spec (the schema history), read by every user.
    """
    owner, users, anonymous = quote(roles.owner), quote(roles.users), quote(roles.anonymous)
    statements = _functions(roles.prefix)
    statements.append(f"GRANT USAGE ON SEQUENCE {quote(sequence)} TO {users}")
    tables = [(spec.name, table_kind(spec), spec.mutable) for spec in specs]
    tables += [(name, SYSTEM, ()) for name in undeclared]
    for name, kind, mutable in tables:
        table = quote(name)
        statements += [f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
                       f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
                       f"REVOKE ALL ON {table} FROM {users}, {anonymous}"]
        statements += [f"DROP POLICY IF EXISTS {policy} ON {table}" for policy in POLICIES]
        statements.append(f"CREATE POLICY awe_owner_all ON {table} TO {owner} USING (true) "
                          "WITH CHECK (true)")
        if kind == CREATOR_ONLY:
            statements.append(f"CREATE POLICY awe_service_all ON {table} TO "
                              f"{quote(roles.service)} USING (true) WITH CHECK (true)")
        world = kind in (OWNED, OBJECT_ROWS, SYSTEM)
        grants = ["SELECT"] if kind == SYSTEM else ["SELECT", "INSERT", "DELETE"]
        if mutable and kind != SYSTEM:
            grants.append(f"UPDATE ({', '.join(quote(column) for column in mutable)})")
        statements.append(f"GRANT {', '.join(grants)} ON {table} TO {users}")
        if world:
            statements.append(f"GRANT SELECT ON {table} TO {anonymous}")
        for policy, (command, using, check) in _policies(kind).items():
            to = anonymous if policy == "awe_world_read" else users
            clause = f"CREATE POLICY {policy} ON {table} FOR {command} TO {to}"
            clause += f" USING ({using})" if using else ""
            clause += f" WITH CHECK ({check})" if check else ""
            statements.append(clause)
        if kind in (OWNED, CREATOR_ONLY):
            statements.append(f"ALTER TABLE {table} ALTER COLUMN creator SET DEFAULT "
                              "awe_user_name()")
    return statements


def secure_tables(connection: Connection, specs: Iterable[TableSpec], prefix: str, *,
                  sequence: str) -> bool:
    """Give every existing table of ``specs`` its grants and policies; False without the roles.

    The group roles are made by ``awe db init`` as a superuser; until they exist (a database
    used by one role only, as in most tests) nothing is done. Run as the tables' owner.
    """
    roles = RoleNames(prefix)
    wanted = [roles.owner, roles.users, roles.anonymous]
    found = set(connection.execute(select(_PG_ROLES.c.rolname).where(
        _PG_ROLES.c.rolname.in_(bindparam("names", expanding=True))), {"names": wanted}
    ).scalars())
    if found != set(wanted):
        return False
    existing = set(connection.execute(select(_PG_TABLES.c.tablename).where(
        _PG_TABLES.c.schemaname == text("current_schema()"))).scalars())
    present = [spec for spec in specs if spec.name in existing]
    quote = connection.dialect.identifier_preparer.quote
    undeclared = [name for name in UNDECLARED_SYSTEM_TABLES if name in existing]
    for statement in security_statements(present, roles, sequence=sequence, quote=quote,
                                         undeclared=undeclared):
        connection.exec_driver_sql(statement)
    return True
