"""Write a stream arriving on the event loop to a file, hashing it, without blocking the loop.

Chunks are gathered into batches; each batch is hashed, written and handed to the kernel's
writeback on a worker thread while the loop receives the next one. At most one batch is in
flight, so memory stays at about two batches whatever the file's size.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from concurrent.futures import Executor, Future

from dataserver.store import hash_write_flush

__all__ = ["BATCH_SIZE", "HashingWriter"]

BATCH_SIZE = 1 << 22


class HashingWriter:
    """Hash the chunks given to :meth:`write` and write them to ``fd`` (None: hash only)."""

    def __init__(self, fd: int | None, executor: Executor, *,
                 batch_size: int = BATCH_SIZE) -> None:
        self._fd = fd
        self._executor = executor
        self._batch_size = batch_size
        self._digest = hashlib.sha256()
        self._batch: list[bytes] = []
        self._batched = 0
        self._pending: Future[int] | None = None
        self.written = 0

    def _consume(self, chunks: list[bytes], offset: int) -> int:
        if self._fd is None:
            for chunk in chunks:
                self._digest.update(chunk)
            return sum(len(chunk) for chunk in chunks)
        return hash_write_flush(self._fd, self._digest, chunks, offset)

    async def _wait(self) -> None:
        # The thread's own future stays in _pending until it is done: a cancelled await
        # must not let release() believe the thread has finished.
        if self._pending is not None:
            self.written += await asyncio.wrap_future(self._pending)
            self._pending = None

    async def _dispatch(self) -> None:
        await self._wait()
        batch, self._batch, self._batched = self._batch, [], 0
        self._pending = self._executor.submit(self._consume, batch, self.written)

    async def write(self, chunk: bytes) -> None:
        """Take one chunk; waits only when a full batch must wait for the one in flight."""
        self._batch.append(chunk)
        self._batched += len(chunk)
        if self._batched >= self._batch_size:
            await self._dispatch()

    async def finish(self) -> tuple[str, int]:
        """Write what is left; return the sha256 hex and the number of bytes."""
        await self._dispatch()
        await self._wait()
        return self._digest.hexdigest(), self.written

    def release(self, cleanup: Callable[[], None]) -> None:
        """Run ``cleanup`` (close the file, remove it) once no batch is being written.

        Safe in a ``finally`` after a failure or a cancellation: a batch still on its thread
        is never left writing to a closed (and perhaps reused) descriptor.
        """
        pending, self._pending = self._pending, None
        if pending is None:
            cleanup()
        else:
            pending.add_done_callback(lambda _: cleanup())
