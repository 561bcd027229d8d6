"""The identity map: within a session, one row is one Python object.

It holds weak references, so objects nobody uses any more are freed; dead entries are swept
when the map has doubled since the last sweep (amortised O(1) per insertion).
"""

from __future__ import annotations

import weakref
from typing import Any

__all__ = ["Batch", "IdentityMap"]

_FIRST_SWEEP = 1024


class IdentityMap:
    """object id → live object, weakly."""

    __slots__ = ("_refs", "_sweep_at")

    def __init__(self) -> None:
        self._refs: dict[int, weakref.ref] = {}
        self._sweep_at = _FIRST_SWEEP

    def get(self, object_id: int) -> Any:
        """The live object with ``object_id``, or None."""
        ref = self._refs.get(object_id)
        return None if ref is None else ref()

    def add(self, object_id: int, obj: Any) -> None:
        """Remember ``obj`` as the object of ``object_id``."""
        self._refs[object_id] = weakref.ref(obj)
        self.sweep_if_grown()

    @property
    def references(self) -> dict[int, weakref.ref]:
        """The map itself (id → weak reference), for loops that add many objects.

        Call :meth:`sweep_if_grown` after such a loop.
        """
        return self._refs

    def sweep_if_grown(self) -> None:
        """Drop dead entries if the map has doubled since the last sweep."""
        if len(self._refs) > self._sweep_at:
            self._sweep()

    def discard(self, object_id: int) -> None:
        """Forget ``object_id``."""
        self._refs.pop(object_id, None)

    def _sweep(self) -> None:
        self._refs = {key: ref for key, ref in self._refs.items() if ref() is not None}
        self._sweep_at = max(_FIRST_SWEEP, 2 * len(self._refs))

    def __len__(self) -> int:
        return sum(1 for ref in self._refs.values() if ref() is not None)

    def __contains__(self, object_id: int) -> bool:
        return self.get(object_id) is not None


class Batch:
    """The ids of the objects one query (or one commit) produced, in order.

    An object remembers its batch; touching an unloaded link or list of one member loads it
    for every live member at once, so iterating N objects and touching a link costs O(1)
    queries.
    """

    __slots__ = ("ids",)

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def members(self, identity: IdentityMap) -> list[Any]:
        """The members still alive."""
        found = []
        for object_id in self.ids:
            obj = identity.get(object_id)
            if obj is not None:
                found.append(obj)
        return found
