"""The in-process DPU: what :class:`dpu.client.Processor` uses when no DPU is configured.

The same scheduler as the daemon's, in threads of the calling process, on the configured
database and store, with local worker processes (one per core). One per database the
process works on.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from common.config import load_config
from common.process.local import default_workers
from dpu.executors import executor_factory
from dpu.scheduler import Scheduler

__all__ = ["LocalDpu", "local_dpu"]

_LOCK = threading.Lock()
_INSTANCES: dict[int, LocalDpu] = {}


class LocalDpu:
    """A scheduler in this process behind the interface of a remote DPU."""

    def __init__(self, *, workers: int | None = None, name: str | None = None) -> None:
        from common.persistent.session import current_session

        config = load_config()
        opened = current_session()
        self.workers = workers or default_workers()
        self.name = name or f"local-{os.getpid()}"
        self.scheduler = Scheduler(opened.database, name=self.name,
                                   executor_factory=executor_factory("local",
                                                                     workers=self.workers),
                                   log_dir=config.home / "dpu-logs", context=opened.context,
                                   store=opened.store)
        self.scheduler.start()

    def submit(self, job_id: int) -> dict[str, Any]:
        """Queue the job row."""
        return self.scheduler.submit(job_id)

    def status(self, job_id: int) -> dict[str, Any]:
        """The job's row."""
        return self.scheduler.status(job_id)

    def logs(self, job_id: int) -> str:
        """The job's log."""
        return self.scheduler.logs(job_id)

    def cancel(self, job_id: int) -> dict[str, Any]:
        """Cancel the job."""
        return self.scheduler.cancel(job_id)

    def jobs(self) -> list[dict[str, Any]]:
        """The jobs of this DPU."""
        return self.scheduler.jobs()

    def info(self) -> dict[str, Any]:
        """Name, host, executor and workers."""
        return {"name": self.name, "host": self.scheduler.host, "executor": "local",
                "workers": self.workers, "tls": False}


def local_dpu() -> LocalDpu:
    """The in-process DPU of the current session's database, started on first use."""
    from common.persistent.session import current_session

    key = id(current_session().database)
    with _LOCK:
        if key not in _INSTANCES:
            _INSTANCES[key] = LocalDpu()
        return _INSTANCES[key]
