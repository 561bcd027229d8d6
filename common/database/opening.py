""":func:`connect`, the one way to get a :class:`~common.database.engine.Database`.

A connect to an empty database initialises it (tables, ``awe_site`` with site 0) when the role
may run DDL, so scripts work with nothing but ``AWE_DATABASE``; see
:func:`common.database.schema.ensure_schema`.
"""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError, NoSuchModuleError

from common.config import load_config
from common.database.backends import backend_for
from common.database.declaring import import_declaring_packages
from common.database.engine import Database, database_url
from common.database.schema import ensure_schema
from common.database.sites import check_site
from common.errors import ConfigError, DatabaseError

__all__ = ["connect"]


def connect(url: str | None = None, *, site: int | None = None,
            target: str | None = None, evolve: bool = True) -> Database:
    """Open the database at ``url`` (default: the configured one) for ``site``.

    Imports the registered declaring packages and the ``target`` package (default: configured)
    so their tables are declared, checks the schema version and evolves the schema when the
    role may run DDL (an empty database is initialised), and refuses a site that is not
    registered. ``evolve=False`` opens the database as it is, without the schema and site
    checks (for ``awe db``, which inspects and evolves the schema itself). A table registered
    after connect is declared (and created) by the same schema check when it is first used.
    The directory of an SQLite file must exist, except ``AWE_HOME`` for the default database.
    """
    config = load_config()
    text = config.database if url is None else url
    site = config.site if site is None else site
    required = target is not None or "target" in config.sources
    target = config.target if target is None else target
    parsed = database_url(text)
    backend = backend_for(parsed.get_backend_name())
    backend.check_url(parsed, home=None if "database" in config.sources else config.home)
    try:
        engine = create_engine(parsed, **backend.engine_options(parsed))
    except NoSuchModuleError as exc:
        raise ConfigError(f"database: no driver for {parsed.drivername} ({exc})") from None
    except ModuleNotFoundError as exc:
        # The drivers beyond SQLite are extras named after their backend (setup.cfg).
        raise ConfigError(f"database {parsed.render_as_string(hide_password=True)}: the driver "
                          f"module {exc.name!r} is not installed; install it with "
                          f"pip install 'muse-wise[{parsed.get_backend_name()}]'") from None
    backend.prepare_engine(engine)
    database = Database(engine, backend, site=site, declare_tables=ensure_schema,
                        role_prefix=config.role_prefix)
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
