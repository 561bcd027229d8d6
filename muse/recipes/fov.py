"""IMAGE_FOV: the field-of-view images of a cube, their PNG previews and the source QC.

The PNG shows the image on the sky (RA/Dec axes from the cube's WCS) scaled between the 1st
and 99.5th percentile, with a title and a colour bar in the image's unit. Sources for the
``QC SCIPOST`` values are found in the white-light image: connected spaxels 5 σ above the
median (σ from the median absolute deviation), each fitted with an elliptical Gaussian
whose FWHM along x and y gives ``FWHMk X/Y`` (arcsec).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
from matplotlib.figure import Figure
from scipy import ndimage, optimize

__all__ = ["MAX_SOURCES", "find_sources", "source_qc", "write_fov_preview"]

MAX_SOURCES = 50
_SIGMA_TO_FWHM = 2.0 * np.sqrt(2.0 * np.log(2.0))
_FIT_HALF = 5


def write_fov_preview(path: Path, image: np.ndarray, header: fits.Header, *, title: str,
                      unit: str) -> None:
    """Write the PNG preview of a 2-D image with WCS ``header``."""
    height = 6.0
    width = min(10.0, max(4.5, height * image.shape[1] / max(image.shape[0], 1) + 2.5))
    figure = Figure(figsize=(width, height), dpi=100)
    axes = figure.add_subplot(projection=WCS(header))
    finite = image[np.isfinite(image)]
    low, high = np.percentile(finite, (1.0, 99.9)) if finite.size else (0.0, 1.0)
    if not high > low:
        high = low + 1.0
    shown = axes.imshow(image, origin="lower", cmap="viridis", vmin=low, vmax=high,
                        interpolation="nearest")
    axes.set_xlabel("Right ascension")
    axes.set_ylabel("Declination")
    axes.coords[0].set_ticklabel(exclude_overlapping=True)
    axes.set_title(title, fontsize=10)
    bar = figure.colorbar(shown, ax=axes, fraction=0.046, pad=0.04)
    bar.set_label(unit, fontsize=8)
    figure.savefig(path, format="png", bbox_inches="tight")


def _gaussian(coordinates: tuple[np.ndarray, np.ndarray], amplitude: float, x0: float,
              y0: float, sigma_x: float, sigma_y: float, background: float) -> np.ndarray:
    x, y = coordinates
    return background + amplitude * np.exp(-0.5 * (((x - x0) / sigma_x) ** 2
                                                   + ((y - y0) / sigma_y) ** 2))


def _fit(image: np.ndarray, x: int, y: int) -> tuple[float, float, float, float] | None:
    y0, y1 = max(0, y - _FIT_HALF), min(image.shape[0], y + _FIT_HALF + 1)
    x0, x1 = max(0, x - _FIT_HALF), min(image.shape[1], x + _FIT_HALF + 1)
    cut = image[y0:y1, x0:x1]
    yy, xx = np.mgrid[y0:y1, x0:x1]
    good = np.isfinite(cut)
    if np.count_nonzero(good) < 7:
        return None
    start = (float(image[y, x] - np.nanmedian(cut)), float(x), float(y), 1.0, 1.0,
             float(np.nanmedian(cut)))
    try:
        with warnings.catch_warnings():
            # a covariance that cannot be estimated does not matter for the FWHM
            warnings.simplefilter("ignore", optimize.OptimizeWarning)
            values, _ = optimize.curve_fit(_gaussian, (xx[good], yy[good]), cut[good],
                                           p0=start, maxfev=2000)
    except RuntimeError:
        return None
    amplitude, cx, cy, sx, sy, _ = values
    if amplitude <= 0 or not (x0 <= cx < x1 and y0 <= cy < y1):
        return None
    return float(cx), float(cy), abs(float(sx)), abs(float(sy))


def find_sources(image: np.ndarray, *, sigma: float = 5.0
                 ) -> list[tuple[float, float, float, float]]:
    """Sources of ``image``, brightest first: ``(x, y, sigma_x, sigma_y)`` in 0-based spaxels."""
    finite = image[np.isfinite(image)]
    if finite.size < 10:
        return []
    median = float(np.median(finite))
    noise = 1.4826 * float(np.median(np.abs(finite - median)))
    if not noise > 0:
        noise = float(np.std(finite)) or 1.0
    mask = np.nan_to_num(image, nan=median) > median + sigma * noise
    labels, count = ndimage.label(mask)
    if count == 0:
        return []
    indices = np.arange(1, count + 1)
    sizes = ndimage.sum_labels(mask, labels, indices)
    peaks = ndimage.maximum_position(np.nan_to_num(image, nan=median), labels, indices)
    heights = ndimage.maximum(np.nan_to_num(image, nan=median), labels, indices)
    sources = []
    for index in np.argsort(heights)[::-1]:
        if sizes[index] < 3 or len(sources) >= MAX_SOURCES:
            continue
        y, x = peaks[index]
        fitted = _fit(image, int(x), int(y))
        if fitted is not None:
            sources.append(fitted)
    return sources


def source_qc(image: np.ndarray, *, dx_arcsec: float, dy_arcsec: float,
              wavelength: float) -> list[tuple[str, float | int, str]]:
    """``QC SCIPOST`` cards ``(name without 'QC ', value, comment)`` of an image's sources."""
    sources = find_sources(image)
    cards: list[tuple[str, float | int, str]] = [
        ("SCIPOST NDET", len(sources), "Number of detected sources in output cube"),
        ("SCIPOST LAMBDA", round(wavelength, 3),
         "[Angstrom] Wavelength of the image used for object detection"),
    ]
    fwhm = []
    for number, (_, _, sigma_x, sigma_y) in enumerate(sources, start=1):
        fx = _SIGMA_TO_FWHM * sigma_x * dx_arcsec
        fy = _SIGMA_TO_FWHM * sigma_y * dy_arcsec
        cards.append((f"SCIPOST FWHM{number} X", round(float(fx), 4),
                      f"[arcsec] FWHM in x-direction of source {number}"))
        cards.append((f"SCIPOST FWHM{number} Y", round(float(fy), 4),
                      f"[arcsec] FWHM in y-direction of source {number}"))
        fwhm.append(0.5 * (fx + fy))
    cards.append(("SCIPOST FWHM NVALID", len(fwhm), "Number of detected sources with valid "
                  "FWHM"))
    if fwhm:
        median = float(np.median(fwhm))
        cards.append(("SCIPOST FWHM MEDIAN", round(median, 4),
                      "[arcsec] Median FWHM of all sources with valid FWHM"))
        cards.append(("SCIPOST FWHM MAD", round(float(np.median(np.abs(np.array(fwhm)
                                                                         - median))), 4),
                      "[arcsec] Median absolute deviation of the FWHM"))
    return cards
