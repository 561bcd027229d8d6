"""The DPU client the prompt calls ``dpu``: submit targets, follow and cancel jobs.

    dpu = Processor()                       # the DPUs of AWE_DPU, or an in-process one
    job = dpu.run("MasterFlat", night="2016-03-14", ifu=5)
    dpu.wait(job, progress=bar)             # {'state': 'done', 'result': {...}, ...}
    print(dpu.logs(job))
    dpu.select("node2").run(...)            # another DPU of AWE_DPU, by its --name

``run`` inserts the job row through the user's own session (so the database knows who asked)
and hands the DPU only its id. Every remote call opens a connection whose Pyro5 handshake
carries the token of ``AWE_TOKEN_FILE``; a wrong token raises ``PermissionDenied``. Errors
come back as the same :class:`~common.errors.AweError` classes. With no DPU configured, an
in-process DPU (:mod:`dpu.local`) runs the jobs behind the same interface.

Importing this module is cheap: Pyro5 and the database layer are imported on first use.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from common.config import Progress, load_config, read_token
from common.errors import DpuError, NotFound, error_from_wire
from dpu.wire import HANDSHAKE_FIELD, SERIALIZER, plain, unwrap

__all__ = ["FINAL_STATES", "Processor", "RemoteDpu"]

FINAL_STATES = ("done", "failed", "stopped", "cancelled")
CALL_TIMEOUT = 120.0
POLL_INTERVAL = 0.2
_REFUSED = re.compile(r"rejected: (?P<type>[A-Za-z]+): (?P<message>.*)", re.DOTALL)


class RemoteDpu:
    """One DPU daemon at ``uri``, reached with ``token``; one connection per call."""

    def __init__(self, uri: str, token: str) -> None:
        self.uri = uri
        self._token = token

    def call(self, method: str, *args: Any) -> Any:
        """Call ``method`` on the DPU and return the value of its reply (or raise its error)."""
        # Imported here: Pyro5 is needed only when a DPU is actually called.
        import Pyro5.api
        import Pyro5.errors

        what = f"DPU {self.uri} {method}"
        try:
            with Pyro5.api.Proxy(self.uri) as proxy:
                proxy._pyroSerializer = SERIALIZER
                proxy._pyroHandshake = {HANDSHAKE_FIELD: self._token}
                proxy._pyroTimeout = CALL_TIMEOUT
                reply = getattr(proxy, method)(*args)
        except Pyro5.errors.CommunicationError as exc:
            refused = _REFUSED.search(str(exc))
            if refused is not None:  # the daemon's handshake refused us, saying why
                raise error_from_wire(refused["type"], f"{what}: {refused['message']}") \
                    from None
            raise DpuError(f"{what}: cannot reach the DPU ({exc})") from None
        return unwrap(reply, what)

    def submit(self, job_id: int) -> dict[str, Any]:
        """Hand the queued job row to the DPU."""
        return self.call("submit", job_id)

    def status(self, job_id: int) -> dict[str, Any]:
        """The job's row."""
        return self.call("status", job_id)

    def logs(self, job_id: int) -> str:
        """The job's log."""
        return self.call("logs", job_id)

    def cancel(self, job_id: int) -> dict[str, Any]:
        """Cancel the job."""
        return self.call("cancel", job_id)

    def jobs(self) -> list[dict[str, Any]]:
        """The jobs of this DPU."""
        return self.call("jobs")

    def info(self) -> dict[str, Any]:
        """The DPU's name, host, executor and workers."""
        return self.call("info")


class Processor:
    """Run targets on a DPU and follow their jobs (see the module documentation).

    ``dpus`` are Pyro URIs (default: the ``dpu`` setting, ``AWE_DPU``); the first is used
    until :meth:`select` picks another. ``token`` defaults to the ``token_file`` setting.
    """

    def __init__(self, dpus: Sequence[str] | None = None, *, token: str | None = None) -> None:
        config = load_config()
        self.dpus = list(config.dpu if dpus is None else dpus)
        self._token = token
        if self.dpus and token is None:
            self._token = read_token(config.token_file, what="DPU handshake")
        self._backend: Any = None

    def __repr__(self) -> str:
        return f"Processor({self.dpus or 'in-process'})"

    @property
    def backend(self) -> Any:
        """The DPU calls go to: the first configured daemon, or the in-process DPU."""
        if self._backend is None:
            if self.dpus:
                self._backend = RemoteDpu(self.dpus[0], self._token or "")
            else:
                # Imported here: the in-process DPU needs the database and the executors.
                from dpu.local import local_dpu

                self._backend = local_dpu()
        return self._backend

    def run(self, target: type | str, *, parameters: dict[str, int] | None = None,
            **keys: Any) -> int:
        """Submit ``target`` for ``keys``; return the job id (the job runs on the DPU)."""
        # Imported here: the job table needs the database layer.
        from common.process.jobs import Job

        name = target if isinstance(target, str) else target.__name__
        job = Job.submit(name, plain(keys, "keys"), parameters=plain(parameters, "parameters"))
        try:
            self.backend.submit(job.job_id)
        except Exception as exc:
            job.finish("failed", error=f"not accepted by {self.backend_name()}: {exc}")
            raise
        return int(job.job_id)

    def backend_name(self) -> str:
        """The URI of the DPU in use, or ``in-process``."""
        return self.dpus[0] if self.dpus else "in-process"

    def status(self, job_id: int) -> dict[str, Any]:
        """The job's row: state, progress, result, error, times, host, DPU, log file."""
        return self.backend.status(int(job_id))

    def wait(self, job_id: int, progress: Progress | None = None,
             timeout: float | None = None) -> dict[str, Any]:
        """Wait until the job ends; report its progress; return its final row.

        ``timeout`` (seconds) raises ``DpuError`` naming the state the job is still in.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        last: tuple[Any, Any, Any] | None = None
        while True:
            row = self.status(job_id)
            shown = (row.get("progress_done"), row.get("progress_total"),
                     row.get("progress_what"))
            if progress is not None and shown != last and shown[1]:
                progress(int(shown[0] or 0), int(shown[1]), str(shown[2] or ""))
            last = shown
            if row["state"] in FINAL_STATES:
                return row
            if deadline is not None and time.monotonic() > deadline:
                raise DpuError(f"job {job_id}: still {row['state']} after {timeout:g} s")
            time.sleep(POLL_INTERVAL)

    def logs(self, job_id: int) -> str:
        """The job's log: live while it runs, the stored ``job-<id>.log`` once it ended."""
        return self.backend.logs(int(job_id))

    def cancel(self, job_id: int) -> dict[str, Any]:
        """Cancel a queued or running job (its workers are stopped); return its row."""
        return self.backend.cancel(int(job_id))

    def jobs(self) -> list[dict[str, Any]]:
        """The jobs of the DPU in use, newest first."""
        return self.backend.jobs()

    def select(self, name: str) -> Processor:
        """The DPU of ``dpus`` whose ``--name`` (or URI) is ``name``, as a new Processor."""
        found = []
        for uri in self.dpus:
            if uri == name:
                return Processor([uri], token=self._token)
            dpu_name = RemoteDpu(uri, self._token or "").info()["name"]
            if dpu_name == name:
                return Processor([uri], token=self._token)
            found.append(f"{dpu_name} ({uri})")
        raise NotFound(f"DPU {name}: not among the configured DPUs "
                       f"({', '.join(found) or 'none: AWE_DPU is empty'})")

    def info(self) -> dict[str, Any]:
        """The name, host, executor and workers of the DPU in use."""
        return self.backend.info()

