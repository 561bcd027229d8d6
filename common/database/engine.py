"""The :class:`Database` a session talks to, and :func:`connect`, the one way to get one.

A connect to an empty database initialises it (tables, ``awe_site`` with site 0) when the role
may run DDL, so scripts work with nothing but ``AWE_DATABASE``; see
:func:`common.database.schema.ensure_schema`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, MetaData, Table, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from common.config import load_config
from common.database.backends import Backend, backend_for
from common.database.ids import IdAllocator
from common.errors import ConfigError, DatabaseError

__all__ = ["Database", "connect", "database_url"]


def database_url(url: str) -> URL:
    """Parse a configured database URL and select this project's driver for it.

    ``postgresql://`` becomes ``postgresql+psycopg://`` and ``oracle://`` becomes
    ``oracle+oracledb://``.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database: {url!r} is not a database URL ({exc})") from None
    return backend_for(parsed.get_backend_name()).normalise_url(parsed)


class Database:
    """An engine with its backend, tables and id allocator; shared by the sessions of a process.

    Use :func:`connect` to make one. Connections come from :meth:`read` (a read transaction,
    rolled back at the end) and :meth:`write` (committed at the end, rolled back on error).
    A forked child process gets fresh connections and id blocks of its own.
    """

    def __init__(self, engine: Engine, backend: Backend, *, site: int) -> None:
        self.engine = engine
        self.backend = backend
        self.site = site
        self.metadata = MetaData()
        self.current_user: str | None = None
        self.ids = IdAllocator(self)
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

    def table(self, name: str) -> Table:
        """The table called ``name``; a table registered since connect is created first."""
        table = self.metadata.tables.get(name)
        if table is None:
            from common.database.schema import ensure_schema

            with self._schema_lock:
                if name not in self.metadata.tables:
                    ensure_schema(self)
            table = self.metadata.tables.get(name)
            if table is None:
                raise DatabaseError(f"database {self.url}: no table {name} is declared")
        return table

    def allocate_ids(self, count: int) -> list[int]:
        """``count`` new object ids of this database's site."""
        return self.ids.allocate(count)

    def _check_process(self) -> None:
        if self._pid != os.getpid():
            self.engine.dispose(close=False)
            self._pid = os.getpid()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in a read transaction, rolled back when the block ends."""
        self._check_process()
        with self.engine.connect() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection in a write transaction, committed when the block ends without error.

        On SQLite the transaction starts with ``BEGIN IMMEDIATE`` (the write lock up front).
        """
        self._check_process()
        with self.engine.connect() as connection:
            connection.execution_options(awe_write=True)
            with connection.begin():
                yield connection

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def connect(url: str | None = None, *, site: int | None = None,
            target: str | None = None, evolve: bool = True) -> Database:
    """Open the database at ``url`` (default: the configured one) for ``site``.

    Imports the system classes and the ``target`` package (default: configured) so their
    tables are declared, checks the schema version and evolves the schema when the role may run
    DDL (an empty database is initialised), and refuses a site that is not registered.
    ``evolve=False`` opens the database as it is, without the schema and site checks (for
    ``awe db``, which inspects and evolves the schema itself).
    """
    from common.database.schema import ensure_schema, import_declaring_packages
    from common.database.sites import check_site

    config = load_config() if url is None or site is None or target is None else None
    text = config.database if url is None else url
    site = config.site if site is None else site
    required = target is not None or "target" in config.sources
    target = config.target if target is None else target
    parsed = database_url(text)
    backend = backend_for(parsed.get_backend_name())
    backend.check_url(parsed)
    try:
        engine = create_engine(parsed, **backend.engine_options(parsed))
    except NoSuchModuleError as exc:
        raise ConfigError(f"database: no driver for {parsed.drivername} ({exc})") from None
    backend.prepare_engine(engine)
    database = Database(engine, backend, site=site)
    import_declaring_packages(target, required=required)
    try:
        if evolve:
            ensure_schema(database)
            check_site(database)
        with database.read() as connection:
            database.current_user = backend.current_user(connection)
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseError(f"database {database.url}: {exc.orig or exc}") from exc
    except BaseException:
        engine.dispose()
        raise
    return database
