"""The Dask executor runs the same tasks as the local one, with the same products."""

from __future__ import annotations

import pytest

from common.errors import ConfigError, DpuError
from common.process.executor import Executor
from common.process.local import LocalExecutor
from dpu.executors import DaskExecutor, executor_factory

ADAPTER = "tests.common.process.task_adapters:joined"


def _task(store, tmp_path, ifu: int, **params):
    return {"node_id": f"Product(ifu={ifu})", "adapter": ADAPTER,
            "inputs": {"raw": [{"name": "raw.bin", "offset": 10 + 10 * ifu, "size": 10,
                                "primary_size": 10}]},
            "params": params, "store": store.config(), "workdir": str(tmp_path / "work"),
            "outputs": {"Product": f"PRODUCT.{ifu}.{params.get('run', 'a')}.bin"}}


def test_dask_and_local_make_the_same_products(dask_cluster, local_store, tmp_path) -> None:
    source = tmp_path / "raw.bin"
    source.write_bytes(b"PRIMARY..." + b"".join(bytes([65 + ifu]) * 10 for ifu in range(5)))
    local_store.put(source, "raw.bin")
    dask = DaskExecutor(dask_cluster.scheduler_address)
    local = LocalExecutor(2)
    assert isinstance(dask, Executor)
    try:
        remote = [dask.submit(_task(local_store, tmp_path, ifu, run="dask")) for ifu in range(4)]
        here = [local.submit(_task(local_store, tmp_path, ifu, run="local"))
                for ifu in range(4)]
        remote_results = [future.result(120) for future in remote]
        local_results = [future.result(120) for future in here]
    finally:
        dask.shutdown()
        local.shutdown()
    for ifu, (a, b) in enumerate(zip(remote_results, local_results, strict=True)):
        assert a["products"]["Product"]["sha256"] == b["products"]["Product"]["sha256"]
        assert a["qc"] == b["qc"] == {"Product": {"JOINED SIZE": 20}}
        assert local_store.open(f"PRODUCT.{ifu}.dask.bin").read() == \
            b"PRIMARY..." + bytes([65 + ifu]) * 10
    ran_on = {result["attributes"]["Product"]["pid"] for result in remote_results}
    assert ran_on <= _worker_pids(dask_cluster), "the Dask tasks ran in the cluster's workers"


def _worker_pids(cluster) -> set[int]:
    import os

    from distributed import Client

    with Client(cluster.scheduler_address, set_as_default=False) as client:
        return set(client.run(os.getpid).values())


def test_dask_failure_names_the_node(dask_cluster, local_store, tmp_path) -> None:
    source = tmp_path / "raw.bin"
    source.write_bytes(b"PRIMARY..." + b"A" * 20)
    local_store.put(source, "raw.bin")
    dask = DaskExecutor(dask_cluster.scheduler_address)
    try:
        future = dask.submit(_task(local_store, tmp_path, 0, fail="on purpose"))
        with pytest.raises(RuntimeError, match=r"Product\(ifu=0\): ValueError: asked to fail"):
            future.result(120)
    finally:
        dask.shutdown()


def test_bad_executor_settings() -> None:
    with pytest.raises(ConfigError, match="expected --scheduler"):
        executor_factory("dask", workers=1)
    with pytest.raises(ConfigError, match="expected one of local, dask, found 'slurm'"):
        executor_factory("slurm", workers=1)
    with pytest.raises(DpuError, match="Dask scheduler tcp://127.0.0.1:9: cannot connect"):
        DaskExecutor("tcp://127.0.0.1:9", timeout=2)
