"""muse_scibasic (first version): the pixel table of the science frame against the truth."""

import numpy as np
import pytest
from astropy.io import fits

from awe.cli import main
from common.errors import RecipeError
from muse.instrument.fieldmap import FieldMap
from muse.instrument.light import LightSources
from muse.recipes.scibasic import decode_origin, make_pixtable

IFU = 5  # the IFU the session's wavecal_run processes


@pytest.fixture(scope="module")
def pixtable(small_night, bias_run, flat_run, wavecal_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("pixtable")
    calibrations = {
        "MASTER_BIAS": [bias_run.out / f"MASTER_BIAS-{IFU:02d}.fits"],
        "MASTER_FLAT": [flat_run.out / f"MASTER_FLAT-{IFU:02d}.fits"],
        "TRACE_TABLE": [flat_run.out / f"TRACE_TABLE-{IFU:02d}.fits"],
        "WAVECAL_TABLE": [wavecal_run.out / f"WAVECAL_TABLE-{IFU:02d}.fits"],
        "GEOMETRY_TABLE": [small_night.statics["GEOMETRY_TABLE"]],
    }
    result = make_pixtable(small_night.object_files, calibrations, out_dir=out, ifus=[IFU])
    return result, out / f"PIXTABLE_OBJECT_0001-{IFU:02d}.fits", calibrations


def test_pixtable_layout(pixtable, fitsverify):
    result, path, _ = pixtable
    assert path in result.files
    fitsverify(path)
    with fits.open(path) as hdul:
        assert [hdu.name for hdu in hdul[1:]] == ["XPOS", "YPOS", "LAMBDA", "DATA", "DQ", "STAT",
                                                 "ORIGIN", "PIXTABLE_FLAT_FIELD"]
        assert {hdu.data.shape[1] for hdu in hdul[1:8]} == {1}
        header = hdul[0].header
        assert header["HIERARCH ESO PRO CATG"] == "PIXTABLE_OBJECT"
        assert header["HIERARCH ESO DRS MUSE PIXTABLE TYPE"] == "GEOFULL"
        assert header["HIERARCH ESO DRS MUSE PIXTABLE EXP1 LAST"] == hdul[1].data.shape[0] - 1
        wavelength = hdul["LAMBDA"].data[:, 0]
        assert wavelength.min() >= 4750 and wavelength.max() <= 9350


def test_awe_recipe_scibasic_from_a_positional_sof(pixtable, small_night, tmp_path, capsys):
    _, made, calibrations = pixtable
    sof = tmp_path / "scibasic.sof"
    sof.write_text("".join(f"{path} {catg}\n" for catg, paths in calibrations.items()
                           for path in paths))
    out = tmp_path / "out"
    assert main(["recipe", "scibasic", str(sof), *map(str, small_night.object_files),
                 "--nifu", str(IFU), "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [str(out / made.name),
                     f"muse_scibasic: 1 IFU(s), 1 product file(s) and 1 preview(s) in {out}"]
    with fits.open(out / made.name) as again, fits.open(made) as reference:
        for name in ("XPOS", "YPOS", "LAMBDA", "DATA", "DQ", "ORIGIN"):
            np.testing.assert_array_equal(again[name].data, reference[name].data)


def test_pixels_sit_where_the_truth_puts_them(pixtable, small_night, truth):
    _, path, _ = pixtable
    light = LightSources.load(truth.model, small_night.truth_directory)
    field = FieldMap.build(truth.model)
    with fits.open(path) as hdul:
        header = hdul[0].header
        offsets = {s: header[f"HIERARCH ESO DRS MUSE PIXTABLE EXP1 IFU{IFU:02d} SLICE{s:02d} "
                             "XOFFSET"] for s in range(1, 49)}
        slices, ifus, columns, rows = decode_origin(hdul["ORIGIN"].data[:, 0], offsets)
        wavelength = hdul["LAMBDA"].data[:, 0].astype(np.float64)
        xpos, ypos = hdul["XPOS"].data[:, 0], hdul["YPOS"].data[:, 0]
        data = hdul["DATA"].data[:, 0]
    assert set(ifus) == {IFU} and set(slices) == set(range(1, 49))
    residual = np.empty(slices.size)
    along = np.empty(slices.size)
    for number in range(1, 49):
        mine = slices == number
        x, y = columns[mine] + 1.0, rows[mine] + 1.0
        residual[mine] = wavelength[mine] - light.dispersion.wavelength(IFU, number, x, y)
        model = truth.ifu(IFU).slice(number)
        along[mine] = (x - model.left_edge(y)) / model.width(y) - 0.5
        expected_x, expected_y = field.placement(IFU, number).position(along[mine])
        assert np.abs(xpos[mine] - expected_x).max() < 0.05
        assert np.abs(ypos[mine] - expected_y).max() < 0.05
    dispersion = small_night.geometry.spectral.dispersion
    assert np.sqrt(np.mean((residual / dispersion) ** 2)) < 0.02
    assert np.isfinite(data).all() and np.median(data) > 0


def test_missing_calibration_is_refused(pixtable, small_night, tmp_path):
    _, _, calibrations = pixtable
    with pytest.raises(RecipeError, match="expected a WAVECAL_TABLE, found none"):
        make_pixtable(small_night.object_files, {**calibrations, "WAVECAL_TABLE": []},
                      out_dir=tmp_path, ifus=[IFU])
    assert not list(tmp_path.iterdir())


def test_the_flat_fields_lamp_goes_with_the_data(pixtable, small_night):
    """PIXTABLE_FLAT_FIELD follows the true lamp spectrum; the level is the flat's mean."""
    _, path, calibrations = pixtable
    lamp = small_night.load_truth().model.lamp
    with fits.open(path) as hdul:
        table = hdul["PIXTABLE_FLAT_FIELD"].data
        level = hdul[0].header["HIERARCH ESO DRS MUSE FLAT FLUX LAMP"]
    assert level == fits.getheader(calibrations["MASTER_FLAT"][0])[
        "HIERARCH ESO QC FLAT MASTER MEAN"]
    assert np.all(np.diff(table["lambda"]) > 0)
    # the lamp's shape to 1 % (the flat's pixels scatter around it by their response)
    ratio = table["data"] / lamp.spectrum(table["lambda"])
    assert np.std(ratio) / np.mean(ratio) < 0.01


@pytest.mark.parametrize(("keyword", "value"), [("HIERARCH ESO INS MODE", "WFM-AO-N"),
                                                ("HIERARCH ESO DET READ CURID", 2)])
def test_a_master_flat_of_another_setup_is_refused(pixtable, small_night, tmp_path, keyword,
                                                   value):
    _, _, calibrations = pixtable
    flat = tmp_path / "MASTER_FLAT-05.fits"
    with fits.open(calibrations["MASTER_FLAT"][0]) as hdul:
        hdul[0].header[keyword] = value
        hdul.writeto(flat)
    out = tmp_path / "out"
    short = keyword.removeprefix("HIERARCH ")
    with pytest.raises(RecipeError, match=f"{flat}\\[CHAN05\\]: keyword '{short}': expected "):
        make_pixtable(small_night.object_files, {**calibrations, "MASTER_FLAT": [flat]},
                      out_dir=out, ifus=[IFU])
    assert not out.exists() or not list(out.iterdir())
