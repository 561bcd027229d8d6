"""The worker and the local executor: range reads through the store, products stored, QC and
attributes back as plain data, failures named by node, workers that die with their parent."""

from __future__ import annotations

import hashlib
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from common.process.executor import Executor
from common.process.local import InlineExecutor, LocalExecutor
from common.process.worker import RUN_MARKER, SCHEDULER_PREFIX, run_task

ADAPTER = "tests.common.process.task_adapters:joined"


def _raw(local_store, tmp_path):
    """A stored 'raw file': a 10-byte primary part and two 'extensions'."""
    source = tmp_path / "raw.bin"
    source.write_bytes(b"PRIMARY..." + b"A" * 30 + b"B" * 20)
    local_store.put(source, "raw.bin")
    whole = tmp_path / "cal.bin"
    whole.write_bytes(b"CALIBRATION")
    local_store.put(whole, "cal.bin")


def _task(local_store, tmp_path, node_id="Product(ifu=2)", **params):
    return {"node_id": node_id, "adapter": ADAPTER,
            "inputs": {"raw": [{"name": "raw.bin", "offset": 40, "size": 20,
                                "primary_size": 10}],
                       "z_cal": [{"name": "cal.bin", "offset": None, "size": None}]},
            "params": params, "store": local_store.config(), "workdir": str(tmp_path / "work"),
            "outputs": {"Product": f"PRODUCT.{node_id[-2]}.bin"}}


def test_run_task_reads_ranges_and_stores_the_product(local_store, tmp_path):
    _raw(local_store, tmp_path)
    task = _task(local_store, tmp_path)
    result = InlineExecutor().submit(task).result()
    expected = b"PRIMARY..." + b"B" * 20 + b"CALIBRATION"
    assert result["files"] == ["PRODUCT.2.bin"]
    assert result["products"]["Product"] == {
        "name": "PRODUCT.2.bin", "size": len(expected),
        "sha256": hashlib.sha256(expected).hexdigest()}
    assert local_store.open("PRODUCT.2.bin").read() == expected
    assert result["qc"] == {"Product": {"JOINED SIZE": len(expected)}}
    assert result["attributes"]["Product"]["made"] == "2016-03-15T01:02:03"
    assert pickle.loads(pickle.dumps(result)) == result
    assert list((tmp_path / "work").iterdir()) == []  # the task's own directory is gone


def test_tasks_of_one_node_at_once_do_not_share_a_directory(local_store, tmp_path):
    _raw(local_store, tmp_path)
    first, second = _task(local_store, tmp_path, sleep=1.0), _task(local_store, tmp_path)
    second["outputs"] = {"Product": "PRODUCT.again.bin"}
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(run_task, first)
        time.sleep(0.3)
        fast = pool.submit(run_task, second)
        assert fast.result(60)["files"] == ["PRODUCT.again.bin"]
        assert slow.result(60)["files"] == ["PRODUCT.2.bin"]


def test_a_task_keeps_a_running_schedulers_directory(local_store, tmp_path):
    _raw(local_store, tmp_path)
    task = _task(local_store, tmp_path)
    running = tmp_path / f"{SCHEDULER_PREFIX}running"
    running.mkdir()
    (running / RUN_MARKER).touch()
    ended = tmp_path / f"{SCHEDULER_PREFIX}ended"
    run_task({**task, "workdir": str(running)})
    run_task({**task, "workdir": str(ended), "outputs": {"Product": "PRODUCT.late.bin"}})
    assert [path.name for path in running.iterdir()] == [RUN_MARKER]
    assert not ended.exists()  # a straggler of an ended run leaves nothing behind


def test_a_failing_adapter_names_the_node(local_store, tmp_path):
    _raw(local_store, tmp_path)
    with pytest.raises(RuntimeError, match=r"Product\(ifu=2\): ValueError: asked to fail: yes"):
        run_task(_task(local_store, tmp_path, fail="yes"))
    bad = _task(local_store, tmp_path)
    bad["inputs"]["raw"][0]["primary_size"] = None
    with pytest.raises(RuntimeError, match="raw.bin: a byte range needs the primary header size"):
        run_task(bad)


def test_local_executor_runs_tasks_in_parallel_workers(local_store, tmp_path):
    _raw(local_store, tmp_path)
    executor = LocalExecutor(2)
    assert isinstance(executor, Executor)
    try:
        futures = [executor.submit(_task(local_store, tmp_path, f"Product(ifu={n})", sleep=0.5))
                   for n in (1, 2)]
        results = [future.result(timeout=60) for future in futures]
    finally:
        executor.shutdown()
    pids = {result["attributes"]["Product"]["pid"] for result in results}
    assert len(pids) == 2 and os.getpid() not in pids
    threads = str(max(1, (os.cpu_count() or 1) // 2))
    assert {result["attributes"]["Product"]["threads"] for result in results} == {threads}
    assert sorted(name for result in results for name in result["files"]) == [
        "PRODUCT.1.bin", "PRODUCT.2.bin"]
    with pytest.raises(ValueError, match="workers expected an integer >= 1, found 0"):
        LocalExecutor(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_die_when_the_scheduler_is_killed(local_store, tmp_path):
    _raw(local_store, tmp_path)
    started = tmp_path / "started"
    task = _task(local_store, tmp_path, sleep=120, started=str(started))
    script = textwrap.dedent(f"""
        import sys, time
        from common.process.local import LocalExecutor
        executor = LocalExecutor(2)
        executor.submit({task!r})
        while not __import__('os').path.exists({str(started)!r}):
            time.sleep(0.05)
        print(' '.join(map(str, executor.worker_pids())), flush=True)
        time.sleep(300)
    """)
    scheduler = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                 text=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        line = scheduler.stdout.readline()
        workers = [int(pid) for pid in line.split()]
        assert workers and int(started.read_text()) in workers
        os.kill(scheduler.pid, signal.SIGKILL)
        scheduler.wait(10)
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers), "orphaned workers"
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
            scheduler.wait(10)
        scheduler.stdout.close()
