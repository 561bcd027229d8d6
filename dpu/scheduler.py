"""The DPU's scheduler: the one part of a DPU that queries and commits (a single writer).

A job is a row of ``awe_job`` the user inserted through their own session
(:meth:`Job.submit`); the client then hands the DPU its id. The scheduler queues it, runs
:func:`common.process.target.process_target` for it under the creator's database role with a
job executor of its own (worker processes, or a Dask cluster), keeps the job's log (live in
memory and in ``LOG_DIR/job-<id>.log``), stores that log once as ``job-<id>.log`` when the job
ends and records the end state in the row. ``concurrency`` jobs run at once, but jobs with
equal keys (MasterFlat and WavecalTable of one night and IFU) one after another, so the
second reuses the MASTER_BIAS the first made rather than making a duplicate.

An executor whose job ended well is kept for the next job (its workers stay warm: no process
start and no recipe import per job); one whose job failed or was cancelled is shut down.
Cancelling a running job kills its executor's workers and ends it as ``cancelled``; products
are committed by the scheduler only after their worker returned, so nothing is
half-committed. On start the scheduler re-plans the unfinished jobs it had taken
(its DPU name in the row): products committed before a crash are up to date and reused.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import queue
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.config import Context
from common.errors import AweError, DpuError, IntegrityError
from common.process.jobs import FINAL_STATES

if TYPE_CHECKING:
    from common.database import Database
    from common.process.executor import Executor
    from dataserver.store import DataStore

__all__ = ["FINAL_STATES", "JOB_FIELDS", "Scheduler", "job_dict"]

JOB_FIELDS = ("job_id", "creator", "state", "target", "keys", "parameters", "progress_done",
              "progress_total", "progress_what", "result", "error", "host", "dpu",
              "log_file", "created", "started", "finished")
_STOP = None


def job_dict(job: Any) -> dict[str, Any]:
    """The plain-data view of a job row that crosses the wire."""
    values = {name: getattr(job, name, None) for name in JOB_FIELDS}
    for name in ("created", "started", "finished"):
        if isinstance(values[name], dt.datetime):
            values[name] = values[name].isoformat()
    return values


def _signature(job: Any) -> str:
    """The keys of a job as text: jobs with equal keys run one after another."""
    return json.dumps(job.keys or {}, sort_keys=True, default=str)


class JobLog:
    """A running job's log: lines kept in memory (served live) and appended to a file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._lines: list[str] = []
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            self._lines = path.read_text(encoding="utf-8").splitlines(keepends=True)

    def write(self, text: str) -> None:
        """Append ``text`` (one or more lines), each stamped with the UTC time."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        lines = [f"{stamp} {line}\n" for line in text.rstrip("\n").splitlines() or [""]]
        with self._lock:
            self._lines.extend(lines)
            with self.path.open("a", encoding="utf-8") as out:
                out.writelines(lines)

    def text(self) -> str:
        """Everything written so far."""
        with self._lock:
            return "".join(self._lines)


class JobExecutor:
    """One job's executor: refuses new tasks once the job is cancelled, kills its workers."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.cancelled = threading.Event()

    def submit(self, task: dict) -> Future[dict]:
        """Hand ``task`` to the workers unless the job was cancelled."""
        if self.cancelled.is_set():
            raise DpuError(f"node {task.get('node_id')}: not started, the job was cancelled")
        return self.inner.submit(task)

    def shutdown(self, cancel: bool = False) -> None:
        """Shut the workers down (``cancel``: stop running tasks too)."""
        self.inner.shutdown(cancel=cancel)

    def cancel(self) -> None:
        """Stop the job: no new task, running workers killed (their results never come)."""
        self.cancelled.set()
        worker_pids = getattr(self.inner, "worker_pids", None)
        for pid in worker_pids() if worker_pids is not None else ():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.inner.shutdown(cancel=True)


class _Running:
    """What the scheduler knows of a job it is running right now."""

    def __init__(self, log: JobLog) -> None:
        self.log = log
        self.executor: JobExecutor | None = None
        self.cancel_requested = threading.Event()


class Scheduler:
    """Queue and run the jobs of one DPU named ``name`` (see the module documentation).

    ``executor_factory()`` makes a new executor per job; ``context`` is the DPU's own acting
    context (its reads of job rows); each job runs with the creator as the acting user.
    """

    def __init__(self, database: Database, *, name: str, executor_factory: Callable[[], Any],
                 log_dir: Path, concurrency: int = 1, context: Context | None = None,
                 store: DataStore | None = None) -> None:
        if concurrency < 1:
            raise DpuError(f"DPU {name}: concurrency expected >= 1, found {concurrency}")
        self.database = database
        self.name = name
        self.host = socket.gethostname()
        self.log_dir = Path(log_dir)
        self._executor_factory = executor_factory
        self._context = context or Context(user="dpu", project="default")
        self._store = store
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._lock = threading.Lock()
        self._running: dict[int, _Running] = {}
        self._queued: set[int] = set()
        self._busy: set[str] = set()
        self._idle: list[Any] = []
        self._deferred: dict[str, list[int]] = {}
        self._threads = [threading.Thread(target=self._loop, name=f"dpu-job-{index}",
                                          daemon=True) for index in range(concurrency)]

    # -- sessions -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _as_service(self) -> Iterator[Any]:
        from common.persistent import session

        with session(self.database, self._context, store=self._store) as opened:
            yield opened

    @contextlib.contextmanager
    def _as_creator(self, creator: str) -> Iterator[Any]:
        """A session acting for the job's creator, under their database role where supported."""
        from common.persistent import session

        context = Context(user=creator, project=self._context.project,
                          privileges=self._context.privileges, site=self._context.site)
        acting_as = getattr(self.database, "acting_as", None)
        role = acting_as(creator) if acting_as is not None else contextlib.nullcontext()
        with role, session(self.database, context, store=self._store) as opened:
            yield opened

    def _job(self, job_id: int) -> Any:
        from common.process.jobs import Job

        return Job.get(int(job_id))

    # -- the calls a client makes ---------------------------------------------------------

    def start(self) -> list[int]:
        """Re-queue the unfinished jobs this DPU had taken, start the job threads."""
        resumed = self.resume()
        for thread in self._threads:
            thread.start()
        return resumed

    def resume(self) -> list[int]:
        """Queue again every unfinished job whose row names this DPU; return their ids."""
        from common.process.jobs import Job

        with self._as_service():
            ids = [job.job_id for job in Job.unfinished() if job.dpu == self.name]
        for job_id in sorted(ids):
            self._enqueue(job_id)
        return sorted(ids)

    def submit(self, job_id: int) -> dict[str, Any]:
        """Take the queued job ``job_id``; return its row."""
        with self._as_service():
            job = self._job(job_id)
            if job.state != "queued":
                raise DpuError(f"job {job_id}: expected state queued, found {job.state}")
            row = job_dict(job)
        self._enqueue(int(job_id))
        return row

    def _enqueue(self, job_id: int) -> None:
        with self._lock:
            if job_id in self._queued or job_id in self._running:
                return
            self._queued.add(job_id)
        self._queue.put(job_id)

    def status(self, job_id: int) -> dict[str, Any]:
        """The job's row as plain data."""
        with self._as_service():
            return job_dict(self._job(job_id))

    def jobs(self) -> list[dict[str, Any]]:
        """The rows of the jobs this DPU runs or ran, newest first."""
        from sqlalchemy import select

        from common.process.jobs import JOB_TABLE, Job

        with self._as_service() as opened:
            table = opened.table(JOB_TABLE.name)
            with opened.database.read() as connection:
                rows = connection.execute(select(table).where(table.c.dpu == self.name)
                                          .order_by(table.c.job_id.desc())).all()
        return [job_dict(Job(**row._mapping)) for row in rows]

    def logs(self, job_id: int) -> str:
        """The job's log: live while it runs, from the store once it ended."""
        with self._lock:
            running = self._running.get(int(job_id))
        if running is not None:
            return running.log.text()
        with self._as_service() as opened:
            job = self._job(job_id)
            if job.log_file:
                with opened.store.open(job.log_file) as stream:
                    return stream.read().decode("utf-8", errors="replace")
        path = self._log_path(int(job_id))
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def cancel(self, job_id: int) -> dict[str, Any]:
        """Cancel a queued or running job; return its row (a finished job is left as it is)."""
        job_id = int(job_id)
        with self._lock:
            running = self._running.get(job_id)
            if running is None:
                self._queued.discard(job_id)
        if running is not None:
            running.cancel_requested.set()
            running.log.write("cancel requested: stopping the workers")
            if running.executor is not None:
                running.executor.cancel()
            return self._wait_final(job_id)
        with self._as_service():
            job = self._job(job_id)
            if job.state == "queued":
                job.finish("cancelled", error="cancelled before it started")
            return job_dict(job)

    def _wait_final(self, job_id: int, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if job_id not in self._running:
                    break
            time.sleep(0.05)
        return self.status(job_id)

    def stop(self) -> None:
        """Stop taking jobs; running ones end with their executors (the threads are daemons)."""
        for _ in self._threads:
            self._queue.put(_STOP)
        with self._lock:
            running = list(self._running.values())
            idle, self._idle = self._idle, []
        for item in running:
            if item.executor is not None:
                item.executor.cancel()
        for executor in idle:
            executor.shutdown(cancel=True)

    def _take_executor(self) -> Any:
        """An idle executor of an earlier job (its workers warm), or a new one."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._executor_factory()

    def _give_back(self, executor: JobExecutor, *, reuse: bool) -> None:
        """Keep the executor of a job that ended well for the next job; stop any other."""
        if reuse:
            with self._lock:
                self._idle.append(executor.inner)
        else:
            executor.shutdown(cancel=True)

    # -- running a job --------------------------------------------------------------------

    def _log_path(self, job_id: int) -> Path:
        return self.log_dir / f"job-{job_id}.log"

    def _loop(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is _STOP:
                return
            with self._lock:
                if job_id not in self._queued:
                    continue  # cancelled while queued
            try:
                with self._as_service():
                    signature = _signature(self._job(job_id))
            except Exception as exc:  # a row that vanished or cannot be read: drop the id
                with self._lock:
                    self._queued.discard(job_id)
                JobLog(self._log_path(job_id)).write(f"not run: {exc}")
                continue
            with self._lock:
                if signature in self._busy:
                    # a job with equal keys runs: this one waits for it, so the second
                    # reuses what the first made instead of making it again
                    self._deferred.setdefault(signature, []).append(job_id)
                    continue
                self._busy.add(signature)
                self._queued.discard(job_id)
                running = self._running[job_id] = _Running(JobLog(self._log_path(job_id)))
            try:
                self._run(job_id, running)
            except Exception as exc:  # a job thread survives any one job
                running.log.write(f"scheduler error: {type(exc).__name__}: {exc}")
            finally:
                with self._lock:
                    self._running.pop(job_id, None)
                    self._busy.discard(signature)
                    waiting = self._deferred.pop(signature, [])
                for waiting_id in waiting:
                    self._queue.put(waiting_id)

    def _run(self, job_id: int, running: _Running) -> None:
        from common.process.target import process_target

        log = running.log
        with self._as_service():
            job = self._job(job_id)
            if job.state in FINAL_STATES:
                return
            creator = job.creator
            target, keys = job.target, job.keys or {}
            parameters = job.parameters or None
            if job.state == "running":
                log.write(f"DPU {self.name} restarted: re-planning job {job_id}")
            job.mark_running(self.host, self.name)
        log.write(f"job {job_id} for {creator} on DPU {self.name}@{self.host}: {target} {keys}")
        state, result, error = "failed", None, None
        try:
            running.executor = JobExecutor(self._take_executor())
            if running.cancel_requested.is_set():
                running.executor.cancel()
            with self._as_creator(creator):
                job = self._job(job_id)

                def progress(done: int, total: int, what: str) -> None:
                    log.write(f"{done}/{total} {what}")
                    job.report_progress(done, total, what)

                # process_target writes the plan to the row; the end is written below, with
                # the stored log
                outcome = process_target(target, keys, parameters=parameters,
                                         executor=running.executor, progress=progress,
                                         job=job)
            log.write(outcome.summary())
            state, result, error = outcome.state, outcome.to_dict(), outcome.error
        except Exception as exc:  # the job fails; the DPU goes on with the next one
            error = f"{exc.error_type}: {exc}" if isinstance(exc, AweError) \
                else f"{type(exc).__name__}: {exc}"
            state = "failed"
            log.write(f"{state}: {error}")
        finally:
            if running.executor is not None:
                self._give_back(running.executor, reuse=state == "done"
                                and not running.cancel_requested.is_set())
        if running.cancel_requested.is_set():
            state, error = "cancelled", "cancelled by the user"
        log.write(f"job {job_id} {state}")
        with self._as_service() as opened:
            name = self._store_log(opened.store, job_id, log.path)
            self._job(job_id).finish(state, result=result, error=error, log_file=name)

    @staticmethod
    def _store_log(store: DataStore, job_id: int, path: Path) -> str:
        """Store the log once as ``job-<id>.log``; return the name it got.

        A crash after an earlier store left that name with a shorter log, so the longer one
        gets ``job-<id>.<seconds>.log``.
        """
        name = f"job-{job_id}.log"
        try:
            store.put(path, name)
        except IntegrityError:
            name = f"job-{job_id}.{int(time.time())}.log"
            store.put(path, name)
        return name
