"""muse_scipost on synthetic pixel tables drawn from a known scene (small geometry).

The scene: a point source (Gaussian PSF) with a flat continuum and one emission line, on a
faint flat background, observed through a known response and extinction. The pixel tables
are written here with astropy alone, in ESO's layout and with ESO's origin bits, so the
recipe's own reader and writer are not part of the truth. One slice is flagged bad, so its
spaxels must stay empty.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from scipy.special import erf

from common.errors import RecipeError
from muse.recipes.fluxcal import FLUX_UNIT
from muse.recipes.scipost import make_scipost

N_IFUS, SLICES, WIDTH, ROWS = 24, 48, 8, 512
DISPERSION, FIRST_LAMBDA = 10.0, 4600.0
EXPTIME, AIRMASS = 600.0, (1.1, 1.3)
SOURCE_X, SOURCE_Y, PSF_SIGMA = 15.3, 140.6, 1.2
CONTINUUM, BACKGROUND = 1000.0, 20.0
LINE_LAMBDA, LINE_SIGMA, LINE_FLUX = 6600.37, 9.34, 20000.0
SKY_LEVEL = 300.0
BAD_IFU, BAD_SLICE = 3, 5
DATE_OBS = "2026-12-01T03:04:05.678"


def response(wave):
    """ESO's response: 2.5 log10 of count/s/Å per erg/s/cm²/Å."""
    return 2.5 * np.log10(1e18) + 0.2 * (wave - 7000.0) / 2000.0


def extinction(wave):
    """Magnitudes per airmass."""
    return 0.1 + 0.05 * (7000.0 - wave) / 2000.0


def pixel_flux(lam, x, y, *, sky: bool):
    """Flux density (1e-20 erg/s/cm²/Å) of a pixel of 1 spaxel and DISPERSION Å at λ."""
    def integral(centre, sigma, low, high):
        return 0.5 * (erf((high - centre) / (np.sqrt(2) * sigma))
                      - erf((low - centre) / (np.sqrt(2) * sigma)))
    psf = (integral(SOURCE_X, PSF_SIGMA, x - 0.5, x + 0.5)
           * integral(SOURCE_Y, PSF_SIGMA, y - 0.5, y + 0.5))
    line = LINE_FLUX * integral(LINE_LAMBDA, LINE_SIGMA, lam - DISPERSION / 2,
                                lam + DISPERSION / 2) / DISPERSION
    flux = (CONTINUUM + line) * psf + BACKGROUND
    if sky:
        flux = flux + SKY_LEVEL * (1.0 + 0.3 * np.sin(lam / 150.0))
    return flux


def origin_bits(ifu, slice_no, ccd_y, x_in_slice):
    return (slice_no | (ifu << 6) | ((ccd_y + 1) << 11) | ((x_in_slice + 1) << 24)).astype(
        np.int32)


def primary(ifu: int, *, date_obs: str = DATE_OBS, mode: str = "WFM-NOAO-N") -> fits.Header:
    header = fits.Header()
    header["INSTRUME"] = "MUSE"
    header["OBJECT"] = "NGC 0001"
    header["RA"] = (150.1, "[deg] pointing")
    header["DEC"] = (-20.2, "[deg] pointing")
    header["EXPTIME"] = EXPTIME
    header["DATE-OBS"] = date_obs
    header["MJD-OBS"] = 61010.12784
    header["EXTNAME"] = f"CHAN{ifu:02d}"
    header["HIERARCH ESO INS MODE"] = mode
    header["HIERARCH ESO TEL AIRM START"] = AIRMASS[0]
    header["HIERARCH ESO TEL AIRM END"] = AIRMASS[1]
    header["HIERARCH ESO DPR TECH"] = "IFU"
    header["HIERARCH ESO PRO CATG"] = "PIXTABLE_OBJECT"
    header["HIERARCH ESO DRS MUSE PIXTABLE TYPE"] = "GEOFULL"
    for slice_no in range(1, SLICES + 1):
        header[f"HIERARCH ESO DRS MUSE PIXTABLE EXP0 IFU{ifu:02d} SLICE{slice_no:02d} "
               f"XOFFSET"] = 20 + 11 * (slice_no - 1)
    return header


def write_ifu(path: Path, ifu: int, rng: np.random.Generator, *, sky: bool,
              header: fits.Header | None = None) -> None:
    """One IFU's pixel table: rows slice by slice, CCD row by row, x within the slice."""
    slice_no, ccd_y, xs = (a.ravel() for a in np.meshgrid(
        np.arange(1, SLICES + 1), np.arange(ROWS), np.arange(WIDTH), indexing="ij"))
    stack, row = (slice_no - 1) // 12, (slice_no - 1) % 12
    x = (stack * WIDTH + xs).astype(np.float32)
    y = ((ifu - 1) * 12 + row).astype(np.float32)
    offset = 3.0 * np.sin(slice_no + 7 * ifu)  # per-slice wavelength solutions differ
    lam = FIRST_LAMBDA + DISPERSION * ccd_y + offset
    flux = pixel_flux(lam, x, y, sky=sky)
    airmass = sum(AIRMASS) / 2
    counts = (flux * 1e-20 * EXPTIME * DISPERSION * 10 ** (0.4 * response(lam))
              * 10 ** (-0.4 * extinction(lam) * airmass))
    stat = np.maximum(counts, 0) + 25.0
    data = counts + rng.normal(size=counts.size) * np.sqrt(stat)
    dq = np.where((ifu == BAD_IFU) & (slice_no == BAD_SLICE), 1 << 14, 0)
    columns = {"xpos": x, "ypos": y, "lambda": lam, "data": data, "dq": dq, "stat": stat,
               "origin": origin_bits(ifu, slice_no, ccd_y, xs)}
    units = {"xpos": "pix", "ypos": "pix", "lambda": "Angstrom", "data": "count",
             "stat": "count**2"}
    hdus = [fits.PrimaryHDU(header=header if header is not None else primary(ifu))]
    for name, values in columns.items():
        dtype = np.int32 if name in ("dq", "origin") else np.float32
        hdu = fits.ImageHDU(np.asarray(values, dtype=dtype).reshape(-1, 1), name=name)
        if name in units:
            hdu.header["BUNIT"] = units[name]
        hdus.append(hdu)
    fits.HDUList(hdus).writeto(path)


@dataclass(frozen=True)
class Inputs:
    pixtables: list[Path]
    sky_pixtables: list[Path]
    response: Path
    extinction: Path
    directory: Path


def table(path: Path, columns: dict[str, np.ndarray]) -> Path:
    fits.BinTableHDU.from_columns([fits.Column(name=name, format="D", array=values)
                                   for name, values in columns.items()]).writeto(path)
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Inputs:
    directory = tmp_path_factory.mktemp("pixtables")
    rng = np.random.default_rng(20261201)
    clean, with_sky = [], []
    for ifu in range(1, N_IFUS + 1):
        clean.append(directory / f"PIXTABLE_OBJECT_0001-{ifu:02d}.fits")
        write_ifu(clean[-1], ifu, rng, sky=False)
        with_sky.append(directory / f"PIXTABLE_SKY_0001-{ifu:02d}.fits")
        write_ifu(with_sky[-1], ifu, rng, sky=True)
    wave = np.linspace(4000.0, 10000.0, 601)
    return Inputs(clean, with_sky,
                  table(directory / "STD_RESPONSE.fits", {"lambda": wave,
                                                          "response": response(wave),
                                                          "resperr": np.full(601, 0.01)}),
                  table(directory / "EXTINCT_TABLE.fits", {"LAMBDA": wave,
                                                           "EXTINCTION": extinction(wave)}),
                  directory)


@pytest.fixture(scope="module")
def filter_list() -> Path:
    mpdaf = pytest.importorskip("mpdaf")
    return Path(mpdaf.__file__).parent / "obj" / "filters" / "filter_list.fits"


@pytest.fixture(scope="module")
def drizzle_run(inputs, filter_list, tmp_path_factory):
    out = tmp_path_factory.mktemp("scipost-drizzle")
    calls = []
    # a spectral drop of one pixel: smaller drops of the 10-Å pixels of the small geometry
    # leave planes empty and shift a line by up to half a plane (ESO's 0.8 is meant for
    # 1.25-Å pixels); the spatial pixfrac is ESO's default
    result = make_scipost(inputs.pixtables, std_response=inputs.response,
                          extinct_table=inputs.extinction, filter_list=filter_list,
                          out_dir=out, params={"filter": "white,Johnson_V", "pixfrac": "0.8,1"},
                          progress=lambda done, total, what: calls.append((done, total)))
    return result, out, calls


def read_cube(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fits.open(path, checksum=True) as hdul:
            return (hdul[0].header, hdul["DATA"].header, hdul["DATA"].data.astype(np.float64),
                    hdul["STAT"].data.astype(np.float64))


def aperture_spectrum(data, radius=6.0):
    yy, xx = np.mgrid[:data.shape[1], :data.shape[2]]
    inside = (xx - SOURCE_X) ** 2 + (yy - SOURCE_Y) ** 2 <= radius ** 2
    values = data[:, inside]
    spectrum = values.sum(axis=1)
    spectrum[~np.isfinite(values).all(axis=1)] = np.nan
    return spectrum, int(inside.sum())


def test_cube_layout_wcs_and_units(drizzle_run, fitsverify):
    _, out, calls = drizzle_run
    assert sorted(p.name for p in out.iterdir()) == [
        "DATACUBE_FINAL.fits", "IMAGE_FOV_0001.fits", "IMAGE_FOV_0001.png",
        "IMAGE_FOV_0002.fits", "IMAGE_FOV_0002.png"]
    for path in out.glob("*.fits"):
        fitsverify(path)
    head, data_header, data, stat = read_cube(out / "DATACUBE_FINAL.fits")
    assert data.shape == (3681, 288, 32) and stat.shape == data.shape
    assert data_header["BUNIT"] == FLUX_UNIT
    assert head["HIERARCH ESO PRO CATG"] == "DATACUBE_FINAL"
    assert head["HIERARCH ESO PRO REC1 ID"] == "muse_scipost"
    assert head["HIERARCH ESO PRO REC1 PIPE ID"].startswith("muse-wise/")
    assert head["HIERARCH ESO PRO REC1 RAW24 NAME"] == "PIXTABLE_OBJECT_0001-24.fits"
    assert head.comments["HIERARCH ESO QC SCIPOST NDET"]
    assert head["HIERARCH ESO QC SCIPOST NDET"] == 1
    assert 0.5 < head["HIERARCH ESO QC SCIPOST FWHM MEDIAN"] < 0.65  # 2.355 · 1.2 · 0.2″
    assert not any(key.startswith("ESO DRS MUSE PIXTABLE") for key in head)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wcs = WCS(data_header)
    # the pointing is at position (0, 0) of the pixel tables, here their first spaxel
    ra, dec, lam = wcs.pixel_to_world_values(0, 0, 0)
    assert (ra, dec) == pytest.approx((150.1, -20.2))
    assert lam == pytest.approx(4750.0e-10)  # astropy gives SI units
    assert wcs.pixel_to_world_values(0, 0, 3680)[2] == pytest.approx(9350.0e-10)
    assert data_header["CD1_1"] == pytest.approx(-0.2 / 3600)
    assert calls[-1][0] == calls[-1][1]


def test_point_source_flux_position_and_line(drizzle_run):
    _, out, _ = drizzle_run
    _, _, data, _ = read_cube(out / "DATACUBE_FINAL.fits")
    spectrum, area = aperture_spectrum(data)
    wave = 4750.0 + 1.25 * np.arange(data.shape[0])
    source = spectrum - BACKGROUND * area
    continuum = (wave > 5000) & (wave < 6400)
    assert np.nanmean(source[continuum]) == pytest.approx(CONTINUUM, rel=0.02)
    window = np.abs(wave - LINE_LAMBDA) < 45
    line = source[window] - CONTINUUM
    good = np.isfinite(line)
    centroid = np.sum(line[good] * wave[window][good]) / np.sum(line[good])
    assert abs(centroid - LINE_LAMBDA) < 0.1 * 1.25
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the bad slice has no finite plane
        image = np.nanmean(data[continuum], axis=0) - BACKGROUND
    yy, xx = np.mgrid[:image.shape[0], :image.shape[1]]
    near = (xx - SOURCE_X) ** 2 + (yy - SOURCE_Y) ** 2 <= 36
    x = np.sum(image[near] * xx[near]) / np.sum(image[near])
    y = np.sum(image[near] * yy[near]) / np.sum(image[near])
    assert abs(x - SOURCE_X) < 0.25 and abs(y - SOURCE_Y) < 0.25


def test_stat_propagated_and_empty_voxels_nan(drizzle_run):
    _, out, _ = drizzle_run
    _, _, data, stat = read_cube(out / "DATACUBE_FINAL.fits")
    wave = 4750.0 + 1.25 * np.arange(data.shape[0])
    far = (slice(None), slice(200, 280), slice(0, 32))
    finite = np.isfinite(data[far])
    assert np.array_equal(finite, np.isfinite(stat[far]))
    scaled = (data[far] - BACKGROUND) / np.sqrt(stat[far])
    assert np.nanstd(scaled) == pytest.approx(1.0, abs=0.05)
    bad_row = (BAD_IFU - 1) * 12 + (BAD_SLICE - 1) % 12
    assert np.isnan(data[:, bad_row, 0:WIDTH]).all()
    assert np.isnan(stat[:, bad_row, 0:WIDTH]).all()
    assert np.isfinite(data[:, bad_row, WIDTH:]).mean() > 0.85
    assert np.isfinite(data).mean() > 0.85
    assert wave[0] == 4750.0


def test_fov_images_are_the_cube_collapsed_with_the_filters(drizzle_run, filter_list):
    result, out, _ = drizzle_run
    _, _, data, _ = read_cube(out / "DATACUBE_FINAL.fits")
    wave = 4750.0 + 1.25 * np.arange(data.shape[0])
    with fits.open(filter_list) as hdul:
        curve = np.interp(wave, hdul["Johnson_V"].data["lambda"],
                          hdul["Johnson_V"].data["throughput"], left=0, right=0)
    for number, weights in ((1, np.ones_like(wave)), (2, curve)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with fits.open(out / f"IMAGE_FOV_{number:04d}.fits", checksum=True) as hdul:
                image = hdul["DATA"].data
                assert hdul["DATA"].header["BUNIT"] == FLUX_UNIT
                assert hdul[0].header["HIERARCH ESO PRO CATG"] == "IMAGE_FOV"
                WCS(hdul["DATA"].header)
        finite = np.isfinite(data)
        with np.errstate(invalid="ignore"):  # the bad slice stays NaN
            expected = (np.tensordot(weights, np.where(finite, data, 0), axes=1)
                        / np.tensordot(weights, finite, axes=1))
        np.testing.assert_allclose(image, expected, rtol=1e-4, atol=1e-3)
    assert result.products["PREVIEW white"].stat().st_size > 5000
    assert result.qc["SCIPOST NDET"] == 1
    # the same values as every recipe's result: one unit, the exposure
    assert result.unit_kind == "exposure" and list(result.units) == [DATE_OBS]
    exposure = result.units[DATE_OBS]
    assert exposure.files["DATACUBE_FINAL"] == out / "DATACUBE_FINAL.fits"
    assert exposure.qc == result.qc and exposure.attributes["DATE_OBS"] == DATE_OBS


def test_awe_recipe_scipost_with_a_positional_sof(inputs, tmp_path):
    sof = tmp_path / "scipost.sof"
    sof.write_text(f"# calibrations without ESO PRO CATG are tagged here\n"
                   f"{inputs.response} STD_RESPONSE\n{inputs.extinction} EXTINCT_TABLE\n")
    out = tmp_path / "out"
    process = subprocess.run(
        [sys.executable, "-m", "awe.cli", "recipe", "scipost", str(sof),
         *map(str, inputs.pixtables), "--out", str(out), "--resample=nearest",
         "--lambdamin=6500", "--lambdamax=6700"], capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr
    lines = process.stdout.splitlines()
    assert lines[:2] == [str(out / "DATACUBE_FINAL.fits"), str(out / "IMAGE_FOV_0001.fits")]
    assert lines[-1] == f"muse_scipost: 1 exposure(s), 2 product file(s) and 1 preview(s) in {out}"
    assert sorted(p.name for p in out.iterdir()) == [
        "DATACUBE_FINAL.fits", "IMAGE_FOV_0001.fits", "IMAGE_FOV_0001.png"]
    head, data_header, data, _ = read_cube(out / "DATACUBE_FINAL.fits")
    assert head["HIERARCH ESO PRO CATG"] == "DATACUBE_FINAL"
    assert data_header["BUNIT"] == FLUX_UNIT  # the response was used
    assert data_header["CRVAL3"] == pytest.approx(6500.0, abs=1.25) and data.shape[0] < 200
    calibrations = {head[f"HIERARCH ESO PRO REC1 CAL{n} CATG"] for n in (1, 2)}
    assert calibrations == {"STD_RESPONSE", "EXTINCT_TABLE"}
    with fits.open(out / "IMAGE_FOV_0001.fits") as hdul:
        assert hdul[0].header["HIERARCH ESO PRO CATG"] == "IMAGE_FOV"


def test_awe_recipe_scipost_counts_its_inputs(inputs, tmp_path):
    process = subprocess.run(
        [sys.executable, "-m", "awe.cli", "recipe", "scipost", *map(str, inputs.pixtables[:23]),
         "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert process.returncode == 1
    assert process.stderr == ("awe: RecipeError: recipe muse_scipost: expected exactly 24 "
                              "PIXTABLE_OBJECT file(s) (the pixel tables of IFUs 1-24 of one "
                              "exposure), found 23\n")
    assert list(tmp_path.iterdir()) == []


def test_mpdaf_reads_the_products(drizzle_run, inputs):
    mpdaf_obj = pytest.importorskip("mpdaf.obj")
    mpdaf_drs = pytest.importorskip("mpdaf.drs")
    _, out, _ = drizzle_run
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cube = mpdaf_obj.Cube(str(out / "DATACUBE_FINAL.fits"))
        assert cube.shape == (3681, 288, 32)
        assert cube.wave.get_crval() == pytest.approx(4750.0)
        image = mpdaf_obj.Image(str(out / "IMAGE_FOV_0001.fits"))
        assert image.shape == (288, 32)
        table = mpdaf_drs.PixTable(str(inputs.pixtables[0]))
        assert table.nrows == SLICES * ROWS * WIDTH
        assert set(np.unique(table.origin2ifu(table.get_origin()))) == {1}


def test_nearest_kernel(inputs, tmp_path):
    result = make_scipost(inputs.pixtables, std_response=inputs.response,
                          extinct_table=inputs.extinction, out_dir=tmp_path,
                          params={"resample": "nearest", "lambdamin": 6000,
                                  "lambdamax": 7000})
    _, _, data, stat = read_cube(tmp_path / "DATACUBE_FINAL.fits")
    wave = 6000.0 + 1.25 * np.arange(data.shape[0])
    assert data.shape == (801, 288, 32) and result.attributes["resample"] == "nearest"
    # 10 Å pixels into 1.25 Å planes: one plane in eight per spaxel holds a pixel
    assert 0.1 < np.isfinite(data).mean() < 0.15
    values = data[:, int(SOURCE_Y), int(SOURCE_X)]
    assert np.isfinite(values).sum() > 80
    assert np.isfinite(stat).sum() == np.isfinite(data).sum()
    continuum = (wave < 6400) & np.isfinite(values)
    assert np.all(values[continuum] > 5 * BACKGROUND)


def test_simple_sky_subtraction(inputs, tmp_path):
    result = make_scipost(inputs.sky_pixtables, std_response=inputs.response,
                          extinct_table=inputs.extinction, out_dir=tmp_path,
                          params={"skymethod": "simple", "lambdamax": 6400})
    _, _, data, _ = read_cube(tmp_path / "DATACUBE_FINAL.fits")
    wave = 4750.0 + 1.25 * np.arange(data.shape[0])
    sky = result.attributes["sky_spectrum"]
    expected = BACKGROUND + SKY_LEVEL * (1.0 + 0.3 * np.sin(wave / 150.0))
    good = np.isfinite(sky)
    assert np.nanmedian(np.abs(sky[good] - expected[good])) < 0.03 * SKY_LEVEL
    spectrum, _ = aperture_spectrum(data)
    # the faintest spaxels are partly faint by noise: the sky comes out a little low
    assert np.nanmean(spectrum) == pytest.approx(CONTINUUM, rel=0.05)


def copy_with(path: Path, target: Path, changes: dict[str, object] | None = None, *,
              flat_field: bool = False) -> Path:
    with fits.open(path) as hdul:
        for key, value in (changes or {}).items():
            hdul[0].header[key] = value
        if flat_field:
            hdul.append(fits.BinTableHDU.from_columns(
                [fits.Column("lambda", "D", array=[4000.0, 10000.0]),
                 fits.Column("data", "D", array=[1.0, 1.0])], name="PIXTABLE_FLAT_FIELD"))
        hdul.writeto(target)
    return target


@pytest.mark.parametrize("case", ["date", "mode", "curid", "missing", "duplicate", "combined",
                                  "filter", "pixfrac", "lamp"])
def test_bad_inputs_are_refused_without_products(inputs, tmp_path, case):
    out = tmp_path / "out"
    paths = list(inputs.pixtables)
    params: dict[str, object] = {}
    if case == "date":
        paths[6] = copy_with(paths[6], tmp_path / paths[6].name,
                             {"DATE-OBS": "2026-12-01T03:20:00.000"})
        expected = f"{paths[6]}: keyword 'DATE-OBS'"
    elif case == "mode":
        paths[9] = copy_with(paths[9], tmp_path / paths[9].name,
                             {"HIERARCH ESO INS MODE": "WFM-AO-N"})
        expected = f"{paths[9]}: keyword 'ESO INS MODE'"
    elif case == "curid":
        paths[11] = copy_with(paths[11], tmp_path / paths[11].name,
                              {"HIERARCH ESO DET READ CURID": 2})
        expected = f"{paths[11]}: keyword 'ESO DET READ CURID'"
    elif case == "lamp":
        # one table of another kind: with the flat field's lamp spectrum, the others without
        paths[3] = copy_with(paths[3], tmp_path / paths[3].name,
                             {"HIERARCH ESO DRS MUSE FLAT FLUX LAMP": 1000.0},
                             flat_field=True)
        expected = f"{paths[0]}: no PIXTABLE_FLAT_FIELD extension, but {paths[3].name} has one"
    elif case == "missing":
        del paths[16]
        expected = "missing IFU 17"
    elif case == "duplicate":
        paths.append(copy_with(paths[4], tmp_path / "again.fits"))
        expected = f"{tmp_path / 'again.fits'}: IFU 5 given twice"
    elif case == "combined":
        paths[2] = copy_with(paths[2], tmp_path / paths[2].name,
                             {"HIERARCH ESO DRS MUSE PIXTABLE COMBINED": 2})
        expected = f"{paths[2]}: a pixel table of 2 combined exposures"
    elif case == "filter":
        params = {"filter": "Johnson_V"}
        expected = "filter 'Johnson_V': not found (no FILTER_LIST given)"
    else:
        params = {"pixfrac": "0.8,x"}
        expected = "parameter pixfrac"
    with pytest.raises(RecipeError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        make_scipost(paths, out_dir=out, params=params)
    assert not out.exists() or list(out.iterdir()) == []


def test_a_failure_while_resampling_leaves_nothing(inputs, tmp_path):
    def progress(done, total, what):
        if what.startswith("planes") and done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        make_scipost(inputs.pixtables, out_dir=tmp_path, progress=progress,
                     params={"lambdamin": 6000, "lambdamax": 6500}, slab_planes=16)
    assert list(tmp_path.iterdir()) == []
