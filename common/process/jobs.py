"""The job table ``awe_job``: one mutable row per target request (DESIGN §6).

A job is submitted by inserting its row through the user's own session (so the database knows
who: ``creator``); the scheduler that runs it marks it running, reports progress, stores the
plan and finishes it with a state (done, failed, stopped or cancelled), the result ids and the
error. Unlike persistent objects the row changes in place, under a row lock (``FOR UPDATE``;
``SKIP LOCKED`` when a scheduler picks queued jobs on PostgreSQL). The table is registered when
this module is imported, which :mod:`common.process` does, so every connect of a data model
that uses process specs declares it; its grants and row-level security come from the generic
mechanism for tables with a ``creator`` column.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import insert, select, update

from common.database import (
    ColumnSpec,
    TableSpec,
    register_declaring,
    register_tables,
    utcnow,
)
from common.errors import NotFound, QueryError
from common.persistent.session import current_session

__all__ = ["FINAL_STATES", "JOB_TABLE", "STATES", "Job"]

STATES = ("queued", "running", "done", "failed", "stopped", "cancelled")
FINAL_STATES = ("done", "failed", "stopped", "cancelled")

JOB_TABLE = TableSpec(
    "awe_job",
    (
        ColumnSpec("job_id", "int", nullable=False, doc="job id (an object id)"),
        ColumnSpec("creator", "str", length=63, nullable=False, index=True,
                   doc="who submitted it"),
        ColumnSpec("state", "str", length=16, nullable=False, index=True,
                   doc="queued, running, done, failed, stopped or cancelled"),
        ColumnSpec("target", "str", length=128, nullable=False, doc="the class requested"),
        ColumnSpec("keys", "dict", doc="the key values requested"),
        ColumnSpec("parameters", "dict", doc="parameter-set ids by recipe"),
        ColumnSpec("plan", "dict", doc="the plan (Plan.to_dict())"),
        ColumnSpec("progress_done", "int", doc="steps done"),
        ColumnSpec("progress_total", "int", doc="steps in all"),
        ColumnSpec("progress_what", "str", length=255, doc="what is being done"),
        ColumnSpec("result", "dict", doc="the result (TargetResult.to_dict())"),
        ColumnSpec("error", "str", length=4000, doc="why it failed or stopped"),
        ColumnSpec("host", "str", length=255, doc="host that runs it"),
        ColumnSpec("dpu", "str", length=255, doc="DPU that runs it"),
        ColumnSpec("log_file", "str", length=255, doc="store name of its log"),
        ColumnSpec("created", "datetime", nullable=False, index=True, doc="submitted (UTC)"),
        ColumnSpec("started", "datetime", doc="started (UTC)"),
        ColumnSpec("finished", "datetime", doc="ended (UTC)"),
    ),
    primary_key=("job_id",),
    mutable=("state", "plan", "progress_done", "progress_total", "progress_what", "result",
             "error", "host", "dpu", "log_file", "started", "finished"),
    owner="Job",
    role="system",
    doc="target-processing jobs: state, plan, progress and result",
)

register_tables(JOB_TABLE)
register_declaring(__name__)

_ERROR_LENGTH = 4000
_WHAT_LENGTH = 255


def _json(value: Any) -> Any:
    """``value`` as plain JSON data (dates as ISO text)."""
    return json.loads(json.dumps(value, default=lambda item: item.isoformat()
                                 if isinstance(item, (dt.date, dt.datetime)) else str(item)))


@dataclass
class Job:
    """One row of ``awe_job``; the methods write through the current session's database."""

    job_id: int
    creator: str
    state: str
    target: str
    keys: dict[str, Any]
    parameters: dict[str, Any] | None
    plan: dict[str, Any] | None
    progress_done: int | None
    progress_total: int | None
    progress_what: str | None
    result: dict[str, Any] | None
    error: str | None
    host: str | None
    dpu: str | None
    log_file: str | None
    created: dt.datetime
    started: dt.datetime | None
    finished: dt.datetime | None

    @staticmethod
    def _table(session: Any = None) -> Any:
        session = session or current_session()
        return session, session.table(JOB_TABLE.name)

    @classmethod
    def _from_row(cls, row: Any) -> Job:
        mapping = row._mapping
        return cls(**{item.name: mapping[item.name] for item in fields(cls)})

    @classmethod
    def submit(cls, target: str, keys: Mapping[str, Any],
               parameters: Mapping[str, int] | None = None, session: Any = None) -> Job:
        """Insert a queued job for ``target`` with ``keys`` through ``session`` (its user)."""
        session, table = cls._table(session)
        if not isinstance(target, str) or not target:
            raise QueryError(f"Job.submit: target expected a class name, found {target!r}")
        job_id = session.database.allocate_ids(1)[0]
        values = {"job_id": job_id, "creator": session.context.user, "state": "queued",
                  "target": target, "keys": _json(dict(keys)),
                  "parameters": _json(dict(parameters or {})), "created": utcnow()}
        with session.database.write() as connection:
            connection.execute(insert(table).values(**values))
        return cls.get(job_id, session=session)

    @classmethod
    def get(cls, job_id: int, session: Any = None) -> Job:
        """The job ``job_id`` (raises :class:`NotFound` when there is none, or not visible)."""
        session, table = cls._table(session)
        with session.database.read() as connection:
            row = connection.execute(select(table).where(table.c.job_id == job_id)).first()
        if row is None:
            raise NotFound(f"no job {job_id} (or it is not visible)")
        return cls._from_row(row)

    @classmethod
    def unfinished(cls, session: Any = None) -> list[Job]:
        """The queued and running jobs, oldest first (what a restarted DPU picks up)."""
        session, table = cls._table(session)
        with session.database.read() as connection:
            rows = connection.execute(select(table)
                                      .where(table.c.state.in_(("queued", "running")))
                                      .order_by(table.c.created, table.c.job_id)).all()
        return [cls._from_row(row) for row in rows]

    def _update(self, *, allowed: tuple[str, ...] | None = None,
                **values: Any) -> None:
        """Change this row under a row lock; ``allowed``: the states it may be in."""
        session, table = self._table()
        with session.database.write() as connection:
            locked = select(table.c.state).where(table.c.job_id == self.job_id)
            if connection.dialect.name != "sqlite":
                locked = locked.with_for_update()
            state = connection.execute(locked).scalar()
            if state is None:
                raise NotFound(f"no job {self.job_id} (or it is not visible)")
            if allowed is not None and state not in allowed:
                raise QueryError(f"job {self.job_id}: expected state {' or '.join(allowed)}, "
                                 f"found {state}")
            connection.execute(update(table).where(table.c.job_id == self.job_id)
                               .values(**values))
        for name, value in values.items():
            setattr(self, name, value)

    def mark_running(self, host: str, dpu: str | None = None) -> None:
        """A scheduler on ``host`` (DPU ``dpu``) starts the job (queued or re-planned)."""
        self._update(allowed=("queued", "running"), state="running", host=host, dpu=dpu,
                     started=utcnow())

    def set_plan(self, plan: Mapping[str, Any]) -> None:
        """Record the plan (``Plan.to_dict()``)."""
        self._update(plan=_json(dict(plan)))

    def report_progress(self, done: int, total: int, what: str) -> None:
        """Record how far the job is: ``done`` of ``total`` steps, doing ``what``."""
        self._update(progress_done=int(done), progress_total=int(total),
                     progress_what=str(what)[:_WHAT_LENGTH])

    def finish(self, state: str, result: Mapping[str, Any] | None = None,
               error: str | None = None, log_file: str | None = None) -> None:
        """End the job in ``state`` (done, failed, stopped or cancelled)."""
        if state not in FINAL_STATES:
            raise QueryError(f"job {self.job_id}: finish expected one of "
                             f"{', '.join(FINAL_STATES)}, found {state!r}")
        self._update(allowed=("queued", "running"), state=state,
                     result=None if result is None else _json(dict(result)),
                     error=None if error is None else error[:_ERROR_LENGTH],
                     log_file=log_file, finished=utcnow())
