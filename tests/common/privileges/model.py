"""The persistent classes of the privilege tests (also an ``AWE_TARGET`` for ``awe`` runs)."""

from __future__ import annotations

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
