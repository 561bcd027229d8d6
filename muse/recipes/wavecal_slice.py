"""The wavelength solution of every slice of one IFU, with a retry from a neighbour's solution.

Why: a slice whose central column is damaged (bad columns, a masked region, a cosmic-ray
track along the slice) identifies only part of its lines in the first pass, and a 2-D
polynomial fitted to lines at one end of the CCD runs away at the other. Such a slice is
*poor*; it is solved again with the solution of its nearest good neighbour (slices adjacent
on the CCD differ by a few pixels) as the first guess, every catalogue line of the lamp being
looked for where the guess puts it. If that still fails, the neighbour's solution is
substituted and the slice is counted as failed.

A slice is poor when its fit fails, keeps fewer than ``MIN_LINE_FRACTION`` of the median
number of lines of the IFU's slices, has a fit RMS above ``MAX_RMS_PX`` pixels, or its
central-column solution leaves the median of the IFU's slices by more than
``MAX_DEVIATION_PX`` pixels somewhere on the CCD.

QC (besides each slice's ``ESO QC WAVECAL SLICEj …``, :mod:`muse.recipes.wavecal`):
``WAVECAL NSLICES RETRIED`` and ``WAVECAL NSLICES FAILED``, ``WAVECAL FIT RMS MAX`` (the
largest slice fit RMS, in pixels) and, per substituted slice, ``WAVECAL SLICEj SUBSTITUTE``
(the number of the slice whose solution it carries).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from common.errors import RecipeError
from muse.layout import SpectralLayout
from muse.recipes.arclines import (
    CENTRAL_REACH,
    central_spectrum,
    central_wavelengths,
    detect_lines,
    evaluate_solution,
    fit_gaussians,
    fit_solution,
    identify_lines,
    identify_with_guess,
    predict_rows,
)
from muse.recipes.params import ParameterValue
from muse.recipes.trace import SliceTrace

__all__ = [
    "ION_LAMPS",
    "MAX_DEVIATION_PX",
    "MAX_RMS_PX",
    "MIN_LINE_FRACTION",
    "WLEN",
    "SliceFit",
    "SliceSolutions",
    "calibrate_slice",
    "solve_slices",
]

log = logging.getLogger(__name__)

WLEN = 7000.0
ION_LAMPS = {"Ne": "Ne", "Xe": "Xe", "Hg": "HgCd", "Cd": "HgCd"}
MIN_LINE_FRACTION = 0.75
MAX_RMS_PX = 0.04
MAX_DEVIATION_PX = 10.0
_FWHM_PER_SIGMA = 2.3548


@dataclass(frozen=True)
class SliceFit:
    """One slice's solution: ``wlc`` coefficients, MSE (Å²), QC, residual points, lines kept."""

    slice_no: int
    coefficients: np.ndarray
    mse: float
    rms: float
    nlines: int
    qc: dict[str, float | int]
    points: np.ndarray


@dataclass
class SliceSolutions:
    """The solutions of an IFU's slices in trace order, their QC, and the residual points.

    ``retried`` lists slice numbers; ``substitutes`` maps each failed slice (retried without
    success) to the slice whose solution it carries.
    """

    rows: list[np.ndarray] = field(default_factory=list)
    qc: dict[str, float | int] = field(default_factory=dict)
    points: list[np.ndarray] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    substitutes: dict[int, int] = field(default_factory=dict)


def _statistics(prefix: str, values: np.ndarray) -> dict[str, float]:
    if values.size == 0:
        return {}
    return {f"{prefix} MEAN": float(values.mean()),
            f"{prefix} STDEV": float(values.std(ddof=1)) if values.size > 1 else 0.0,
            f"{prefix} MIN": float(values.min()), f"{prefix} MAX": float(values.max())}


def calibrate_slice(trace: SliceTrace, images: Mapping[str, np.ndarray],
                    variances: Mapping[str, np.ndarray],
                    catalog: Sequence[tuple[float, str]], spectral: SpectralLayout,
                    params: Mapping[str, ParameterValue], ny: int, *,
                    guess: np.ndarray | None = None, nthreads: int = 1) -> SliceFit:
    """Solve one slice; with ``guess`` (``wlc`` of a neighbour) lines are placed by it.

    The line fits run on ``nthreads`` threads.

    Raises :class:`RecipeError` (naming the slice) when too few line positions remain.
    """
    y = np.arange(1, ny + 1, dtype=np.float64)
    centre = trace.x("centre", y)
    sigma_px = spectral.line_fwhm_px / _FWHM_PER_SIGMA
    linesigma = float(params["linesigma"]) if float(params["linesigma"]) > 0 else 3.0
    slice_name = f"WAVECAL SLICE{trace.slice_no}"
    # columns for the central spectrum: within the inner half of the slice
    reach = min(CENTRAL_REACH, max(1, int(trace.width // 4)))
    qc: dict[str, float | int] = {}
    xs, ys, lams, errors, scatters, fwhms, line_ids = [], [], [], [], [], [], []
    ndet, nid, peaks = 0, 0, []
    for number, (lamp, image) in enumerate(images.items(), start=1):
        wanted = [(wl, i) for i, (wl, ion) in enumerate(catalog)
                  if lamp == "all" or ION_LAMPS.get(ion[:2]) in lamp.split("+")]
        if len(wanted) < 2:
            continue
        lines = np.array([wl for wl, _ in wanted])
        variance = variances[lamp]
        spectrum, spectrum_variance = central_spectrum(image, variance, centre, reach=reach)
        found = detect_lines(spectrum, spectrum_variance, sigma=float(params["sigma"]),
                             line_sigma=sigma_px)
        ndet += found.centre.size
        if guess is None:
            detections, matched = identify_lines(
                found.centre, lines, first_row_wavelength=spectral.lambda_first_row,
                dispersion=spectral.dispersion, dres=float(params["dres"]),
                tolerance=float(params["tolerance"]))
            rows = found.centre[detections]
            lamp_peaks = found.peak[detections]
        else:
            limit = float(params["tolerance"]) * float(np.median(np.diff(lines))) \
                / spectral.dispersion
            rows, matched, detections = identify_with_guess(
                found.centre, predict_rows(guess, lines, ny), limit=limit, ny=ny)
            lamp_peaks = found.peak[detections[detections >= 0]]
        nid += matched.size
        peaks.append(lamp_peaks)
        qc.update(_statistics(f"{slice_name} LAMP{number} LINES PEAK", lamp_peaks))
        spans = []
        for row in rows:
            columns = np.arange(int(np.ceil(trace.x("left", row))),
                                int(np.floor(trace.x("right", row))) + 1)
            spans.append(columns[(columns >= 1) & (columns <= image.shape[1])])
        if not spans:
            continue
        owner = np.concatenate([np.full(c.size, k) for k, c in enumerate(spans)])
        all_columns = np.concatenate(spans)
        fit = fit_gaussians(image, variance, all_columns - 1, rows[owner], sigma_px,
                            nthreads=nthreads)
        for k, line in enumerate(matched):
            mine = owner == k
            columns, keep = all_columns[mine], fit.ok[mine]
            centres = fit.centre[mine]
            if keep.sum() < 3:
                continue
            slope = np.polyfit(columns[keep], centres[keep], 1)
            deviation = centres - np.polyval(slope, columns)
            rms = max(float(np.sqrt(np.mean(deviation[keep] ** 2))), 0.01)
            keep &= np.abs(deviation) <= linesigma * rms
            scatter = float(np.sqrt(np.mean(deviation[keep] ** 2)))
            rows_fit = centres[keep]
            xs.append(columns[keep] - trace.x("centre", rows_fit))
            ys.append(rows_fit)
            lams.append(np.full(rows_fit.size, lines[line]))
            errors.append(fit.error[mine][keep])
            scatters.append(np.full(rows_fit.size, scatter))
            fwhms.append(_FWHM_PER_SIGMA * fit.sigma[mine][keep] * spectral.dispersion)
            line_ids.append(np.full(rows_fit.size, wanted[line][1]))
    qc[f"{slice_name} LINES NDET"] = ndet
    qc[f"{slice_name} LINES NID"] = nid
    qc.update(_statistics(f"{slice_name} LINES PEAK", np.concatenate(peaks) if peaks
                          else np.empty(0)))
    xorder, yorder = int(params["xorder"]), int(params["yorder"])
    npoints = sum(a.size for a in lams)
    if npoints <= (xorder + 1) * (yorder + 1):
        raise RecipeError(f"slice {trace.slice_no}: {npoints} line positions from {nid} "
                          f"identified lines, too few for a solution of order {xorder} x "
                          f"{yorder}")
    x, yy, lam = (np.concatenate(a) for a in (xs, ys, lams))
    error, scatter = np.concatenate(errors), np.concatenate(scatters)
    floor = 1e-4
    weights = {"uniform": np.ones_like(x), "cerr": 1 / np.maximum(error, floor) ** 2,
               "scatter": 1 / np.maximum(scatter, floor) ** 2,
               "cerrscatter": 1 / np.maximum(error**2 + scatter**2, floor**2)
               }[str(params["fitweighting"])]
    fitsigma = float(params["fitsigma"]) if float(params["fitsigma"]) > 0 else 3.0
    solution = fit_solution(x, yy, lam, weights, xorder=xorder, yorder=yorder,
                            x_scale=max(trace.width / 2, 1.0), ny=ny, reject_sigma=fitsigma)
    fwhm = np.concatenate(fwhms)[solution.kept]
    nlines = int(np.unique(np.concatenate(line_ids)[solution.kept]).size)
    qc.update(_statistics(f"{slice_name} LINES FWHM", fwhm))
    qc[f"{slice_name} RESOL"] = float(np.mean(lam[solution.kept] / fwhm))
    qc[f"{slice_name} FIT NLINES"] = nlines
    qc[f"{slice_name} FIT RMS"] = solution.rms
    for name, row in (("BOTTOM", 1.0), ("TOP", float(ny))):
        left = trace.x("left", row) - trace.x("centre", row)
        right = trace.x("right", row) - trace.x("centre", row)
        qc[f"{slice_name} DWLEN {name}"] = float(
            evaluate_solution(solution.coefficients, left, row)
            - evaluate_solution(solution.coefficients, right, row))
    central = central_wavelengths(solution.coefficients, ny)
    if central[0] <= WLEN <= central[-1]:
        qc[f"{slice_name} WLPOS"] = float(np.interp(WLEN, central, y))
        qc[f"{slice_name} WLEN"] = WLEN
    points = np.stack([x + trace.x("centre", yy), yy, -solution.residuals,
                       solution.kept.astype(float)])
    return SliceFit(slice_no=trace.slice_no, coefficients=solution.coefficients,
                    mse=solution.mse, rms=solution.rms, nlines=nlines, qc=qc, points=points)


def _poor(fit: SliceFit, median_lines: float, median_central: np.ndarray,
          dispersion: float, ny: int) -> str | None:
    """Why ``fit`` is not good enough to keep (None when it is)."""
    if fit.nlines < MIN_LINE_FRACTION * median_lines:
        return f"{fit.nlines} lines kept, median of the slices {median_lines:g}"
    if fit.rms > MAX_RMS_PX * dispersion:
        return f"fit RMS {fit.rms / dispersion:.4f} px > {MAX_RMS_PX} px"
    deviation = float(np.max(np.abs(central_wavelengths(fit.coefficients, ny) - median_central)))
    if deviation > MAX_DEVIATION_PX * dispersion:
        return (f"central wavelengths up to {deviation / dispersion:.1f} px from the median "
                f"of the slices")
    return None


def _neighbours(index: int, count: int) -> list[int]:
    """Indices of the other slices, nearest first (the left one first at equal distance)."""
    order = []
    for distance in range(1, count):
        order += [i for i in (index - distance, index + distance) if 0 <= i < count]
    return order


def solve_slices(traces: Sequence[SliceTrace], images: Mapping[str, np.ndarray],
                 variances: Mapping[str, np.ndarray], catalog: Sequence[tuple[float, str]],
                 spectral: SpectralLayout, params: Mapping[str, ParameterValue], ny: int,
                 where: str, *, nthreads: int = 1) -> SliceSolutions:
    """Solve every slice of one IFU, retrying poor slices from their nearest good neighbour.

    The line fits run on ``nthreads`` threads.

    Raises :class:`RecipeError` naming ``where`` when no slice at all can be solved.
    """
    first: list[SliceFit | None] = []
    reasons: dict[int, str] = {}
    for trace in traces:
        try:
            first.append(calibrate_slice(trace, images, variances, catalog, spectral, params,
                                         ny, nthreads=nthreads))
        except RecipeError as exc:
            first.append(None)
            reasons[trace.slice_no] = str(exc)
    solved = [fit for fit in first if fit is not None]
    if not solved:
        raise RecipeError(f"{where}: no slice could be calibrated; slice "
                          f"{reasons[traces[0].slice_no]}")
    median_lines = float(np.median([fit.nlines for fit in solved]))
    median_central = np.median([central_wavelengths(fit.coefficients, ny) for fit in solved],
                               axis=0)
    why = [reasons[trace.slice_no] if fit is None
           else _poor(fit, median_lines, median_central, spectral.dispersion, ny)
           for fit, trace in zip(first, traces, strict=True)]
    good = [reason is None for reason in why]
    if not any(good):
        raise RecipeError(f"{where}: no slice calibrated well enough to guide the others")
    result = SliceSolutions()
    final = list(first)
    for index, trace in enumerate(traces):
        if good[index]:
            continue
        result.retried.append(trace.slice_no)
        guide = next(fit for i in _neighbours(index, len(traces)) if good[i]
                     and (fit := first[i]) is not None)
        try:
            retry = calibrate_slice(trace, images, variances, catalog, spectral, params, ny,
                                    guess=guide.coefficients, nthreads=nthreads)
        except RecipeError as exc:
            retry, again = None, str(exc)
        else:
            again = _poor(retry, median_lines, median_central, spectral.dispersion, ny)
        if again is None:
            log.info("%s: slice %d (%s) solved again from slice %d's solution", where,
                     trace.slice_no, why[index], guide.slice_no)
            final[index] = retry
            continue
        log.warning("%s: slice %d (%s; again: %s) carries slice %d's solution", where,
                    trace.slice_no, why[index], again, guide.slice_no)
        result.substitutes[trace.slice_no] = guide.slice_no
        attempt = retry or first[index]
        qc = {key: value for key, value in (attempt.qc if attempt else {}).items()
              if " LINES N" in key}
        final[index] = SliceFit(slice_no=trace.slice_no, coefficients=guide.coefficients,
                               mse=guide.mse, rms=guide.rms, nlines=0, qc=qc,
                               points=np.empty((4, 0)))
    for fit in final:  # every slice is solved or substituted by now
        result.rows.append(np.concatenate([fit.coefficients.ravel(), [fit.mse]]))
        result.qc.update(fit.qc)
        if fit.points.size:
            result.points.append(fit.points)
    for failed, source in result.substitutes.items():
        result.qc[f"WAVECAL SLICE{failed} SUBSTITUTE"] = source
    result.qc["WAVECAL NSLICES RETRIED"] = len(result.retried)
    result.qc["WAVECAL NSLICES FAILED"] = len(result.substitutes)
    own = [fit.rms for fit in final if fit.slice_no not in result.substitutes]
    result.qc["WAVECAL FIT RMS MAX"] = float(max(own) / spectral.dispersion)
    return result
