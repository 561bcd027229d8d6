"""What a backend module provides: the quirks of one database product, behind one interface.

Everything above this package speaks SQLAlchemy Core and asks the :class:`Backend` of its
database for the few things that differ between SQLite, PostgreSQL and Oracle.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    ColumnElement,
    Connection,
    Constraint,
    Engine,
    FromClause,
    Table,
    column,
    values,
)
from sqlalchemy import Sequence as SqlSequence
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

from common.errors import DatabaseError

__all__ = ["Backend", "DdlPermission", "json_rows", "like_pattern"]

LIKE_ESCAPE = "\\"


def like_pattern(pattern: str) -> str:
    r"""Translate a ``*``-wildcard pattern to LIKE syntax (``%`` and ``_`` escaped by ``\\``)."""
    escaped = (pattern.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
               .replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_"))
    return escaped.replace("*", "%")


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def json_rows(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as the one JSON text a rows table is read from (datetimes as ISO with µs)."""
    return json.dumps([{name: _json_value(value) for name, value in row.items()}
                       for row in rows])


@dataclass(frozen=True)
class DdlPermission:
    """Whether the connected ``user`` may change the schema, and the role DDL runs as (if other)."""

    allowed: bool
    user: str
    run_as: str | None = None


class Backend:
    """Defaults shared by the backends; each module overrides what its product does differently.

    ``in_chunk`` is the most values one ``IN (…)`` list may carry (Oracle allows 1000);
    ``driver`` is the DBAPI driver a plain ``name://`` URL gets. For schema evolution:
    ``creates_sequence_if_missing`` (``CREATE SEQUENCE IF NOT EXISTS``), ``sized_strings``
    (whether a string column's length is part of its type, so widening it is DDL),
    ``inline_references`` (a foreign key of an added column goes inside ``ADD COLUMN``), and
    ``migrate_command``, what a role that may not change the schema is told to do.
    ``row_security``: whether the database itself enforces who sees which row; where it does
    not, the query compiler applies the visibility rule of DESIGN §3.
    """

    name = "generic"
    driver: str | None = None
    in_chunk = 1000
    creates_sequence_if_missing = False
    sized_strings = True
    inline_references = False
    migrate_command = "run `awe db migrate` as the owner"
    row_security = False

    def normalise_url(self, url: URL) -> URL:
        """Return ``url`` with this project's driver: ``postgresql://`` → ``postgresql+psycopg://``."""
        if self.driver is not None and url.drivername == self.name:
            return url.set(drivername=f"{self.name}+{self.driver}")
        return url

    def check_url(self, url: URL, *, home: Path | None = None) -> None:
        """Refuse a URL this backend cannot use safely (raise :class:`DatabaseError`).

        ``home`` is the directory of the default database, which may be created.
        """

    def explain_error(self, error: DBAPIError, url: URL) -> DatabaseError | None:
        """The :class:`DatabaseError` that says what a driver error means; None: no better."""
        return None

    def engine_options(self, url: URL) -> dict[str, Any]:
        """Keyword arguments for :func:`sqlalchemy.create_engine`."""
        return {}

    def prepare_engine(self, engine: Engine) -> None:
        """Install the event hooks the backend needs on a new engine."""

    def current_user(self, connection: Connection) -> str | None:
        """The database's notion of who is connected, or None when it has none."""
        return None

    def may_run_ddl(self, connection: Connection) -> bool:
        """Whether the connected role may create and alter tables."""
        return False

    def ddl_permission(self, connection: Connection, *, user: str, owner_role: str,
                       history_table: str) -> DdlPermission:
        """Whether the role may run the DDL of schema evolution, and as which role.

        ``user`` is the configured user (for backends without roles), ``owner_role`` the
        role that owns the tables, ``history_table`` the table whose owner owns the schema.
        """
        return DdlPermission(self.may_run_ddl(connection), user)

    def run_ddl_as(self, connection: Connection, role: str) -> None:
        """Run the rest of the transaction as ``role`` (a ``run_as`` of :meth:`ddl_permission`)."""
        raise NotImplementedError(f"{self.name} has no roles to run DDL as")

    def lock_schema(self, connection: Connection) -> None:
        """Serialise schema changes: hold a lock until the open transaction ends."""

    def begin_script(self, context: MigrationContext, operations: Operations) -> None:
        """Write the opening of a DDL script for a DBA (a transaction, the schema lock)."""

    def added_column_constraints(self, table: Table, column: str) -> list[Constraint]:
        """Constraints of ``table`` an added ``column`` needs beyond its type and key."""
        return []

    def long_text(self, value: str) -> Any:
        """A long text value as a statement can carry it (a literal, or pieces of one)."""
        return value

    def secure_tables(self, connection: Connection, specs: Sequence[Any], role_prefix: str,
                      *, sequence: str) -> bool:
        """Give the tables of ``specs`` their grants and row-level-security policies.

        False when the backend has none (the query compiler applies the rule instead) or
        its roles do not exist yet.
        """
        return False

    def create_login_role(self, connection: Connection, role: str, roles: Any) -> None:
        """Create the login ``role`` of a new user in the groups of ``roles`` (a ``RoleNames``).

        Backends without roles: nothing (the user exists as a row of ``awe_user`` only).
        """

    def sees_every_row(self, connection: Connection, owner_role: str) -> bool:
        """Whether the connected role sees every row whatever its privileges (no RLS: yes)."""
        return True

    def set_role(self, connection: Connection, role: str) -> None:
        """Act as ``role`` until the open transaction ends (backends without roles: nothing)."""

    def prepare_owner_roles(self, connection: Connection, role_prefix: str) -> list[str] | None:
        """Create the owner and service roles if missing; None when the backend has no roles."""
        return None

    def reserve_blocks(self, connection: Connection, sequence: SqlSequence, counter: Table,
                       count: int, block: int) -> list[int]:
        """Reserve ``count`` blocks of ``block`` ids; return the first number of each block."""
        raise NotImplementedError

    def wildcard_match(self, column: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
        """``column`` matches ``pattern`` (``*`` any run of characters), case-sensitively."""
        return column.like(like_pattern(pattern), escape=LIKE_ESCAPE)

    def rows_table(self, name: str, columns: Mapping[str, TypeEngine[Any]],
                   rows: Sequence[Mapping[str, Any]]) -> FromClause:
        """A FROM clause of ``rows`` with typed ``columns``, for joining many requests at once.

        The default is a ``VALUES`` list (one bound parameter per value); backends override it
        with one JSON parameter, so a batch of any size stays one statement under the driver's
        parameter limit.
        """
        return values(*(column(key, kind) for key, kind in columns.items()), name=name).data(
            [tuple(row.get(key) for key in columns) for row in rows])
