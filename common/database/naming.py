"""Naming rules of the mapping, so every table, column and constraint name is predictable.

- A class ``MasterBias`` maps to the table ``awe_master_bias``; a list attribute ``raw_chips``
  of it to ``awe_master_bias__raw_chips`` (two underscores, so names never collide with a
  class table).
- An attribute maps to the column of its lower-cased name (``DATE_OBS`` → ``date_obs``), so
  SQL users never need quoted identifiers.
- Every identifier is at most 30 characters (the portable limit, Oracle's before 12.2); a
  longer one keeps its first characters and ends in ``_`` plus 8 hex digits of its sha1.
- Attribute names in the union of SQLAlchemy's reserved words for SQLite, PostgreSQL and
  Oracle are refused (``size``, ``level``, ``date``, ``user``…).
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy.dialects import oracle, postgresql, sqlite

__all__ = [
    "MAX_IDENTIFIER",
    "RESERVED_WORDS",
    "column_name",
    "constraint_name",
    "is_identifier",
    "is_reserved",
    "list_table_name",
    "shorten",
    "snake_case",
    "table_name",
]

MAX_IDENTIFIER = 30
TABLE_PREFIX = "awe_"
RESERVED_WORDS: frozenset[str] = frozenset().union(
    *(module.dialect().identifier_preparer.reserved_words
      for module in (sqlite, postgresql, oracle))
)

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def snake_case(name: str) -> str:
    """``RawBiasChip`` → ``raw_bias_chip``, ``QCRecord`` → ``qc_record``."""
    return _WORD_BOUNDARY.sub("_", name).lower()


def shorten(name: str, limit: int = MAX_IDENTIFIER) -> str:
    """Return ``name`` if it fits ``limit``, else its head plus ``_`` and 8 hex of its sha1."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('_')}_{digest}"


def table_name(class_name: str) -> str:
    """The table of a persistent class: ``awe_<snake_case class>``, at most 30 characters."""
    return shorten(TABLE_PREFIX + snake_case(class_name))


def list_table_name(class_name: str, attribute: str) -> str:
    """The ordered association table of a list attribute of a class."""
    return shorten(f"{TABLE_PREFIX}{snake_case(class_name)}__{attribute.lower()}")


def column_name(attribute: str) -> str:
    """The column of an attribute: its lower-cased name."""
    return attribute.lower()


def constraint_name(prefix: str, table: str, *columns: str) -> str:
    """A constraint or index name such as ``ix_awe_master_bias_ifu``, at most 30 characters."""
    return shorten("_".join((prefix, table, *columns)))


def is_reserved(attribute: str) -> bool:
    """Whether the column of ``attribute`` is a reserved word of SQLite, PostgreSQL or Oracle."""
    return column_name(attribute) in RESERVED_WORDS


def is_identifier(attribute: str) -> bool:
    """Whether ``attribute`` can name a column: a letter, then letters, digits or ``_``."""
    return bool(_IDENTIFIER.fullmatch(attribute))
