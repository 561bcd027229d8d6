"""Object ids: ``site_id << 48 | n``, with ``n`` handed out in blocks of 1000.

One statement reserves as many blocks as a request needs (see the backends), in its own short
transaction: a rolled-back commit never returns its ids, so an id is never used twice. The
allocator forgets its blocks in a forked child, which must get its own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from common.database.catalogue import ID_BLOCK
from common.database.constants import MAX_SERIAL, SITE_SHIFT
from common.errors import DatabaseError

__all__ = ["IdAllocator"]


class IdAllocator:
    """Hands out object ids of one site from reserved blocks; thread-safe.

    ``reserve(blocks)`` reserves that many blocks of :data:`ID_BLOCK` numbers in the database
    and returns the first number of each; ``where`` names the database in messages.
    """

    def __init__(self, reserve: Callable[[int], list[int]], *, site: int, where: str) -> None:
        self._reserve = reserve
        self._site = site
        self._where = where
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
            raise DatabaseError(f"database {self._where}: object ids of site {self._site} are "
                                f"exhausted (n > {MAX_SERIAL})")
        prefix = self._site << SITE_SHIFT
        return [prefix | n for n in serials] if prefix else serials
