"""The whole chain, raw frames to DATACUBE_FINAL, against the truth the small night was drawn from.

One run (the session's ``science_chain``): bias → flat (+ trace) → wavecal → scibasic →
scipost with default parameters. The truth: the simulator's dispersion relation
(``wavelength.json``) and its scene (``scene.json``: stars with power-law continua, a
rotating galaxy with emission lines, a flat sky), placed on the sky by the scene's WCS.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.io import fits
from astropy.units import Unit
from astropy.wcs import WCS
from mpdaf.drs import PixTable as MpdafPixTable
from mpdaf.obj import Cube as MpdafCube
from scipy.optimize import curve_fit

from muse.instrument.arcs import FWHM_TO_SIGMA
from muse.instrument.light import LightSources
from muse.instrument.science import PSF_FWHM_SPAXELS, SPEED_OF_LIGHT
from muse.recipes.arclines import evaluate_solution

# the session's chain (about 4 minutes alone) runs in the first test's setup, which the
# default 600-s timeout also covers: on a loaded machine the chain takes longer
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

STAR = "star-1"
CONTINUUM_BAND = (6000.0, 6250.0)  # no sky or galaxy line within
APERTURE_SPAXELS = 8.0  # 4.7 PSF sigmas: all but 2e-5 of a star's light
SOURCE_FREE_SPAXELS = 20.0  # the sky: spaxels at least this far from every star …
GALAXY_FREE_SPAXELS = 45.0  # … and from the galaxy (its disk is then below 0.1 % of the sky)
LINE_REST = 5006.84  # [O III]: alone within the window, no sky line near
LINE_WINDOW = 22.0  # Å each side of the expected centroid (2.4 line sigmas)
# spaxels around the galaxy's centre: the centroid's noise (from STAT) is 0.036 CCD px here,
# 0.069 px within 2.5 spaxels
LINE_APERTURE = 6.0


@pytest.fixture(scope="module")
def light(science_chain):
    night = science_chain.night
    return LightSources.load(night.load_truth().model, night.truth_directory)


@pytest.fixture(scope="module")
def cube(science_chain):
    """Data, variance and WCS of the DATACUBE_FINAL, the wavelength of every plane."""
    with fits.open(science_chain.cube) as hdus:
        header = hdus["DATA"].header
        data, stat = hdus["DATA"].data.astype(np.float64), hdus["STAT"].data
        wcs = WCS(header)
    planes = header["CRVAL3"] + header["CD3_3"] * (np.arange(data.shape[0]) + 1 - header["CRPIX3"])
    return data, stat, wcs, planes


def _cube_position(scene_wcs: WCS, cube_wcs: WCS, x: float, y: float) -> np.ndarray:
    """0-based cube (column, row) of field spaxel ``(x, y)`` (the scene's WCS is 1-based)."""
    ra, dec = scene_wcs.all_pix2world(x, y, 1)
    return np.array(cube_wcs.celestial.all_world2pix(ra, dec, 0), dtype=np.float64)


def _field_position(scene_wcs: WCS, cube_wcs: WCS, column: np.ndarray,
                    row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ra, dec = cube_wcs.celestial.all_pix2world(column, row, 0)
    return scene_wcs.all_world2pix(ra, dec, 1)


def _sky(data: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The sky spectrum: per plane, the median of the source-free spaxels ``keep``."""
    return np.nanmedian(data[:, keep], axis=1)


def _source_free(light, scene_wcs, cube_wcs, shape) -> np.ndarray:
    rows, columns = np.indices(shape)
    keep = np.ones(shape, dtype=bool)
    scene = light.scene
    for star in scene.stars:
        cx, cy = _cube_position(scene_wcs, cube_wcs, star.x, star.y)
        keep &= np.hypot(columns - cx, rows - cy) > SOURCE_FREE_SPAXELS
    gx, gy = _cube_position(scene_wcs, cube_wcs, scene.galaxy.x, scene.galaxy.y)
    keep &= np.hypot(columns - gx, rows - gy) > GALAXY_FREE_SPAXELS
    return keep


def test_wavelength_solution_matches_the_true_dispersion(science_chain, light):
    """RMS of (fitted − true) wavelength over every slice of every IFU, in CCD pixels."""
    night = science_chain.night
    truth = night.load_truth()
    dispersion = night.geometry.spectral.dispersion
    ny = night.geometry.detector.trimmed_ny
    y = np.arange(1, ny + 1, dtype=np.float64)[:, None]
    residuals = []
    for ifu, path in science_chain.wavecal_table.items():
        for row in fits.getdata(path, 1):
            number = int(row["SliceNo"])
            model = truth.ifu(ifu).slice(number)
            left, right = model.left_edge(y), model.right_edge(y)
            x = np.arange(int(left.min()), int(right.max()) + 2, dtype=np.float64)[None, :]
            inside = (x >= left + 0.5) & (x <= right - 0.5)
            coefficients = np.array([[row[f"wlc{i}{j}"] for j in range(7)] for i in range(3)])
            fitted = evaluate_solution(coefficients,
                                       *np.broadcast_arrays(x - model.centre(y), y))
            true = light.dispersion.wavelength(ifu, number, x, y)
            in_cube = inside & (true > 4750) & (true < 9350)
            residuals.append(((fitted - true) / dispersion)[in_cube])
    assert len(science_chain.wavecal_table) == 24
    residuals = np.concatenate(residuals)
    rms = float(np.sqrt(np.mean(residuals**2)))
    assert rms < 0.02, f"wavelength residual RMS {rms:.4f} px"


def _star_image(cube, light):
    """The star's band-averaged, sky-subtracted image, where the truth puts it, its aperture."""
    data, _, cube_wcs, planes = cube
    scene = light.scene
    scene_wcs = WCS(fits.Header(scene.wcs_keywords()))
    star = next(star for star in scene.stars if star.name == STAR)
    band = (planes >= CONTINUUM_BAND[0]) & (planes <= CONTINUUM_BAND[1])
    sky = _sky(data[band], _source_free(light, scene_wcs, cube_wcs, data.shape[1:]))
    with warnings.catch_warnings():  # a spaxel no slice reaches in the band stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        # the band's mean flux density per spaxel, over the planes a slice covers
        white = np.nanmean(data[band] - sky[:, None, None], axis=0)
    expected = _cube_position(scene_wcs, cube_wcs, star.x, star.y)
    rows, columns = np.indices(data.shape[1:])
    near = np.hypot(columns - expected[0], rows - expected[1]) <= APERTURE_SPAXELS
    true = float(np.mean(star.amplitude * (planes[band] / 7000.0) ** star.slope))
    return white, expected, near, true


def test_point_source_flux(cube, light):
    """A star's continuum flux density within 2 % of the truth (aperture of 4.7 PSF sigmas)."""
    white, _, near, true = _star_image(cube, light)
    empty = int(np.count_nonzero(~np.isfinite(white[near])))
    assert empty == 0, f"{empty} of {near.sum()} spaxels around {STAR} empty in the band"
    ratio = float(white[near].sum() / true)
    assert abs(ratio - 1) < 0.02, f"{STAR} flux / truth = {ratio:.4f}"


def test_point_source_position(cube, light):
    """A star's centre (a Gaussian fit) within 0.25 spaxel of the truth."""
    white, expected, near, _ = _star_image(cube, light)
    rows, columns = np.indices(white.shape)
    fitted = near & np.isfinite(white)

    def gaussian(xy, amplitude, x0, y0, sigma):
        x, y = xy
        return amplitude * np.exp(-0.5 * ((x - x0) ** 2 + (y - y0) ** 2) / sigma**2)

    sigma = PSF_FWHM_SPAXELS * FWHM_TO_SIGMA
    (_, x0, y0, _), _ = curve_fit(gaussian, (columns[fitted], rows[fitted]), white[fitted],
                                  p0=(white[fitted].max(), *expected, sigma))
    offset = float(np.hypot(x0 - expected[0], y0 - expected[1]))
    assert offset < 0.25, f"{STAR} position off by {offset:.3f} spaxel"


def test_emission_line_centroid(science_chain, cube, light):
    """The galaxy's [O III] 5007 centroid near its centre, against the truth's velocity field."""
    data, _, cube_wcs, planes = cube
    scene = light.scene
    galaxy = scene.galaxy
    scene_wcs = WCS(fits.Header(scene.wcs_keywords()))
    sky = _sky(data, _source_free(light, scene_wcs, cube_wcs, data.shape[1:]))
    gx, gy = _cube_position(scene_wcs, cube_wcs, galaxy.x, galaxy.y)
    rows, columns = np.indices(data.shape[1:])
    aperture = np.hypot(columns - gx, rows - gy) <= LINE_APERTURE
    # the truth: each spaxel's line at its velocity, weighted by the disk's surface brightness
    fx, fy = _field_position(scene_wcs, cube_wcs, columns[aperture], rows[aperture])
    disk, major = galaxy.profile(fx, fy)
    velocity = galaxy.vmax * np.tanh(major / galaxy.turnover)
    observed = LINE_REST * (1 + galaxy.redshift) * (1 + velocity / SPEED_OF_LIGHT)
    expected = float(np.sum(disk * observed) / np.sum(disk))

    spectrum = np.nanmean(data[:, aperture] - sky[:, None], axis=1)
    continuum_band = (planes > expected + 2 * LINE_WINDOW) & (planes < expected + 4 * LINE_WINDOW)
    line = spectrum - np.median(spectrum[continuum_band])
    window = np.abs(planes - expected) <= LINE_WINDOW
    centroid = float(np.sum(planes[window] * line[window]) / np.sum(line[window]))
    ccd_px = (centroid - expected) / science_chain.night.geometry.spectral.dispersion
    assert abs(ccd_px) < 0.1, (f"[O III] centroid {centroid:.3f} Å, truth {expected:.3f} Å: "
                               f"{ccd_px:+.4f} CCD px")


def test_cube_opens_without_warnings(science_chain):
    """DATACUBE_FINAL with mpdaf and astropy: no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fits.open(science_chain.cube) as hdus:
            hdus.verify("exception")
            assert WCS(hdus["DATA"].header).has_celestial
            assert hdus["DATA"].header["BUNIT"]
            Unit(hdus["DATA"].header["BUNIT"], format="fits")
        cube = MpdafCube(str(science_chain.cube))
        assert cube.wave.get_step(unit="Angstrom") == pytest.approx(1.25)


def test_pixtable_opens_without_warnings(science_chain):
    """A PIXTABLE_OBJECT with mpdaf and astropy: no warning, every row read."""
    path = science_chain.pixtables[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fits.open(path) as hdus:
            hdus.verify("exception")
            rows = hdus["LAMBDA"].data.shape[0]
        table = MpdafPixTable(str(path))
        try:
            assert table.nrows == rows
            wavelength = table.get_lambda()
            assert wavelength.min() >= 4750 and wavelength.max() <= 9350
            assert np.isfinite(table.get_data()).all()
        finally:
            table.hdulist.close()


def test_products_pass_fitsverify(science_chain, fitsverify):
    fitsverify(science_chain.cube)
    fitsverify(science_chain.pixtables[1])
    fitsverify(science_chain.scipost.products["IMAGE_FOV white"])


def _products(science_chain) -> list:
    """One IFU's products of every per-IFU step, and the exposure's cube and image."""
    return [science_chain.master_bias[1], science_chain.master_flat[1],
            science_chain.trace_table[1], science_chain.pixtables[1], science_chain.cube,
            science_chain.scipost.products["IMAGE_FOV white"]]


def test_products_carry_what_eso_writes(science_chain):
    """EXTNAME on every extension, BUNIT on pixel values, PRO REC1 DRS/PIPE ID, QC comments."""
    for path in _products(science_chain):
        with fits.open(path) as hdus:
            header = hdus[0].header
            assert header["HIERARCH ESO PRO REC1 DRS ID"].startswith("astropy-"), path.name
            assert header["HIERARCH ESO PRO REC1 PIPE ID"].startswith("muse-wise/"), path.name
            qc = [card for card in header.cards if card.keyword.startswith("ESO QC ")]
            assert qc, path.name
            blank = [card.keyword for card in qc if not card.comment]
            assert not blank, f"{path.name}: QC without a comment: {blank[:5]}"
            for hdu in hdus[1:]:
                assert hdu.header.get("EXTNAME"), f"{path.name}: extension without EXTNAME"
                if hdu.is_image and hdu.name not in ("DQ", "ORIGIN"):
                    assert "BUNIT" in hdu.header, f"{path.name}[{hdu.name}]: no BUNIT"
    bias = fits.getheader(science_chain.master_bias[1])
    # cut to the 80 characters as ESO's pipeline cuts them
    assert bias.comments["HIERARCH ESO QC BIAS MASTER1 MEDIAN"].startswith("[adu] Median value")


def test_image_products_open_in_mpdaf_without_warnings(science_chain):
    """MASTER_BIAS, MASTER_FLAT and IMAGE_FOV as mpdaf Images: no warning, units read."""
    from mpdaf.obj import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for path, unit in ((science_chain.master_bias[1], "adu"),
                           (science_chain.master_flat[1], ""),
                           (science_chain.scipost.products["IMAGE_FOV white"], None)):
            image = Image(str(path))
            assert image.shape == fits.getdata(path, "DATA").shape
            if unit is not None:
                assert image.unit == Unit(unit)
