"""One module per database product's quirks; :func:`backend_for` picks one by dialect name."""

from __future__ import annotations

from common.database.backends.base import Backend, like_pattern
from common.database.backends.oracle import OracleBackend
from common.database.backends.postgresql import PostgresqlBackend
from common.database.backends.sqlite import SqliteBackend
from common.errors import DatabaseError

__all__ = ["Backend", "OracleBackend", "PostgresqlBackend", "SqliteBackend", "backend_for",
           "like_pattern"]

_BACKENDS: dict[str, type[Backend]] = {
    "sqlite": SqliteBackend,
    "postgresql": PostgresqlBackend,
    "oracle": OracleBackend,
}


def backend_for(dialect_name: str) -> Backend:
    """The backend of a dialect (``sqlite``, ``postgresql``, ``oracle``)."""
    try:
        return _BACKENDS[dialect_name]()
    except KeyError:
        raise DatabaseError(f"database dialect {dialect_name!r} is not supported; expected "
                            + ", ".join(sorted(_BACKENDS))) from None
