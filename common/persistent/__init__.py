"""Persistent Python objects: class = table, attribute = column, instance = row (DESIGN §3).

    from common.persistent import DBObject, persistent, commit

    class MasterBias(DBObject):
        ifu = persistent('IFU 1-24', int, 0)

    mb = MasterBias(ifu=5).commit()
    len(MasterBias.ifu == 5)

Modules, bottom up: ``registry`` (classes by name), ``state`` (an object's committed state,
deep-frozen values), ``properties`` (the ``persistent`` descriptor), ``expressions``
(condition nodes), ``statements`` (SQL builders), ``visibility`` (who sees which row, where
the database has no RLS), ``compiler`` (conditions → SQL),
``identity`` (identity map), ``session``, ``loading`` (runs queries: rows → objects, batch
loading, COUNT), ``query`` (``Query`` and its query columns), ``record`` (the per-class
record ``Cls._meta``), ``meta`` (the metaclass), ``linkcheck`` (links visible, never less
visible), ``commit``, ``projects`` (users, projects, memberships), ``lifecycle`` (publish and
delete of trees), ``objects`` (DBObject, AuditRecord, DataObject), ``system`` (ParameterSet)
and ``context``.

Left out here: schema evolution and the PostgreSQL policies (``common.database``).
"""

from __future__ import annotations

from common.database import register_declaring
from common.persistent.commit import commit, transaction
from common.persistent.context import context
from common.persistent.objects import AuditRecord, DataObject, DBObject
from common.persistent.properties import persistent
from common.persistent.session import session
from common.persistent.system import ParameterSet

register_declaring(__name__)

__all__ = ["DBObject", "DataObject", "commit", "context", "persistent", "session",
           "transaction"]

# Importing this package registers the system classes (their tables are created on connect).
SYSTEM_CLASSES = (AuditRecord, ParameterSet)
