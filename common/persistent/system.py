"""The hand-written system base ``ParameterSet``.

(The other system class, ``AuditRecord``, one row per change of a mutable field, lives beside
``DBObject`` in :mod:`common.persistent.objects`, whose audited mutators build it.)

- :class:`ParameterSet`: a value. ``params_hash`` is the sha256 of the canonical JSON of the
  class name and the values; committing a set equal to a committed one returns that one.
  The data model declares the subclasses (``BiasParameters(ParameterSet)``).

QC values are columns of the products themselves (``MasterBias.QC_BIAS_MASTER1_RON > 3.5``),
so there is no separate QC record class.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from common.errors import PersistenceError
from common.persistent.objects import DBObject
from common.persistent.properties import SYSTEM_FIELDS, persistent

__all__ = ["ParameterSet"]


def _canonical(value: Any) -> Any:
    if isinstance(value, DBObject):
        if value.object_id is None:
            raise PersistenceError(f"a parameter set links to {value!r}, which has no id yet")
        return {"object_id": str(value.object_id)}
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat(timespec="microseconds")}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    if isinstance(value, dict) or hasattr(value, "keys"):
        return {key: _canonical(value[key]) for key in value}
    return value


class ParameterSet(DBObject, abstract=True, value=True):
    """A set of recipe parameters with value semantics (equal values: the same object)."""

    params_hash = persistent("sha256 of the canonical JSON of class name and values", str,
                             length=64, unique=True)

    def parameter_values(self) -> dict[str, Any]:
        """The declared values (every persistent attribute but the system fields)."""
        skipped = {*SYSTEM_FIELDS, "params_hash"}
        return {name: getattr(self, name) for name in self._meta.properties
                if name not in skipped}

    def compute_hash(self) -> str:
        """sha256 (hex) of the canonical JSON of the class name and the values."""
        document = {"class": type(self).__name__,
                    "values": _canonical(self.parameter_values())}
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParameterSet):
            return NotImplemented
        return type(self) is type(other) and self.compute_hash() == other.compute_hash()

    def __hash__(self) -> int:
        return hash(self.compute_hash())
