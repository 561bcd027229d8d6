"""Persistent Python objects: class = table, attribute = column, instance = row (DESIGN §3).

    from common.persistent import DBObject, persistent, commit

    class MasterBias(DBObject):
        ifu = persistent('IFU 1-24', int, 0)

    mb = MasterBias(ifu=5).commit()
    len(MasterBias.ifu == 5)

Modules: ``properties`` (the ``persistent`` descriptor), ``meta`` (the metaclass and class
registry), ``expressions`` (query columns and conditions), ``compiler`` (conditions → SQL),
``query``, ``loading`` (rows → objects, batch loading), ``identity`` (identity map),
``session`` and ``context``, ``commit``, ``objects`` (DBObject, DataObject), ``system``
(AuditRecord, ParameterSet, QcRecord).

Left out here: schema evolution and row-level security (their own parts of DESIGN §3), and
deleting objects (``awe delete``).
"""

from __future__ import annotations

from common.database import register_declaring
from common.persistent.commit import commit, transaction
from common.persistent.context import context
from common.persistent.objects import DataObject, DBObject
from common.persistent.properties import persistent
from common.persistent.session import session
from common.persistent.system import AuditRecord, ParameterSet, QcRecord

register_declaring(__name__)

__all__ = ["DBObject", "DataObject", "commit", "context", "persistent", "session",
           "transaction"]

# Importing this package registers the system classes (their tables are created on connect).
SYSTEM_CLASSES = (AuditRecord, ParameterSet, QcRecord)
