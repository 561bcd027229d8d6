"""A worker killed mid-recipe: nothing half-committed, and the job names the node that failed."""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time

import pytest

from common.process.jobs import Job
from common.process.local import LocalExecutor
from common.process.target import process_target, run_job
from muse.datamodel import MasterBias, MasterFlat, TraceTable


def _kill_when_running(executor: LocalExecutor, root, prefix: str, killed: list) -> None:
    """Kill -9 the worker once a task whose node starts with ``prefix`` is in its recipe."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        for out in root.glob(f"awe-target-*/{prefix}*/out"):
            for pid in executor.worker_pids():
                os.kill(pid, signal.SIGKILL)
                killed.append((pid, out.parent.name))
            return
        time.sleep(0.01)


@pytest.mark.slow
def test_a_worker_killed_mid_recipe(small_night, night_db, tmp_path, monkeypatch):
    db = night_db([*small_night.bias_files[:3], *small_night.flat_files[:3]])
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    night = small_night.night.isoformat()
    keys = {"night": night, "ifu": 6}
    executor = LocalExecutor(1)
    killed: list = []
    killer = threading.Thread(target=_kill_when_running,
                              args=(executor, work, "MasterFlat", killed))
    killer.start()
    try:
        job = Job.submit("MasterFlat", keys, session=db)
        result = run_job(job, executor=executor)
    finally:
        killer.join()
        executor.shutdown()
    assert killed, "the recipe finished before the worker could be killed"
    node = f"MasterFlat(night={night},ifu=6)"
    assert [outcome.node_id for outcome in result.failed] == [node]
    assert [outcome.class_name for outcome in result.made] == ["MasterBias"]
    row = Job.get(job.job_id)
    assert row.state == "failed" and row.error.startswith(node), row.error
    assert "BrokenProcessPool" in row.error or "terminated abruptly" in row.error
    # nothing half-committed: the bias made before is there, no flat nor trace table
    assert len(MasterBias.ifu == 6) == 1
    assert len(MasterFlat.ifu == 6) == 0 and len(TraceTable.ifu == 6) == 0
    assert not list(work.glob("awe-target-*")), "the work directory is removed"

    # asked again, with a new pool: the flat is made, the bias reused
    fresh = LocalExecutor(1)
    try:
        again = process_target("MasterFlat", keys, executor=fresh)
    finally:
        fresh.shutdown()
    assert [o.class_name for o in again.made] == ["MasterFlat"], again.summary()
    assert [o.class_name for o in again.reused] == ["MasterBias"]
