"""MASTER_BIAS of the small simulated night against the truth it was drawn from."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from PIL import Image

from muse.layout import N_IFUS, N_PORTS
from muse.recipes.bias import make_master_bias
from muse.recipes.dq import DEAD_PIXEL


def master(run, ifu):
    with fits.open(run.out / f"MASTER_BIAS-{ifu:02d}.fits") as hdul:
        return hdul["DATA"].data.copy(), hdul["DQ"].data.copy(), hdul["STAT"].data.copy()


def test_one_product_per_ifu_with_preview(bias_run):
    names = sorted(path.name for path in bias_run.result.files)
    assert names == sorted([f"MASTER_BIAS-{ifu:02d}.fits" for ifu in range(1, N_IFUS + 1)]
                           + [f"MASTER_BIAS-{ifu:02d}.png" for ifu in range(1, N_IFUS + 1)])
    assert not [p for p in bias_run.out.iterdir() if p.name.startswith(".")]
    result = bias_run.result.units[7]
    assert result.files["MASTER_BIAS"] == bias_run.out / "MASTER_BIAS-07.fits"
    with Image.open(result.files["PREVIEW"]) as preview:
        assert preview.format == "PNG" and min(preview.size) > 100


def test_level_per_port_within_a_tenth_of_an_adu(bias_run, truth):
    detector = truth.geometry.detector
    for ifu in range(1, N_IFUS + 1):
        data, _, _ = master(bias_run, ifu)
        expected = truth.expected_master_bias(ifu)
        for port in range(1, N_PORTS + 1):
            window = detector.trimmed_window(port)
            offset = float(np.mean(data[window] - expected[window]))
            assert abs(offset) < 0.1, (ifu, port, offset)


def test_read_noise_within_two_percent(bias_run, truth):
    for ifu in range(1, N_IFUS + 1):
        qc = bias_run.result.units[ifu].qc
        for port in truth.ifu(ifu).ports:
            measured = qc[f"BIAS MASTER{port.port} RON"]
            assert measured == pytest.approx(port.ron, rel=0.02), (ifu, port.port)
            assert 0 < qc[f"BIAS MASTER{port.port} RONERR"] < 0.05 * port.ron


def test_hot_columns_found_and_nothing_else(bias_run, truth):
    for ifu in range(1, N_IFUS + 1):
        _, dq, _ = master(bias_run, ifu)
        flagged = np.flatnonzero((dq & DEAD_PIXEL).any(axis=0)) + 1
        columns = truth.ifu(ifu).hot_columns
        assert sorted(flagged) == sorted(column.x for column in columns), ifu
        for column in columns:
            rows = np.flatnonzero(dq[:, column.x - 1] & DEAD_PIXEL) + 1
            assert rows.min() <= column.y_first and rows.max() >= column.y_last
        assert bias_run.result.units[ifu].qc["BIAS MASTER NBADPIX"] == np.count_nonzero(dq)


def test_stat_is_consistent_with_the_scatter(bias_run, truth):
    detector = truth.geometry.detector
    for ifu in (1, 12, 24):
        data, dq, stat = master(bias_run, ifu)
        residual = data - truth.expected_master_bias(ifu)
        for port in truth.ifu(ifu).ports:
            window = detector.trimmed_window(port.port)
            good = dq[window] == 0
            median_stat = float(np.median(stat[window][good]))
            # STAT = (RON/GAIN)^2 / n for the 5 inputs, up to the 1/(19^2 100) term
            assert median_stat == pytest.approx(port.ron_adu**2 / 5, rel=0.05)
            # ESO's STAT of a sigma-clipped mean (sum of variances / n_used^2) is ~13 %
            # below the scatter the clipping leaves; both must agree to 20 %
            ratio = float(residual[window][good].var()) / median_stat
            assert 0.95 < ratio < 1.2, (ifu, port.port, ratio)


def test_qc_levels_slopes_and_saturation(bias_run, truth):
    for ifu in (3, 18):
        qc = bias_run.result.units[ifu].qc
        frames = [truth.frame(path) for path in truth.files("BIAS")]
        for port in truth.ifu(ifu).ports:
            n = port.port
            offsets = np.mean([frame.port_offsets[ifu - 1][n - 1] for frame in frames])
            assert qc[f"BIAS LEVEL{n} MEAN"] == pytest.approx(port.bias_level + offsets, abs=1.0)
            assert qc[f"BIAS LEVEL{n} MEDIAN"] == pytest.approx(port.bias_level + offsets,
                                                                abs=1.0)
            assert qc[f"BIAS MASTER{n} SLOPE Y"] == pytest.approx(port.slope_y, abs=2e-3)
            assert qc[f"BIAS MASTER{n} MIN"] <= qc[f"BIAS MASTER{n} MEDIAN"] \
                <= qc[f"BIAS MASTER{n} MAX"]
        for number in range(1, 6):
            assert qc[f"BIAS INPUT{number} NSATURATED"] == 0
        assert qc["BIAS MASTER NSATURATED"] == 0


def test_headers_carry_eso_product_keywords(bias_run, small_night):
    with fits.open(bias_run.out / "MASTER_BIAS-05.fits") as hdul:
        assert [hdu.name for hdu in hdul] == ["CHAN05", "DATA", "DQ", "STAT"]
        primary = hdul[0].header
        assert primary["EXTNAME"] == "CHAN05" and primary["NAXIS"] == 0
        assert primary["HIERARCH ESO PRO CATG"] == "MASTER_BIAS"
        assert primary["HIERARCH ESO PRO TYPE"] == "REDUCED"
        assert primary["HIERARCH ESO PRO REC1 ID"] == "muse_bias"
        assert primary["HIERARCH ESO PRO REC1 PIPE ID"].startswith("muse-wise/")
        assert primary["HIERARCH ESO PRO DATANCOM"] == 5
        assert primary["PIPEFILE"] == "MASTER_BIAS-05.fits"
        for number, path in enumerate(small_night.bias_files, start=1):
            assert primary[f"HIERARCH ESO PRO REC1 RAW{number} NAME"] == path.name
            assert primary[f"HIERARCH ESO PRO REC1 RAW{number} CATG"] == "BIAS"
        parameters = {primary[f"HIERARCH ESO PRO REC1 PARAM{i} NAME"]:
                      primary[f"HIERARCH ESO PRO REC1 PARAM{i} VALUE"] for i in range(1, 15)}
        assert parameters["combine"] == "sigclip" and parameters["hisigmabadpix"] == "3"
        assert parameters["merge"] == "false"
        assert primary["HIERARCH ESO DET CHIP NAME"] == "MUSE-CCD05"
        assert primary["HIERARCH ESO DET OUT1 GAIN"] > 0
        for n in range(1, N_PORTS + 1):
            assert f"HIERARCH ESO DRS MUSE OVSC{n} MEAN" in primary
            assert f"HIERARCH ESO DRS MUSE OVSC{n} STDEV" in primary
            ncoeff = primary[f"HIERARCH ESO DRS MUSE OVSC{n} POLY NCOEFF"]
            assert f"HIERARCH ESO DRS MUSE OVSC{n} POLY Y{ncoeff - 1}" in primary
            assert f"HIERARCH ESO QC BIAS MASTER{n} RON" in primary
        assert hdul["DATA"].header["BUNIT"] == "adu"
        assert hdul["STAT"].header["BUNIT"] == "adu**2"
        assert hdul["DQ"].header["HDUCLAS3"] == "FLAG32BIT"
        assert hdul["DATA"].data.dtype == np.dtype(">f4")
        assert hdul["DQ"].data.dtype == np.dtype(">i4")
        assert all(hdu.verify_checksum() == 1 for hdu in hdul)


def test_products_pass_fitsverify(bias_run, fitsverify):
    fitsverify(bias_run.out / "MASTER_BIAS-01.fits")


def test_merged_file_in_parallel_equals_per_ifu_files(small_night, bias_run, tmp_path,
                                                      fitsverify):
    result = make_master_bias(small_night.bias_files, {"nifu": -1}, tmp_path,
                              ifus=[2, 9], merge=True, processes=2)
    merged = tmp_path / "MASTER_BIAS.fits"
    assert sorted(p.name for p in result.files) == ["MASTER_BIAS-02.png", "MASTER_BIAS-09.png",
                                                    "MASTER_BIAS.fits"]
    assert result.units[9].files["MASTER_BIAS"] == merged
    with fits.open(merged) as hdul:
        assert [hdu.name for hdu in hdul] == ["PRIMARY", "CHAN02.DATA", "CHAN02.DQ",
                                              "CHAN02.STAT", "CHAN09.DATA", "CHAN09.DQ",
                                              "CHAN09.STAT"]
        assert "HIERARCH ESO QC BIAS MASTER1 RON" not in hdul[0].header
        assert hdul[0].header["HIERARCH ESO PRO REC1 PARAM1 VALUE"] == "-1"
        assert hdul[0].header["HIERARCH ESO PRO REC1 PARAM14 NAME"] == "merge"
        assert hdul[0].header["HIERARCH ESO PRO REC1 PARAM14 VALUE"] == "true"
        data_header = hdul["CHAN09.DATA"].header
        assert data_header["HIERARCH ESO QC BIAS MASTER2 RON"] == pytest.approx(
            bias_run.result.units[9].qc["BIAS MASTER2 RON"])
        assert data_header["HIERARCH ESO DET CHIP NAME"] == "MUSE-CCD09"
        for ifu in (2, 9):
            data, dq, stat = master(bias_run, ifu)
            np.testing.assert_array_equal(hdul[f"CHAN{ifu:02d}.DATA"].data, data)
            np.testing.assert_array_equal(hdul[f"CHAN{ifu:02d}.DQ"].data, dq)
            np.testing.assert_array_equal(hdul[f"CHAN{ifu:02d}.STAT"].data, stat)
        assert all(hdu.verify_checksum() == 1 for hdu in hdul)
    fitsverify(merged)


@pytest.mark.parametrize("params, level", [({"overscan": "none"}, "raw"),
                                           ({"overscan": "offset", "ovscreject": "fit"}, "zero"),
                                           ({"combine": "median"}, "zero"),
                                           ({"combine": "minmax", "nlow": 1, "nhigh": 1},
                                            "zero")])
def test_parameters_change_the_processing(small_night, truth, tmp_path, params, level):
    result = make_master_bias(small_night.bias_files, {**params, "nifu": 4}, tmp_path)
    assert list(result.units) == [4]
    with fits.open(tmp_path / "MASTER_BIAS-04.fits") as hdul:
        data = hdul["DATA"].data
        header = hdul[0].header
    window = truth.geometry.detector.trimmed_window(1)
    port = truth.ifu(4).port(1)
    expected = port.bias_level if level == "raw" else port.data_offset
    assert float(np.median(data[window])) == pytest.approx(expected, abs=1.5)
    values = {header[f"HIERARCH ESO PRO REC1 PARAM{i} NAME"]:
              header[f"HIERARCH ESO PRO REC1 PARAM{i} VALUE"] for i in range(1, 15)}
    for name, value in params.items():
        assert values[name] == str(value)
    assert ("HIERARCH ESO DRS MUSE OVSC1 POLY NCOEFF" in header) == (
        params.get("overscan", "vpoly") == "vpoly")


def test_saturated_pixels_are_flagged_and_left_out(small_night, truth, tmp_path):
    detector = truth.geometry.detector
    raw = []
    for number, path in enumerate(small_night.bias_files[:3]):
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        with fits.open(copy, mode="update", do_not_scale_image_data=True) as hdul:
            stored = hdul["CHAN03"].data  # raw value - 32768, BZERO kept
            stored[40:42, 50:53] = 32767  # 65535 in all three inputs
            if number == 1:
                stored[detector.raw_y(100) - 1, detector.raw_x(120) - 1] = 32767
        raw.append(copy)
    result = make_master_bias(raw, {"nifu": 3}, tmp_path / "out")
    qc = result.units[3].qc
    assert [qc[f"BIAS INPUT{i} NSATURATED"] for i in (1, 2, 3)] == [6, 7, 6]
    with fits.open(tmp_path / "out" / "MASTER_BIAS-03.fits") as hdul:
        data, dq = hdul["DATA"].data, hdul["DQ"].data
    assert dq[99, 119] == 0                       # one saturated input: left out
    expected = truth.expected_master_bias(3)[99, 119]
    assert abs(data[99, 119] - expected) < 10
    trimmed = (slice(40 - detector.prscy, 42 - detector.prscy),
               slice(50 - detector.prscx, 53 - detector.prscx))
    assert (dq[trimmed] & 4096).all()             # saturated in every input: flagged
    assert qc["BIAS MASTER NSATURATED"] == 6
