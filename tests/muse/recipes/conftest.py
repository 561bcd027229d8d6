"""Recipe runs on the small simulated night, made once per session and shared by the tests."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from muse.recipes.bias import make_master_bias
from muse.recipes.flat import make_master_flat
from muse.recipes.products import RecipeResult
from muse.recipes.wavecal import make_wavecal

WAVECAL_IFU = 5


@dataclass(frozen=True)
class Run:
    """A recipe run: its result and its output directory."""

    result: RecipeResult
    out: Path


@pytest.fixture(scope="session")
def truth(small_night):
    """The truth the small night was drawn from."""
    return small_night.load_truth()


@pytest.fixture(scope="session")
def bias_run(small_night, tmp_path_factory) -> Run:
    """MASTER_BIAS of every IFU of the small night, per-IFU files, default parameters."""
    out = tmp_path_factory.mktemp("master-bias")
    return Run(make_master_bias(small_night.bias_files, out_dir=out), out)


@pytest.fixture(scope="session")
def flat_run(small_night, bias_run, tmp_path_factory) -> Run:
    """MASTER_FLAT and TRACE_TABLE of every IFU, from the per-IFU master biases."""
    out = tmp_path_factory.mktemp("master-flat")
    biases = sorted(bias_run.out.glob("MASTER_BIAS-*.fits"))
    return Run(make_master_flat(small_night.flat_files, biases, out_dir=out), out)


@pytest.fixture(scope="session")
def wavecal_run(small_night, bias_run, flat_run, tmp_path_factory) -> Run:
    """WAVECAL_TABLE of IFU 5 (the arcs take a while) from the small night's three arcs."""
    out = tmp_path_factory.mktemp("wavecal")
    ifu = WAVECAL_IFU
    return Run(make_wavecal(small_night.arc_files, bias_run.out / f"MASTER_BIAS-{ifu:02d}.fits",
                            flat_run.out / f"TRACE_TABLE-{ifu:02d}.fits",
                            small_night.statics["LINE_CATALOG"], out_dir=out, ifus=[ifu]), out)


@pytest.fixture(scope="session")
def fitsverify():
    """Run /usr/bin/fitsverify on a file; fail the test with its report unless it passes."""
    program = shutil.which("fitsverify")
    assert program, "fitsverify is missing: make fitsverify (Debian package fitsverify)"

    def verify(path: Path) -> None:
        report = subprocess.run([program, str(path)], capture_output=True, text=True)
        assert report.returncode == 0, report.stdout + report.stderr
        assert "found 0 warning(s) and 0 error(s)" in report.stdout, report.stdout

    return verify
