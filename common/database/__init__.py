"""SQLAlchemy Core layer: engines, table mapping, ids, sites, schema creation (no MUSE knowledge).

- :func:`connect` (``opening.py``) → :class:`Database` (engine, backend, tables, id
  allocator); a package that declares system classes calls :func:`register_declaring` so
  connect imports it.
- ``constants.py``: site constants and :func:`utcnow`, the one clock.
- Specs (:class:`TableSpec`, :class:`ColumnSpec`) are what the persistent layer declares;
  :func:`build_metadata` turns the registered specs into Core tables and
  :func:`ensure_schema` checks the schema version on connect (one row of
  ``awe_schema_history``) and initialises or evolves the schema (``evolution.py``, Alembic,
  imported only when something changed, with ``changes.py``, ``planning.py``,
  ``applying.py`` and ``scripts.py``; ``history.py``: the model hash and the history).
- One module per backend under :mod:`common.database.backends`, with everything that
  differs between products (locks, who may run DDL, DBA scripts, error explanations).

- Roles and row-level security (DESIGN §3): ``roles.py`` (the one rule between login roles
  and user names, the group roles), ``postgresql_security.py`` (grants and policies derived
  from each table's columns, given to every table by schema evolution), ``accounts.py``
  (users, projects, memberships); :meth:`Database.acting_as` runs transactions as a user.

Left out here: the visibility rule for backends without RLS (the query compiler applies it,
:mod:`common.persistent.visibility`), and Oracle VPD policies.
"""

from __future__ import annotations

from common.database.catalogue import ID_BLOCK, OBJECT_TABLE, SITE_TABLE
from common.database.constants import SITE_SHIFT, site_of, utcnow
from common.database.declaring import register_declaring
from common.database.engine import Database, database_url
from common.database.mapping import build_metadata, build_table
from common.database.naming import column_name, list_table_name, table_name
from common.database.opening import connect
from common.database.registry import register_tables, registered_tables
from common.database.schema import ensure_schema
from common.database.sites import register_site, registered_sites
from common.database.spec import ColumnSpec, TableSpec
from common.database.statements import StatementLog, count_statements

__all__ = [
    "ID_BLOCK",
    "OBJECT_TABLE",
    "SITE_SHIFT",
    "SITE_TABLE",
    "ColumnSpec",
    "Database",
    "StatementLog",
    "TableSpec",
    "build_metadata",
    "build_table",
    "column_name",
    "connect",
    "count_statements",
    "database_url",
    "ensure_schema",
    "list_table_name",
    "register_declaring",
    "register_site",
    "register_tables",
    "registered_sites",
    "registered_tables",
    "site_of",
    "table_name",
    "utcnow",
]
