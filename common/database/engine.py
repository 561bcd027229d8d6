"""The :class:`Database` a session talks to (made by :func:`common.database.opening.connect`).

This module knows nothing of schemas: :meth:`Database.table` only looks tables up. A table
registered after connect is declared when an upper layer calls :meth:`Database.declare_registered`,
which runs the ``declare_tables`` callable connect hands over (the schema check of
:mod:`common.database.schema`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import Connection, Engine, MetaData, Table
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from common.database.backends import Backend, backend_for
from common.database.catalogue import ID_BLOCK, ID_COUNTER, ID_SEQUENCE
from common.database.ids import IdAllocator
from common.database.roles import check_user_name, role_name, user_name
from common.errors import ConfigError, DatabaseError

__all__ = ["Database", "database_url"]

URL_FORMS = "sqlite:///FILE, postgresql://USER@HOST[:PORT]/DATABASE or oracle://…"


def database_url(url: str) -> URL:
    """Parse a configured database URL and select this project's driver for it.

    ``postgresql://`` becomes ``postgresql+psycopg://`` and ``oracle://`` becomes
    ``oracle+oracledb://``.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(f"database: {url!r} is not a database URL ({exc}); expected "
                          f"{URL_FORMS}") from None
    return backend_for(parsed.get_backend_name()).normalise_url(parsed)


class Database:
    """An engine with its backend, tables and id allocator; shared by the sessions of a process.

    Use :func:`~common.database.opening.connect` to make one. Connections come from
    :meth:`read` (a read transaction, rolled back at the end) and :meth:`write` (committed at
    the end, rolled back on error), each as the user of an enclosing :meth:`acting_as`.
    A forked child process gets fresh connections and id
    blocks of its own. ``declare_tables(database)`` adds the tables registered since the last
    call to ``metadata`` (None: a table not in ``metadata`` is an error). ``role_prefix`` is
    the installation's ``AWE_ROLE_PREFIX`` (see :mod:`common.database.roles`).
    """

    def __init__(self, engine: Engine, backend: Backend, *, site: int,
                 declare_tables: Callable[[Database], object] | None = None,
                 role_prefix: str = "") -> None:
        self.engine = engine
        self.backend = backend
        self.site = site
        self.role_prefix = role_prefix
        self.metadata = MetaData()
        self.current_user: str | None = None
        self._acting: ContextVar[str | None] = ContextVar(f"awe_acting_{id(self)}",
                                                          default=None)
        self.ids = IdAllocator(self._reserve_blocks, site=site, where=self.url)
        self._declare_tables = declare_tables
        self._pid = os.getpid()
        self._schema_lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Database({self.url!r}, site={self.site})"

    @property
    def url(self) -> str:
        """The URL, password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """``sqlite``, ``postgresql`` or ``oracle``."""
        return self.backend.name

    @property
    def user_name(self) -> str | None:
        """Who the connection is, as ``creator`` stores it (None where the database has no users).

        The login role with ``role_prefix`` dropped (:func:`~common.database.roles.user_name`).
        """
        return None if self.current_user is None else user_name(self.current_user,
                                                                 self.role_prefix)

    @property
    def acting_user(self) -> str | None:
        """The user an enclosing :meth:`acting_as` acts as, in this thread or task (or None)."""
        return self._acting.get()

    @contextmanager
    def acting_as(self, role: str) -> Iterator[None]:
        """Run every transaction of the block as user ``role`` (the name ``creator`` stores).

        On PostgreSQL each transaction starts with ``SET LOCAL ROLE <prefix><role>``, so
        row-level security applies as if the user had connected (``awe_service`` is granted
        every user role); elsewhere the name is checked and the query compiler applies the
        visibility rule for it. Per thread or task; blocks nest.
        """
        role_name(check_user_name(role), self.role_prefix)
        token = self._acting.set(role)
        try:
            yield
        finally:
            self._acting.reset(token)

    def _act(self, connection: Connection) -> None:
        user = self._acting.get()
        if user is not None:
            self.backend.set_role(connection, role_name(user, self.role_prefix))

    def table(self, name: str) -> Table:
        """The declared table called ``name``; looking it up never runs DDL.

        A table registered after connect is unknown here until :meth:`declare_registered` ran.
        """
        table = self.metadata.tables.get(name)
        if table is None:
            raise DatabaseError(f"database {self.url}: no table {name} is declared (a class "
                                "registered after connect needs declare_registered() first)")
        return table

    def declare_registered(self) -> None:
        """Check the schema of the tables registered since connect, evolving it as connect would.

        The explicit step an upper layer takes when it meets a class declared after connect;
        a database opened without a schema check declares nothing.
        """
        if self._declare_tables is None:
            return
        with self._schema_lock:
            self._declare_tables(self)

    def allocate_ids(self, count: int) -> list[int]:
        """``count`` new object ids of this database's site."""
        return self.ids.allocate(count)

    def _reserve_blocks(self, blocks: int) -> list[int]:
        sequence = self.metadata.info[ID_SEQUENCE]
        counter = self.table(ID_COUNTER.name)
        with self.write() as connection:
            return self.backend.reserve_blocks(connection, sequence, counter, blocks, ID_BLOCK)

    def _check_process(self) -> None:
        if self._pid != os.getpid():
            self.engine.dispose(close=False)
            self._pid = os.getpid()

    @contextmanager
    def _explained(self) -> Iterator[None]:
        try:
            yield
        except DBAPIError as exc:
            explained = self.backend.explain_error(exc, self.engine.url)
            if explained is None:
                raise
            raise explained from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in a read transaction, rolled back when the block ends.

        A driver error the backend can explain (a lock held too long) becomes a
        :class:`~common.errors.DatabaseError`.
        """
        self._check_process()
        with self._explained(), self.engine.connect() as connection:
            self._act(connection)
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection in a write transaction, committed when the block ends without error.

        On SQLite the transaction starts with ``BEGIN IMMEDIATE`` (the write lock up front).
        """
        self._check_process()
        with self._explained(), self.engine.connect() as connection:
            connection.execution_options(awe_write=True)
            with connection.begin():
                self._act(connection)
                yield connection

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
