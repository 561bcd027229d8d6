"""A local pool of database-free worker processes, and an in-process executor (DESIGN §6).

:class:`LocalExecutor` starts ``workers`` processes (``forkserver`` where the platform has
it, else ``spawn``: never ``fork``, which would copy the scheduler's database connections),
each with ``OMP_NUM_THREADS = cores // workers``. A worker dies when the process that made
the pool dies, even by ``kill -9``: on Linux the kernel signals it (``PR_SET_PDEATHSIG``,
through ctypes), and everywhere a watcher thread exits it once the scheduler's pid is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from common.config import load_config
from common.process.worker import run_task

__all__ = ["InlineExecutor", "LocalExecutor", "default_workers"]

_WATCH_INTERVAL = 0.5
_PR_SET_PDEATHSIG = 1


def default_workers() -> int:
    """The worker count when a caller names none (the configuration decides).

    The configured ``workers``, else the cores this process may use.
    """
    configured = load_config().workers
    if configured is not None:
        return configured
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(_WATCH_INTERVAL)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            continue


def _start_worker(parent: int, threads: int) -> None:
    """Pool initializer: thread count for OpenMP/BLAS, and die with the scheduler."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # The kernel signal follows the direct parent (the forkserver, which exits with the
    # scheduler); the watcher covers the scheduler itself and platforms without prctl.
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                     name="awe-parent-watch").start()


class LocalExecutor:
    """``workers`` local processes running :func:`~common.process.worker.run_task`."""

    def __init__(self, workers: int | None = None) -> None:
        workers = default_workers() if workers is None else workers
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"LocalExecutor: workers expected an integer >= 1, found "
                             f"{workers!r}")
        self.workers = workers
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods
                                              else "spawn")
        threads = max(1, (os.cpu_count() or 1) // workers)
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                         initializer=_start_worker,
                                         initargs=(os.getpid(), threads))

    def __repr__(self) -> str:
        return f"LocalExecutor(workers={self.workers})"

    def submit(self, task: dict[str, Any]) -> Future[dict[str, Any]]:
        """Run ``task`` in a worker process."""
        return self._pool.submit(run_task, task)

    def worker_pids(self) -> list[int]:
        """The pids of the worker processes started so far."""
        return sorted(getattr(self._pool, "_processes", {}) or {})

    def shutdown(self, cancel: bool = False) -> None:
        """Stop the pool (``cancel``: the queued tasks are dropped)."""
        self._pool.shutdown(wait=True, cancel_futures=cancel)


class InlineExecutor:
    """Runs each task at once in this process (tests and debugging; no parallelism)."""

    def submit(self, task: dict[str, Any]) -> Future[dict[str, Any]]:
        """Run ``task`` now; the returned future is already done."""
        future: Future[dict[str, Any]] = Future()
        try:
            future.set_result(run_task(task))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def shutdown(self, cancel: bool = False) -> None:
        """Nothing to stop."""
