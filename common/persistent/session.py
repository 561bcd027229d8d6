"""Sessions: a database, an identity map and a context, current per thread or task.

The current session lives in a :class:`contextvars.ContextVar`. The first query or commit
without one opens the default session from configuration (so scripts need no connect call);
``with session(database, context):`` makes another current for a block. A session is never
shared across processes: a child process that inherits one opens its own default.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import select

from common.config import Context, load_config
from common.database import Database, connect
from common.database.catalogue import PROJECT_TABLE
from common.persistent.identity import IdentityMap

if TYPE_CHECKING:
    from sqlalchemy import Table

    from common.persistent.commit import Pending
    from dataserver.store import DataStore

__all__ = ["Session", "current_session", "session"]


class Session:
    """(Database, identity map, Context), plus the file store ``DataObject`` uses.

    ``store`` defaults to the configured store, opened on first use. ``pending`` collects
    the work of an open ``with transaction():`` block.
    """

    def __init__(self, database: Database, context: Context, *,
                 store: DataStore | None = None) -> None:
        self.database = database
        self.context = context
        self.identity = IdentityMap()
        self.pending: Pending | None = None
        self._store = store
        self.pid = os.getpid()

    def __repr__(self) -> str:
        return f"Session({self.database!r}, {self.context!r})"

    @property
    def user(self) -> str:
        """Who acts: the user of an enclosing ``database.acting_as``, else the context's."""
        return self.database.acting_user or self.context.user

    def table(self, name: str) -> Table:
        """The table ``name`` of this session's database, declared first when it is new.

        A class registered after connect gets its table here, through the database's explicit
        schema check; the lookup itself never runs DDL.
        """
        if name not in self.database.metadata.tables:
            self.database.declare_registered()
        return self.database.table(name)

    @property
    def store(self) -> DataStore:
        """The file store of this session."""
        if self._store is None:
            # Lazy for start-up speed: the store client (httpx) is needed only to store files.
            from dataserver.factory import open_store

            self._store = open_store(load_config())
        return self._store


_CURRENT: ContextVar[Session | None] = ContextVar("awe_session", default=None)
_DEFAULT_DATABASES: dict[tuple[str, int, int], Database] = {}
_DEFAULT_LOCK = threading.Lock()


def _default_database() -> Database:
    """The configured database, connected once per process and shared by its threads."""
    config = load_config()
    key = (config.database, config.site, os.getpid())
    with _DEFAULT_LOCK:
        database = _DEFAULT_DATABASES.get(key)
        if database is None:
            database = connect(config.database, site=config.site, target=config.target)
            _DEFAULT_DATABASES[key] = database
    return database


def _default_context(database: Database) -> Context:
    """The configured context; on PostgreSQL the user is the database's ``current_user``.

    The login role is mapped to the user name ``creator`` stores (``AWE_ROLE_PREFIX`` dropped,
    :func:`common.database.roles.user_name`). A registered project gives its default
    privileges unless the configuration sets ``privileges``.
    """
    config = load_config()
    context = config.context()
    if database.user_name:
        context = replace(context, user=database.user_name)
    projects = database.metadata.tables.get(PROJECT_TABLE.name)
    if "privileges" not in config.sources and projects is not None:
        with database.read() as connection:
            level = connection.execute(select(projects.c.default_privileges).where(
                projects.c.project == context.project)).scalar()
        if level is not None:
            context = replace(context, privileges=level)
    return replace(context, site=database.site)


def current_session() -> Session:
    """The current session, opening the default one from configuration when there is none."""
    current = _CURRENT.get()
    if current is None or current.pid != os.getpid():
        database = _default_database()
        current = Session(database, _default_context(database))
        _CURRENT.set(current)
    return current


@contextmanager
def session(database: Database | None = None, context: Context | None = None, *,
            store: DataStore | None = None) -> Iterator[Session]:
    """Make a new session current for the block.

    ``database`` defaults to the configured one, ``context`` to the configured context (with
    the database's ``current_user`` on PostgreSQL), ``store`` to the configured store.
    """
    database = _default_database() if database is None else database
    context = _default_context(database) if context is None else context
    opened = Session(database, context, store=store)
    token = _CURRENT.set(opened)
    try:
        yield opened
    finally:
        _CURRENT.reset(token)
