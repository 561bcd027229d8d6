"""The science chain run once per session on the small night, shared by the chain and adapter tests.

``science_chain`` runs bias → flat (+ trace) → wavecal → scibasic → scipost with the
recipes' public functions and default parameters on all 24 IFUs (``muse_scipost`` needs the
24 pixel tables of the exposure), two worker processes per per-IFU recipe.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from muse.instrument import SimulatedNight
from muse.recipes.bias import make_master_bias
from muse.recipes.flat import make_master_flat
from muse.recipes.scibasic import make_pixtable
from muse.recipes.scipost import ScipostResult, make_scipost
from muse.recipes.wavecal import make_wavecal

PROCESSES = 2


@dataclass(frozen=True)
class ScienceChain:
    """The files of one run of the chain: per-IFU calibrations and pixel tables, the cube."""

    night: SimulatedNight
    master_bias: dict[int, Path]
    master_flat: dict[int, Path]
    trace_table: dict[int, Path]
    wavecal_table: dict[int, Path]
    pixtables: dict[int, Path]
    scipost: ScipostResult

    @property
    def cube(self) -> Path:
        """The DATACUBE_FINAL."""
        return self.scipost.products["DATACUBE_FINAL"]


def _per_ifu(directory: Path, catg: str) -> dict[int, Path]:
    return {int(path.stem.rsplit("-", 1)[1]): path
            for path in sorted(directory.glob(f"{catg}-*.fits"))}


@pytest.fixture(scope="session")
def science_chain(small_night, tmp_path_factory) -> ScienceChain:
    """The small night reduced from raw frames to DATACUBE_FINAL and IMAGE_FOV (white)."""
    root = tmp_path_factory.mktemp("science-chain")
    statics = small_night.statics
    make_master_bias(small_night.bias_files, out_dir=root / "bias", processes=PROCESSES)
    biases = _per_ifu(root / "bias", "MASTER_BIAS")
    make_master_flat(small_night.flat_files, list(biases.values()), out_dir=root / "flat",
                     processes=PROCESSES)
    flats, traces = _per_ifu(root / "flat", "MASTER_FLAT"), _per_ifu(root / "flat", "TRACE_TABLE")
    make_wavecal(small_night.arc_files, list(biases.values()), list(traces.values()),
                 statics["LINE_CATALOG"], out_dir=root / "wavecal", processes=PROCESSES)
    wavecals = _per_ifu(root / "wavecal", "WAVECAL_TABLE")
    calibrations = {"MASTER_BIAS": list(biases.values()), "MASTER_FLAT": list(flats.values()),
                    "TRACE_TABLE": list(traces.values()),
                    "WAVECAL_TABLE": list(wavecals.values()),
                    "GEOMETRY_TABLE": [statics["GEOMETRY_TABLE"]]}
    make_pixtable(small_night.object_files, calibrations, out_dir=root / "pixtable",
                  processes=PROCESSES)
    pixtables = _per_ifu(root / "pixtable", "PIXTABLE_OBJECT_0001")
    scipost = make_scipost(list(pixtables.values()), extinct_table=statics["EXTINCT_TABLE"],
                           std_response=statics["STD_RESPONSE"],
                           filter_list=statics["FILTER_LIST"], out_dir=root / "scipost",
                           nthreads=PROCESSES)
    return ScienceChain(night=small_night, master_bias=biases, master_flat=flats,
                        trace_table=traces, wavecal_table=wavecals, pixtables=pixtables,
                        scipost=scipost)


@pytest.fixture(scope="session")
def fitsverify():
    """Run /usr/bin/fitsverify on a file; fail the test with its report unless it is clean.

    (The same fixture in tests/muse/recipes/conftest.py shadows this one there.)
    """
    program = shutil.which("fitsverify")
    assert program, "fitsverify is missing: make fitsverify (Debian package fitsverify)"

    def verify(path: Path) -> None:
        report = subprocess.run([program, str(path)], capture_output=True, text=True)
        assert report.returncode == 0, report.stdout + report.stderr
        assert "found 0 warning(s) and 0 error(s)" in report.stdout, report.stdout

    return verify
