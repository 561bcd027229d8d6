"""The executors a DPU runs plan nodes with: local worker processes, or a Dask cluster.

Both follow :class:`common.process.executor.Executor`: ``submit(task) -> Future[dict]`` (the
result of :func:`common.process.worker.run_task`, which needs no database) and
``shutdown(cancel=False)``. :class:`DaskExecutor` submits each task to a Dask distributed
scheduler (a site's own, a ``dask-jobqueue`` cluster's, or a ``LocalCluster``); a cancelled
Dask task is dropped by the scheduler, and a task already running ends without its result
being used (the DPU commits nothing it did not receive).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from common.errors import ConfigError, DpuError

__all__ = ["EXECUTORS", "DaskExecutor", "executor_factory"]

EXECUTORS = ("local", "dask")
_SERIAL = itertools.count(1)


class DaskExecutor:
    """Run tasks on the Dask distributed scheduler at ``address`` (``tcp://host:port``)."""

    def __init__(self, address: str, *, timeout: float = 30.0) -> None:
        # Imported here: distributed is an optional extra ([dask]) and slow to import.
        from distributed import Client

        try:
            self._client = Client(address, timeout=timeout, set_as_default=False)
        except OSError as exc:
            raise DpuError(f"Dask scheduler {address}: cannot connect ({exc})") from None
        self.address = address
        self._lock = threading.Lock()
        self._futures: list[Any] = []

    def submit(self, task: dict) -> Future[dict]:
        """Submit ``run_task(task)`` to the cluster; return a standard future of its result."""
        from common.process.worker import run_task

        key = f"awe-{task.get('node_id', 'task')}-{next(_SERIAL)}-{id(self):x}"
        remote = self._client.submit(run_task, task, pure=False, key=key)
        with self._lock:
            self._futures.append(remote)
        local: Future[dict] = Future()
        local.set_running_or_notify_cancel()

        def settle(done: Any) -> None:
            try:
                local.set_result(done.result())
            except BaseException as exc:  # the task's own error, or its cancellation
                local.set_exception(DpuError(f"node {task.get('node_id')}: cancelled on the "
                                             "Dask cluster") if done.cancelled() else exc)

        remote.add_done_callback(settle)
        return local

    def shutdown(self, cancel: bool = False) -> None:
        """Close the connection (``cancel``: drop the tasks not finished yet)."""
        with self._lock:
            futures, self._futures = self._futures, []
        if cancel and futures:
            self._client.cancel(futures, force=True)
        self._client.close()


def executor_factory(kind: str, *, workers: int, scheduler: str | None = None
                     ) -> Callable[[], Any]:
    """A function making one executor per job: ``local`` with ``workers`` processes or ``dask``."""
    if kind == "local":
        from common.process.local import LocalExecutor

        return lambda: LocalExecutor(workers)
    if kind == "dask":
        if not scheduler:
            raise ConfigError("executor dask: expected --scheduler ADDRESS (tcp://host:port)")
        return lambda: DaskExecutor(scheduler)
    raise ConfigError(f"executor: expected one of {', '.join(EXECUTORS)}, found {kind!r}")
