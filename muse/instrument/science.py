"""The science scene: stars, an emission-line galaxy and the night sky, seen through the slices.

Field positions are spaxels of 0.2″ from the field centre (:mod:`muse.instrument.fieldmap`);
fluxes are ESO's units, 10⁻²⁰ erg/s/cm²/Å (continua, per spaxel for extended light, in total
for a star) and 10⁻²⁰ erg/s/cm² (lines). A CCD pixel sees one spaxel at the position along its
slice; its electrons per second are the light integrated over the pixel's wavelength range,
dimmed by the extinction at the scene's airmass and turned into counts with the response
(:mod:`muse.instrument.spectra`, the same curves as the EXTINCT_TABLE and STD_RESPONSE the
simulator writes). Lines have the instrument's Gaussian width; the galaxy's lines move with
its rotation.

- **Stars**: circular Gaussian PSF (FWHM :data:`PSF_FWHM_SPAXELS`), power-law continuum
  ``amplitude (λ/7000)^slope``.
- **Galaxy**: an exponential disk (scale length, axis ratio, position angle) with a power-law
  continuum and emission lines at redshift ``z``, rotating as ``vmax tanh(r_major/r_turn)``.
- **Sky**: a flat continuum and :data:`~muse.instrument.spectra.SKY_LINES` in every spaxel.
- **WCS**: the field centre at (RA, Dec), north up, east left (``x`` along the slices runs to
  the west), 0.2″ spaxels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from astropy.io import fits
from scipy.special import ndtr

from muse.instrument.arcs import FWHM_TO_SIGMA
from muse.instrument.dispersion import DispersionModel
from muse.instrument.fieldmap import FieldMap
from muse.instrument.slicelight import integrate_lines, render_slices
from muse.instrument.spectra import SKY_LINES, extinction, response
from muse.layout import SLICES_PER_STACK, SPAXEL_ARCSEC, STACKS, Geometry

__all__ = ["PSF_FWHM_SPAXELS", "Galaxy", "Scene", "Star", "science_rate"]

PSF_FWHM_SPAXELS = 4.0
SPEED_OF_LIGHT = 299792.458
UNIT = 1e-20
_FAINTEST = 1e-6
_PSF_REACH = 7.0
# rest-frame air wavelengths (Å) and central surface fluxes of the galaxy's lines
GALAXY_LINES = ((4861.33, 150.0), (4958.91, 100.0), (5006.84, 300.0), (6548.05, 60.0),
                (6562.80, 600.0), (6583.45, 180.0), (6716.44, 90.0), (6730.82, 70.0))


@dataclass(frozen=True)
class Star:
    """A point source at field ``(x, y)`` (spaxels) with a power-law continuum."""

    name: str
    x: float
    y: float
    amplitude: float
    slope: float


@dataclass(frozen=True)
class Galaxy:
    """An exponential disk with continuum and rotating emission lines."""

    x: float
    y: float
    scale_length: float
    axis_ratio: float
    position_angle: float
    continuum: float
    slope: float
    redshift: float
    vmax: float
    turnover: float
    lines: tuple[tuple[float, float], ...] = GALAXY_LINES

    def profile(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Relative surface brightness (1 at the centre) and the major-axis coordinate."""
        angle = np.radians(self.position_angle)
        major = (x - self.x) * np.cos(angle) + (y - self.y) * np.sin(angle)
        minor = -(x - self.x) * np.sin(angle) + (y - self.y) * np.cos(angle)
        radius = np.hypot(major, minor / self.axis_ratio)
        return np.exp(-radius / self.scale_length), major


@dataclass(frozen=True)
class Scene:
    """What the telescope points at: sources, sky, airmass and the WCS of the field."""

    target: str
    ra: float
    dec: float
    airmass: float
    stars: tuple[Star, ...]
    galaxy: Galaxy
    sky_continuum: float
    sky_lines: tuple[tuple[float, float], ...] = SKY_LINES

    @classmethod
    def default(cls, geometry: Geometry) -> Scene:
        """The scene of every simulated night, placed within ``geometry``'s field of view."""
        half_x = STACKS * geometry.slices.width / 2
        half_y = geometry.n_ifus * SLICES_PER_STACK / 2
        stars = (Star("star-1", 0.45 * half_x, 0.30 * half_y, 2500.0, -1.2),
                 Star("star-2", -0.50 * half_x, -0.55 * half_y, 1200.0, 0.5),
                 Star("star-3", 0.10 * half_x, 0.80 * half_y, 600.0, -0.3))
        galaxy = Galaxy(x=0.0, y=0.05 * half_y, scale_length=6.0, axis_ratio=0.6,
                        position_angle=60.0, continuum=30.0, slope=-0.8, redshift=0.05,
                        vmax=150.0, turnover=4.0)
        return cls(target="HUDF-SIM", ra=53.1625, dec=-27.7914, airmass=1.2, stars=stars,
                   galaxy=galaxy, sky_continuum=25.0)

    def wcs_keywords(self) -> dict[str, object]:
        """FITS WCS of field spaxels (1-based pixel 0 at the field centre)."""
        step = SPAXEL_ARCSEC / 3600
        return {"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CUNIT1": "deg", "CUNIT2": "deg",
                "CRPIX1": 0.0, "CRPIX2": 0.0, "CRVAL1": self.ra, "CRVAL2": self.dec,
                "CD1_1": -step, "CD1_2": 0.0, "CD2_1": 0.0, "CD2_2": step}

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the truth sidecar."""
        return {"target": self.target, "ra": self.ra, "dec": self.dec, "airmass": self.airmass,
                "psf_fwhm_spaxels": PSF_FWHM_SPAXELS, "units": {
                    "positions": "field spaxels of 0.2 arcsec from the field centre",
                    "continua": "1e-20 erg/s/cm2/Angstrom (per spaxel; stars in total)",
                    "lines": "1e-20 erg/s/cm2 (per spaxel)", "vmax": "km/s"},
                "wcs": self.wcs_keywords(),
                "stars": [asdict(star) for star in self.stars],
                "galaxy": asdict(self.galaxy), "sky_continuum": self.sky_continuum,
                "sky_lines": [list(line) for line in self.sky_lines]}

    def point(self, header: fits.Header) -> None:
        """Set what a science exposure's primary header says about the pointing."""
        for key, value, comment in (
            ("OBJECT", self.target, "Original target"),
            ("RA", self.ra, "[deg] Telescope pointing"),
            ("DEC", self.dec, "[deg] Telescope pointing"),
            ("HIERARCH ESO OBS NAME", self.target, "OB name"),
            ("HIERARCH ESO OBS TARG NAME", self.target, "OB target name"),
            ("HIERARCH ESO TEL AIRM START", self.airmass, "Airmass at start"),
            ("HIERARCH ESO TEL AIRM END", self.airmass, "Airmass at end"),
            ("HIERARCH ESO TEL AMBI FWHM START", 0.8, "[arcsec] Seeing at start"),
            ("HIERARCH ESO TEL AMBI FWHM END", 0.8, "[arcsec] Seeing at end"),
        ):
            header[key] = (value, comment)

    def surface(self, x: np.ndarray, y: np.ndarray,
                centres: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Continuum (per Å), galaxy line scale and velocity at field ``(x, y)``.

        ``centres`` are the pixel-centre wavelengths (same shape).
        """
        sigma = PSF_FWHM_SPAXELS * FWHM_TO_SIGMA
        continuum = np.full_like(centres, self.sky_continuum)
        log_ratio = np.log(centres / 7000.0)
        for star in self.stars:
            distance2 = (x - star.x) ** 2 + (y - star.y) ** 2
            if distance2.min() > (_PSF_REACH * sigma) ** 2:
                continue
            psf = np.exp(-0.5 * distance2 / sigma**2)
            continuum += (star.amplitude / (2 * np.pi * sigma**2) * psf
                          * np.exp(star.slope * log_ratio))
        disk, major = self.galaxy.profile(x, y)
        if disk.max() > _FAINTEST:
            continuum += self.galaxy.continuum * disk * np.exp(self.galaxy.slope * log_ratio)
        velocity = self.galaxy.vmax * np.tanh(major / self.galaxy.turnover)
        return continuum, disk, velocity


def _add_moving_line(light: np.ndarray, low: np.ndarray, high: np.ndarray,
                     observed: np.ndarray, flux: np.ndarray, sigma: float) -> None:
    """Add a line whose centre ``observed`` and ``flux`` vary from pixel to pixel.

    Only the rows near the line are computed.
    """
    middle = low[:, low.shape[1] // 2]
    first = max(int(np.searchsorted(middle, observed.min() - 8 * sigma)) - 3, 0)
    last = min(int(np.searchsorted(middle, observed.max() + 8 * sigma)) + 3, light.shape[0])
    if first >= last:
        return
    rows = slice(first, last)
    centre = observed[rows]
    light[rows] += flux[rows] * (ndtr((high[rows] - centre) / sigma)
                                 - ndtr((low[rows] - centre) / sigma))


def science_rate(dispersion: DispersionModel, field: FieldMap, scene: Scene, ifu: int,
                 pixel_response: np.ndarray) -> np.ndarray:
    """Electrons per second per trimmed pixel of IFU ``ifu`` looking at ``scene`` (float32)."""
    instrument = dispersion.instrument
    geometry = instrument.geometry
    sigma = geometry.spectral.line_fwhm_angstrom * FWHM_TO_SIGMA
    galaxy = scene.galaxy
    sky_wavelengths = [line for line, _ in scene.sky_lines]
    sky_fluxes = [flux for _, flux in scene.sky_lines]

    grid = np.arange(4000.0, 10500.0, 2.0)
    counts_grid = UNIT * 10 ** (0.4 * (response(grid) - extinction(grid) * scene.airmass))

    def integrate(slice_no: int, along: np.ndarray, edges: np.ndarray) -> np.ndarray:
        x, y = field.placement(ifu, slice_no).position(along)
        low, high = edges[:-1], edges[1:]
        centres = (low + high) / 2
        continuum, disk, velocity = scene.surface(x, y, centres)
        light = continuum * (high - low) + integrate_lines(edges, sky_wavelengths, sky_fluxes,
                                                          sigma)
        if disk.max() > _FAINTEST:
            shift = (1 + galaxy.redshift) * (1 + velocity / SPEED_OF_LIGHT)
            for rest, flux in galaxy.lines:
                _add_moving_line(light, low, high, rest * shift, flux * disk, sigma)
        return light * np.interp(centres, grid, counts_grid)

    rate = render_slices(dispersion, ifu, integrate)
    rate *= instrument.ifu(ifu).throughput
    rate *= pixel_response
    np.maximum(rate, 0.0, out=rate)
    return rate.astype(np.float32)
