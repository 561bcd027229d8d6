"""`awe demo` tells the whole story on the small geometry; summary.json and the database agree.

One run of the real command in a subprocess (what `make demo` runs), then the story asserted
step by step: what was made, reused and stopped, against the rows the database holds. The
same story runs again with ``--federated``: two peered data servers and a DPU daemon.
"""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.config import Context
from common.database import connect
from common.persistent import session as open_session

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["local", "federated"])
def demo(request, tmp_path_factory):
    directory = tmp_path_factory.mktemp("demo") / "story"
    federated = ["--federated"] if request.param == "federated" else []
    result = subprocess.run([sys.executable, "-m", "awe", "demo", "--dir", str(directory),
                             *federated],
                            capture_output=True, text=True, timeout=1500,
                            env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((directory / "summary.json").read_text())
    return directory, summary, result.stdout


def _step(summary, name):
    return next(step for step in summary["steps"] if step["step"] == name)


def _made(step):
    return {(entry["class"], entry["node"]) for entry in step["made"]}


def _classes(entries):
    return sorted(entry["class"] for entry in entries)


def test_the_night_is_ingested_and_calibrated(demo):
    _directory, summary, out = demo
    assert _step(summary, "simulate")["files"] == {"ARC": 3, "BIAS": 5, "FLAT": 5, "OBJECT": 1}
    ingest = _step(summary, "ingest")
    assert ingest["ingested"] == 19
    made = [entry for job in ingest["jobs"] for entry in job["made"]]
    assert _classes(made).count("MasterBias") == 24
    assert _classes(made).count("WavecalTable") == 24
    assert "the plan (awe target DataCube" in out and "lineage of" in out


def test_the_cube_is_made_from_the_calibrations(demo):
    _, summary, _ = demo
    first = _step(summary, "datacube")
    assert first["state"] == "done" and first["cube_id"]
    assert _classes(first["made"]) == ["DataCube"] + ["PixTable"] * 24
    assert not first["stopped"]


def test_an_invalid_bias_chip_remakes_only_its_branch(demo):
    _, summary, _ = demo
    again = _step(summary, "after-invalidation")
    nodes = {node for _, node in _made(again)}
    per_ifu = {node for node in nodes if "ifu=" in node}
    assert per_ifu and all(node.endswith("ifu=5)") for node in per_ifu), nodes
    assert {"MasterBias", "MasterFlat", "PixTable", "DataCube"} <= set(_classes(again["made"]))
    assert again["cube_id"] != _step(summary, "datacube")["cube_id"]


def test_a_qc_failed_bias_stops_its_branch_and_is_not_remade(demo):
    _, summary, _ = demo
    failed = _step(summary, "qc-failure")
    assert failed["state"] == "stopped"
    assert failed["made"] == []  # the remade MASTER BIAS 7 failed QC: it stops, see below
    stopped = {entry["node"]: entry for entry in failed["stopped"]}
    bias = stopped["MasterBias(night=2016-03-14,ifu=7)"]
    assert "failed QC" in bias["reason"] and "RON" in bias["reason"] and bias["object_id"]
    assert set(stopped) == {"MasterBias(night=2016-03-14,ifu=7)",
                            "MasterFlat(night=2016-03-14,ifu=7)",
                            "WavecalTable(night=2016-03-14,ifu=7)",
                            "PixTable(exposure=MUSE.2016-03-15T03:00:04.228,ifu=7)",
                            "DataCube(exposure=MUSE.2016-03-15T03:00:04.228)"}
    again = _step(summary, "asked-again")
    assert again["state"] == "stopped" and again["made"] == []
    assert "not remade" in {entry["node"]: entry for entry in again["stopped"]}[
        "MasterBias(night=2016-03-14,ifu=7)"]["reason"]


def test_the_optimised_cube_sits_next_to_the_reference(demo):
    directory, summary, _ = demo
    optimised = _step(summary, "optimised-scipost")
    assert _classes(optimised["made"]) == ["DataCube"]
    compare = _step(summary, "compare")
    assert Path(compare["png"]).stat().st_size > 10_000
    assert Path(summary["white_light_png"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from muse.datamodel import DataCube, MasterBias

    database = connect(f"sqlite:///{directory / 'awe.sqlite'}")
    demo_user = Context(user=getpass.getuser(), project="default", privileges=1)
    with open_session(database, demo_user):
        cubes = DataCube.select_all()
        assert len(cubes) == 3
        reference = DataCube.get(summary["reference_cube"])
        assert reference.parameters != DataCube.get(summary["optimised_cube"]).parameters
        flagged = (MasterBias.ifu == 7) & (MasterBias.quality_flags > 0)
        assert len(flagged) == 1
        assert len(MasterBias.ifu == 5) == 2 and len(MasterBias.ifu == 1) == 1


def test_raw_data_and_products_on_their_nodes_data_servers(demo):
    directory, summary, out = demo
    names = {path.name for path in directory.rglob("MASTER_BIAS-*.fits")}
    assert len(names) == 26
    if not summary["federated"]:
        assert not (directory / "servers").exists()
        return
    assert "federated: data servers and a DPU daemon" in out
    products, raw = (directory / "servers" / f"store{n}" for n in (1, 2))
    # the DPU's node stored the products; it read the raw data through its server's peer
    assert {path.name for path in products.rglob("MASTER_BIAS-*.fits")} == names
    assert not list(raw.rglob("MASTER_BIAS-*.fits"))
    assert len({path.name for path in raw.rglob("MUSE.*.fits")}) == 15
    assert not (directory / "store").exists()
