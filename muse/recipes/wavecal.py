"""WAVECAL_TABLE from raw ARC frames (ESO's ``muse_wavecal``): the wavelength of every pixel.

Inputs: ARC frames (one or more per lamp; the lamp is the ``ESO INS LAMPn`` whose lamp and
shutter are on: LAMP3/6 Ne, LAMP4 Xe, LAMP5 HgCd), a MASTER_BIAS, a TRACE_TABLE and the
LINE_CATALOG, per IFU or merged. Per IFU, with ESO's parameters
(:data:`~muse.recipes.params.WAVECAL_PARAMETERS`):

1. each arc is overscan-corrected, trimmed, bias-subtracted and converted to counts as in
   ``muse_flat`` (pixels the MASTER_BIAS flags get no weight); the arcs of one lamp are
   combined (``combine``); without ``lampwise`` all lamps are summed and identified against
   the whole catalogue;
2. per slice and lamp, lines are detected in the central column and identified against the
   catalogue lines of that lamp with quality ≥ 1 (:mod:`muse.recipes.arclines`);
3. every identified line is centred in every column between the traced edges; centres deviating
   from a straight line along the arc line by more than ``linesigma`` × RMS are dropped;
4. λ(x, y) = Σ ``wlc<i><j>`` xⁱ yʲ is fitted with weights ``fitweighting`` and ``fitsigma``
   rejection, where **x is the trimmed 1-based column minus the traced slice centre at row y**
   and y the trimmed 1-based row (the convention of this implementation; ESO's is not yet
   checked, MUSE-FORMATS §8).

QC (``ESO QC WAVECAL SLICEj …``): ``LINES NDET/NID``, ``LINES PEAK MEAN/STDEV/MIN/MAX`` (counts,
identified lines in the central column) and the same per lamp (``LAMPl``, lamps in the order
met), ``LINES FWHM MEAN/STDEV/MIN/MAX`` (Å), ``RESOL`` (mean λ/FWHM), ``FIT NLINES``, ``FIT RMS``
(Å), ``DWLEN BOTTOM/TOP`` (λ at the left minus the right edge in the first/last row, Å) and
``WLPOS`` (the row at the slice centre where λ = ``WLEN``, 7000 Å).

Products: ``WAVECAL_TABLE-NN.fits`` (``SliceNo``, ``wlc<i><j>``, ``MSE`` in Å²) and a PNG of
the fit residuals. Not supported: MASTER_DARK, MASTER_FLAT and BADPIX_TABLE inputs, the
WAVECAL_RESIDUALS and ARC_RED_LAMP products, and the ``residuals``, ``resample`` and
``wavemap`` parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits

from common.errors import RecipeError
from muse.layout import N_PORTS, extname, geometry_for_detector
from muse.recipes.arclines import (
    central_spectrum,
    detect_lines,
    evaluate_solution,
    fit_gaussians,
    fit_solution,
    identify_lines,
)
from muse.recipes.basicproc import combine_stack, default_threads, image_set, load_trimmed
from muse.recipes.flat import calibration_files
from muse.recipes.frames import (
    ChipLocation,
    index_inputs,
    open_chips_with_bias,
    require,
)
from muse.recipes.params import WAVECAL_PARAMETERS, ParameterValue, resolve
from muse.recipes.products import (
    WRITER,
    RecipeResult,
    merged_data_cards,
    product_header,
    product_name,
    write_hdus,
)
from muse.recipes.runner import IfuOutput, Progress, run_recipe, select_ifus
from muse.recipes.sof import classify_files
from muse.recipes.trace import SliceTrace
from muse.recipes.wavecal_io import read_line_catalog, read_trace_table, write_residual_preview

__all__ = ["BIAS_CATG", "CATALOG_CATG", "CATG", "RAW_CATG", "RECIPE", "TRACE_CATG",
           "WLEN", "lamps_on", "make_wavecal", "run_inputs"]

RECIPE = "muse_wavecal"
CATG = "WAVECAL_TABLE"
RAW_CATG = "ARC"
BIAS_CATG = "MASTER_BIAS"
TRACE_CATG = "TRACE_TABLE"
CATALOG_CATG = "LINE_CATALOG"
WLEN = 7000.0
_LAMP_NAMES = {"CU-LAMP3": "Ne", "CU-LAMP6": "Ne", "CU-LAMP4": "Xe", "CU-LAMP5": "HgCd"}
_ION_LAMPS = {"Ne": "Ne", "Xe": "Xe", "Hg": "HgCd", "Cd": "HgCd"}
_COMBINE_DEFAULTS = {"nlow": 1, "nhigh": 1, "nkeep": 1, "lsigma": 3.0, "hsigma": 3.0}


def lamps_on(header: Mapping[str, object], where: str) -> tuple[tuple[str, ...], str]:
    """Every lamp name of the header, and the arc lamp(s) on (``Ne``, ``Xe``, ``HgCd``)."""
    count = int(require(header, "ESO INS LAMPNUM", int, where))
    names, on = [], []
    for number in range(1, count + 1):
        name = str(require(header, f"ESO INS LAMP{number} NAME", str, where))
        names.append(name)
        lit = bool(require(header, f"ESO INS LAMP{number} ST", bool, where))
        open_ = bool(require(header, f"ESO INS SHUT{number} ST", bool, where))
        if lit and open_ and name in _LAMP_NAMES:
            on.append(_LAMP_NAMES[name])
    if not on:
        raise RecipeError(f"{where}: keywords 'ESO INS LAMPn ST'/'ESO INS SHUTn ST': expected "
                          f"an arc lamp (CU-LAMP3..6) on, found none of {', '.join(names)}")
    return tuple(names), "+".join(sorted(set(on)))


@dataclass(frozen=True)
class WavecalTask:
    """The work on one IFU (picklable)."""

    ifu: int
    raw: tuple[ChipLocation, ...]
    master_bias: Path
    trace: Path
    catalog: tuple[tuple[float, str], ...]
    catalog_name: str
    params: dict[str, ParameterValue]
    products: dict[str, Path]
    preview: Path
    merged: bool
    nthreads: int


def _lamp_images(task: WavecalTask) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray],
                                             object, fits.Header, fits.Header]:
    """Bias-subtracted arcs in counts, combined per lamp: images, variances, detector."""
    params = task.params
    chips, bias = open_chips_with_bias(task.raw, task.master_bias, task.ifu)
    detector = chips[0].detector
    shape = (detector.trimmed_ny, detector.trimmed_nx)
    reference_names, _ = lamps_on(chips[0].header, chips[0].where)
    groups: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    windows = [detector.trimmed_window(port) for port in range(1, N_PORTS + 1)]
    primary, chip_header = chips[0].header.primary, chips[0].header.extension
    for chip in chips:
        names, lamp = lamps_on(chip.header, chip.where)
        if names != reference_names:
            raise RecipeError(f"{chip.where}: keywords 'ESO INS LAMPn NAME': incompatible lamp "
                              f"setups, expected {', '.join(reference_names)} as in "
                              f"{chips[0].where}, found {', '.join(names)}")
        data = np.empty(shape, dtype=np.float32)
        load_trimmed(chip, params, data, nthreads=task.nthreads)
        data -= bias.data
        stat = np.empty_like(data)
        for (rows, columns), gain, ron in zip(windows, chip.gains, chip.header_ron,
                                              strict=True):
            ron_adu = ron / gain if np.isfinite(ron) else 0.0
            stat[rows, columns] = (np.maximum(data[rows, columns], 0.0) / gain
                                   + bias.stat[rows, columns] + ron_adu**2) * gain**2
            data[rows, columns] *= gain
        # pixels flagged in the master bias (bad columns) get no weight in the line fits
        stat[bias.dq != 0] = np.inf
        groups.setdefault(lamp if params["lampwise"] else "all", []).append((data, stat))
    images, variances = {}, {}
    for lamp, frames in groups.items():
        if len(frames) == 1 or not params["lampwise"]:
            images[lamp] = np.sum([f[0] for f in frames], axis=0, dtype=np.float32)
            variances[lamp] = np.sum([f[1] for f in frames], axis=0, dtype=np.float32)
            continue
        stack = np.stack([f[0] for f in frames])
        stats = np.stack([f[1] for f in frames])
        out = image_set(f"wavecal-{lamp}", shape)
        combine_stack(stack, stats, None, {**_COMBINE_DEFAULTS, **params}, out,
                      nthreads=task.nthreads)
        images[lamp], variances[lamp] = out[0].copy(), out[2].copy()
    return images, variances, detector, primary, chip_header


def _statistics(prefix: str, values: np.ndarray) -> dict[str, float]:
    if values.size == 0:
        return {}
    return {f"{prefix} MEAN": float(values.mean()),
            f"{prefix} STDEV": float(values.std(ddof=1)) if values.size > 1 else 0.0,
            f"{prefix} MIN": float(values.min()), f"{prefix} MAX": float(values.max())}


def _calibrate_slice(trace: SliceTrace, images, variances, catalog, spectral, params, ny: int,
                     qc: dict[str, float | int], points: list[np.ndarray]) -> np.ndarray:
    """The ``wlc`` coefficients and MSE of one slice; QC and residual points are collected."""
    y = np.arange(1, ny + 1, dtype=np.float64)
    centre = trace.x("centre", y)
    sigma_px = spectral.line_fwhm_px / 2.3548
    linesigma = params["linesigma"] if params["linesigma"] > 0 else 3.0
    slice_name = f"WAVECAL SLICE{trace.slice_no}"
    xs, ys, lams, errors, scatters, fwhms, line_ids = [], [], [], [], [], [], []
    ndet, nid, peaks = 0, 0, []
    for number, (lamp, image) in enumerate(images.items(), start=1):
        wanted = [(wl, i) for i, (wl, ion) in enumerate(catalog)
                  if lamp == "all" or _ION_LAMPS.get(ion[:2]) in lamp.split("+")]
        if len(wanted) < 2:
            continue
        lines = np.array([wl for wl, _ in wanted])
        spectrum, variance = central_spectrum(image, variances[lamp], centre,
                                              bad=~np.isfinite(variances[lamp]))
        found = detect_lines(spectrum, variance, sigma=float(params["sigma"]),
                             line_sigma=sigma_px)
        ndet += found.centre.size
        detections, matched = identify_lines(
            found.centre, lines, first_row_wavelength=spectral.lambda_first_row,
            dispersion=spectral.dispersion, dres=float(params["dres"]),
            tolerance=float(params["tolerance"]))
        nid += detections.size
        lamp_peaks = found.peak[detections]
        peaks.append(lamp_peaks)
        qc.update(_statistics(f"{slice_name} LAMP{number} LINES PEAK", lamp_peaks))
        spans = []
        for row in found.centre[detections]:
            columns = np.arange(int(np.ceil(trace.x("left", row))),
                                int(np.floor(trace.x("right", row))) + 1)
            spans.append(columns[(columns >= 1) & (columns <= image.shape[1])])
        if not spans:
            continue
        owner = np.concatenate([np.full(c.size, k) for k, c in enumerate(spans)])
        all_columns = np.concatenate(spans)
        fit = fit_gaussians(image, variances[lamp], all_columns - 1,
                            found.centre[detections][owner], sigma_px)
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
            fwhms.append(2.3548 * fit.sigma[mine][keep] * spectral.dispersion)
            line_ids.append(np.full(rows_fit.size, wanted[line][1]))
    qc[f"{slice_name} LINES NDET"] = ndet
    qc[f"{slice_name} LINES NID"] = nid
    qc.update(_statistics(f"{slice_name} LINES PEAK", np.concatenate(peaks) if peaks
                          else np.empty(0)))
    xorder, yorder = int(params["xorder"]), int(params["yorder"])
    if not lams or sum(a.size for a in lams) <= (xorder + 1) * (yorder + 1):
        raise RecipeError(f"slice {trace.slice_no}: {sum(a.size for a in lams)} line positions "
                          f"from {nid} identified lines, too few for a solution of order "
                          f"{xorder} x {yorder}")
    x, yy, lam = (np.concatenate(a) for a in (xs, ys, lams))
    error, scatter = np.concatenate(errors), np.concatenate(scatters)
    floor = 1e-4
    weighting = params["fitweighting"]
    weights = {"uniform": np.ones_like(x), "cerr": 1 / np.maximum(error, floor) ** 2,
               "scatter": 1 / np.maximum(scatter, floor) ** 2,
               "cerrscatter": 1 / np.maximum(error**2 + scatter**2, floor**2)}[weighting]
    fitsigma = params["fitsigma"] if params["fitsigma"] > 0 else 3.0
    solution = fit_solution(x, yy, lam, weights, xorder=xorder, yorder=yorder,
                            x_scale=max(trace.width / 2, 1.0), ny=ny, reject_sigma=fitsigma)
    fwhm = np.concatenate(fwhms)[solution.kept]
    qc.update(_statistics(f"{slice_name} LINES FWHM", fwhm))
    qc[f"{slice_name} RESOL"] = float(np.mean(lam[solution.kept] / fwhm))
    qc[f"{slice_name} FIT NLINES"] = int(np.unique(np.concatenate(line_ids)[solution.kept]).size)
    qc[f"{slice_name} FIT RMS"] = solution.rms
    for name, row in (("BOTTOM", 1.0), ("TOP", float(ny))):
        left = trace.x("left", row) - trace.x("centre", row)
        right = trace.x("right", row) - trace.x("centre", row)
        qc[f"{slice_name} DWLEN {name}"] = float(
            evaluate_solution(solution.coefficients, left, row)
            - evaluate_solution(solution.coefficients, right, row))
    central = evaluate_solution(solution.coefficients, np.zeros_like(y), y)
    if central[0] <= WLEN <= central[-1]:
        qc[f"{slice_name} WLPOS"] = float(np.interp(WLEN, central, y))
        qc[f"{slice_name} WLEN"] = WLEN
    points.append(np.stack([x + trace.x("centre", yy), yy, -solution.residuals,
                            solution.kept.astype(float)]))
    return np.concatenate([solution.coefficients.ravel(), [solution.mse]])


def _wavecal_ifu(task: WavecalTask) -> IfuOutput:
    images, variances, detector, primary, chip_header = _lamp_images(task)
    where = f"{task.raw[0].where}"
    spectral = geometry_for_detector(detector).spectral
    traces = read_trace_table(task.trace, task.ifu)
    ny = detector.trimmed_ny
    qc: dict[str, float | int] = {}
    points: list[np.ndarray] = []
    rows = []
    for trace in traces:
        try:
            rows.append(_calibrate_slice(trace, images, variances, task.catalog, spectral,
                                         task.params, ny, qc, points))
        except RecipeError as exc:
            raise RecipeError(f"{where}: {exc}") from None
    xorder, yorder = int(task.params["xorder"]), int(task.params["yorder"])
    columns = [fits.Column("SliceNo", "J", array=[t.slice_no for t in traces])]
    table = np.array(rows)
    for i in range(xorder + 1):
        for j in range(yorder + 1):
            columns.append(fits.Column(f"wlc{i}{j}", "D",
                                       array=table[:, i * (yorder + 1) + j]))
    columns.append(fits.Column("MSE", "D", unit="Angstrom**2", array=table[:, -1]))
    keywords = {f"QC {key}": value for key, value in qc.items()}
    raw = [(location.path.name, RAW_CATG) for location in task.raw]
    calibrations = [(task.master_bias.name, BIAS_CATG), (task.trace.name, TRACE_CATG),
                    (task.catalog_name, CATALOG_CATG)]
    hdu = fits.BinTableHDU.from_columns(columns, name=extname(task.ifu) if task.merged
                                        else None)
    header = None
    if task.merged:
        hdu.header.extend(merged_data_cards(chip_header, keywords))
    else:
        header = product_header(primary, catg=CATG, recipe=RECIPE, raw=raw,
                                calibrations=calibrations, params=task.params,
                                ncombined=len(raw), pipefile=product_name(CATG, task.ifu),
                                ifu=task.ifu, chip=chip_header, keywords=keywords)
    residuals = np.concatenate(points, axis=1)
    rms = float(np.sqrt(np.mean(residuals[2][residuals[3] > 0] ** 2)))

    def write() -> None:
        write_hdus(task.products[CATG], header, [hdu])
        write_residual_preview(task.preview, residuals,
                               title=f"{CATG} {extname(task.ifu)}: fit residuals, RMS "
                                     f"{rms:.4f} Å", shape=(ny, detector.trimmed_nx))

    WRITER.submit(write)
    attributes = {"raw_files": [name for name, _ in raw], "master_bias": task.master_bias.name,
                  "trace_table": task.trace.name, "line_catalog": task.catalog_name,
                  "lamps": list(images), "fit_rms": rms,
                  "DET_READ_CURID": primary.get("HIERARCH ESO DET READ CURID"),
                  "DET_CHIP_NAME": chip_header.get("HIERARCH ESO DET CHIP NAME"),
                  "INS_MODE": primary.get("HIERARCH ESO INS MODE")}
    return IfuOutput(ifu=task.ifu, qc=qc, attributes=attributes)


def _single(paths: list[Path], catg: str) -> list[Path]:
    if not paths:
        raise RecipeError(f"recipe {RECIPE}: expected a {catg}, found none")
    for path, found in classify_files(paths).items():
        if found != catg:
            raise RecipeError(f"recipe {RECIPE}: {path}: expected a {catg}, found category "
                              f"{found}")
    return paths


def _paths(value: Path | str | Iterable[Path | str]) -> list[Path]:
    return [Path(value)] if isinstance(value, str | Path) else [Path(p) for p in value]


def make_wavecal(raw_paths: Iterable[Path | str], master_bias: Path | str | Iterable[Path | str],
                 trace_table: Path | str | Iterable[Path | str], line_catalog: Path | str,
                 params: Mapping[str, object] | None = None, out_dir: Path | str = ".", *,
                 ifus: Iterable[int] | None = None, merge: bool | None = None,
                 processes: int | None = None, nthreads: int | None = None,
                 progress: Progress | None = None) -> RecipeResult:
    """Make the WAVECAL_TABLE of each IFU from ARC frames, MASTER_BIAS, TRACE_TABLE, LINE_CATALOG.

    Calibrations are per-IFU or merged files; each IFU takes the one holding it. The other
    arguments are those of :func:`muse.recipes.flat.make_master_flat`. A failure raises
    :class:`RecipeError` and leaves no product.
    """
    resolved = resolve(WAVECAL_PARAMETERS, params, RECIPE, merge=merge)
    paths = [Path(p) for p in raw_paths]
    if not paths:
        raise RecipeError(f"recipe {RECIPE}: expected at least one {RAW_CATG} frame, found "
                          "none")
    bias_paths = _single(_paths(master_bias), BIAS_CATG)
    trace_paths = _single(_paths(trace_table), TRACE_CATG)
    catalog_path = _single(_paths(line_catalog), CATALOG_CATG)[0]
    catalog = read_line_catalog(catalog_path)
    raw_files = index_inputs(paths, RAW_CATG, RECIPE)
    selected = select_ifus(int(resolved["nifu"]), None if ifus is None else list(ifus),
                           raw_files)
    biases = calibration_files(bias_paths, BIAS_CATG)
    traces = calibration_files(trace_paths, TRACE_CATG)
    for ifu in selected:
        for found, catg, given in ((biases, BIAS_CATG, bias_paths),
                                   (traces, TRACE_CATG, trace_paths)):
            if ifu not in found:
                raise RecipeError(f"recipe {RECIPE}: extension {extname(ifu)}: no {catg} "
                                  f"among {', '.join(str(p) for p in given)} holds it")
    if processes is None:
        processes = default_threads() if resolved["nifu"] == -1 else 1
    threads = nthreads if nthreads is not None else default_threads(processes)
    merged = bool(resolved["merge"])

    def make_task(ifu: int, products: dict[str, Path], preview: Path) -> WavecalTask:
        return WavecalTask(ifu=ifu, raw=tuple(raw.location(ifu) for raw in raw_files),
                           master_bias=biases[ifu], trace=traces[ifu], catalog=catalog,
                           catalog_name=catalog_path.name, params=resolved,
                           products=products, preview=preview, merged=merged,
                           nthreads=threads)

    def merged_headers() -> dict[str, fits.Header]:
        calibrations = [*((p.name, BIAS_CATG) for p in dict.fromkeys(biases[i] for i in selected)),
                        *((p.name, TRACE_CATG) for p in dict.fromkeys(traces[i] for i in selected)),
                        (catalog_path.name, CATALOG_CATG)]
        return {CATG: product_header(raw_files[0].primary, catg=CATG, recipe=RECIPE,
                                     raw=[(p.name, RAW_CATG) for p in paths],
                                     calibrations=calibrations, params=resolved,
                                     ncombined=len(paths), pipefile=product_name(CATG, None))}

    return run_recipe(recipe=RECIPE, categories=(CATG,), ifus=selected, out_dir=Path(out_dir),
                      merged=merged, processes=processes, work=_wavecal_ifu,
                      make_task=make_task, merged_headers=merged_headers, progress=progress)


def run_inputs(inputs: Mapping[str, Sequence[Path]], params: Mapping[str, object],
               out_dir: Path, *, processes: int | None = None,
               progress: Progress | None = None) -> RecipeResult:
    """Run muse_wavecal on files classified by SOF tag (what ``awe recipe wavecal`` calls)."""
    return make_wavecal(inputs[RAW_CATG], inputs[BIAS_CATG], inputs[TRACE_CATG],
                        inputs[CATALOG_CATG][0], params, out_dir,
                        processes=processes, progress=progress)
