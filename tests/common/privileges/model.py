"""The persistent classes of the privilege tests (also an ``AWE_TARGET`` for ``awe`` runs)."""

from __future__ import annotations

from common.database import ColumnSpec, TableSpec, register_tables
from common.persistent import DataObject, DBObject, persistent
from common.persistent.system import ParameterSet

DATAMODEL_VERSION = "privileges-test-1"


class PrivSample(DBObject):
    """A test object with a link, for the privilege tests."""

    tag = persistent("test isolation tag", str, None, length=40, index=True)
    label = persistent("what it is", str, None, length=63)
    source = persistent("what it was made from", "PrivSample")


class PrivFile(DataObject):
    """A test object with a file in the store (for gc)."""

    tag = persistent("test isolation tag", str, None, length=40, index=True)


class PrivParameters(ParameterSet):
    """A parameter set (a value shared by every user)."""

    sigma = persistent("a clipping level", float, 3.0)


# A table declared later by another layer, like the job table: it gets grants and policies from
# its columns alone (creator only, UPDATE on its mutable column).
PRIV_JOB_TABLE = TableSpec(
    "awe_priv_job",
    (ColumnSpec("job_id", "int", nullable=False), ColumnSpec("creator", "str", length=63),
     ColumnSpec("target", "str", length=63), ColumnSpec("state", "str", length=16)),
    primary_key=("job_id",), role="system", doc="a job-like test table", mutable=("state",))
register_tables(PRIV_JOB_TABLE)
