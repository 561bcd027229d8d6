"""The system tables every database has: the object catalogue, the sites, the id counter.

- ``awe_object`` holds every object once: its id, class and owner fields. Class tables repeat
  ``creator``, ``project``, ``privileges`` and ``creation_date`` (for row-level security and
  sorting without a join), kept equal to the catalogue in the same transaction.
- ``awe_site`` registers site ids (1-32767; 0 is the private default, registered on first
  connect).
- ``awe_id_block`` is SQLite's id counter; PostgreSQL and Oracle use the sequence
  :data:`ID_SEQUENCE` (``INCREMENT BY`` one block) instead.
"""

from __future__ import annotations

from common.database.spec import ColumnSpec, TableSpec

__all__ = ["ID_BLOCK", "ID_COUNTER", "ID_SEQUENCE", "OBJECT_TABLE", "SITE_TABLE",
           "SYSTEM_TABLES"]

ID_BLOCK = 1000
ID_SEQUENCE = "awe_object_id_seq"

OBJECT_TABLE = TableSpec(
    "awe_object",
    (
        ColumnSpec("object_id", "int", nullable=False, doc="site_id << 48 | n"),
        ColumnSpec("class_name", "str", length=128, nullable=False, index=True,
                   doc="the persistent class of the object"),
        ColumnSpec("creator", "str", length=63, nullable=False, doc="who created it"),
        ColumnSpec("project", "str", length=63, nullable=False, doc="the project it is in"),
        ColumnSpec("privileges", "int", nullable=False, doc="visibility level 1-5"),
        ColumnSpec("creation_date", "datetime", nullable=False, index=True,
                   doc="when it was committed (naive UTC)"),
    ),
    primary_key=("object_id",),
    role="system",
    doc="every persistent object once",
)

SITE_TABLE = TableSpec(
    "awe_site",
    (
        ColumnSpec("site_id", "int", nullable=False, doc="0, or 1-32767"),
        ColumnSpec("name", "str", length=63, nullable=False, unique=True, doc="site name"),
        ColumnSpec("registered", "datetime", nullable=False, doc="when it was registered"),
    ),
    primary_key=("site_id",),
    role="system",
    doc="registered sites; an object id carries its site in the top 16 bits",
)

ID_COUNTER = TableSpec(
    "awe_id_block",
    (
        ColumnSpec("name", "str", length=63, nullable=False, doc="the counter's name"),
        ColumnSpec("next_value", "int", nullable=False, doc="first number not handed out"),
    ),
    primary_key=("name",),
    role="system",
    doc="SQLite's object-id counter (other backends use a sequence)",
)

SYSTEM_TABLES = (OBJECT_TABLE, SITE_TABLE, ID_COUNTER)
