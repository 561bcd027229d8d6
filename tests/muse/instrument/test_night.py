"""The simulated small night: files, headers, fitsverify, and pixels that match the truth."""

import json
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import datetime, time, timedelta

import numpy as np
import pytest
from astropy.io import fits

from muse.instrument import InstrumentModel
from muse.instrument.truth import render_raw
from muse.layout import SMALL, DetectorGeometry, extname

CHANNELS = [extname(ifu) for ifu in range(1, 25)]
FITSVERIFY = shutil.which("fitsverify") or "/usr/bin/fitsverify"


@pytest.fixture(scope="module")
def truth(small_night):
    return small_night.load_truth()


def night_of(moment: datetime):
    """MuseWise's rule, written out independently of the simulator."""
    return (moment - timedelta(days=1)).date() if moment.time() < time(20, 40) else moment.date()


def hot_mask(ifu_model, detector):
    mask = np.zeros((detector.trimmed_ny, detector.trimmed_nx), bool)
    for column in ifu_model.hot_columns:
        mask[column.y_first - 1:column.y_last, column.x - 1] = True
    return mask


def test_the_night_has_its_frames_with_archive_names(small_night, truth):
    assert len(small_night.bias_files) == 5 and len(small_night.flat_files) == 5
    all_files = small_night.bias_files + small_night.flat_files
    every_file = [*all_files, *small_night.arc_files, *small_night.object_files,
                  *small_night.statics.values()]
    assert sorted(p.name for p in small_night.directory.glob("*.fits")) == sorted(
        p.name for p in every_file)
    for path in all_files:
        header = fits.getheader(path)
        assert path.name == header["ARCFILE"] == f"MUSE.{header['DATE-OBS']}.fits"
        moment = datetime.fromisoformat(header["DATE-OBS"])
        start = datetime.combine(small_night.night, time(20, 40))
        assert start <= moment < start + timedelta(days=1)
        assert night_of(moment) == small_night.night
        assert truth.frame(path).date_obs == header["DATE-OBS"]
    assert truth.files("BIAS") == small_night.bias_files
    assert truth.files("FLAT") == small_night.flat_files


PRIMARY_KEYWORDS = {
    "INSTRUME": str, "DATE-OBS": str, "MJD-OBS": float, "EXPTIME": float, "ARCFILE": str,
    "ORIGFILE": str, "TELESCOP": str, "RA": float, "DEC": float, "UTC": float, "LST": float,
    "ESO DET BINX": int, "ESO DET BINY": int, "ESO DET READ CURID": int,
    "ESO DET READ CURNAME": str, "ESO DPR CATG": str, "ESO DPR TYPE": str,
    "ESO DPR TECH": str, "ESO TPL ID": str, "ESO TPL START": str, "ESO TPL NEXP": int,
    "ESO TPL EXPNO": int, "ESO INS MODE": str, "ESO INS OPTI1 NAME": str,
    "ESO INS OPTI2 NAME": str, "ESO INS TEMP7 VAL": float, "ESO OBS ID": int,
    "ESO DET NAME": str, "ESO DET CHIPS": int, "ESO DET OUTPUTS": int,
}
EXTENSION_KEYWORDS = {
    "ESO DET CHIP NAME": str, "ESO DET CHIP ID": str, "ESO DET CHIP LIVE": bool,
    "ESO DET CHIP DATE": str, "ESO DET CHIP INDEX": int, "ESO DET CHIP NX": int,
    "ESO DET CHIP NY": int,
    **{f"ESO DET OUT{n} {key}": int for n in range(1, 5)
       for key in ("X", "Y", "NX", "NY", "PRSCX", "PRSCY", "OVSCX", "OVSCY", "INDEX")},
    **{f"ESO DET OUT{n} {key}": float for n in range(1, 5) for key in ("GAIN", "RON", "CONAD")},
    **{f"ESO DET OUT{n} NAME": str for n in range(1, 5)},
}


@pytest.mark.parametrize("kind", ["BIAS", "FLAT"])
def test_headers_carry_what_eso_reads(small_night, truth, kind):
    path = (small_night.bias_files if kind == "BIAS" else small_night.flat_files)[0]
    with fits.open(path) as hdul:
        primary = hdul[0].header
        assert primary["NAXIS"] == 0 and hdul[0].data is None
        for key, kind_of_value in PRIMARY_KEYWORDS.items():
            assert isinstance(primary[key], kind_of_value), key
        assert primary["INSTRUME"] == "MUSE" and primary["ESO INS MODE"] == "WFM-NOAO-N"
        assert primary["ESO DPR CATG"] == "CALIB" and primary["ESO DPR TECH"] == "IFU"
        if kind == "BIAS":
            assert primary["ESO DPR TYPE"] == "BIAS" and primary["EXPTIME"] == 0
            assert primary["ESO TPL ID"] == "MUSE_wfm_cal_bias"
        else:
            assert primary["ESO DPR TYPE"] == "FLAT,LAMP" and primary["EXPTIME"] > 0
            assert re.fullmatch(r"MUSE_[wn]fm_cal_specflat", primary["ESO TPL ID"])
            assert primary["ESO INS LAMP1 ST"] and primary["ESO INS SHUT1 ST"]
        lamps = primary["ESO INS LAMPNUM"]
        for n in range(1, lamps + 1):
            for key in (f"LAMP{n} NAME", f"LAMP{n} ST", f"SHUT{n} NAME", f"SHUT{n} ST"):
                assert f"ESO INS {key}" in primary
        assert primary["MJD-OBS"] == pytest.approx(
            (datetime.fromisoformat(primary["DATE-OBS"]) - datetime(1858, 11, 17))
            / timedelta(days=1), abs=1e-7)
        assert sorted(hdu.name for hdu in hdul[1:]) == CHANNELS
        for hdu in hdul[1:]:
            header = hdu.header
            assert header["BITPIX"] == 16 and header["BZERO"] == 32768
            assert hdu.data.dtype == np.uint16
            assert hdu.data.shape == (SMALL.detector.raw_ny, SMALL.detector.raw_nx)
            for key, kind_of_value in EXTENSION_KEYWORDS.items():
                assert isinstance(header[key], kind_of_value), f"{hdu.name}: {key}"
            merged = fits.Header(primary, copy=True)
            merged.extend(header, unique=True)
            assert DetectorGeometry.from_header(merged) == SMALL.detector
            model = truth.ifu(int(hdu.name[4:]))
            assert header["ESO DET CHIP NAME"] == model.chip_name
            for port in model.ports:
                assert header[f"ESO DET OUT{port.port} GAIN"] == port.gain
                assert header[f"ESO DET OUT{port.port} RON"] == port.header_ron


def test_chips_and_readout_agree_across_frames(small_night):
    seen = set()
    for path in small_night.bias_files + small_night.flat_files:
        with fits.open(path) as hdul:
            chips = tuple((h.name, h.header["ESO DET CHIP NAME"], h.header["ESO DET CHIP ID"])
                          for h in hdul[1:])
            seen.add((hdul[0].header["ESO DET READ CURID"], chips))
    assert len(seen) == 1


def test_raw_files_pass_fitsverify(small_night):
    for path in (small_night.bias_files[0], small_night.flat_files[-1]):
        result = subprocess.run([FITSVERIFY, str(path)], capture_output=True, text=True,
                                timeout=120)
        assert "Verification found 0 warning(s) and 0 error(s)" in result.stdout, result.stdout
        assert result.returncode == 0


@pytest.mark.parametrize("ifu", [1, 14, 24])
def test_bias_levels_noise_and_hot_columns_match_the_truth(small_night, truth, ifu):
    detector = SMALL.detector
    model = truth.ifu(ifu)
    hot = hot_mask(model, detector)
    first, second = small_night.bias_files[:2]
    raw = {path: fits.getdata(path, extname(ifu)).astype(float) for path in (first, second)}
    residual = {path: raw[path] - truth.expected_raw(path, ifu) for path in raw}
    offsets = truth.frame(first).port_offsets[ifu - 1]
    for port in model.ports:
        window = detector.trimmed_window(port.port)
        data = raw[first][detector.data_window(port.port)][~hot[window]]
        assert data.mean() == pytest.approx(port.bias_level + offsets[port.port - 1], abs=0.05)
        overscan = raw[first][detector.vertical_overscan(port.port)]
        expected = truth.expected_raw(first, ifu)[detector.vertical_overscan(port.port)]
        assert overscan.mean() == pytest.approx(expected.mean(),
                                                abs=5 * port.ron_adu / np.sqrt(overscan.size))
        # Read noise from the difference of two frames, as ESO measures it; rounding adds 1/12.
        difference = (residual[first] - residual[second])[detector.data_window(port.port)]
        measured = np.sqrt(difference.var() / 2 - 1 / 12) * port.gain
        assert measured == pytest.approx(port.ron, rel=0.02)
        assert abs(residual[first][detector.quadrant(port.port)].mean()) < 0.03
    trimmed = detector.trim(raw[first])
    for column in model.hot_columns:
        rows = slice(column.y_first - 1, column.y_last)
        beside = column.x if column.x < detector.trimmed_nx else column.x - 2
        excess = np.median(trimmed[rows, column.x - 1] - trimmed[rows, beside])
        assert excess == pytest.approx(column.excess, abs=1.0)


@pytest.mark.parametrize("ifu", [3, 20])
def test_flat_signal_and_poisson_noise_match_the_truth(small_night, truth, ifu):
    detector = SMALL.detector
    model = truth.ifu(ifu)
    for path in small_night.flat_files[:2]:
        frame = truth.frame(path)
        raw = fits.getdata(path, extname(ifu)).astype(float)
        expected = truth.expected_raw(path, ifu)
        bias = render_raw(truth.model, ifu, replace(frame, lamp_scale=0.0),
                          bias_image=model.bias_image(detector), flat_rate=None)
        for port in model.ports:
            window = detector.data_window(port.port)
            signal = (expected - bias)[window]
            bright = signal > 5000
            residual = (raw - expected)[window][bright]
            # Poisson: variance in adu² = signal/gain + read noise² + rounding.
            variance = residual.var() - port.ron_adu**2 - 1 / 12
            assert signal[bright].mean() / variance == pytest.approx(port.gain, rel=0.03)
            assert abs(residual.mean()) < 4 * residual.std() / np.sqrt(residual.size)
        assert frame.saturated[ifu - 1] == np.count_nonzero(raw > 65500) == 0


def half_light_crossing(profile, start, step, level):
    """Linear interpolation of where ``profile`` crosses ``level`` walking from ``start``."""
    x = start
    while (profile[x + step - 1] >= level) == (profile[x - 1] >= level):
        x += step
    a, b = profile[x - 1], profile[x + step - 1]
    return x + step * (a - level) / (a - b)


def test_flat_slices_lie_where_the_truth_traces_say(small_night, truth):
    detector, ifu = SMALL.detector, 9
    model = truth.ifu(ifu)
    electrons = np.zeros((detector.trimmed_ny, detector.trimmed_nx))
    for path in small_night.flat_files:
        frame = truth.frame(path)
        raw = fits.getdata(path, extname(ifu)).astype(float)
        bias = render_raw(truth.model, ifu, replace(frame, lamp_scale=0.0),
                          bias_image=model.bias_image(detector), flat_rate=None)
        signal = detector.trim(raw - bias)
        for port in model.ports:
            signal[detector.trimmed_window(port.port)] *= port.gain
        electrons += signal / frame.lamp_scale
    electrons /= truth.pixel_response(ifu)
    errors = {"left": [], "right": [], "centre": []}
    for y in (40, 256, 470):
        row = electrons[y - 1]
        for s in model.slices:
            left, right = float(s.left_edge(y)), float(s.right_edge(y))
            middle = round((left + right) / 2)
            plateau = np.median(row[middle - 3:middle + 2])
            found_left = half_light_crossing(row, middle, -1, plateau / 2)
            found_right = half_light_crossing(row, middle, 1, plateau / 2)
            errors["left"].append(found_left - left)
            errors["right"].append(found_right - right)
            errors["centre"].append((found_left + found_right) / 2 - float(s.centre(y)))
    # Linear interpolation of pixel-integrated edges is good to about a tenth of a pixel.
    assert max(abs(e) for e in errors["left"] + errors["right"]) < 0.15
    assert max(abs(e) for e in errors["centre"]) < 0.1


def test_truth_sidecar_is_complete(small_night, truth):
    path = small_night.truth_directory / "night.json"
    data = json.loads(path.read_text())
    assert data["format"] == "MUSE-WISE simulator truth" and data["version"] == 1
    assert (data["night"], data["geometry"], data["seed"]) == ("2016-03-14", "small", 1)
    assert len(data["instrument"]["ifus"]) == 24 and len(data["frames"]) == 14
    first = data["instrument"]["ifus"][0]
    assert {"ports", "hot_columns", "slices", "chip_name", "chip_id", "throughput"} <= set(first)
    assert len(first["slices"]) == 48 and len(first["ports"]) == 4
    assert {"left", "right", "centre", "throughput", "illumination_bow"} <= set(
        first["slices"][0])
    assert {"bias_level", "overscan_level", "data_offset", "gain", "ron", "drift"} <= set(
        first["ports"][0])
    assert truth.model == InstrumentModel.build(SMALL, 1)
    for ifu in (1, 24):
        response = truth.pixel_response(ifu)
        assert response.shape == (512, 560) and response.dtype == np.float32
        np.testing.assert_array_equal(response, truth.model.pixel_response(ifu))
    assert not [p for p in small_night.directory.rglob("*") if p.name.startswith(".")]
