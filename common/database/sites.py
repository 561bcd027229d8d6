"""Sites: the top 16 bits of every object id, registered in ``awe_site``.

Site 0 is the private default, registered when a database is initialised and never merged
into another database. Sites 1-32767 are registered once each, with a unique name; connect
refuses a site that is not registered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from common.config import MAX_SITE
from common.database.catalogue import SITE_TABLE
from common.database.constants import utcnow
from common.errors import DatabaseError

if TYPE_CHECKING:
    from common.database.engine import Database

__all__ = ["check_site", "register_site", "registered_sites"]


def registered_sites(database: Database) -> dict[int, str]:
    """Site id → name of every registered site."""
    sites = database.table(SITE_TABLE.name)
    with database.read() as connection:
        rows = connection.execute(select(sites.c.site_id, sites.c.name)).all()
    return {site_id: name for site_id, name in rows}


def register_site(database: Database, site_id: int, name: str) -> None:
    """Register ``site_id`` (1-32767) as ``name``; a taken id or name is refused."""
    if isinstance(site_id, bool) or not isinstance(site_id, int) or not 1 <= site_id <= MAX_SITE:
        raise DatabaseError(f"site id: expected an integer 1-{MAX_SITE}, found {site_id!r}")
    known = registered_sites(database)
    if site_id in known or name in known.values():
        taken = (f"site {site_id} is already registered as {known[site_id]!r}"
                 if site_id in known else f"the name {name!r} is already taken")
        raise DatabaseError(f"database {database.url}: cannot register site {site_id} "
                            f"({name!r}): {taken}")
    sites = database.table(SITE_TABLE.name)
    try:
        with database.write() as connection:
            connection.execute(sites.insert().values(site_id=site_id, name=name,
                                                     registered=utcnow()))
    except SqlIntegrityError as exc:
        raise DatabaseError(f"database {database.url}: cannot register site {site_id} "
                            f"({name!r}): registered concurrently ({exc.orig})") from None


def check_site(database: Database) -> None:
    """Refuse to work for a site this database has not registered."""
    known = registered_sites(database)
    if database.site not in known:
        raise DatabaseError(
            f"database {database.url}: site {database.site} is not registered (registered: "
            f"{', '.join(str(site) for site in sorted(known)) or 'none'}); register it once "
            "with common.database.register_site, or set AWE_SITE to a registered site"
        )
