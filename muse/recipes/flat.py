"""MASTER_FLAT and TRACE_TABLE from raw FLAT frames and a MASTER_BIAS (ESO's ``muse_flat``).

Per IFU, with the parameters of ``muse_flat`` (:data:`~muse.recipes.params.FLAT_PARAMETERS`):

1. each raw flat is saturation-flagged, overscan-corrected and trimmed as in ``muse_bias``;
   the MASTER_BIAS of the same IFU is subtracted (its DQ carried over); the variance is
   ``STAT(bias) + (RON / GAIN)² + max(data, 0) / GAIN`` (adu², RON from the master bias's
   ``QC BIAS MASTERn RON``, else ``ESO DET OUTn RON``); data are converted to counts (e⁻)
   with ``ESO DET OUTn GAIN``, and with ``scale`` brought to the exposure time of the first
   input;
2. the gain is checked on the first pair: ``mean / (var(difference)/2 − RON²)`` per port; a
   value more than 20 % off ``ESO DET OUTn GAIN`` is logged as a warning (as ESO does);
3. the inputs are combined (``sigclip`` by default) into the master flat in counts;
4. with ``trace``, the slices are traced (:mod:`muse.recipes.trace`) into the TRACE_TABLE;
5. with ``normalize``, the master is divided by its mean over the whole trimmed CCD
   (``QC FLAT MASTER MEAN``), as ``muse_flat`` does (MUSE-FORMATS §8);
6. bad pixels: within the slices (pixels at least 1 px inside the traced edges; without a
   trace, pixels above ``edgefrac`` × the median), the master divided by a local quadratic
   along its column over 15 rows; values beyond ``losigmabadpix`` / ``hisigmabadpix`` × the
   robust scatter of that ratio are flagged dark (DQ 512) or bright (DQ 256).

QC: ``FLAT INPUTi MEDIAN/MEAN/STDEV/MIN/MAX/NSATURATED`` (each input in counts),
``FLAT MASTER MEDIAN/MEAN/STDEV/MIN/MAX`` (the master in counts before normalisation) and
``INTFLUX`` (its sum over the trimmed CCD), ``FLAT MASTER SLICEj MEAN/STDEV`` (normalised) in
the MASTER_FLAT header; ``TRACE …`` (:func:`muse.recipes.trace.trace_qc`) in the TRACE_TABLE's.
Not supported: MASTER_DARK and BADPIX_TABLE inputs, TRACE_SAMPLES.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits
from scipy.signal import savgol_filter

from common.errors import RecipeError
from muse.layout import N_PORTS, N_SLICES, extname
from muse.recipes.basicproc import (
    combine_stack,
    default_threads,
    flag_saturated,
    image_set,
    load_trimmed,
    window_statistics,
    workspace,
)
from muse.recipes.dq import DARK_PIXEL, HOT_PIXEL
from muse.recipes.frames import (
    ChipLocation,
    index_inputs,
    open_chips_with_bias,
    open_fits,
    require,
)
from muse.recipes.params import FLAT_PARAMETERS, ParameterValue, resolve
from muse.recipes.preview import write_preview
from muse.recipes.products import (
    WRITER,
    RecipeResult,
    image_hdus,
    merged_data_cards,
    product_header,
    product_name,
    write_hdus,
)
from muse.recipes.runner import IfuOutput, Progress, run_recipe, select_ifus
from muse.recipes.sof import classify_files
from muse.recipes.trace import slice_mask, trace_columns, trace_qc, trace_slices

__all__ = [
    "BIAS_CATG",
    "CATG",
    "GAIN_TOLERANCE",
    "MIN_INPUTS",
    "RAW_CATG",
    "RECIPE",
    "TRACE_CATG",
    "calibration_files",
    "make_master_flat",
    "run_inputs",
]

log = logging.getLogger(__name__)

RECIPE = "muse_flat"
CATG = "MASTER_FLAT"
TRACE_CATG = "TRACE_TABLE"
RAW_CATG = "FLAT"
BIAS_CATG = "MASTER_BIAS"
MIN_INPUTS = 3
GAIN_TOLERANCE = 0.2
_BADPIX_ROWS = 15
_BADPIX_COLUMNS = 512


def calibration_files(paths: Sequence[Path], catg: str) -> dict[int, Path]:
    """Which file holds each IFU of a calibration given as per-IFU or merged files."""
    found: dict[int, Path] = {}
    for path in paths:
        with open_fits(path) as hdul:
            own = hdul[0].header.get("EXTNAME")
            if own is not None and str(own).startswith("CHAN"):
                names = [str(own)]
            else:
                names = [str(hdu.header.get("EXTNAME", "")).split(".")[0] for hdu in hdul[1:]]
        for name in names:
            if name.startswith("CHAN") and name[4:].isdigit():
                found.setdefault(int(name[4:]), path)
    return found


def _ron_adu(bias_header: Mapping[str, object], chip_header: Mapping[str, object],
             gain: float, port: int, where: str) -> float:
    key = f"ESO QC BIAS MASTER{port} RON"
    if key in bias_header:
        return float(require(bias_header, key, float, where)) / gain
    return float(require(chip_header, f"ESO DET OUT{port} RON", float, where)) / gain


def _statistics(image: np.ndarray, nthreads: int) -> dict[str, float]:
    whole = np.array([[0, image.shape[0], 0, image.shape[1]]], dtype=np.intp)
    return window_statistics(image, whole, nthreads=nthreads)[0]


def _check_gain(first: np.ndarray, second: np.ndarray, windows, gains, rons_e,
                where: str) -> list[float]:
    """Per port: the gain a flat pair (in counts) implies, relative to the header's."""
    ratios = []
    for port, ((rows, columns), gain, ron) in enumerate(zip(windows, gains, rons_e,
                                                           strict=True), start=1):
        a = first[rows, columns].astype(np.float64)
        b = second[rows, columns].astype(np.float64)
        signal = 0.5 * float((a + b).mean())
        noise = 0.5 * float((b - a).var()) - ron * ron
        ratio = signal / noise if noise > 0 else float("nan")
        ratios.append(ratio * gain)
        if not abs(ratio - 1.0) <= GAIN_TOLERANCE:
            log.warning("%s port %d: a flat pair gives gain %.4g e-/adu, ESO DET OUT%d GAIN "
                        "says %.4g (off by more than %d%%)", where, port, ratio * gain, port,
                        gain, round(100 * GAIN_TOLERANCE))
    return ratios


def _flag_bad_pixels(data: np.ndarray, dq: np.ndarray, mask: np.ndarray, losigma: float,
                     hisigma: float) -> int:
    """Flag pixels inside the slices far from the smooth run of their column; return the count.

    Each column is compared with a quadratic fitted over the 15 rows around each pixel (a
    Savitzky–Golay smoothing; the first and last 7 rows take the fit of the first and last
    15), which follows the lamp's fall-off toward the blue and red ends of the CCD where a
    running mean lags behind it and would flag good pixels there. Dark (DQ 512) and bright
    (DQ 256) are beyond ``losigma`` / ``hisigma`` × the robust scatter of ``data / smooth``.
    """
    rows = _BADPIX_ROWS
    ratio = np.zeros(data.shape, dtype=np.float32)
    inside = (mask > 0) & (dq == 0)
    # a block of columns at a time, to bound the memory
    for first in range(0, data.shape[1], _BADPIX_COLUMNS):
        columns = slice(first, min(first + _BADPIX_COLUMNS, data.shape[1]))
        block = data[:, columns].astype(np.float64)
        smooth = savgol_filter(block, rows, 2, axis=0, mode="interp")
        usable = inside[:, columns] & (smooth > 0)
        inside[:, columns] = usable
        ratio[:, columns][usable] = block[usable] / smooth[usable] - 1.0
    # the robust scatter from every 7th pixel inside the slices: plenty for a 5-sigma cut
    values = ratio[inside][::7]
    if values.size == 0:
        return 0
    scatter = 1.4826 * float(np.median(np.abs(values - np.median(values))))
    dark = inside & (ratio < -losigma * scatter)
    bright = inside & (ratio > hisigma * scatter)
    dq[dark] |= DARK_PIXEL
    dq[bright] |= HOT_PIXEL
    return int(dark.sum() + bright.sum())


@dataclass(frozen=True)
class FlatTask:
    """The work on one IFU (picklable, for worker processes)."""

    ifu: int
    raw: tuple[ChipLocation, ...]
    master_bias: Path
    params: dict[str, ParameterValue]
    products: dict[str, Path]
    preview: Path
    merged: bool
    nthreads: int


def _master_flat_ifu(task: FlatTask) -> IfuOutput:
    params, ifu, n = task.params, task.ifu, len(task.raw)
    chips, bias = open_chips_with_bias(task.raw, task.master_bias, ifu)
    detector = chips[0].detector
    shape = (detector.trimmed_ny, detector.trimmed_nx)
    where = chips[0].where
    windows = [detector.trimmed_window(port) for port in range(1, N_PORTS + 1)]
    gains = chips[0].gains
    rons = [_ron_adu(bias.header, chips[0].header, gain, port, bias.where)
            for port, gain in enumerate(gains, start=1)]
    exptimes = [float(require(chip.header, "EXPTIME", float, chip.where)) for chip in chips]
    for chip, exptime in zip(chips, exptimes, strict=True):
        if not exptime > 0:
            raise RecipeError(f"{chip.where}: keyword 'EXPTIME': expected a positive "
                              f"exposure time for a lamp flat, found {exptime}")
    raw_primary, chip_header = chips[0].header.primary, chips[0].header.extension
    header_ron = chips[0].header_ron
    data = workspace("stack", (n, *shape))
    stat = workspace("stack-stat", (n, *shape))
    dq_stack: np.ndarray | None = None
    loaded = []
    for k in range(n):
        loaded.append(load_trimmed(chips[k], params, data[k], nthreads=task.nthreads))
        if loaded[k].nsaturated:
            if dq_stack is None:
                dq_stack = np.repeat(bias.dq[None], n, axis=0)
            flag_saturated(chips[k], dq_stack[k])
        chips[k] = None  # unmaps this input: one raw chip in memory at a time
        data[k] -= bias.data
        scale = exptimes[0] / exptimes[k] if params["scale"] else 1.0
        for (rows, columns), gain, ron in zip(windows, gains, rons, strict=True):
            part = data[k, rows, columns]
            variance = stat[k, rows, columns]
            np.maximum(part, 0.0, out=variance)
            variance *= np.float32(1.0 / gain)
            variance += bias.stat[rows, columns]
            variance += np.float32(ron * ron)
            variance *= np.float32((gain * scale) ** 2)
            part *= np.float32(gain * scale)
    if dq_stack is None:
        dq_stack = np.broadcast_to(bias.dq, data.shape)
    gain_check = _check_gain(data[0], data[1], windows, gains,
                             [ron * gain for ron, gain in zip(rons, gains, strict=True)], where)
    qc: dict[str, float | int] = {}
    for number in range(n):
        for name, value in _statistics(data[number], task.nthreads).items():
            qc[f"FLAT INPUT{number + 1} {name}"] = value
        qc[f"FLAT INPUT{number + 1} NSATURATED"] = loaded[number].nsaturated
    master, dq, master_stat = image_set(f"master-{WRITER.slot()}", shape)
    combine_stack(data, stat, dq_stack, params, (master, dq, master_stat),
                  nthreads=task.nthreads)
    del data, stat, dq_stack
    traces = []
    if params["trace"]:
        traces = trace_slices(master, nsum=int(params["nsum"]), order=int(params["order"]),
                              edgefrac=float(params["edgefrac"]), where=where,
                              nthreads=task.nthreads)
        mask = slice_mask(traces, shape)
    else:
        mask = (master > float(params["edgefrac"]) * float(np.median(master))).astype(np.int16)
    for name, value in _statistics(master, task.nthreads).items():
        qc[f"FLAT MASTER {name}"] = value
    qc["FLAT MASTER INTFLUX"] = float(master.sum(dtype=np.float64))
    norm = 1.0
    if params["normalize"]:
        norm = float(qc["FLAT MASTER MEAN"])
        if not norm > 0:
            raise RecipeError(f"{where}: the master flat's mean is {norm:.6g}: expected a "
                              "positive level to normalise by (is the lamp on?)")
        master /= np.float32(norm)
        master_stat /= np.float32(norm * norm)
    _flag_bad_pixels(master, dq, mask, float(params["losigmabadpix"]),
                     float(params["hisigmabadpix"]))
    if traces:
        good = (mask > 0) & (dq == 0)
        slices = mask[good]
        values = master[good].astype(np.float64)
        counts = np.bincount(slices, minlength=N_SLICES + 1)
        sums = np.bincount(slices, weights=values, minlength=N_SLICES + 1)
        squares = np.bincount(slices, weights=values * values, minlength=N_SLICES + 1)
        for number in range(1, N_SLICES + 1):
            n_good = int(counts[number])
            if n_good < 2:
                log.warning("%s: slice %d has %d good pixels, no FLAT MASTER SLICE%d QC",
                            where, number, n_good, number)
                continue
            mean = sums[number] / n_good
            variance = (squares[number] - sums[number] * mean) / (n_good - 1)
            qc[f"FLAT MASTER SLICE{number} MEAN"] = float(mean)
            qc[f"FLAT MASTER SLICE{number} STDEV"] = float(np.sqrt(max(variance, 0.0)))
    trace_values = trace_qc(traces, shape[0]) if traces else {}
    flat_keywords = {f"QC {key}": value for key, value in qc.items()}
    trace_keywords = {f"QC {key}": value for key, value in trace_values.items()}
    raw = [(location.path.name, RAW_CATG) for location in task.raw]
    calibrations = [(task.master_bias.name, BIAS_CATG)]
    bunit = "" if params["normalize"] else "count"  # normalised: dimensionless
    if task.merged:
        flat_header = None
        flat_hdus = image_hdus(master, dq, master_stat, bunit=bunit, prefix=f"{extname(ifu)}.",
                               data_cards=merged_data_cards(chip_header, flat_keywords))
    else:
        flat_header = product_header(raw_primary, catg=CATG, recipe=RECIPE, raw=raw,
                                     calibrations=calibrations, params=params, ncombined=n,
                                     pipefile=product_name(CATG, ifu), ifu=ifu,
                                     chip=chip_header, keywords=flat_keywords)
        flat_hdus = image_hdus(master, dq, master_stat, bunit=bunit)
    trace_header, trace_hdus = None, []
    if traces:
        # per-IFU files name the IFU in the primary header; a merged file names each table
        table = fits.BinTableHDU.from_columns(trace_columns(traces),
                                              name=extname(ifu) if task.merged else TRACE_CATG)
        trace_hdus = [table]
        if task.merged:
            table.header.extend(merged_data_cards(chip_header, trace_keywords))
        else:
            trace_header = product_header(raw_primary, catg=TRACE_CATG, recipe=RECIPE,
                                          raw=raw, calibrations=calibrations, params=params,
                                          ncombined=n, pipefile=product_name(TRACE_CATG, ifu),
                                          ifu=ifu, chip=chip_header, keywords=trace_keywords)
    y = np.arange(1, shape[0] + 1, dtype=np.float64)
    lines = [(trace.x(which, y), y) for trace in traces for which in ("left", "right")]

    def write() -> None:
        write_hdus(task.products[CATG], flat_header, flat_hdus)
        if trace_hdus:
            write_hdus(task.products[TRACE_CATG], trace_header, trace_hdus)
        write_preview(task.preview, master, dq=dq, lines=lines, unit=bunit,
                      title=f"{CATG} {extname(ifu)}, {n} exposures from "
                            f"{raw_primary.get('DATE-OBS', '')}")

    WRITER.submit(write)
    attributes = {
        "raw_files": [name for name, _ in raw],
        "master_bias": task.master_bias.name,
        "ncombined": n,
        "DET_READ_CURID": raw_primary.get("HIERARCH ESO DET READ CURID"),
        "DET_CHIP_NAME": chip_header.get("HIERARCH ESO DET CHIP NAME"),
        "DET_CHIP_ID": chip_header.get("HIERARCH ESO DET CHIP ID"),
        "INS_MODE": raw_primary.get("HIERARCH ESO INS MODE"),
        "gain": list(gains),
        "gain_from_flats": gain_check,
        "header_ron": list(header_ron),
        "normalisation": norm,
        "traced": bool(traces),
    }
    return IfuOutput(ifu=ifu, qc={**qc, **trace_values}, attributes=attributes)


def make_master_flat(raw_paths: Iterable[Path | str],
                     master_bias: Path | str | Iterable[Path | str],
                     params: Mapping[str, object] | None = None,
                     out_dir: Path | str = ".", *, ifus: Iterable[int] | None = None,
                     merge: bool | None = None, processes: int | None = None,
                     nthreads: int | None = None,
                     progress: Progress | None = None) -> RecipeResult:
    """Make MASTER_FLAT and TRACE_TABLE from raw FLAT files (≥ 3) and a MASTER_BIAS.

    ``master_bias`` is one merged file or per-IFU files; each IFU takes the one holding it.
    The other arguments are those of :func:`muse.recipes.bias.make_master_bias`. Raw and
    master bias must share read-out mode, binning and chip; a failure raises
    :class:`RecipeError` and leaves no product.
    """
    resolved = resolve(FLAT_PARAMETERS, params, RECIPE, merge=merge)
    paths = [Path(p) for p in raw_paths]
    bias_paths = ([Path(master_bias)] if isinstance(master_bias, str | Path)
                  else [Path(p) for p in master_bias])
    if not bias_paths:
        raise RecipeError(f"recipe {RECIPE}: expected a {BIAS_CATG}, found none")
    for path, catg in classify_files(bias_paths).items():
        if catg != BIAS_CATG:
            raise RecipeError(f"recipe {RECIPE}: {path}: expected a {BIAS_CATG}, found "
                              f"category {catg}")
    if len(paths) < MIN_INPUTS:
        raise RecipeError(f"recipe {RECIPE}: expected at least {MIN_INPUTS} {RAW_CATG} "
                          f"frames, found {len(paths)}")
    raw_files = index_inputs(paths, RAW_CATG, RECIPE)
    selected = select_ifus(int(resolved["nifu"]), None if ifus is None else list(ifus),
                           raw_files)
    biases = calibration_files(bias_paths, BIAS_CATG)
    for ifu in selected:
        if ifu not in biases:
            raise RecipeError(f"recipe {RECIPE}: extension {extname(ifu)}: no {BIAS_CATG} "
                              f"among {', '.join(str(p) for p in bias_paths)} holds it")
    if processes is None:
        processes = default_threads() if resolved["nifu"] == -1 else 1
    threads = nthreads if nthreads is not None else default_threads(processes)
    merged = bool(resolved["merge"])
    categories = (CATG, TRACE_CATG) if resolved["trace"] else (CATG,)

    def make_task(ifu: int, products: dict[str, Path], preview: Path) -> FlatTask:
        return FlatTask(ifu=ifu, raw=tuple(raw.location(ifu) for raw in raw_files),
                        master_bias=biases[ifu], params=resolved, products=products,
                        preview=preview, merged=merged, nthreads=threads)

    def merged_headers() -> dict[str, fits.Header]:
        raw = [(path.name, RAW_CATG) for path in paths]
        calibrations = [(path.name, BIAS_CATG) for path in dict.fromkeys(
            biases[ifu] for ifu in selected)]
        return {catg: product_header(raw_files[0].primary, catg=catg, recipe=RECIPE, raw=raw,
                                     calibrations=calibrations, params=resolved,
                                     ncombined=len(paths), pipefile=product_name(catg, None))
                for catg in categories}

    return run_recipe(recipe=RECIPE, categories=categories, ifus=selected,
                      out_dir=Path(out_dir), merged=merged, processes=processes,
                      work=_master_flat_ifu, make_task=make_task,
                      merged_headers=merged_headers, progress=progress)


def run_inputs(inputs: Mapping[str, Sequence[Path]], params: Mapping[str, object],
               out_dir: Path, *, processes: int | None = None,
               progress: Progress | None = None) -> RecipeResult:
    """Run muse_flat on files classified by SOF tag (what ``awe recipe flat`` calls)."""
    return make_master_flat(inputs[RAW_CATG], inputs[BIAS_CATG], params, out_dir,
                            processes=processes, progress=progress)
