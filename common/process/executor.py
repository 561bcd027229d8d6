"""What runs the recipes of a plan: anything that takes a task and returns a future result.

The scheduler of :func:`common.process.target.process_target` only submits tasks
(:func:`common.process.worker.run_task` data) and waits on their futures, so a local process
pool (:class:`common.process.local.LocalExecutor`), the in-process executor of tests, or a
cluster client behind the DPU (#17) can run them.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Protocol, runtime_checkable

__all__ = ["Executor"]


@runtime_checkable
class Executor(Protocol):
    """Runs :func:`~common.process.worker.run_task` on tasks, somewhere."""

    def submit(self, task: dict[str, Any]) -> Future[dict[str, Any]]:
        """Start ``task``; the future holds ``run_task(task)``'s result or its exception."""
        ...

    def shutdown(self, cancel: bool = False) -> None:
        """Wait for the running tasks (``cancel``: drop the queued ones) and stop."""
        ...
