"""A QC-failed MASTER BIAS stops its branch, the others finish; it is not remade for nothing.

The night's bias frames are ingested with IFU 2's extension three times as noisy (real
files, rewritten with astropy), so IFU 2's MASTER BIAS fails the muse.xml read-noise limit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from astropy.io import fits

from common.process.jobs import Job
from common.process.local import LocalExecutor
from common.process.target import process_target, run_job
from muse.datamodel import MasterBias, MasterFlat
from muse.instrument import amplified_noise

NOISY_IFU = 2


def _noisier(path: Path, directory: Path, factor: float = 3.0) -> Path:
    """A copy of raw file ``path`` with extension CHAN02's noise ``factor`` times larger."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / path.name
    with fits.open(path) as hdus:
        chip = hdus[f"CHAN{NOISY_IFU:02d}"]
        chip.data = amplified_noise(chip.data, factor)
        hdus.writeto(target)
    return target


def _node(cls, night, ifu) -> str:
    return f"{cls.__name__}(night={night.isoformat()},ifu={ifu})"


@pytest.mark.slow
def test_a_flagged_bias_stops_its_branch_only(small_night, night_db, tmp_path):
    night = small_night.night
    biases = [_noisier(path, tmp_path / "noisy") for path in small_night.bias_files[:3]]
    db = night_db([*biases, *small_night.flat_files[:3]])
    keys = {"night": night.isoformat(), "ifu": f"1,{NOISY_IFU}"}
    executor = LocalExecutor(2)
    try:
        job = Job.submit("MasterFlat", keys, session=db)
        result = run_job(job, executor=executor)
        made = {outcome.node_id for outcome in result.made}
        assert made == {_node(MasterBias, night, 1), _node(MasterFlat, night, 1)}
        stopped = {outcome.node_id: outcome for outcome in result.stopped}
        flagged = stopped[_node(MasterBias, night, NOISY_IFU)]
        bias = MasterBias.get(flagged.object_id)
        assert bias.quality_flags and not bias.is_selectable
        assert "failed QC: QC BIAS MASTER1 RON" in flagged.reason
        branch = stopped[_node(MasterFlat, night, NOISY_IFU)].reason
        assert f"needs {_node(MasterBias, night, NOISY_IFU)} {bias.object_id:#x}" in branch
        assert "BIAS MASTER1 RON" in branch
        row = Job.get(job.job_id)
        assert row.state == "stopped" and "BIAS MASTER1 RON" in row.error
        assert len(row.result["made"]) == 2 and row.plan["root"] == result.plan.root

        # asked again: the flagged bias is not remade from the same inputs
        again = process_target("MasterFlat", keys, executor=executor)
        assert not again.made, again.summary()
        reason = next(o.reason for o in again.stopped
                      if o.node_id == _node(MasterBias, night, NOISY_IFU))
        assert f"MasterBias {bias.object_id:#x} from the same inputs and parameters" in reason
        assert "override its QC" in reason and "BIAS MASTER1 RON" in reason

        # the way on: override its QC, and the flat of IFU 2 is made with it
        bias.override_qc("test: accepted for this test night")
        result = process_target("MasterFlat", keys, executor=executor)
        assert {o.node_id for o in result.made} == {_node(MasterFlat, night, NOISY_IFU)}
        flat = MasterFlat.get(result.made[0].object_id)
        assert flat.master_bias == bias
    finally:
        executor.shutdown()


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the same on every database
def test_awe_target_prints_the_plan_and_the_outcome(small_night, night_db, tmp_path):
    night_db([*small_night.bias_files[:3], *small_night.flat_files[:3]])
    environment = {**os.environ, "AWE_DATABASE": f"sqlite:///{tmp_path / 'target.sqlite'}",
                   "AWE_STORE_ROOT": str(tmp_path / "store"), "AWE_SITE": "0",
                   "PYTHONPATH": str(Path(__file__).resolve().parents[3])}

    def awe(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "awe.cli", "target", *args],
                              capture_output=True, text=True, timeout=600, env=environment)

    keys = [f"night={small_night.night.isoformat()}", "ifu=4"]
    dry = awe("MasterFlat", *keys, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[0].startswith("make  MasterFlat(night=2016-03-14,ifu=4): no "
                                                 "MasterFlat with these parameters yet")
    assert "  make  MasterBias(night=2016-03-14,ifu=4)" in dry.stdout
    assert "0 up to date, 2 to make, 0 stopped" in dry.stdout
    done = awe("MasterFlat", *keys, "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert "2 made, 0 reused, 0 stopped, 0 failed; result 0x" in done.stdout
    assert "awe target:" in done.stderr  # the progress lines
    again = awe("MasterFlat", *keys)
    assert again.returncode == 0 and "0 made, 2 reused" in again.stdout, again.stdout
    bad = awe("MasterFlat", "night=yesterday", "ifu=4")
    assert bad.returncode != 0
    assert "MasterFlat.night: expected an ISO date (2016-03-14), found 'yesterday'" in bad.stderr
