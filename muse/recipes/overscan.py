"""Overscan statistics and correction of one raw chip, port by port (ESO's muse_quadrants).

Per port the overscan windows are (MUSE-FORMATS §6): the **vertical** overscan, the ``OVSCX``
columns between the data and the centre line over all rows of the port's quarter, and the
**horizontal** overscan, the ``OVSCY`` rows between data and centre line over the port's data
columns; in both the ``ovscignore`` columns/rows next to the data are left out.

- Statistics (``ESO DRS MUSE OVSCn MEAN/STDEV``): mean and standard deviation of both windows
  after rejection: ``dcr`` marks pixels above mean + 4.5 σ of boxes of 128 × 32 (128 along the
  strip, two passes; strips shorter than 128 skip it with a warning, as ESO's do), ``fit``
  clips at ``ovscsigma`` σ around the mean until nothing changes, ``none`` keeps all.
- ``vpoly``: a polynomial in raw y fitted to the vertical overscan: order 0 first, raised while
  the RMS or the reduced χ² improves by more than a factor 1.00001 (at most order 15), then
  refitted while rejecting pixels beyond ``ovscsigma`` × RMS. It is subtracted from every row of
  the port. ``offset`` subtracts the overscan mean, ``none`` nothing.

The fits use the row means of the strip weighted by the number of pixels kept per row, which
gives the same polynomial as a fit to every pixel, and the pixel RMS from the within-row and
between-row sums of squares.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import Chebyshev, Polynomial

from common.errors import RecipeError
from muse.layout import N_PORTS
from muse.recipes import _combine
from muse.recipes.frames import RawChip

__all__ = [
    "DCR_BOX_ACROSS",
    "DCR_BOX_ALONG",
    "DCR_PASSES",
    "DCR_THRESHOLD",
    "VPOLY_IMPROVEMENT",
    "VPOLY_MAX_ORDER",
    "PortOverscan",
    "overscan_windows",
    "process_overscans",
]

log = logging.getLogger(__name__)

DCR_BOX_ALONG = 128
DCR_BOX_ACROSS = 32
DCR_PASSES = 2
DCR_THRESHOLD = 4.5
VPOLY_MAX_ORDER = 15
VPOLY_IMPROVEMENT = 1.00001
_MAX_CLIP_ITERATIONS = 20


@dataclass(frozen=True)
class PortOverscan:
    """The overscan of one port: statistics and what is subtracted from its data rows.

    ``polynomial`` (vpoly only) is in absolute 1-based raw y, coefficients ascending;
    ``row_offset`` holds the value subtracted from each data row of the port (bottom to top).
    """

    port: int
    mean: float
    stdev: float
    polynomial: tuple[float, ...]
    row_offset: np.ndarray

    def keywords(self) -> dict[str, float | int]:
        """``ESO DRS MUSE OVSCn …`` header keywords (without ``ESO ``)."""
        prefix = f"DRS MUSE OVSC{self.port}"
        cards: dict[str, float | int] = {f"{prefix} MEAN": self.mean,
                                         f"{prefix} STDEV": self.stdev}
        if self.polynomial:
            cards[f"{prefix} POLY NCOEFF"] = len(self.polynomial)
            for power, value in enumerate(self.polynomial):
                cards[f"{prefix} POLY Y{power}"] = value
        return cards


def overscan_windows(chip: RawChip, port: int,
                     ignore: int) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
    """Raw ``(y, x)`` windows of the vertical and horizontal overscan of ``port``."""
    detector = chip.detector
    if detector.ovscx <= ignore or detector.ovscy <= ignore:
        raise RecipeError(f"{chip.where}: keywords 'ESO DET OUT{port} OVSCX/OVSCY': expected "
                          f"more than ovscignore = {ignore} overscan columns and rows, found "
                          f"{detector.ovscx} and {detector.ovscy}")
    vy, vx = detector.vertical_overscan(port)
    hy, hx = detector.horizontal_overscan(port)
    if detector.is_right(port):
        vx = slice(vx.start, vx.stop - ignore)
    else:
        vx = slice(vx.start + ignore, vx.stop)
    if detector.is_top(port):
        hy = slice(hy.start, hy.stop - ignore)
    else:
        hy = slice(hy.start + ignore, hy.stop)
    return (vy, vx), (hy, hx)


def _dcr_mask(strip: np.ndarray, along_x: bool, where: str) -> np.ndarray:
    rejected = np.zeros(strip.shape, dtype=np.uint8)
    length = strip.shape[1] if along_x else strip.shape[0]
    if length < DCR_BOX_ALONG:
        log.warning("%s: overscan strip of %d pixels is shorter than the DCR box of %d; "
                    "no rejection", where, length, DCR_BOX_ALONG)
        return rejected
    xbox, ybox = ((DCR_BOX_ALONG, DCR_BOX_ACROSS) if along_x
                  else (DCR_BOX_ACROSS, DCR_BOX_ALONG))
    _combine.dcr_reject(strip, rejected, xbox, ybox, DCR_PASSES, DCR_THRESHOLD)
    return rejected


def _clipped_mask(values: np.ndarray, sigma: float) -> np.ndarray:
    keep = np.ones(values.shape, dtype=bool)
    for _ in range(_MAX_CLIP_ITERATIONS):
        kept = values[keep]
        mean, stdev = kept.mean(), kept.std(ddof=1)
        new = np.abs(values - mean) <= sigma * stdev
        if np.array_equal(new, keep):
            break
        keep = new
    return keep


def _statistics(chip: RawChip, port: int, vertical: np.ndarray, horizontal: np.ndarray,
                params: Mapping[str, object]) -> tuple[float, float]:
    method = params["ovscreject"]
    where = f"{chip.where} port {port}"
    if method == "dcr":
        kept = np.concatenate([vertical[_dcr_mask(vertical, False, where) == 0],
                               horizontal[_dcr_mask(horizontal, True, where) == 0]])
    else:
        kept = np.concatenate([vertical.ravel(), horizontal.ravel()])
        if method == "fit":
            kept = kept[_clipped_mask(kept, float(params["ovscsigma"]))]
    return float(kept.mean()), float(kept.std(ddof=1))


def _fit_rows(y: np.ndarray, means: np.ndarray, counts: np.ndarray, order: int,
              domain: tuple[float, float]) -> Chebyshev:
    return Chebyshev.fit(y, means, order, domain=domain, w=np.sqrt(counts))


def _pixel_sum_of_squares(fit: Chebyshev, y: np.ndarray, means: np.ndarray,
                          counts: np.ndarray, within: float) -> float:
    residual = means - fit(y)
    return within + float(np.sum(counts * residual * residual))


def _vpoly(strip: np.ndarray, rows: slice, where: str, sigma: float) -> Chebyshev:
    """The vpoly polynomial of a vertical overscan strip whose rows are raw rows ``rows``."""
    y = np.arange(rows.start + 1, rows.stop + 1, dtype=np.float64)
    domain = (float(y[0]), float(y[-1]))
    values = strip.astype(np.float64)
    keep = np.ones(values.shape, dtype=bool)
    order = 0
    for iteration in range(_MAX_CLIP_ITERATIONS):
        counts = keep.sum(axis=1).astype(np.float64)
        usable = counts > 0
        sums = np.where(keep, values, 0.0).sum(axis=1)
        means = np.divide(sums, counts, out=np.zeros_like(sums), where=usable)
        deviation = np.where(keep, values - means[:, None], 0.0)
        within = float(np.sum(deviation * deviation))
        npix = float(counts.sum())
        yu, mu, cu = y[usable], means[usable], counts[usable]
        if iteration == 0:
            fit = _fit_rows(yu, mu, cu, 0, domain)
            squares = _pixel_sum_of_squares(fit, yu, mu, cu, within)
            while order < min(VPOLY_MAX_ORDER, len(yu) - 1):
                candidate = _fit_rows(yu, mu, cu, order + 1, domain)
                candidate_squares = _pixel_sum_of_squares(candidate, yu, mu, cu, within)
                rms_gain = np.sqrt(squares / npix) / max(np.sqrt(candidate_squares / npix),
                                                          1e-300)
                chi2_gain = ((squares / (npix - order - 1))
                             / max(candidate_squares / (npix - order - 2), 1e-300))
                if rms_gain <= VPOLY_IMPROVEMENT and chi2_gain <= VPOLY_IMPROVEMENT:
                    break
                fit, squares, order = candidate, candidate_squares, order + 1
        else:
            fit = _fit_rows(yu, mu, cu, order, domain)
            squares = _pixel_sum_of_squares(fit, yu, mu, cu, within)
        rms = np.sqrt(squares / npix)
        new_keep = np.abs(values - fit(y)[:, None]) <= sigma * rms
        if np.array_equal(new_keep, keep) or not new_keep.any():
            break
        keep = new_keep
    if not keep.any():
        raise RecipeError(f"{where}: the vpoly fit rejected every vertical overscan pixel")
    return fit


def process_overscans(chip: RawChip, params: Mapping[str, object]) -> list[PortOverscan]:
    """Statistics and the per-row correction of each port of ``chip`` (ports 1–4)."""
    ignore = int(params["ovscignore"])
    detector = chip.detector
    result = []
    for port in range(1, N_PORTS + 1):
        vertical_window, horizontal_window = overscan_windows(chip, port, ignore)
        vertical = chip.values(vertical_window)
        horizontal = chip.values(horizontal_window)
        mean, stdev = _statistics(chip, port, vertical, horizontal, params)
        data_rows, _ = detector.data_window(port)
        polynomial: tuple[float, ...] = ()
        if params["overscan"] == "vpoly":
            fit = _vpoly(vertical, vertical_window[0], f"{chip.where} port {port}",
                         float(params["ovscsigma"]))
            # the header gets the power series in raw y; the correction is evaluated in the
            # fit's scaled variable, as the power series loses precision at high orders
            polynomial = tuple(float(c) for c in fit.convert(kind=Polynomial).coef)
            y = np.arange(data_rows.start + 1, data_rows.stop + 1, dtype=np.float64)
            row_offset = fit(y)
        elif params["overscan"] == "offset":
            row_offset = np.full(data_rows.stop - data_rows.start, mean)
        else:
            row_offset = np.zeros(data_rows.stop - data_rows.start)
        result.append(PortOverscan(port=port, mean=mean, stdev=stdev, polynomial=polynomial,
                                   row_offset=row_offset))
    return result
