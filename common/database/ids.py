"""Object ids: ``site_id << 48 | n``, with ``n`` handed out in blocks of 1000.

One statement reserves as many blocks as a request needs (see the backends), in its own short
transaction: a rolled-back commit never returns its ids, so an id is never used twice. The
allocator forgets its blocks in a forked child, which must get its own.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from common.database.catalogue import ID_BLOCK, ID_COUNTER, ID_SEQUENCE
from common.errors import DatabaseError

if TYPE_CHECKING:
    from common.database.engine import Database

__all__ = ["SITE_SHIFT", "IdAllocator", "site_of"]

SITE_SHIFT = 48
MAX_SERIAL = (1 << SITE_SHIFT) - 1


def site_of(object_id: int) -> int:
    """The site that created ``object_id``."""
    return object_id >> SITE_SHIFT


class IdAllocator:
    """Hands out object ids of one site from reserved blocks; thread-safe."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._next = self._end = 0
        self._spare: list[int] = []

    def allocate(self, count: int) -> list[int]:
        """Return ``count`` new object ids, in increasing order within each block."""
        serials: list[int] = []
        with self._lock:
            if self._pid != os.getpid():
                self._pid, self._next, self._end, self._spare = os.getpid(), 0, 0, []
            while len(serials) < count:
                if self._next == self._end:
                    if not self._spare:
                        wanted = -(-(count - len(serials)) // ID_BLOCK)
                        self._spare = self._reserve(wanted)
                    self._next = self._spare.pop(0)
                    self._end = self._next + ID_BLOCK
                take = min(count - len(serials), self._end - self._next)
                serials.extend(range(self._next, self._next + take))
                self._next += take
        if serials and serials[-1] > MAX_SERIAL:
            raise DatabaseError(f"database {self._database.url}: object ids of site "
                                f"{self._database.site} are exhausted (n > {MAX_SERIAL})")
        prefix = self._database.site << SITE_SHIFT
        return [prefix | n for n in serials] if prefix else serials

    def _reserve(self, blocks: int) -> list[int]:
        database = self._database
        sequence = database.metadata.info[ID_SEQUENCE]
        counter = database.table(ID_COUNTER.name)
        with database.write() as connection:
            return database.backend.reserve_blocks(connection, sequence, counter, blocks,
                                                   ID_BLOCK)
