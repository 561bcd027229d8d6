"""MASTER_FLAT and TRACE_TABLE of the small simulated night against the truth."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from numpy.polynomial import Polynomial

from common.errors import RecipeError
from muse.layout import N_IFUS, N_SLICES
from muse.recipes.bias import make_master_bias
from muse.recipes.dq import DARK_PIXEL, HOT_PIXEL
from muse.recipes.flat import make_master_flat
from muse.recipes.trace import SliceTrace, slice_mask

TRACE_COLUMNS = (["SliceNo", "Width"]
                 + [f"tc{p}_{k:02d}" for p in range(3) for k in range(6)]
                 + ["MSE0", "MSE1", "MSE2"])


def table(run, ifu):
    return Table.read(run.out / f"TRACE_TABLE-{ifu:02d}.fits", hdu=1)


def curve(row, number, y):
    return Polynomial([row[f"tc{number}_{k:02d}"] for k in range(6)])(y)


def truth_mask(truth, ifu, shape):
    traces = [SliceTrace(s.slice_no, 0.0, tuple(s.centre_coefficients), tuple(s.left),
                         tuple(s.right), (0.0, 0.0, 0.0)) for s in truth.ifu(ifu).slices]
    return slice_mask(traces, shape)


def test_products_per_ifu(flat_run):
    names = {path.name for path in flat_run.result.files}
    for ifu in range(1, N_IFUS + 1):
        assert {f"MASTER_FLAT-{ifu:02d}.fits", f"TRACE_TABLE-{ifu:02d}.fits",
                f"MASTER_FLAT-{ifu:02d}.png"} <= names
    assert len(names) == 3 * N_IFUS


def test_traces_within_five_hundredths_of_a_pixel(flat_run, truth):
    y = np.arange(1, truth.geometry.detector.trimmed_ny + 1, dtype=np.float64)
    for ifu in range(1, N_IFUS + 1):
        rows = table(flat_run, ifu)
        assert list(rows["SliceNo"]) == list(range(1, N_SLICES + 1))
        for row, model in zip(rows, truth.ifu(ifu).slices, strict=True):
            assert np.abs(curve(row, 0, y) - model.centre(y)).max() < 0.05, (ifu, row[0])
            assert np.abs(curve(row, 1, y) - model.left_edge(y)).max() < 0.05, (ifu, row[0])
            assert np.abs(curve(row, 2, y) - model.right_edge(y)).max() < 0.05, (ifu, row[0])
            assert row["Width"] == pytest.approx(float(model.width(y).mean()), abs=0.05)
            assert 0 <= row["MSE0"] < 0.01


def test_trace_table_layout(flat_run, fitsverify):
    path = flat_run.out / "TRACE_TABLE-11.fits"
    with fits.open(path) as hdul:
        assert [hdu.name for hdu in hdul] == ["CHAN11", "TRACE_TABLE"]
        assert hdul[1].columns.names == TRACE_COLUMNS
        assert hdul[1].data["SliceNo"].dtype.kind == "i"
        header = hdul[0].header
        assert header["HIERARCH ESO PRO CATG"] == "TRACE_TABLE"
        assert header["HIERARCH ESO PRO REC1 CAL1 CATG"] == "MASTER_BIAS"
        assert header["HIERARCH ESO PRO REC1 CAL1 NAME"] == "MASTER_BIAS-11.fits"
        for key in ("SLICE_L XPOS", "SLICE_L TILT", "SLICE_R XPOS", "SLICE_R TILT",
                    "SLICE48 MAXSLOPE", "SLICE3 WIDTH", "SLICE46 WIDTH", "WIDTHS MEDIAN",
                    "GAPS MIN", "GAPS STDEV"):
            assert f"HIERARCH ESO QC TRACE {key}" in header
        layout = flat_run.result.units[11]
        assert header["HIERARCH ESO QC TRACE GAPS MEDIAN"] == pytest.approx(3.0, abs=0.2)
        assert layout.qc["TRACE WIDTHS MEDIAN"] == pytest.approx(8.0, abs=0.2)
    fitsverify(path)


def test_normalised_flat_within_one_percent(flat_run, truth):
    for ifu in range(1, N_IFUS + 1):
        with fits.open(flat_run.out / f"MASTER_FLAT-{ifu:02d}.fits") as hdul:
            data, dq, stat = (hdul[name].data for name in ("DATA", "DQ", "STAT"))
            mask = truth_mask(truth, ifu, data.shape)
            good = (mask > 0) & (dq == 0)
            rate = truth.flat_rate(ifu).astype(np.float64)
            expected = rate / rate.mean()
            ratio = data[good] / expected[good]
            assert abs(float(np.median(ratio)) - 1) < 0.01, ifu
            assert float(ratio.std()) < 0.01, ifu
            for number in range(1, N_SLICES + 1):
                inside = good[mask > 0] & (mask[mask > 0] == number)
                assert abs(float(ratio[inside[good[mask > 0]]].mean()) - 1) < 0.01
            normalised = (data - expected)[good] / np.sqrt(stat[good])
            assert 0.9 < float(normalised.std()) < 1.15, ifu


def test_flat_qc_and_headers(flat_run, small_night, truth, fitsverify):
    qc = flat_run.result.units[6].qc
    for number in range(1, 6):
        for name in ("MEDIAN", "MEAN", "STDEV", "MIN", "MAX"):
            assert f"FLAT INPUT{number} {name}" in qc
        assert qc[f"FLAT INPUT{number} NSATURATED"] == 0
    assert qc["FLAT MASTER MIN"] < qc["FLAT MASTER MEDIAN"] < qc["FLAT MASTER MAX"]
    assert qc["FLAT MASTER INTFLUX"] > 0
    slices = [qc[f"FLAT MASTER SLICE{j} MEAN"] for j in range(1, N_SLICES + 1)]
    with fits.open(flat_run.out / "MASTER_FLAT-06.fits") as hdul:
        data, dq = hdul["DATA"].data, hdul["DQ"].data
        inside = truth_mask(truth, 6, data.shape) > 0
        assert np.mean(slices) == pytest.approx(float(data[inside & (dq == 0)].mean()),
                                                rel=0.01)
    attributes = flat_run.result.units[6].attributes
    assert attributes["gain_from_flats"] == pytest.approx(attributes["gain"], rel=0.05)
    assert attributes["master_bias"] == "MASTER_BIAS-06.fits"
    path = flat_run.out / "MASTER_FLAT-06.fits"
    with fits.open(path) as hdul:
        header = hdul[0].header
        assert header["HIERARCH ESO PRO CATG"] == "MASTER_FLAT"
        assert header["HIERARCH ESO PRO REC1 ID"] == "muse_flat"
        assert header["HIERARCH ESO PRO REC1 RAW5 NAME"] == small_night.flat_files[4].name
        assert header["HIERARCH ESO QC FLAT MASTER SLICE48 STDEV"] > 0
        assert hdul["DATA"].header["BUNIT"] == ""  # normalised: dimensionless
        assert all(hdu.verify_checksum() == 1 for hdu in hdul)
    fitsverify(path)


def test_merged_flat_from_merged_bias(small_night, flat_run, tmp_path, fitsverify):
    bias = make_master_bias(small_night.bias_files, out_dir=tmp_path / "bias", ifus=[1, 20],
                            merge=True)
    result = make_master_flat(small_night.flat_files, bias.units[1].files["MASTER_BIAS"],
                              {"merge": True}, tmp_path / "flat", ifus=[20, 1])
    with fits.open(tmp_path / "flat" / "TRACE_TABLE.fits") as hdul:
        assert [hdu.name for hdu in hdul] == ["PRIMARY", "CHAN01", "CHAN20"]
        assert "HIERARCH ESO QC TRACE GAPS MEAN" in hdul["CHAN20"].header
        reference = table(flat_run, 20)
        for name in TRACE_COLUMNS:
            np.testing.assert_allclose(hdul["CHAN20"].data[name], reference[name], rtol=1e-9,
                                       atol=1e-12)
    merged = tmp_path / "flat" / "MASTER_FLAT.fits"
    with fits.open(merged) as hdul:
        assert [hdu.name for hdu in hdul][1:4] == ["CHAN01.DATA", "CHAN01.DQ", "CHAN01.STAT"]
        with fits.open(flat_run.out / "MASTER_FLAT-01.fits") as single:
            np.testing.assert_array_equal(hdul["CHAN01.DATA"].data, single["DATA"].data)
    assert result.units[20].files["TRACE_TABLE"] == tmp_path / "flat" / "TRACE_TABLE.fits"
    fitsverify(merged)
    fitsverify(tmp_path / "flat" / "TRACE_TABLE.fits")


def test_without_trace_or_normalisation(small_night, bias_run, tmp_path):
    result = make_master_flat(small_night.flat_files, bias_run.out / "MASTER_BIAS-08.fits",
                              {"trace": "false", "normalize": False, "nifu": 8}, tmp_path)
    assert sorted(p.name for p in result.files) == ["MASTER_FLAT-08.fits",
                                                    "MASTER_FLAT-08.png"]
    with fits.open(tmp_path / "MASTER_FLAT-08.fits") as hdul:
        assert hdul["DATA"].header["BUNIT"] == "count"
        assert float(np.median(hdul["DATA"].data)) > 1000


def test_too_coarse_trace_is_refused(small_night, bias_run, tmp_path):
    with pytest.raises(RecipeError, match="nsum = 200 leaves fewer than 7 trace points"):
        make_master_flat(small_night.flat_files, bias_run.out / "MASTER_BIAS-08.fits",
                         {"nsum": 200, "nifu": 8}, tmp_path)
    assert not list(tmp_path.iterdir())


def test_simulated_lamp_falls_toward_both_ends(truth):
    rate = truth.flat_rate(3).astype(np.float64)
    rows = rate.mean(axis=1)
    middle = rows[len(rows) // 3:2 * len(rows) // 3].mean()
    assert rows[:5].mean() < 0.6 * middle and rows[-5:].mean() < 0.6 * middle


def test_flat_flags_no_good_pixel_of_a_falling_lamp(flat_run, bias_run, truth):
    """On flats whose level falls toward the ends, DQ is the master bias's (as muse_flat's)."""
    for ifu in range(1, N_IFUS + 1):
        with fits.open(flat_run.out / f"MASTER_FLAT-{ifu:02d}.fits") as flat, \
                fits.open(bias_run.out / f"MASTER_BIAS-{ifu:02d}.fits") as bias:
            dq, bias_dq = flat["DQ"].data, bias["DQ"].data
        own = (dq & ~bias_dq) & (HOT_PIXEL | DARK_PIXEL)
        assert np.array_equal(dq & bias_dq, bias_dq), ifu
        # the simulated flat has no bad pixel: a 5-sigma cut may catch one by chance
        assert np.count_nonzero(own) <= 2, (ifu, np.count_nonzero(own))
        assert not own[:10].any() and not own[-10:].any(), ifu


def test_normalised_by_the_mean_of_the_whole_ccd(flat_run):
    """DATA is the combined flat over QC FLAT MASTER MEAN; INTFLUX its sum (MUSE-FORMATS §8)."""
    for ifu in (1, 12, 24):
        result = flat_run.result.units[ifu]
        qc = result.qc
        with fits.open(flat_run.out / f"MASTER_FLAT-{ifu:02d}.fits") as hdul:
            data = hdul["DATA"].data.astype(np.float64)
        assert result.attributes["normalisation"] == qc["FLAT MASTER MEAN"]
        assert data.mean() == pytest.approx(1.0, abs=1e-5)
        assert qc["FLAT MASTER INTFLUX"] == pytest.approx(qc["FLAT MASTER MEAN"] * data.size,
                                                          rel=1e-6)
        assert float(np.median(data)) > 1.05
