"""What a backend module provides: the quirks of one database product, behind one interface.

Everything above this package speaks SQLAlchemy Core and asks the :class:`Backend` of its
database for the few things that differ between SQLite, PostgreSQL and Oracle.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Sequence, Table
from sqlalchemy.engine import URL

__all__ = ["Backend", "like_pattern"]

LIKE_ESCAPE = "\\"


def like_pattern(pattern: str) -> str:
    r"""Translate a ``*``-wildcard pattern to LIKE syntax (``%`` and ``_`` escaped by ``\\``)."""
    escaped = (pattern.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
               .replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_"))
    return escaped.replace("*", "%")


class Backend:
    """Defaults shared by the backends; each module overrides what its product does differently.

    ``in_chunk`` is the most values one ``IN (…)`` list may carry (Oracle allows 1000);
    ``driver`` is the DBAPI driver a plain ``name://`` URL gets.
    """

    name = "generic"
    driver: str | None = None
    in_chunk = 1000

    def normalise_url(self, url: URL) -> URL:
        """Return ``url`` with this project's driver: ``postgresql://`` → ``postgresql+psycopg://``."""
        if self.driver is not None and url.drivername == self.name:
            return url.set(drivername=f"{self.name}+{self.driver}")
        return url

    def check_url(self, url: URL) -> None:
        """Refuse a URL this backend cannot use safely (raise :class:`DatabaseError`)."""

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

    def lock_schema(self, connection: Connection) -> None:
        """Serialise schema changes: hold a lock until the open transaction ends."""

    def reserve_blocks(self, connection: Connection, sequence: Sequence, counter: Table,
                       count: int, block: int) -> list[int]:
        """Reserve ``count`` blocks of ``block`` ids; return the first number of each block."""
        raise NotImplementedError

    def wildcard_match(self, column: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
        """``column`` matches ``pattern`` (``*`` any run of characters), case-sensitively."""
        return column.like(like_pattern(pattern), escape=LIKE_ESCAPE)
