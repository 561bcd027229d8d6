"""Write a stream arriving on the event loop to a file, hashing it, without blocking the loop.

Chunks are gathered into batches; each batch is hashed on one worker thread and written (and
handed to the kernel's writeback) on another while the loop receives the next one. At most one
batch is in flight, so memory stays at about two batches whatever the file's size.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future

from dataserver.store import hash_all, start_writeback, write_all

__all__ = ["BATCH_SIZE", "HashingWriter"]

BATCH_SIZE = 1 << 22


class HashingWriter:
    """Hash the chunks given to :meth:`write` and write them to ``fd`` (None: hash only).

    With ``writeback`` each batch is handed to the disk at once (an upload, whose sender waits
    for the final fsync anyway); without, the page cache absorbs the file first (a peer fetch
    relayed to a client, which should not wait for the disk).
    """

    def __init__(self, fd: int | None, executor: Executor, *, writeback: bool = True,
                 batch_size: int = BATCH_SIZE) -> None:
        self._fd = fd
        self._writeback = writeback
        self._executor = executor
        self._batch_size = batch_size
        self._digest = hashlib.sha256()
        self._batch: list[bytes] = []
        self._batched = 0
        self._jobs: list[Future[object]] = []
        self.written = 0

    def _write(self, chunks: list[bytes], offset: int) -> None:
        assert self._fd is not None
        count = write_all(self._fd, chunks)
        if self._writeback:
            start_writeback(self._fd, offset, count)

    async def _wait(self) -> None:
        # A job leaves _jobs only once done: a cancelled await must not let release() believe
        # the threads have finished with the descriptor.
        while self._jobs:
            await asyncio.wrap_future(self._jobs[0])
            self._jobs.pop(0)

    async def _dispatch(self) -> None:
        await self._wait()
        batch, self._batch, self._batched, size = self._batch, [], 0, self._batched
        self._jobs = [self._executor.submit(hash_all, self._digest, batch)]
        if self._fd is not None:
            self._jobs.append(self._executor.submit(self._write, batch, self.written))
        self.written += size

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
        running = [job for job in self._jobs if not job.done()]
        self._jobs = []
        if not running:
            cleanup()
            return
        remaining = [len(running)]
        lock = threading.Lock()

        def done(_: Future[object]) -> None:
            with lock:
                remaining[0] -= 1
                last = remaining[0] == 0
            if last:
                cleanup()

        for job in running:
            job.add_done_callback(done)
