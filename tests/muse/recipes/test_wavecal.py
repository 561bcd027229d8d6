"""muse_wavecal on the small night: the solution against the simulator's true dispersion."""

import numpy as np
import pytest
from astropy.io import fits

from awe.cli import main
from common.errors import RecipeError
from muse.instrument.light import LightSources
from muse.recipes.arclines import central_spectrum, detect_lines, evaluate_solution
from muse.recipes.wavecal import make_wavecal

IFU = 5  # the IFU the session's wavecal_run processes


def test_solution_matches_the_true_dispersion(wavecal_run, truth, small_night):
    out = wavecal_run.out
    light = LightSources.load(truth.model, small_night.truth_directory)
    table = fits.getdata(out / f"WAVECAL_TABLE-{IFU:02d}.fits", 1)
    assert len(table) == 48 and table.columns.names[0] == "SliceNo"
    assert [name for name in table.columns.names if name.startswith("wlc")] == [
        f"wlc{i}{j}" for i in range(3) for j in range(7)]
    dispersion = small_night.geometry.spectral.dispersion
    y = np.arange(1, 513, dtype=np.float64)[:, None]
    residuals = []
    for row in table:
        number = int(row["SliceNo"])
        model = truth.ifu(IFU).slice(number)
        left, right = model.left_edge(y), model.right_edge(y)
        x = np.arange(int(left.min()), int(right.max()) + 2, dtype=np.float64)[None, :]
        inside = (x >= left + 0.5) & (x <= right - 0.5)
        coefficients = np.array([[row[f"wlc{i}{j}"] for j in range(7)] for i in range(3)])
        # the recipe's x is relative to its own traced centre; the truth's centre is within
        # a few hundredths of a pixel of it, a negligible wavelength difference (tilt < 0.3 px)
        fitted = evaluate_solution(coefficients, *np.broadcast_arrays(x - model.centre(y), y))
        true = light.dispersion.wavelength(IFU, number, x, y)
        in_cube = inside & (true > 4750) & (true < 9350)
        residuals.append(((fitted - true) / dispersion)[in_cube])
    residuals = np.concatenate(residuals)
    assert np.sqrt(np.mean(residuals**2)) < 0.02
    assert np.abs(residuals).max() < 0.1


def test_qc_and_products(wavecal_run, fitsverify, small_night):
    result, out = wavecal_run.result, wavecal_run.out
    assert set(result.units) == {IFU}
    qc = result.units[IFU].qc
    usable = sum(1 for row in fits.getdata(small_night.statics["LINE_CATALOG"], 1)
                 if row["quality"] >= 1)
    for number in (1, 24, 48):
        prefix = f"WAVECAL SLICE{number}"
        assert qc[f"{prefix} LINES NID"] >= usable - 2
        assert qc[f"{prefix} FIT NLINES"] >= usable - 2
        assert qc[f"{prefix} FIT RMS"] < 0.2
        assert 21.0 < qc[f"{prefix} LINES FWHM MEAN"] < 23.0
        for lamp in (1, 2, 3):
            assert qc[f"{prefix} LAMP{lamp} LINES PEAK MAX"] > 0
        assert {f"{prefix} DWLEN BOTTOM", f"{prefix} DWLEN TOP", f"{prefix} WLPOS",
                f"{prefix} RESOL"} <= set(qc)
    product = out / f"WAVECAL_TABLE-{IFU:02d}.fits"
    header = fits.getheader(product)
    assert header["HIERARCH ESO PRO CATG"] == "WAVECAL_TABLE"
    assert header["HIERARCH ESO QC WAVECAL SLICE1 LINES NID"] == qc["WAVECAL SLICE1 LINES NID"]
    assert header["HIERARCH ESO PRO REC1 CAL3 CATG"] == "LINE_CATALOG"
    fitsverify(product)
    preview = out / f"WAVECAL_TABLE-{IFU:02d}.png"
    assert preview.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_inputs_are_checked(small_night, bias_run, flat_run, tmp_path):
    bias = bias_run.out / f"MASTER_BIAS-{IFU:02d}.fits"
    trace = flat_run.out / f"TRACE_TABLE-{IFU:02d}.fits"
    with pytest.raises(RecipeError, match="expected a LINE_CATALOG, found category "
                                          "MASTER_BIAS"):
        make_wavecal(small_night.arc_files, bias, trace, bias, out_dir=tmp_path, ifus=[IFU])
    with pytest.raises(RecipeError, match="expected a raw ARC frame, found category FLAT"):
        make_wavecal(small_night.flat_files, bias, trace, small_night.statics["LINE_CATALOG"],
                     out_dir=tmp_path, ifus=[IFU])
    with pytest.raises(RecipeError, match="extension CHAN06: no TRACE_TABLE"):
        make_wavecal(small_night.arc_files, bias_run.out / "MASTER_BIAS-06.fits", trace,
                     small_night.statics["LINE_CATALOG"], out_dir=tmp_path, ifus=[6])
    assert not list(tmp_path.iterdir())


def test_awe_recipe_wavecal_needs_one_catalogue(small_night, bias_run, flat_run, tmp_path,
                                                 capsys):
    code = main(["recipe", "wavecal", *map(str, small_night.arc_files),
                 str(bias_run.out / f"MASTER_BIAS-{IFU:02d}.fits"),
                 str(flat_run.out / f"TRACE_TABLE-{IFU:02d}.fits"), "--out", str(tmp_path)])
    assert code == 1
    assert "expected exactly 1 LINE_CATALOG file(s) (the arc line list ESO ships), found 0" \
        in capsys.readouterr().err


def test_awe_recipe_wavecal_makes_what_make_wavecal_makes(small_night, bias_run, flat_run,
                                                          wavecal_run, tmp_path, capsys):
    sof = tmp_path / "wavecal.sof"
    sof.write_text(f"{small_night.statics['LINE_CATALOG']} LINE_CATALOG\n")
    out = tmp_path / "out"
    assert main(["recipe", "wavecal", *map(str, small_night.arc_files), str(sof),
                 str(bias_run.out / f"MASTER_BIAS-{IFU:02d}.fits"),
                 str(flat_run.out / f"TRACE_TABLE-{IFU:02d}.fits"), "--nifu", str(IFU),
                 "--out", str(out)]) == 0
    name = f"WAVECAL_TABLE-{IFU:02d}.fits"
    assert capsys.readouterr().out.splitlines() == [
        str(out / name), f"muse_wavecal: 1 IFU(s), 1 product file(s) and 1 preview(s) in {out}"]
    with fits.open(out / name) as again, fits.open(wavecal_run.out / name) as reference:
        assert again[1].columns.names == reference[1].columns.names
        for column in reference[1].columns.names:
            np.testing.assert_array_equal(again[1].data[column], reference[1].data[column])


def test_central_spectrum_skips_flagged_columns():
    """A hot column through the slice centre must not enter the spectrum lines are found in."""
    rows = np.arange(1, 101, dtype=np.float64)
    line = 1000.0 * np.exp(-0.5 * ((rows - 50.3) / 1.2) ** 2)
    image = np.tile(line[:, None] + 10.0, (1, 20))
    variance = np.full(image.shape, 4.0)
    image[:, 9] = 5e4  # column 10 (1-based), where the centre is
    bad = np.zeros(image.shape, dtype=bool)
    bad[:, 9] = True
    centre = np.full(rows.size, 10.2)
    spectrum, error = central_spectrum(image, variance, centre, bad=bad)
    np.testing.assert_allclose(spectrum, line + 10.0)
    np.testing.assert_allclose(error, 4.0 / 3)
    found = detect_lines(spectrum, error, sigma=5.0, line_sigma=1.2)
    assert found.centre == pytest.approx([50.3], abs=0.01)
    # unflagged, the hot column dominates the mean and hides the line's shape
    hot, _ = central_spectrum(image, variance, centre)
    assert hot.min() > 1e4
    # a row with every candidate column flagged contributes nothing
    bad[40, :] = True
    spectrum, error = central_spectrum(image, variance, centre, bad=bad)
    assert spectrum[40] == 0 and np.isinf(error[40])
