"""Automatic calibration: the night-completeness rule on a simulated night, and ``awe watch``
filling a directory during the test."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from awe.nightly import NightTracker, frame_of
from common.process.jobs import JOB_TABLE, Job

NIGHT = dt.date(2016, 3, 14)


def test_templates_complete_the_night(small_night) -> None:
    tracker = NightTracker(settle=None)
    for path in small_night.object_files:
        tracker.add(frame_of(path), now=0.0)
    assert tracker.pending() == [], "science files do not make a night pending"
    for path in small_night.bias_files[:4]:
        tracker.add(frame_of(path), now=1.0)
    missing = tracker.missing(NIGHT)
    assert "template 2016-03-15T11:30:00 (BIAS) has 4 of 5 exposures" in missing
    assert "no complete FLAT,LAMP template" in missing and "no complete WAVE template" in missing
    assert tracker.ready(now=1e9) == [], "without --settle an incomplete night never is ready"
    for path in [small_night.bias_files[4], *small_night.flat_files, *small_night.arc_files]:
        tracker.add(frame_of(path), now=2.0)
    assert tracker.missing(NIGHT) == []
    assert tracker.ready(now=2.0) == [NIGHT]
    assert tracker.ready(now=3.0) == [], "a night is submitted once"
    tracker.add(frame_of(small_night.arc_files[0]), now=4.0)
    assert tracker.ready(now=4.0) == [NIGHT], "new calibration files make it pending again"


def test_settle_time(small_night) -> None:
    tracker = NightTracker(settle=600.0)
    for path in small_night.bias_files[:2]:
        tracker.add(frame_of(path), now=100.0)
    assert tracker.ready(now=699.0) == []
    assert tracker.ready(now=700.0) == [NIGHT]


def test_static_calibrations_are_not_night_frames(small_night) -> None:
    statics = [path for path in small_night.directory.glob("*.fits")
               if path not in {*small_night.bias_files, *small_night.flat_files,
                               *small_night.arc_files, *small_night.object_files}]
    assert statics, "the simulated night ships static calibrations"
    assert all(frame_of(path) is None for path in statics)


def _jobs(session) -> list[Job]:
    from sqlalchemy import select

    table = session.table(JOB_TABLE.name)
    with session.database.read() as connection:
        rows = connection.execute(select(table).order_by(table.c.job_id)).all()
    return [Job(**row._mapping) for row in rows]


@pytest.mark.slow
def test_watch_ingests_and_submits_a_complete_night(dpu_site, user_session, small_night,
                                                     tmp_path, python, background) -> None:
    # The DPU's executor cannot reach its Dask scheduler, so every job ends at once: this
    # test is about what is ingested and submitted, the job tests run the recipes.
    dpu = dpu_site.start("watcher", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9")
    before = {job.job_id for job in _jobs(user_session)}
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    watch = background([python, "-m", "awe.cli", "watch", str(incoming), "--interval", "0.3",
                        "--settle", "1h"],
                       {**dpu_site.env, "AWE_DPU": dpu_site.uri(dpu), "AWE_USER": "tester"})
    first = small_night.bias_files[:3]
    rest = [*small_night.bias_files[3:], *small_night.flat_files, *small_night.arc_files,
            *small_night.object_files]
    for path in first:
        os.link(path, incoming / path.name)
    deadline = time.monotonic() + 120
    while sum("ingested" in line for line in watch.output) < 3:
        assert time.monotonic() < deadline, "".join(watch.output)
        time.sleep(0.2)
    assert not any("submitted" in line for line in watch.output), "an incomplete night waits"
    (incoming / "later").mkdir()
    for path in rest:
        os.link(path, incoming / "later" / path.name)
    while not any("submitted jobs" in line for line in watch.output):
        assert time.monotonic() < deadline, "".join(watch.output)
        time.sleep(0.2)
    assert sum("ingested" in line for line in watch.output) == 3 + len(rest)
    assert any(f"night {NIGHT}: calibration set complete" in line for line in watch.output)
    jobs = [job for job in _jobs(user_session) if job.job_id not in before]
    assert [(job.target, job.keys["ifu"]) for job in jobs] == [
        (target, list(range(1, 25))) for target in ("MasterFlat", "WavecalTable")]
    assert {job.keys["night"] for job in jobs} == {NIGHT.isoformat()}
    # the watching process's own session: on PostgreSQL the login role, else AWE_USER
    user = user_session.database.current_user or "tester"
    assert {job.creator for job in jobs} == {user}, "submitted through the user's session"
    assert watch.stop() == 0
    assert "watch stopped" in "".join(watch.output)


@pytest.mark.slow
def test_ingest_process_calibrations(dpu_site, user_session, small_night, python,
                                     background) -> None:
    dpu = dpu_site.start("ingester", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9")
    env = {**dpu_site.env, "AWE_DPU": dpu_site.uri(dpu)}
    before = {job.job_id for job in _jobs(user_session)}
    partial = background([python, "-m", "awe.cli", "ingest", "--commit",
                          "--process-calibrations", *map(str, small_night.bias_files[:4])], env)
    assert partial.process.wait(120) == 0, "".join(partial.output)
    partial.stop()
    assert (f"night {NIGHT}: calibration set incomplete, not submitted: template "
            "2016-03-15T11:30:00 (BIAS) has 4 of 5 exposures") in "".join(partial.output)
    assert {job.job_id for job in _jobs(user_session)} == before
    files = [*small_night.bias_files, *small_night.flat_files, *small_night.arc_files]
    whole = background([python, "-m", "awe.cli", "ingest", "--commit",
                        "--process-calibrations", *map(str, files)], env)
    assert whole.process.wait(120) == 0, "".join(whole.output)
    whole.stop()
    assert f"night {NIGHT}: calibration set complete; submitted jobs" in "".join(whole.output)
    jobs = [job for job in _jobs(user_session) if job.job_id not in before]
    assert [job.target for job in jobs] == ["MasterFlat", "WavecalTable"]
