"""The system tables every database has: the object catalogue, the sites, the id counter.

- ``awe_object`` holds every object once: its id, class and owner fields. Class tables repeat
  ``creator``, ``project``, ``privileges`` and ``creation_date`` (for row-level security and
  sorting without a join), kept equal to the catalogue in the same transaction.
- ``awe_site`` registers site ids (1-32767; 0 is the private default, registered on first
  connect).
- ``awe_id_block`` is SQLite's id counter; PostgreSQL and Oracle use the sequence
  :data:`ID_SEQUENCE` (``INCREMENT BY`` one block) instead.
- ``awe_user``, ``awe_project`` and ``awe_member`` are the users, the projects (with their
  default privileges) and who is in which project (and manages it); they are not objects, so
  they are not in ``awe_object`` (DESIGN §3, roles and row-level security).
"""

from __future__ import annotations

from common.database.spec import ColumnSpec, TableSpec

__all__ = ["ACCOUNT_TABLES", "ID_BLOCK", "ID_COUNTER", "ID_SEQUENCE", "MEMBER_TABLE",
           "OBJECT_TABLE", "PROJECT_TABLE", "SITE_TABLE", "SYSTEM_TABLES", "USER_TABLE"]

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
    mutable=("privileges",),
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

USER_TABLE = TableSpec(
    "awe_user",
    (
        ColumnSpec("user_name", "str", length=63, nullable=False,
                   doc="the name stored in creator (the login role without AWE_ROLE_PREFIX)"),
        ColumnSpec("created", "datetime", nullable=False, doc="when the user was created"),
    ),
    primary_key=("user_name",),
    role="system",
    doc="the users; each has a database login role on PostgreSQL",
)

PROJECT_TABLE = TableSpec(
    "awe_project",
    (
        ColumnSpec("project", "str", length=63, nullable=False, doc="the project's name"),
        ColumnSpec("default_privileges", "int", nullable=False,
                   doc="privileges new objects in the project get (1-5)"),
        ColumnSpec("created", "datetime", nullable=False, doc="when the project was created"),
    ),
    primary_key=("project",),
    role="system",
    doc="the projects objects belong to",
)

MEMBER_TABLE = TableSpec(
    "awe_member",
    (
        ColumnSpec("project", "str", length=63, nullable=False, doc="the project"),
        ColumnSpec("user_name", "str", length=63, nullable=False, index=True,
                   doc="a member of the project"),
        ColumnSpec("manager", "bool", nullable=False,
                   doc="whether the member manages the project (publishes, force-deletes)"),
    ),
    primary_key=("project", "user_name"),
    role="system",
    doc="who is in which project",
)

ACCOUNT_TABLES = (USER_TABLE, PROJECT_TABLE, MEMBER_TABLE)
SYSTEM_TABLES = (OBJECT_TABLE, SITE_TABLE, ID_COUNTER, *ACCOUNT_TABLES)
