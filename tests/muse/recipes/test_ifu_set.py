"""The IFU set of a run comes from every input: a CHANnn missing anywhere is an error."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from astropy.io import fits

from awe.cli import main
from common.errors import RecipeError
from muse.recipes.bias import make_master_bias


@pytest.fixture
def five_biases(small_night, tmp_path) -> list[Path]:
    """Private copies of the five raw BIAS files, in the order they sort."""
    folder = tmp_path / "raw"
    folder.mkdir()
    return sorted(Path(shutil.copy(path, folder)) for path in small_night.bias_files)


def cut_after(path: Path, name: str) -> None:
    """Truncate ``path`` right after the HDU ``name``: a valid FITS file with fewer IFUs."""
    with fits.open(path) as hdul:
        index = hdul.index_of(name)
        end = hdul[index + 1].fileinfo()["hdrLoc"]
    os.truncate(path, end)


@pytest.mark.parametrize("position", [0, -1], ids=["sorts-first", "sorts-last"])
def test_a_file_cut_after_chan18_fails_wherever_it_sorts(five_biases, tmp_path, capsys,
                                                        position):
    cut = five_biases[position]
    cut_after(cut, "CHAN18")
    out = tmp_path / "out"
    status = main(["recipe", "bias", *map(str, five_biases), "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 1, captured.out
    error = captured.err.strip().splitlines()[-1]
    assert error.startswith("awe: RecipeError: ")
    assert f"{cut}: extension CHAN19: no HDU with EXTNAME = 'CHAN19'" in error
    assert not out.exists() or not list(out.glob("*.fits"))


def test_only_the_requested_ifus_are_needed(five_biases, tmp_path, capsys):
    cut_after(five_biases[0], "CHAN18")
    status = main(["recipe", "bias", *map(str, five_biases), "--out", str(tmp_path / "a"),
                   "--nifu=18"])
    assert status == 0, capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "a").glob("*.fits")) == ["MASTER_BIAS-18.fits"]
    result = make_master_bias(five_biases, out_dir=tmp_path / "b", ifus=[2, 17])
    assert sorted(result.units) == [2, 17]
    with pytest.raises(RecipeError, match=f"{five_biases[0]}: extension CHAN20"):
        make_master_bias(five_biases, out_dir=tmp_path / "c", ifus=[2, 20])
