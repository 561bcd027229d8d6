"""Determinism, atomic writes, the night plan and the ``awe simulate night`` command."""

import filecmp
import os
import subprocess
import sys
from datetime import date, datetime

import numpy as np
import pytest
from astropy.io import fits

from awe.cli import main
from muse.instrument import simulate_night
from muse.instrument.exposures import night_window, plan_night
from muse.instrument.rawfile import RawFileWriter

ONE_FLAT = {"FLAT": 1}


def test_same_seed_same_bytes_other_seed_other_pixels(tmp_path):
    first = simulate_night(date(2016, 3, 20), tmp_path / "a", seed=5, counts=ONE_FLAT)
    again = simulate_night(date(2016, 3, 20), tmp_path / "b", seed=5, counts=ONE_FLAT)
    other = simulate_night(date(2016, 3, 20), tmp_path / "c", seed=6, counts=ONE_FLAT)
    names = [p.name for p in first.flat_files]
    assert names == [p.name for p in again.flat_files]
    for name in [*names, "truth-2016-03-20/night.json",
                 "truth-2016-03-20/pixel-response-CHAN07.npy"]:
        assert filecmp.cmp(first.directory / name, again.directory / name, shallow=False), name
    for mine, theirs in zip(first.flat_files, other.flat_files, strict=True):
        assert not np.array_equal(fits.getdata(mine, "CHAN01"), fits.getdata(theirs, "CHAN01"))


def test_rewriting_a_night_replaces_files_atomically(tmp_path):
    night = simulate_night(date(2016, 3, 21), tmp_path, seed=2, counts={"BIAS": 1})
    path = night.bias_files[0]
    before = path.read_bytes()
    simulate_night(date(2016, 3, 21), tmp_path, seed=2, counts={"BIAS": 1})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name, "truth-2016-03-21"]
    # Without a lit frame no pixel response is stored, and the truth says so.
    assert [p.name for p in night.truth_directory.iterdir()] == ["night.json"]
    with pytest.raises(ValueError, match="night 2016-03-21 has no lit frame"):
        night.load_truth().pixel_response(1)


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "MUSE.2016-03-22T12:00:00.000.fits"
    target.write_bytes(b"old content")
    header = fits.Header([("SIMPLE", True), ("BITPIX", 8), ("NAXIS", 0), ("EXTEND", True)])
    with pytest.raises(RuntimeError, match="disk on fire"), RawFileWriter(target) as writer:
        writer.write_primary(header)
        assert writer.temporary.exists() and writer.temporary.name.startswith(".")
        raise RuntimeError("disk on fire")
    assert target.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_the_writer_refuses_what_is_not_a_raw_image(tmp_path):
    header = fits.Header([("SIMPLE", True), ("BITPIX", 8), ("NAXIS", 0), ("EXTEND", True)])
    image = fits.ImageHDU(np.zeros((4, 6), np.uint16), name="CHAN01").header
    with RawFileWriter(tmp_path / "x.fits") as writer:
        with pytest.raises(ValueError, match="write the primary HDU first"):
            writer.write_uint16_image(image, np.zeros((4, 6), np.uint16))
        writer.write_primary(header)
        with pytest.raises(ValueError, match="expected a 2-d uint16 array, found 2-d float64"):
            writer.write_uint16_image(image, np.zeros((4, 6)))
        with pytest.raises(ValueError, match="'CHAN01': expected NAXIS1 = 5, found 6"):
            writer.write_uint16_image(image, np.zeros((4, 5), np.uint16))
        writer.write_uint16_image(image, np.full((4, 6), 65535, np.uint16))
        writer.commit()
    with fits.open(tmp_path / "x.fits") as hdul:
        assert hdul["CHAN01"].data.dtype == np.uint16 and hdul["CHAN01"].data.min() == 65535


def test_the_plan_stays_in_the_night():
    night = date(2016, 3, 14)
    start, end = night_window(night)
    assert (start, end) == (datetime(2016, 3, 14, 20, 40), datetime(2016, 3, 15, 20, 40))
    exposures = plan_night(night, {"BIAS": 11, "FLAT": 11}, seed=1)
    moments = [e.date_obs for e in exposures]
    assert moments == sorted(moments) and len(set(moments)) == 22
    assert all(start <= m < end for m in moments)
    assert plan_night(night, {"BIAS": 11, "FLAT": 11}, seed=1) == exposures
    with pytest.raises(ValueError, match="DATE-OBS outside night 2016-03-14"):
        plan_night(night, {"BIAS": 2000}, seed=1)
    with pytest.raises(ValueError, match="expected some of OBJECT, BIAS, FLAT, ARC, found DARK"):
        plan_night(night, {"DARK": 3}, seed=1)
    with pytest.raises(ValueError, match="number of FLAT frames: expected a non-negative"):
        plan_night(night, {"FLAT": -1}, seed=1)


def test_awe_simulate_night(tmp_path):
    out = tmp_path / "night"
    result = subprocess.run(
        [sys.executable, "-m", "awe.cli", "simulate", "night", "--date", "2016-04-01", "--out",
         str(out), "--seed", "3", "--bias", "2", "--flats", "0", "--arcs", "0", "--science",
         "0"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env={**os.environ})
    assert result.returncode == 0, result.stderr
    assert "night 2016-04-01: 2 raw files (2 BIAS, small geometry, seed 3)" in result.stdout
    assert f"truth: {out / 'truth-2016-04-01' / 'night.json'}" in result.stdout
    assert "simulate: 48/48 extensions written" in result.stderr
    files = sorted(out.glob("MUSE.2016-04-02T*.fits"))
    assert len(files) == 2
    assert {fits.getval(f, "ESO DPR TYPE") for f in files} == {"BIAS"}


@pytest.mark.parametrize(("args", "status", "message"), [
    (["--date", "14/03/2016", "--out", "x"], 2,
     "--date: expected a date YYYY-MM-DD, found '14/03/2016'"),
    (["--date", "2016-03-14", "--out", "x", "--bias", "-2"], 2,
     "--bias: expected a non-negative integer, found '-2'"),
    (["--date", "2016-03-14", "--out", "taken"], 1,
     "awe: ConfigError: --out taken: expected a directory"),
])
def test_awe_simulate_night_refuses_bad_input(tmp_path, monkeypatch, capsys, args, status,
                                              message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken").write_text("")
    try:
        code = main(["simulate", "night", *args])
    except SystemExit as exit_:
        code = exit_.code
    assert code == status
    assert message in capsys.readouterr().err
    assert not list(tmp_path.rglob("*.fits"))
