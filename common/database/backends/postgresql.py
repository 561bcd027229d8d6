"""PostgreSQL quirks: the psycopg 3 driver, ``current_user``, the schema lock, id sequences.

- A plain ``postgresql://`` URL (as written in configuration) uses psycopg 3.
- Strings are ``VARCHAR(n) COLLATE "C"`` (see :mod:`common.database.types`), so comparison and
  sort are binary, as on SQLite and Oracle.
- Schema changes are serialised with a transaction-level advisory lock.
- Ids come from a sequence with ``INCREMENT BY`` one block: one statement reserves any number
  of blocks (``nextval`` over ``generate_series``), and sequences never roll back, so an id is
  never handed out twice.
"""

from __future__ import annotations

import zlib
from typing import Any

from sqlalchemy import Connection, Sequence, Table, func, literal, select
from sqlalchemy.engine import URL

from common.database.backends.base import Backend

__all__ = ["SCHEMA_LOCK_KEY", "PostgresqlBackend"]

# A fixed 32-bit key for pg_advisory_xact_lock, derived from a name so it is recognisable.
SCHEMA_LOCK_KEY = zlib.crc32(b"awe schema")


class PostgresqlBackend(Backend):
    """PostgreSQL through psycopg 3."""

    name = "postgresql"
    driver = "psycopg"
    in_chunk = 1000

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

    def lock_schema(self, connection: Connection) -> None:
        """Take the schema advisory lock until the transaction ends."""
        connection.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))

    def reserve_blocks(self, connection: Connection, sequence: Sequence, counter: Table,
                       count: int, block: int) -> list[int]:
        """``SELECT nextval(seq) FROM generate_series(1, count)``: one block per row."""
        statement = select(sequence.next_value()).select_from(func.generate_series(1, count))
        return sorted(connection.execute(statement).scalars())
