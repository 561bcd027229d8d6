"""muse_wavecal on the small night: the solution against the simulator's true dispersion."""

import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from scipy.optimize import curve_fit
from scipy.special import ndtr

from awe.cli import main
from common.errors import RecipeError
from muse.datamodel.generated import WavecalTable
from muse.instrument.light import LightSources
from muse.recipes._lines import fit_lines
from muse.recipes.arclines import (
    central_spectrum,
    detect_lines,
    evaluate_solution,
    fit_gaussians,
)
from muse.recipes.wavecal import make_wavecal
from muse.recipes.wavecal_io import read_trace_table

IFU = 5  # the IFU the session's wavecal_run processes


def _residuals_px(table, truth, light, ifu: int, geometry) -> dict[int, np.ndarray]:
    """Per slice, (fitted − true) wavelength in CCD pixels over the slice's pixels in the cube."""
    dispersion = geometry.spectral.dispersion
    y = np.arange(1, geometry.detector.trimmed_ny + 1, dtype=np.float64)[:, None]
    residuals = {}
    for row in table:
        number = int(row["SliceNo"])
        model = truth.ifu(ifu).slice(number)
        left, right = model.left_edge(y), model.right_edge(y)
        x = np.arange(int(left.min()), int(right.max()) + 2, dtype=np.float64)[None, :]
        inside = (x >= left + 0.5) & (x <= right - 0.5)
        coefficients = np.array([[row[f"wlc{i}{j}"] for j in range(7)] for i in range(3)])
        # the recipe's x is relative to its own traced centre; the truth's centre is within
        # a few hundredths of a pixel of it, a negligible wavelength difference (tilt < 0.3 px)
        fitted = evaluate_solution(coefficients, *np.broadcast_arrays(x - model.centre(y), y))
        true = light.dispersion.wavelength(ifu, number, x, y)
        in_cube = inside & (true > 4750) & (true < 9350)
        residuals[number] = ((fitted - true) / dispersion)[in_cube]
    return residuals


def test_solution_matches_the_true_dispersion(wavecal_run, truth, small_night):
    out = wavecal_run.out
    light = LightSources.load(truth.model, small_night.truth_directory)
    table = fits.getdata(out / f"WAVECAL_TABLE-{IFU:02d}.fits", 1)
    assert len(table) == 48 and table.columns.names[0] == "SliceNo"
    assert [name for name in table.columns.names if name.startswith("wlc")] == [
        f"wlc{i}{j}" for i in range(3) for j in range(7)]
    residuals = np.concatenate(list(_residuals_px(table, truth, light, IFU,
                                                  small_night.geometry).values()))
    assert np.sqrt(np.mean(residuals**2)) < 0.02
    assert np.abs(residuals).max() < 0.1
    qc = wavecal_run.result.units[IFU].qc
    # a clean night: every slice solved at the first attempt
    assert (qc["WAVECAL NSLICES RETRIED"], qc["WAVECAL NSLICES FAILED"]) == (0, 0)
    assert not [key for key in qc if key.endswith("SUBSTITUTE")]
    assert 0 < qc["WAVECAL FIT RMS MAX"] < 0.04


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
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fits.open(product) as hdus:
            hdus.verify("exception")
            # the primary's EXTNAME names the IFU, as in ESO's per-IFU products
            assert [hdu.name for hdu in hdus] == [f"CHAN{IFU:02d}", "WAVECAL_TABLE"]
            assert hdus[1].columns["MSE"].unit == "Angstrom**2"
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
    flagged = variance.copy()
    flagged[:, 9] = np.inf  # as the recipe marks the master bias's bad pixels
    centre = np.full(rows.size, 10.2)
    spectrum, error = central_spectrum(image, flagged, centre)
    np.testing.assert_allclose(spectrum, line + 10.0)
    np.testing.assert_allclose(error, 4.0 / 3)
    found = detect_lines(spectrum, error, sigma=5.0, line_sigma=1.2)
    assert found.centre == pytest.approx([50.3], abs=0.01)
    # unflagged, the hot column dominates the mean and hides the line's shape
    hot, _ = central_spectrum(image, variance, centre)
    assert hot.min() > 1e4
    # a row with every candidate column flagged contributes nothing
    flagged[40, :] = np.inf
    spectrum, error = central_spectrum(image, flagged, centre)
    assert spectrum[40] == 0 and np.isinf(error[40])


def _flagged_bias(bias: Path, trace: Path, out: Path, flag: dict[int, tuple[int, int, int]]):
    """A copy of ``bias`` whose DQ flags, per slice, ``(half-width, first row, last row)``.

    The flagged pixels are those within half-width columns of the slice's traced centre
    (the whole slice for a half-width of 0), rows first..last (trimmed, 1-based).
    """
    traces = {t.slice_no: t for t in read_trace_table(trace, IFU)}
    with fits.open(bias) as hdus:
        dq = hdus["DQ"].data
        for number, (half, first, last) in flag.items():
            t = traces[number]
            for row in range(first, last + 1):
                if half:
                    centre = round(float(t.x("centre", row)))
                    lo, hi = centre - half, centre + half
                else:
                    lo = int(np.floor(t.x("left", row))) - 1
                    hi = int(np.ceil(t.x("right", row))) + 1
                dq[row - 1, lo - 1:hi] |= 1
        hdus.writeto(out)
    return out


def test_a_damaged_slice_is_retried_from_its_neighbour(small_night, bias_run, flat_run, truth,
                                                       tmp_path):
    """Slice 10's central columns flagged in the lower half of the CCD, slice 30 entirely.

    Slice 10 finds only the upper half's lines in its central spectrum and is solved again
    from slice 9's solution, every line then fitted in the unflagged columns; slice 30 has
    no light left and carries slice 29's solution.
    """
    trace = flat_run.out / f"TRACE_TABLE-{IFU:02d}.fits"
    bias = _flagged_bias(bias_run.out / f"MASTER_BIAS-{IFU:02d}.fits", trace,
                         tmp_path / "MASTER_BIAS.fits", {10: (2, 1, 300), 30: (0, 1, 512)})
    result = make_wavecal(small_night.arc_files, bias, trace,
                          small_night.statics["LINE_CATALOG"], out_dir=tmp_path / "out",
                          ifus=[IFU])
    qc = result.units[IFU].qc
    assert (qc["WAVECAL NSLICES RETRIED"], qc["WAVECAL NSLICES FAILED"]) == (2, 1)
    assert [key for key in qc if key.endswith("SUBSTITUTE")] == ["WAVECAL SLICE30 SUBSTITUTE"]
    assert qc["WAVECAL SLICE30 SUBSTITUTE"] == 29
    assert qc["WAVECAL SLICE10 FIT NLINES"] >= qc["WAVECAL SLICE9 FIT NLINES"] - 2
    # the data model flags the product: a slice carries its neighbour's solution
    wavecal = WavecalTable()
    wavecal.set_qc({key: value for key, value in qc.items() if key in WavecalTable.qc_keys})
    wavecal.verify()
    assert wavecal.quality_flags == 1 << WavecalTable.quality_bits["failed_slices"], \
        wavecal.qc_failures()
    product = tmp_path / "out" / f"WAVECAL_TABLE-{IFU:02d}.fits"
    header = fits.getheader(product)
    assert header["HIERARCH ESO QC WAVECAL SLICE30 SUBSTITUTE"] == 29
    assert header.comments["HIERARCH ESO QC WAVECAL NSLICES FAILED"] == (
        "Slices with a substitute solution")
    # ESO's comment, cut to the 80-character card as ESO does
    assert header.comments["HIERARCH ESO QC WAVECAL SLICE10 FIT RMS"].startswith("[Angstrom] RMS")
    table = fits.getdata(product, 1)
    light = LightSources.load(truth.model, small_night.truth_directory)
    residuals = _residuals_px(table, truth, light, IFU, small_night.geometry)
    assert np.sqrt(np.mean(residuals[10] ** 2)) < 0.02
    # the substitute: the neighbour's solution, a few pixels off the slice's own truth
    np.testing.assert_array_equal(table[29]["wlc00"], table[28]["wlc00"])
    assert np.sqrt(np.mean(residuals[30] ** 2)) < 5


def test_no_usable_slice_is_an_error_naming_the_file(small_night, bias_run, flat_run, tmp_path):
    trace = flat_run.out / f"TRACE_TABLE-{IFU:02d}.fits"
    bias = _flagged_bias(bias_run.out / f"MASTER_BIAS-{IFU:02d}.fits", trace,
                         tmp_path / "MASTER_BIAS.fits",
                         {number: (0, 1, 512) for number in range(1, 49)})
    with pytest.raises(RecipeError, match=rf"{small_night.arc_files[0].name}.*no slice could "
                                          "be calibrated"):
        make_wavecal(small_night.arc_files, bias, trace, small_night.statics["LINE_CATALOG"],
                     out_dir=tmp_path / "out", ifus=[IFU])
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def _pixel_gaussian(rows, flux, centre, sigma, background):
    return flux * (ndtr((rows + 0.5 - centre) / sigma) - ndtr((rows - 0.5 - centre) / sigma)) \
        + background


def test_compiled_line_fits_match_a_least_squares_fit():
    """fit_gaussians (Cython, 2 threads) against scipy's curve_fit of the same model."""
    rng = np.random.default_rng(3)
    rows = np.arange(1, 201, dtype=np.float64)
    centres = np.array([20.3, 61.77, 100.5, 143.02, 180.9])
    image = np.empty((rows.size, 4), dtype=np.float32)
    for column in range(4):
        image[:, column] = sum(_pixel_gaussian(rows, 4000.0 * (column + 1), c, 0.95, 12.0)
                               for c in centres)
    image += rng.normal(0, 5, image.shape).astype(np.float32)
    variance = np.full(image.shape, 25.0, dtype=np.float32)
    variance[:, 3] = np.inf  # a flagged column: no weight, no fit
    columns = np.repeat(np.arange(4), centres.size)
    guesses = np.tile(centres + 0.7, 4)
    fits_ = fit_gaussians(image, variance, columns, guesses, 0.93, nthreads=2)
    assert fits_.ok.tolist() == [True] * 15 + [False] * 5
    for k in range(15):
        column, guess = columns[k], guesses[k]
        window = np.abs(rows - np.rint(guess)) <= 4
        expected, covariance = curve_fit(
            _pixel_gaussian, rows[window], image[window, column].astype(np.float64),
            p0=(1000.0, guess, 0.93, 0.0), sigma=np.full(window.sum(), 5.0),
            absolute_sigma=True)
        assert fits_.centre[k] == pytest.approx(expected[1], abs=1e-6)
        assert fits_.sigma[k] == pytest.approx(expected[2], abs=1e-6)
        assert fits_.flux[k] == pytest.approx(expected[0], rel=1e-6)
        assert fits_.error[k] == pytest.approx(np.sqrt(covariance[1, 1]), rel=1e-3)
    assert np.abs(fits_.centre[:15] - np.tile(centres, 3)).max() < 0.01


def test_compiled_line_fits_check_their_arguments():
    image = np.zeros((20, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=r"columns\[1\]: expected 0..2, found 3"):
        fit_lines(image, image, np.array([0, 3], dtype=np.intp), np.array([5.0, 6.0]), 1.0)
    with pytest.raises(ValueError, match="columns and guesses: expected equal lengths"):
        fit_lines(image, image, np.array([0], dtype=np.intp), np.array([5.0, 6.0]), 1.0)
    with pytest.raises(ValueError, match="image: expected at least 9 rows, found 5"):
        fit_lines(image[:5], image[:5], np.array([0], dtype=np.intp), np.array([3.0]), 1.0)


def _copy_with(path: Path, folder: Path, key: str, value: object) -> Path:
    """A copy of ``path`` in ``folder`` with primary keyword ``key`` set to ``value``."""
    folder.mkdir(exist_ok=True)
    copy = folder / path.name
    with fits.open(path, do_not_scale_image_data=True) as hdus:
        hdus[0].header[key] = value
        hdus.writeto(copy)
    return copy


@pytest.mark.parametrize("what, key, value", [
    ("arc", "HIERARCH ESO INS MODE", "NFM-AO-N"),
    ("arc", "HIERARCH ESO DET READ CURID", 2),
    ("trace", "HIERARCH ESO INS MODE", "NFM-AO-N"),
    ("trace", "HIERARCH ESO DET READ CURID", 2),
    ("bias", "HIERARCH ESO DET READ CURID", 2),
])
def test_mismatched_setups_name_the_file(small_night, bias_run, flat_run, tmp_path, what, key,
                                         value):
    """An arc, TRACE_TABLE or MASTER_BIAS of another mode or read-out: no product."""
    arcs = list(small_night.arc_files)
    bias = bias_run.out / f"MASTER_BIAS-{IFU:02d}.fits"
    trace = flat_run.out / f"TRACE_TABLE-{IFU:02d}.fits"
    if what == "arc":
        arcs[2] = bad = _copy_with(arcs[2], tmp_path / "in", key, value)
    elif what == "trace":
        trace = bad = _copy_with(trace, tmp_path / "in", key, value)
    else:
        bias = bad = _copy_with(bias, tmp_path / "in", key, value)
    with pytest.raises(RecipeError) as error:
        make_wavecal(arcs, bias, trace, small_night.statics["LINE_CATALOG"],
                     out_dir=tmp_path / "out", ifus=[IFU])
    message = str(error.value)
    assert str(bad) in message, message
    assert f"'{key.removeprefix('HIERARCH ')}'" in message and repr(value) in message
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
