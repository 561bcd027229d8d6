"""Tracing the 48 slices of a master flat: the TRACE_TABLE (ESO's ``muse_trace``).

1. **Find** the slices in a cut of 15 rows at the middle of the CCD (their median per
   column): runs of columns above ``edgefrac`` × the median of the cut. There must be 48.
2. **Follow** them in bins of ``nsum`` rows from the middle up and down
   (:func:`muse.recipes._tracing.trace_edges`): in each bin the left and right half-light
   edges. Window sizes come from the data and the header geometry: the search window is
   ¾ of the slice pitch either side of the centre, the plateau half a slice width.
3. **Fit** polynomials of order ``order`` in the 1-based trimmed row y to the centres
   (mean of the edges), the left and the right edges, rejecting points beyond 5 × RMS (at
   least 0.2 px) of the previous fit; ``MSE`` is the mean squared residual of the last fit.

The table has ESO's columns: ``SliceNo``, ``Width`` (mean right − left), ``tc0_00…tc0_05``
(centre), ``tc1_…`` (left edge), ``tc2_…`` (right edge), coefficients of ascending powers of y
giving 1-based trimmed x, and ``MSE0…MSE2``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from astropy.io import fits
from numpy.polynomial import Polynomial

from common.errors import RecipeError
from muse.layout import N_SLICES
from muse.recipes import _tracing

__all__ = [
    "CUT_ROWS",
    "MAX_ORDER",
    "SliceTrace",
    "find_slices",
    "slice_mask",
    "trace_columns",
    "trace_qc",
    "trace_slices",
]

CUT_ROWS = 15
MAX_ORDER = 5
_REJECT_SIGMA = 5.0
_REJECT_FLOOR = 0.2
_FIT_ITERATIONS = 5
_QC_WIDTH_SLICES = (3, 10, 39, 46)


@dataclass(frozen=True)
class SliceTrace:
    """One traced slice: polynomials (ascending powers of trimmed 1-based y → 1-based x)."""

    slice_no: int
    width: float
    centre: tuple[float, ...]
    left: tuple[float, ...]
    right: tuple[float, ...]
    mse: tuple[float, float, float]

    def x(self, which: str, y: np.ndarray | float) -> np.ndarray:
        """``centre``, ``left`` or ``right`` at trimmed 1-based row(s) ``y``."""
        return Polynomial(getattr(self, which))(np.asarray(y, dtype=np.float64))


def find_slices(image: np.ndarray, edgefrac: float, where: str) -> tuple[np.ndarray, np.ndarray]:
    """0-based centres and widths of the slices in the cut at the middle rows of ``image``."""
    ny = image.shape[0]
    first = max(0, ny // 2 - CUT_ROWS // 2)
    cut = np.median(image[first:first + CUT_ROWS], axis=0)
    threshold = edgefrac * float(np.median(cut))
    above = np.concatenate([[False], cut > threshold, [False]])
    changes = np.flatnonzero(above[1:] != above[:-1])
    starts, stops = changes[::2], changes[1::2]
    if len(starts) != N_SLICES:
        raise RecipeError(f"{where}: expected {N_SLICES} slices in the cut of rows "
                          f"{first + 1}-{first + CUT_ROWS} above {threshold:.6g} (edgefrac "
                          f"{edgefrac} x median), found {len(starts)}")
    return (starts + stops - 1) / 2.0, (stops - starts).astype(np.float64)


def _power_series(centre: float, scale: float, order: int) -> np.ndarray:
    """Matrix taking coefficients in t = (y - centre) / scale to coefficients in y."""
    matrix = np.zeros((order + 1, MAX_ORDER + 1))
    for k in range(order + 1):
        for j in range(k + 1):
            matrix[k, j] = math.comb(k, j) * (-centre) ** (k - j) / scale ** k
    return matrix


def _fit_curves(y: np.ndarray, curves: np.ndarray,
                order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit every column of ``curves`` (bins × curves, NaN = missing) by a polynomial in y.

    Returns the coefficients (curves × 6, ascending powers of y, zero-padded), the mean
    squared residuals and the number of points kept, after iterative rejection.
    """
    centre, scale = float(y.mean()), float(np.ptp(y) / 2) or 1.0
    vandermonde = ((y - centre) / scale)[:, None] ** np.arange(order + 1)[None, :]
    finite = np.isfinite(curves)
    values = np.where(finite, curves, 0.0)
    keep = finite
    for _ in range(_FIT_ITERATIONS):
        weights = keep.astype(np.float64)
        normal = np.einsum("bi,bc,bj->cij", vandermonde, weights, vandermonde)
        rhs = np.einsum("bi,bc->ci", vandermonde, weights * values)
        solvable = keep.sum(axis=0) > order
        normal[~solvable] = np.eye(order + 1)
        coefficients = np.linalg.solve(normal, rhs[:, :, None])[:, :, 0]
        residual = values - vandermonde @ coefficients.T
        counts = np.maximum(keep.sum(axis=0), 1)
        rms = np.sqrt(np.sum(np.where(keep, residual ** 2, 0.0), axis=0) / counts)
        limit = np.maximum(_REJECT_SIGMA * rms, _REJECT_FLOOR)
        new = finite & (np.abs(residual) <= limit[None, :])
        if np.array_equal(new, keep):
            break
        keep = new
    mse = np.sum(np.where(keep, residual ** 2, 0.0), axis=0) / np.maximum(keep.sum(axis=0), 1)
    power = coefficients @ _power_series(centre, scale, order)
    return power, mse, keep.sum(axis=0)


def trace_slices(image: np.ndarray, *, nsum: int, order: int, edgefrac: float, where: str,
                 nthreads: int = 1) -> list[SliceTrace]:
    """Trace the 48 slices of a master flat (trimmed, counts); see the module text."""
    ny = image.shape[0]
    if nsum > ny // (order + 2):
        raise RecipeError(f"{where}: nsum = {nsum} leaves fewer than {order + 2} trace points "
                          f"in {ny} rows for polynomials of order {order}")
    centres, widths = find_slices(image, edgefrac, where)
    pitch = float(np.median(np.diff(centres)))
    halfwindow = max(3, math.ceil(0.75 * pitch))
    row_starts = np.arange(0, ny - nsum + 1, nsum, dtype=np.intp)
    start_bin = min(len(row_starts) - 1, (ny // 2) // nsum)
    left = np.full((len(row_starts), N_SLICES), np.nan)
    right = np.full_like(left, np.nan)
    _tracing.trace_edges(np.ascontiguousarray(image, dtype=np.float32), centres, widths,
                         row_starts, start_bin, nsum, halfwindow, edgefrac, left, right,
                         nthreads)
    y = row_starts + (nsum + 1) / 2.0
    left += 1.0
    right += 1.0
    coefficients, mse, kept = _fit_curves(y, np.hstack([(left + right) / 2, left, right]),
                                          order)
    for index in np.flatnonzero(kept[:N_SLICES] <= order):
        raise RecipeError(f"{where}: slice {index + 1}: only {kept[index]} trace points, too "
                          f"few for a polynomial of order {order}")
    coefficients = coefficients.reshape(3, N_SLICES, MAX_ORDER + 1)
    mse = mse.reshape(3, N_SLICES)
    widths_found = np.nanmean(right - left, axis=0)
    return [SliceTrace(slice_no=index + 1, width=float(widths_found[index]),
                       centre=tuple(coefficients[0, index]), left=tuple(coefficients[1, index]),
                       right=tuple(coefficients[2, index]),
                       mse=(float(mse[0, index]), float(mse[1, index]), float(mse[2, index])))
            for index in range(N_SLICES)]


def trace_columns(traces: Sequence[SliceTrace]) -> fits.ColDefs:
    """ESO's TRACE_TABLE columns for ``traces``."""
    columns = [fits.Column("SliceNo", "J", array=[t.slice_no for t in traces]),
               fits.Column("Width", "D", unit="pix", array=[t.width for t in traces])]
    for number, which in enumerate(("centre", "left", "right")):
        for power in range(MAX_ORDER + 1):
            columns.append(fits.Column(f"tc{number}_{power:02d}", "D",
                                       array=[getattr(t, which)[power] for t in traces]))
    for number in range(3):
        columns.append(fits.Column(f"MSE{number}", "D", array=[t.mse[number] for t in traces]))
    return fits.ColDefs(columns)


def trace_qc(traces: Sequence[SliceTrace], ny: int) -> dict[str, float]:
    """The ``QC TRACE …`` values (without ``QC ``) of a trace of a CCD with ``ny`` rows."""
    y = np.arange(1, ny + 1, dtype=np.float64)
    middle = (ny + 1) / 2.0
    qc: dict[str, float] = {}
    for name, trace in (("SLICE_L", traces[0]), ("SLICE_R", traces[-1])):
        centre = trace.x("centre", y)
        qc[f"TRACE {name} XPOS"] = float(trace.x("centre", middle))
        qc[f"TRACE {name} TILT"] = math.degrees(math.atan((centre[-1] - centre[0]) / (ny - 1)))
    for trace in traces:
        slope = Polynomial(trace.centre).deriv()(y)
        qc[f"TRACE SLICE{trace.slice_no} MAXSLOPE"] = float(np.max(np.abs(slope)))
    for number in _QC_WIDTH_SLICES:
        qc[f"TRACE SLICE{number} WIDTH"] = traces[number - 1].width
    widths = np.array([t.width for t in traces])
    gaps = np.array([float(b.x("left", middle) - a.x("right", middle))
                     for a, b in itertools.pairwise(traces)])
    for name, values in (("WIDTHS", widths), ("GAPS", gaps)):
        qc[f"TRACE {name} MEDIAN"] = float(np.median(values))
        qc[f"TRACE {name} MEAN"] = float(values.mean())
        qc[f"TRACE {name} STDEV"] = float(values.std(ddof=1))
        qc[f"TRACE {name} MIN"] = float(values.min())
        qc[f"TRACE {name} MAX"] = float(values.max())
    return qc


def slice_mask(traces: Sequence[SliceTrace], shape: tuple[int, int]) -> np.ndarray:
    """Slice number (1–48) of every pixel well inside a slice, 0 elsewhere (int16, trimmed).

    A pixel is inside when its centre lies at least 1 px within both traced edges.
    """
    ny, nx = shape
    y = np.arange(1, ny + 1, dtype=np.float64)
    x = np.arange(1, nx + 1, dtype=np.float64)
    mask = np.zeros(shape, dtype=np.int16)
    for trace in traces:
        left, right = trace.x("left", y), trace.x("right", y)
        first = max(0, int(np.floor(left.min())))
        last = min(nx, int(np.ceil(right.max())) + 1)
        columns = x[first:last]
        inside = (columns[None, :] >= left[:, None] + 1) & (columns[None, :]
                                                             <= right[:, None] - 1)
        mask[:, first:last][inside] = trace.slice_no
    return mask
