"""Jobs on a DPU daemon on a loopback port, with the real recipes on the simulated night:
submit, wait, logs, cancel, kill -9 and restart, the Dask executor."""

from __future__ import annotations

import datetime as dt
import time

from dpu.client import Processor

NIGHT = dt.date(2016, 3, 14)


def _products(cls_name: str, ifu: int) -> list:
    from muse.datamodel import generated

    cls = getattr(generated, cls_name)
    return [obj for obj in cls.select_all() if obj.ifu == ifu and obj.night == NIGHT]


def test_submit_wait_logs(dpu_site, user_session, ingested_night) -> None:
    server = dpu_site.start("alpha")
    processor = Processor([dpu_site.uri(server)], token=dpu_site.token)
    started = time.monotonic()
    job_id = processor.run("MasterBias", night=NIGHT, ifu=1)
    seen: list[tuple[int, int, str]] = []
    row = processor.wait(job_id, progress=lambda *step: seen.append(step), timeout=300)
    assert row["state"] == "done", row
    user = user_session.context.user
    assert row["creator"] == user and row["dpu"] == "alpha"
    assert seen and seen[-1][0] == seen[-1][1] == 1, seen
    made = _products("MasterBias", 1)
    assert len(made) == 1 and made[0].object_id == row["result"]["root_id"]
    assert made[0].creator == user, "made under the job creator's name"
    log = processor.logs(job_id)
    assert f"job {job_id} for {user} on DPU alpha" in log and f"job {job_id} done" in log
    assert row["log_file"] == f"job-{job_id}.log"
    assert dpu_site.store().open(row["log_file"]).read().decode() == log
    assert [job["job_id"] for job in processor.jobs()][:1] == [job_id]
    again = processor.wait(processor.run("MasterBias", night=NIGHT, ifu=1), timeout=300)
    assert again["state"] == "done" and again["result"]["root_id"] == made[0].object_id
    assert len(_products("MasterBias", 1)) == 1, "an up-to-date product is reused"
    assert time.monotonic() - started < 300


def _wait_for(processor, job_id, condition, timeout=300.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        row = processor.status(job_id)
        if condition(row):
            return row
        assert row["state"] not in ("done", "failed", "stopped", "cancelled"), row
        assert time.monotonic() < deadline, row
        time.sleep(0.05)


def _workers(pid: int) -> set[int]:
    """The worker processes under a daemon (children of its forkserver)."""
    import psutil

    return {child.pid for child in psutil.Process(pid).children(recursive=True)
            if child.ppid() != pid}


def _complete(ifus: list[int], where) -> None:
    """Every flat committed came with its trace table, and every file is in the store."""
    for ifu in ifus:
        flats, traces = _products("MasterFlat", ifu), _products("TraceTable", ifu)
        assert len(flats) == len(traces) <= 1
        for product in (*flats, *traces, *_products("MasterBias", ifu)):
            # raises unless the file is in the store with its recorded sha256
            product.retrieve(where / product.filename)


def test_cancel_a_running_job(dpu_site, user_session, ingested_night, tmp_path) -> None:
    import psutil

    server = dpu_site.start("alpha")
    processor = Processor([dpu_site.uri(server)], token=dpu_site.token)
    ifus = [2, 3, 4]
    job_id = processor.run("MasterFlat", night=NIGHT, ifu=ifus)
    _wait_for(processor, job_id, lambda row: (row["progress_done"] or 0) >= 1)
    workers = _workers(server.process.pid)
    assert workers, "a worker runs the next recipe"
    row = processor.cancel(job_id)
    assert row["state"] == "cancelled" and row["error"] == "cancelled by the user"
    deadline = time.monotonic() + 30
    while any(psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
              for pid in workers):
        assert time.monotonic() < deadline, "the job's workers were stopped"
        time.sleep(0.1)
    made = sum(len(_products("MasterFlat", ifu)) for ifu in ifus)
    assert made < len(ifus), "the job stopped before the end"
    _complete(ifus, tmp_path)
    assert "cancel requested" in processor.logs(job_id)
    assert processor.info()["name"] == "alpha", "the DPU goes on"


def test_kill_and_restart_completes_the_job(dpu_site, user_session, ingested_night,
                                            tmp_path) -> None:
    import psutil

    server = dpu_site.start("beta")
    processor = Processor([dpu_site.uri(server)], token=dpu_site.token)
    ifus = [5, 6, 7]
    job_id = processor.run("MasterFlat", night=NIGHT, ifu=ifus)
    _wait_for(processor, job_id, lambda row: (row["progress_done"] or 0) >= 1)
    workers = _workers(server.process.pid)
    server.process.kill()
    server.process.wait(10)
    deadline = time.monotonic() + 30
    while any(psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
              for pid in workers):
        assert time.monotonic() < deadline, "workers die with the daemon"
        time.sleep(0.1)
    restarted = dpu_site.start("beta")
    assert any(f"re-planning unfinished jobs {job_id}" in line for line in restarted.output)
    processor = Processor([dpu_site.uri(restarted)], token=dpu_site.token)
    row = processor.wait(job_id, timeout=300)
    assert row["state"] == "done", row
    for ifu in ifus:
        assert len(_products("MasterBias", ifu)) == 1, "no duplicate products"
        assert len(_products("MasterFlat", ifu)) == 1
        assert len(_products("TraceTable", ifu)) == 1
    _complete(ifus, tmp_path)
    assert "restarted: re-planning" in processor.logs(job_id)


def test_dask_executor_and_two_clients(dpu_site, user_session, ingested_night, dask_cluster,
                                       tmp_path) -> None:
    import threading

    import numpy as np
    from astropy.io import fits

    from muse.recipes.bias import make_master_bias

    server = dpu_site.start("gamma", "--executor", "dask", "--scheduler",
                            dask_cluster.scheduler_address)
    uri = dpu_site.uri(server)
    assert Processor([uri], token=dpu_site.token).info()["executor"] == "dask"
    rows: dict[int, dict] = {}

    def client(ifu: int) -> None:
        from common.persistent import session

        # a client of its own, with a session of its own (sessions are per thread)
        with session(user_session.database, user_session.context, store=dpu_site.store()):
            processor = Processor([uri], token=dpu_site.token)
            rows[ifu] = processor.wait(processor.run("MasterBias", night=NIGHT, ifu=ifu),
                                       timeout=300)

    threads = [threading.Thread(target=client, args=(ifu,)) for ifu in (8, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(400)
    assert {ifu: row["state"] for ifu, row in rows.items()} == {8: "done", 9: "done"}
    for ifu in (8, 9):
        product, = _products("MasterBias", ifu)
        made = product.retrieve(tmp_path / f"dask-{ifu}.fits")
        direct = make_master_bias(ingested_night.bias_files,
                                  product.parameters.recipe_parameters(),
                                  tmp_path / f"direct-{ifu}", ifus=[ifu], processes=1)
        local = direct.ifus[ifu].files["MASTER_BIAS"]
        with fits.open(made) as a, fits.open(local) as b:
            assert [hdu.name for hdu in a] == [hdu.name for hdu in b]
            for hdu_a, hdu_b in zip(a, b, strict=True):
                if hdu_a.data is not None:
                    np.testing.assert_array_equal(hdu_a.data, hdu_b.data)
