"""Bad inputs: a RecipeError naming file, extension and keyword, and no product left behind."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from astropy.io import fits

from common.errors import RecipeError
from muse.recipes.bias import make_master_bias
from muse.recipes.flat import make_master_flat


@pytest.fixture
def biases(small_night, tmp_path) -> list[Path]:
    """Private copies of three raw BIAS files, to be damaged by the test."""
    folder = tmp_path / "raw"
    folder.mkdir()
    return [Path(shutil.copy(path, folder)) for path in small_night.bias_files[:3]]


def set_keyword(path: Path, extension: int | str, key: str, value: object) -> None:
    with fits.open(path, mode="update", do_not_scale_image_data=True) as hdul:
        hdul[extension].header[key] = value


def drop_extension(path: Path, name: str) -> None:
    with fits.open(path, do_not_scale_image_data=True) as hdul:
        kept = fits.HDUList([hdu for hdu in hdul if hdu.name != name])
        kept.writeto(path.with_suffix(".new"))
    os.replace(path.with_suffix(".new"), path)


def assert_nothing_written(out: Path) -> None:
    assert not out.exists() or not list(out.iterdir())


def test_too_few_inputs(biases, tmp_path):
    with pytest.raises(RecipeError, match="expected at least 3 BIAS frames, found 2"):
        make_master_bias(biases[:2], out_dir=tmp_path / "out")
    assert_nothing_written(tmp_path / "out")


def test_missing_extension_is_named(biases, tmp_path):
    drop_extension(biases[1], "CHAN07")
    with pytest.raises(RecipeError) as error:
        make_master_bias(biases, out_dir=tmp_path / "out")
    message = str(error.value)
    assert str(biases[1]) in message and "CHAN07" in message and "EXTNAME" in message
    drop_extension(biases[0], "CHAN07")
    with pytest.raises(RecipeError, match=r"extension CHAN07: no HDU with EXTNAME = 'CHAN07'"):
        make_master_bias(biases, out_dir=tmp_path / "out", ifus=[7])
    assert_nothing_written(tmp_path / "out")


@pytest.mark.parametrize("extension, key, value, ifu", [
    (0, "HIERARCH ESO DET READ CURID", 2, None),
    (0, "HIERARCH ESO DET BINX", 2, None),
    ("CHAN04", "HIERARCH ESO DET CHIP ID", "ESO-CCD-#999", 4),
    ("CHAN04", "HIERARCH ESO DET CHIP NAME", "OTHER", 4),
])
def test_setup_mismatch_is_named(biases, tmp_path, extension, key, value, ifu):
    set_keyword(biases[2], extension, key, value)
    with pytest.raises(RecipeError) as error:
        make_master_bias(biases, out_dir=tmp_path / "out", ifus=None if ifu is None else [ifu])
    message = str(error.value)
    assert str(biases[2]) in message
    assert f"'{key.removeprefix('HIERARCH ')}'" in message
    assert repr(value) in message
    if ifu is not None:
        assert f"[CHAN{ifu:02d}]" in message
    assert_nothing_written(tmp_path / "out")


def test_truncated_data_leaves_no_product(biases, tmp_path):
    size = biases[2].stat().st_size
    os.truncate(biases[2], size - 100_000)
    out = tmp_path / "out"
    with pytest.raises(RecipeError) as error:
        make_master_bias(biases, out_dir=out, ifus=[1, 24])
    message = str(error.value)
    assert f"{biases[2]}[CHAN24]" in message and "'NAXIS2'" in message
    assert "truncated" in message
    assert_nothing_written(out)


def test_truncated_in_the_headers(biases, tmp_path):
    with open(biases[0], "rb") as stream:
        stream.seek(0)
        head = stream.read(biases[0].stat().st_size // 3)
    biases[0].write_bytes(head)
    with pytest.raises(RecipeError) as error:
        make_master_bias(biases, out_dir=tmp_path / "out", ifus=[20])
    message = str(error.value)
    assert str(biases[0]) in message and "CHAN20" in message and "truncated" in message


def test_failure_in_a_worker_process_leaves_no_product(biases, tmp_path):
    set_keyword(biases[1], "CHAN24", "HIERARCH ESO DET OUT2 GAIN", -1.0)
    out = tmp_path / "out"
    with pytest.raises(RecipeError, match=r"\[CHAN24\]: keyword 'ESO DET OUT2 GAIN'"):
        make_master_bias(biases, {"nifu": -1}, out, ifus=[2, 24], processes=2, merge=True)
    assert out.is_dir() and not list(out.iterdir())


def test_wrong_category_and_unreadable_files(biases, small_night, tmp_path):
    with pytest.raises(RecipeError, match="expected a raw BIAS frame, found category FLAT"):
        make_master_bias([*biases, small_night.flat_files[0]], out_dir=tmp_path / "out")
    junk = tmp_path / "junk.fits"
    junk.write_bytes(b"not a FITS file" * 300)
    with pytest.raises(RecipeError, match="junk.fits: not a FITS file"):
        make_master_bias([*biases, junk], out_dir=tmp_path / "out")
    with pytest.raises(RecipeError, match="missing.fits: no such file"):
        make_master_bias([*biases, tmp_path / "missing.fits"], out_dir=tmp_path / "out")
    assert_nothing_written(tmp_path / "out")


def test_parameters_are_checked(biases, tmp_path):
    with pytest.raises(RecipeError, match="parameter combine: expected one of average, median, "
                                          "minmax, sigclip, found 'mean'"):
        make_master_bias(biases, {"combine": "mean"}, tmp_path)
    with pytest.raises(RecipeError, match=r"unknown parameter\(s\) sigma"):
        make_master_bias(biases, {"sigma": 3}, tmp_path)
    with pytest.raises(RecipeError, match="parameter nifu: expected a value <= 24, found 25"):
        make_master_bias(biases, {"nifu": 25}, tmp_path)


def test_flat_needs_a_matching_master_bias(small_night, bias_run, tmp_path):
    flats = small_night.flat_files
    with pytest.raises(RecipeError, match="extension CHAN02: no MASTER_BIAS among .*"
                                          "MASTER_BIAS-01.fits holds it"):
        make_master_flat(flats, bias_run.out / "MASTER_BIAS-01.fits", out_dir=tmp_path,
                         ifus=[2])
    with pytest.raises(RecipeError, match="expected a MASTER_BIAS, found category BIAS"):
        make_master_flat(flats, small_night.bias_files[0], out_dir=tmp_path, ifus=[2])
    with pytest.raises(RecipeError, match="expected at least 3 FLAT frames, found 2"):
        make_master_flat(flats[:2], bias_run.out / "MASTER_BIAS-02.fits", out_dir=tmp_path)
    bias = Path(shutil.copy(bias_run.out / "MASTER_BIAS-02.fits", tmp_path / "bias.fits"))
    set_keyword(bias, 0, "HIERARCH ESO DET READ CURID", 3)
    with pytest.raises(RecipeError) as error:
        make_master_flat(flats, bias, out_dir=tmp_path / "out", ifus=[2])
    message = str(error.value)
    assert f"{bias}[CHAN02]" in message and "'ESO DET READ CURID'" in message
    assert "expected 1" in message and "found 3" in message
    assert_nothing_written(tmp_path / "out")


def test_a_truncated_master_bias_is_one_error_line(small_night, bias_run, tmp_path, python):
    bias = Path(shutil.copy(bias_run.out / "MASTER_BIAS-04.fits", tmp_path / "bias.fits"))
    with fits.open(bias) as hdul:
        cuts = {"inside the DATA": hdul["DATA"].fileinfo()["datLoc"] + 5000,
                "inside the DQ header": hdul["DQ"].fileinfo()["hdrLoc"] + 1000}
    for where, cut in sorted(cuts.items(), key=lambda item: -item[1]):
        os.truncate(bias, cut)
        process = subprocess.run([python, "-m", "awe.cli", "recipe", "flat",
                                  *map(str, small_night.flat_files), str(bias), "--nifu=4",
                                  "--out", str(tmp_path / "out")],
                                 capture_output=True, text=True, timeout=300)
        assert process.returncode == 1, where
        lines = process.stderr.strip().splitlines()
        assert len(lines) == 1, (where, lines)
        assert lines[0].startswith(f"awe: RecipeError: {bias}"), (where, lines)
        assert "truncated" in lines[0] or "no HDU" in lines[0], (where, lines)
