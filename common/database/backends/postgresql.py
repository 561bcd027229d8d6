"""PostgreSQL quirks: the psycopg 3 driver, ``current_user``, the schema lock, id sequences.

- A plain ``postgresql://`` URL (as written in configuration) uses psycopg 3.
- Strings are ``VARCHAR(n) COLLATE "C"`` (see :mod:`common.database.types`), so comparison and
  sort are binary, as on SQLite and Oracle.
- Schema changes are serialised with a transaction-level advisory lock
  (:data:`SCHEMA_LOCK`, the one statement that takes it, in clients and DBA scripts alike).
- DDL is run by a superuser, the database owner or a member of ``awe_owner``, as the role that
  owns the schema.
- Ids come from a sequence with ``INCREMENT BY`` one block: one statement reserves any number
  of blocks (``nextval`` over ``generate_series``), and sequences never roll back, so an id is
  never handed out twice.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    DDL,
    Connection,
    FromClause,
    Table,
    Text,
    bindparam,
    cast,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy import Sequence as SqlSequence
from sqlalchemy import column as catalog_column
from sqlalchemy import table as catalog_table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL
from sqlalchemy.types import TypeEngine

from common.database.backends.base import Backend, DdlPermission, json_rows
from common.database.postgresql_security import secure_tables
from common.database.roles import RoleNames
from common.errors import DatabaseError

__all__ = ["SCHEMA_LOCK", "SCHEMA_LOCK_KEY", "PostgresqlBackend"]

# A fixed 32-bit key for pg_advisory_xact_lock, derived from a name so it is recognisable.
SCHEMA_LOCK_KEY = zlib.crc32(b"awe schema")
SCHEMA_LOCK = select(func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY))

_PG_ROLES = catalog_table("pg_roles", catalog_column("oid"), catalog_column("rolname"),
                          catalog_column("rolsuper"), catalog_column("rolbypassrls"))
_PG_DATABASE = catalog_table("pg_database", catalog_column("datname"), catalog_column("datdba"))
_PG_TABLES = catalog_table("pg_tables", catalog_column("schemaname"),
                           catalog_column("tablename"), catalog_column("tableowner"))


class PostgresqlBackend(Backend):
    """PostgreSQL through psycopg 3."""

    name = "postgresql"
    driver = "psycopg"
    in_chunk = 1000
    creates_sequence_if_missing = True
    row_security = True

    def engine_options(self, url: URL) -> dict[str, Any]:
        """Check pooled connections before use (servers restart)."""
        return {"pool_pre_ping": True}

    def current_user(self, connection: Connection) -> str | None:
        """The role the session runs as (``current_user``)."""
        return connection.execute(select(func.current_user())).scalar_one()

    def may_run_ddl(self, connection: Connection) -> bool:
        """Whether the role may create tables in the schema ``public``.

        True for a superuser, the database owner (PostgreSQL 15 gives ``public`` to
        ``pg_database_owner``) and a role granted CREATE on it (``awe_owner``).
        """
        privilege = func.has_schema_privilege(literal("public"), literal("CREATE"))
        return bool(connection.execute(select(privilege)).scalar_one())

    def ddl_permission(self, connection: Connection, *, user: str, owner_role: str,
                       history_table: str) -> DdlPermission:
        """A superuser, the database owner or a member of ``owner_role`` may; one query.

        DDL runs as the owner of ``history_table`` (the schema's owner) or, in a database
        without one, as ``owner_role`` when the role may use it and it may create tables.
        """
        database_owner = exists().where(_PG_DATABASE.c.datname == func.current_database(),
                                        func.pg_has_role(_PG_DATABASE.c.datdba, "MEMBER"))
        member_of_owner = exists().where(_PG_ROLES.c.rolname == owner_role,
                                         func.pg_has_role(_PG_ROLES.c.oid, "MEMBER"))
        owner_ready = exists().where(
            _PG_ROLES.c.rolname == owner_role, func.pg_has_role(_PG_ROLES.c.oid, "MEMBER"),
            func.has_schema_privilege(_PG_ROLES.c.rolname, func.current_schema(), "CREATE"))
        schema_owner = (select(_PG_TABLES.c.tableowner)
                        .where(_PG_TABLES.c.schemaname == func.current_schema(),
                               _PG_TABLES.c.tablename == history_table).scalar_subquery())
        row = connection.execute(select(func.current_user(), database_owner, member_of_owner,
                                        owner_ready, schema_owner)).one()
        current, is_database_owner, is_owner_member, ready, history_owner = row
        run_as = history_owner or (owner_role if ready else None)
        return DdlPermission(bool(is_database_owner or is_owner_member), current,
                             None if run_as == current else run_as)

    def run_ddl_as(self, connection: Connection, role: str) -> None:
        """``SET LOCAL ROLE``: the tables created are owned by ``role``."""
        quoted = connection.dialect.identifier_preparer.quote(role)
        connection.execute(DDL(f"SET LOCAL ROLE {quoted}"))

    def secure_tables(self, connection: Connection, specs: Sequence[Any], role_prefix: str,
                      *, sequence: str) -> bool:
        """Grants and policies by columns (:mod:`common.database.postgresql_security`)."""
        return secure_tables(connection, specs, role_prefix, sequence=sequence)

    def create_login_role(self, connection: Connection, role: str, roles: RoleNames) -> None:
        """``CREATE ROLE … LOGIN IN ROLE <awe_user>``, then granted to ``awe_service``.

        Refused with a message when the role exists or the groups are missing (``awe db
        init`` as a superuser makes them).
        """
        quote = connection.dialect.identifier_preparer.quote
        present = set(connection.execute(select(_PG_ROLES.c.rolname).where(
            _PG_ROLES.c.rolname.in_([role, roles.users, roles.service]))).scalars())
        if role in present:
            raise DatabaseError(f"role {role}: exists already; choose another user name")
        missing = sorted({roles.users, roles.service} - present)
        if missing:
            raise DatabaseError(f"roles {', '.join(missing)} do not exist; run `awe db init` "
                                "as a PostgreSQL superuser first")
        connection.execute(DDL(f"CREATE ROLE {quote(role)} LOGIN IN ROLE {quote(roles.users)}"))
        connection.execute(DDL(f"GRANT {quote(role)} TO {quote(roles.service)}"))

    def sees_every_row(self, connection: Connection, owner_role: str) -> bool:
        """A superuser, a BYPASSRLS role or a member of ``owner_role`` (its policy passes all)."""
        bypass = exists().where(_PG_ROLES.c.rolname == func.current_user(),
                                _PG_ROLES.c.rolsuper | _PG_ROLES.c.rolbypassrls)
        owner = exists().where(_PG_ROLES.c.rolname == owner_role,
                               func.pg_has_role(_PG_ROLES.c.oid, "MEMBER"))
        return bool(connection.execute(select(bypass | owner)).scalar())

    def set_role(self, connection: Connection, role: str) -> None:
        """``SET LOCAL ROLE``: the rest of the transaction runs as ``role``."""
        self.run_ddl_as(connection, role)

    def lock_schema(self, connection: Connection) -> None:
        """Take the schema advisory lock until the transaction ends."""
        connection.execute(SCHEMA_LOCK)

    def begin_script(self, context: MigrationContext, operations: Operations) -> None:
        """One transaction, under the schema lock clients take."""
        context.impl.static_output("BEGIN;")
        operations.execute(SCHEMA_LOCK)

    def prepare_owner_roles(self, connection: Connection, role_prefix: str) -> list[str] | None:
        """As a superuser, create the group roles of :class:`~common.database.roles.RoleNames`.

        ``awe_owner`` (NOLOGIN) gets USAGE and CREATE on the current schema, ``awe_service``
        is a LOGIN role, ``awe_user`` and ``awe_anonymous`` are NOLOGIN groups. None when the
        role is no superuser (nothing is done then).
        """
        roles = RoleNames(role_prefix)
        owner, service = roles.owner, roles.service
        superuser = connection.execute(select(_PG_ROLES.c.rolsuper).where(
            _PG_ROLES.c.rolname == func.current_user())).scalar_one()
        if not superuser:
            return None
        wanted = ((owner, "NOLOGIN"), (service, "LOGIN"), (roles.users, "NOLOGIN"),
                  (roles.anonymous, "NOLOGIN"))
        existing = set(connection.execute(select(_PG_ROLES.c.rolname).where(
            _PG_ROLES.c.rolname.in_([role for role, _ in wanted]))).scalars())
        quote = connection.dialect.identifier_preparer.quote
        created = []
        for role, login in wanted:
            if role not in existing:
                connection.execute(DDL(f"CREATE ROLE {quote(role)} {login}"))
                created.append(role)
        schema = connection.execute(select(func.current_schema())).scalar_one()
        connection.execute(DDL(f"GRANT USAGE, CREATE ON SCHEMA {quote(schema)} TO "
                               f"{quote(owner)}"))
        return created

    def reserve_blocks(self, connection: Connection, sequence: SqlSequence, counter: Table,
                       count: int, block: int) -> list[int]:
        """``SELECT nextval(seq) FROM generate_series(1, count)``: one block per row."""
        statement = select(sequence.next_value()).select_from(func.generate_series(1, count))
        return sorted(connection.execute(statement).scalars())

    def rows_table(self, name: str, columns: Mapping[str, TypeEngine[Any]],
                   rows: Sequence[Mapping[str, Any]]) -> FromClause:
        """``jsonb_to_recordset`` over one JSON parameter: no limit on the number of rows."""
        payload = cast(bindparam(f"{name}_rows", json_rows(rows), type_=Text()), JSONB)
        return (func.jsonb_to_recordset(payload)
                .table_valued(*(catalog_column(key, kind) for key, kind in columns.items()))
                .render_derived(name=name, with_types=True))
