"""Arc lines on a CCD: detection, identification, per-column centroids, and the 2-D solution.

The steps of ESO's ``muse_wavecal`` for one slice, as plain array functions:

1. :func:`central_spectrum` — the mean of the three unflagged columns nearest the traced slice
   centre;
2. :func:`detect_lines` — local maxima whose S/N above a running median exceeds ``sigma``,
   refined by a Gaussian fit;
3. :func:`identify_lines` — a pattern match of the detections against the catalogue: for
   dispersions within ``dres`` of the nominal, the offset shared by most (detection, line)
   pairs wins; the matches are then refined with polynomials of rising order, a detection and
   a line matching when their distance is at most ``tolerance`` × the median catalogue spacing;
4. :func:`fit_gaussians` — every identified line in every column of the slice: a
   pixel-integrated Gaussian plus background, by weighted Gauss–Newton, many lines at once
   (compiled: :mod:`muse.recipes._lines`);
5. :func:`fit_solution` — λ as a polynomial of order ``xorder`` in ``x`` (column minus the
   traced centre at that row) and ``yorder`` in ``y`` (trimmed 1-based row), with iterative
   ``fitsigma`` rejection; the coefficients are returned for raw powers ``x^i y^j``, ESO's
   ``wlc<i><j>``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter
from scipy.special import ndtr

from muse.recipes._lines import fit_lines

__all__ = [
    "CENTRAL_REACH",
    "GaussianFits",
    "Solution",
    "central_spectrum",
    "central_wavelengths",
    "detect_lines",
    "evaluate_solution",
    "fit_gaussians",
    "fit_solution",
    "identify_lines",
    "identify_with_guess",
    "predict_rows",
]

_ITERATIONS = 12
_HALF_WINDOW = 4
_CENTRAL_COLUMNS = 3
CENTRAL_REACH = 4


def central_spectrum(image: np.ndarray, variance: np.ndarray, centre: np.ndarray,
                     reach: int = CENTRAL_REACH) -> tuple[np.ndarray, np.ndarray]:
    """Mean and its variance over the 3 good columns nearest ``centre`` (1-based x per row).

    Pixels of infinite variance (flagged, e.g. a bad column of the master bias) are skipped:
    per row the three good columns closest to the centre, within ``reach`` columns, are
    averaged. A row without any is 0 with infinite variance (no line is detected there).
    """
    ny, nx = image.shape
    rows = np.arange(ny)
    column = np.rint(centre).astype(int) - 1
    # candidate columns, nearest first: 0, -1, +1, -2, +2, ...
    offsets = np.array([0] + [sign * d for d in range(1, reach + 1) for sign in (-1, 1)])
    candidates = column[None, :] + offsets[:, None]
    inside = (candidates >= 0) & (candidates < nx)
    candidates = np.clip(candidates, 0, nx - 1)
    good = inside & np.isfinite(variance[rows[None, :], candidates])
    use = good & (np.cumsum(good, axis=0) <= _CENTRAL_COLUMNS)
    count = use.sum(axis=0)
    values = np.where(use, image[rows[None, :], candidates], 0.0).sum(axis=0)
    variances = np.where(use, variance[rows[None, :], candidates], 0.0).sum(axis=0)
    mean = np.where(count > 0, values / np.maximum(count, 1), 0.0)
    error = np.where(count > 0, variances / np.maximum(count, 1).astype(np.float64) ** 2,
                     np.inf)
    return mean, error


@dataclass(frozen=True)
class GaussianFits:
    """Fitted pixel-integrated Gaussians: centre (1-based row), its error, σ, flux, background.

    ``ok`` is False where a fit failed or is implausible.
    """

    centre: np.ndarray
    error: np.ndarray
    sigma: np.ndarray
    flux: np.ndarray
    background: np.ndarray
    ok: np.ndarray

    @property
    def peak(self) -> np.ndarray:
        """Peak height of the pixel-integrated profile above the background."""
        return self.flux * (2 * ndtr(0.5 / self.sigma) - 1)


def fit_gaussians(image: np.ndarray, variance: np.ndarray, columns: np.ndarray,
                  guesses: np.ndarray, sigma: float, *, nthreads: int = 1) -> GaussianFits:
    """Fit one Gaussian per (0-based column, 1-based row guess) pair (compiled, in parallel).

    Each line: a pixel-integrated Gaussian plus background on the ``2 × 4 + 1`` rows around
    its guess, by weighted Gauss–Newton (:mod:`muse.recipes._lines`).
    """
    result = fit_lines(np.ascontiguousarray(image, dtype=np.float32),
                       np.ascontiguousarray(variance, dtype=np.float32),
                       np.ascontiguousarray(columns, dtype=np.intp),
                       np.ascontiguousarray(guesses, dtype=np.float64), float(sigma),
                       half_window=_HALF_WINDOW, iterations=_ITERATIONS, nthreads=nthreads)
    return GaussianFits(centre=result[:, 0], error=result[:, 1], sigma=result[:, 2],
                        flux=result[:, 3], background=result[:, 4], ok=result[:, 5] > 0)


def detect_lines(spectrum: np.ndarray, variance: np.ndarray, *, sigma: float,
                 line_sigma: float) -> GaussianFits:
    """Lines in a 1-D spectrum: local maxima whose S/N above the running median is > sigma."""
    reach = max(1, math.ceil(2.355 * line_sigma))
    background = median_filter(spectrum, size=2 * math.ceil(10 * line_sigma) + 1, mode="nearest")
    snr = (spectrum - background) / np.sqrt(np.maximum(variance, 1e-6))
    padded = np.pad(spectrum, reach, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1)
    maxima = np.flatnonzero((snr > sigma) & (spectrum >= windows.max(axis=1)))
    maxima = maxima[(maxima >= _HALF_WINDOW) & (maxima < spectrum.size - _HALF_WINDOW)]
    image = spectrum[:, None]
    fits = fit_gaussians(image, np.maximum(variance, 1e-6)[:, None],
                         np.zeros(maxima.size, dtype=int), maxima + 1.0, line_sigma)
    keep = fits.ok
    return GaussianFits(**{name: getattr(fits, name)[keep] for name in
                           ("centre", "error", "sigma", "flux", "background", "ok")})


def identify_lines(positions: np.ndarray, catalog: np.ndarray, *, first_row_wavelength: float,
                   dispersion: float, dres: float, tolerance: float,
                   max_shift_px: float = 50.0) -> tuple[np.ndarray, np.ndarray]:
    """Indices of matched (detection, catalogue line) pairs, one-to-one, sorted by row."""
    if positions.size < 2 or catalog.size < 2:
        return np.empty(0, int), np.empty(0, int)
    match_limit = tolerance * float(np.median(np.diff(catalog)))
    steps = max(1, math.ceil(dres / 0.005))
    best = (-1, 0.0, dispersion)
    for trial in dispersion * (1 + np.linspace(-dres, dres, 2 * steps + 1)):
        offsets = (catalog[None, :] - trial * (positions[:, None] - 1)).ravel()
        offsets = offsets[np.abs(offsets - first_row_wavelength) <= max_shift_px * dispersion]
        if offsets.size == 0:
            continue
        bins = np.floor((offsets - first_row_wavelength) / dispersion).astype(int)
        counts = np.bincount(bins - bins.min())
        top = int(np.argmax(counts[:-1] + counts[1:])) if counts.size > 1 else 0
        if counts[top:top + 2].sum() > best[0]:
            inside = (bins - bins.min() >= top) & (bins - bins.min() <= top + 1)
            best = (int(counts[top:top + 2].sum()), float(np.median(offsets[inside])), trial)
    coefficients = np.array([best[1] - best[2], best[2]])
    matched = (np.empty(0, int), np.empty(0, int))
    for order in (1, 1, 2, 3, 3):
        predicted = np.polynomial.polynomial.polyval(positions, coefficients)
        nearest = np.clip(np.searchsorted(catalog, predicted), 1, catalog.size - 1)
        nearest = np.where(np.abs(catalog[nearest - 1] - predicted)
                           < np.abs(catalog[nearest] - predicted), nearest - 1, nearest)
        distance = np.abs(catalog[nearest] - predicted)
        good = distance <= match_limit
        detections, lines = np.flatnonzero(good), nearest[good]
        # one detection per catalogue line: the closest
        order_by = np.lexsort((distance[good], lines))
        first = np.concatenate([[True], np.diff(lines[order_by]) != 0])
        detections, lines = detections[order_by][first], lines[order_by][first]
        matched = (detections, lines)
        if detections.size <= order + 1:
            break
        coefficients = np.polynomial.polynomial.polyfit(positions[detections], catalog[lines],
                                                        order)
    order_rows = np.argsort(matched[0])
    return matched[0][order_rows], matched[1][order_rows]


def central_wavelengths(coefficients: np.ndarray, ny: int) -> np.ndarray:
    """A solution's wavelength at the slice centre on each of the ``ny`` rows (1-based)."""
    return evaluate_solution(coefficients, np.zeros(ny), np.arange(1, ny + 1, dtype=np.float64))


def predict_rows(coefficients: np.ndarray, lines: np.ndarray, ny: int) -> np.ndarray:
    """Rows (1-based) where a solution's central column has each of ``lines``; NaN off the CCD.

    NaN for every line when the central wavelengths do not rise monotonically.
    """
    central = central_wavelengths(coefficients, ny)
    if np.any(np.diff(central) <= 0):
        return np.full(lines.size, np.nan)
    return np.interp(lines, central, np.arange(1, ny + 1, dtype=np.float64), left=np.nan,
                     right=np.nan)


def identify_with_guess(positions: np.ndarray, predicted: np.ndarray, *, limit: float, ny: int,
                        max_shift: float = 10.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every predicted line, placed by the detections: rows, line indices, detection indices.

    The guess is corrected by the shift (and, with at least four matches, the linear trend)
    of the detections within ``max_shift`` rows of it; a line then takes the row of a
    detection within ``limit`` rows of its corrected prediction, else the prediction
    (detection index -1). Lines too near the ends of the ``ny`` rows for a line fit are left
    out.
    """
    inside = np.flatnonzero(np.isfinite(predicted))
    rows = predicted[inside]
    if positions.size:
        offset = positions[:, None] - rows[None, :]
        near = np.abs(offset) <= max_shift
        if near.any():
            bins = np.floor(offset[near] / 0.5).astype(int)
            counts = np.bincount(bins - bins.min())
            top = int(np.argmax(counts)) + bins.min()
            shift = float(np.median(offset[near][(bins >= top - 1) & (bins <= top + 1)]))
            close = np.abs(offset - shift) <= limit
            detection, line = np.nonzero(close)
            if detection.size >= 4 and np.ptp(rows[line]) > 0:
                trend = np.polyfit(rows[line], offset[detection, line], 1)
                rows = rows + np.polyval(trend, rows)
            else:
                rows = rows + shift
    detections = np.full(rows.size, -1)
    if positions.size:
        distance = np.abs(positions[:, None] - rows[None, :])
        nearest = np.argmin(distance, axis=0)
        hit = distance[nearest, np.arange(rows.size)] <= limit
        # one line per detection: the closest
        for index in np.flatnonzero(hit):
            others = hit & (nearest == nearest[index])
            if distance[nearest[index], index] == distance[nearest[index], others].min():
                detections[index] = nearest[index]
        rows = np.where(detections >= 0, positions[detections], rows)
    usable = (rows >= _HALF_WINDOW + 1) & (rows <= ny - _HALF_WINDOW)
    return rows[usable], inside[usable], detections[usable]


@dataclass(frozen=True)
class Solution:
    """A slice's wavelength solution: ``wlc[i, j]`` of ``x^i y^j``, the points kept, the fit."""

    coefficients: np.ndarray
    kept: np.ndarray
    residuals: np.ndarray
    rms: float
    mse: float


def _raw_powers(scaled: np.ndarray, x_scale: float, y_centre: float,
                y_scale: float) -> np.ndarray:
    """Coefficients of ``(x/xs)^i ((y - yc)/ys)^j`` → coefficients of ``x^i y^j``."""
    xorder, yorder = scaled.shape[0] - 1, scaled.shape[1] - 1
    raw = np.zeros_like(scaled)
    for j in range(yorder + 1):
        for k in range(j + 1):
            factor = math.comb(j, k) * (-y_centre) ** (j - k) / y_scale**j
            raw[:, k] += scaled[:, j] * factor
    return raw / (x_scale ** np.arange(xorder + 1))[:, None]


def evaluate_solution(coefficients: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """λ = Σ wlc[i, j] x^i y^j (``x`` relative to the slice centre, ``y`` 1-based row)."""
    return np.polynomial.polynomial.polyval2d(x, y, coefficients)


def fit_solution(x: np.ndarray, y: np.ndarray, wavelength: np.ndarray, weights: np.ndarray, *,
                 xorder: int, yorder: int, x_scale: float, ny: int,
                 reject_sigma: float) -> Solution:
    """Weighted 2-D polynomial fit with iterative rejection beyond ``reject_sigma`` × RMS."""
    y_centre, y_scale = (ny + 1) / 2, (ny - 1) / 2
    u, v = x / x_scale, (y - y_centre) / y_scale
    design = np.stack([u**i * v**j for i in range(xorder + 1) for j in range(yorder + 1)],
                      axis=1)
    keep = np.ones(x.size, dtype=bool)
    root = np.sqrt(weights)
    for _ in range(10):
        solution, *_ = np.linalg.lstsq(design[keep] * root[keep, None],
                                       wavelength[keep] * root[keep], rcond=None)
        residuals = wavelength - design @ solution
        rms = float(np.sqrt(np.mean(residuals[keep] ** 2)))
        new = np.abs(residuals) <= reject_sigma * rms
        if np.array_equal(new, keep) or new.sum() <= design.shape[1]:
            break
        keep = new
    scaled = solution.reshape(xorder + 1, yorder + 1)
    return Solution(coefficients=_raw_powers(scaled, x_scale, y_centre, y_scale), kept=keep,
                    residuals=residuals, rms=rms, mse=float(np.mean(residuals[keep] ** 2)))
