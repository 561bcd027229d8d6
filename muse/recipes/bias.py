"""MASTER_BIAS from raw BIAS frames, as ESO's ``muse_bias`` makes it (MUSE-FORMATS §7).

Per IFU, with the parameters and defaults of ``muse_bias`` (:data:`~muse.recipes.params.
BIAS_PARAMETERS`):

1. each raw chip is read memory-mapped; raw values above 65500 are flagged saturated (DQ
   4096); the per-port medians of the raw data are kept (``QC BIAS LEVELn``); the overscans
   are measured (``DRS MUSE OVSCn``, with DCR rejection) and corrected (``vpoly``), and the
   data sections are trimmed into the IFU stack (:func:`~muse.recipes.basicproc.load_trimmed`);
2. the read noise of each port comes from the differences of adjacent inputs: in 100 windows
   of 19 × 19 pixels the standard deviation, whose median × GAIN / √2 is the RON of that
   pair and whose scatter gives RONERR; the run's RON is the mean over the pairs;
3. every input pixel gets the variance ``(1 + 1/(19² · 100)) (RON / GAIN)²`` (adu²);
4. the stack is combined (``sigclip`` by default: median ± σ × mean absolute deviation,
   mean of the survivors, STAT = Σ stat / n²);
5. QC: ``BIAS MASTERn MEDIAN/MEAN/STDEV/MIN/MAX``, ``RON/RONERR`` (e⁻), ``SLOPE X/Y`` (adu
   per pixel, straight lines through the column and row means of the port),
   ``BIAS LEVELn MEAN/STDEV/MEDIAN`` over the inputs, ``BIAS INPUTi NSATURATED``;
6. bad columns: per port the column means are compared with their median ±
   ``hisigmabadpix`` / ``losigmabadpix`` × their mean absolute deviation; a column beyond
   the cut whose standard deviation also exceeds the RON (adu) is flagged DQ 8192 from its
   first to its last pixel beyond the cut; ``BIAS MASTER NBADPIX`` and ``NSATURATED`` follow.

Products: ``MASTER_BIAS-NN.fits`` per IFU (or ``MASTER_BIAS.fits`` with ``merge``), DATA in
adu, STAT in adu², and a preview ``MASTER_BIAS-NN.png``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits

from common.errors import RecipeError
from muse.layout import N_PORTS, extname
from muse.recipes import _windows
from muse.recipes.basicproc import (
    combine_stack,
    default_threads,
    flag_saturated,
    image_set,
    load_trimmed,
    port_statistics,
    workspace,
)
from muse.recipes.dq import DEAD_PIXEL, SATURATED
from muse.recipes.frames import ChipLocation, check_chips, index_inputs
from muse.recipes.params import BIAS_PARAMETERS, ParameterValue, resolve
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

__all__ = [
    "CATG",
    "MIN_INPUTS",
    "RAW_CATG",
    "RECIPE",
    "RON_HALF_SIZE",
    "RON_SAMPLES",
    "flag_bad_columns",
    "make_master_bias",
    "measure_ron",
    "run_inputs",
]

RECIPE = "muse_bias"
CATG = "MASTER_BIAS"
RAW_CATG = "BIAS"
MIN_INPUTS = 3
RON_HALF_SIZE = 9
RON_SAMPLES = 100
_RON_SEED = 19


def measure_ron(stack: np.ndarray, windows: Sequence[tuple[slice, slice]],
                gains: Sequence[float]) -> list[tuple[float, float]]:
    """RON and its error (e⁻) per window (port) from the differences of adjacent images.

    In each pair difference, 100 windows of 19 × 19 pixels at seeded random places in the
    port give standard deviations; their median and standard deviation × GAIN / √2 are the
    pair's RON and error. Returned: the mean RON over the pairs and the error of that mean.
    """
    size = 2 * RON_HALF_SIZE + 1
    result = []
    for number, ((rows, columns), gain) in enumerate(zip(windows, gains, strict=True),
                                                     start=1):
        height, width = rows.stop - rows.start, columns.stop - columns.start
        if height < size or width < size:
            raise RecipeError(f"port {number}: {width} x {height} pixels, too small for the "
                              f"{size} x {size} read-noise windows")
        rng = np.random.default_rng([_RON_SEED, number])
        y0 = rows.start + rng.integers(0, height - size + 1, RON_SAMPLES)
        x0 = columns.start + rng.integers(0, width - size + 1, RON_SAMPLES)
        offsets = np.arange(size)
        ys = (y0[:, None] + offsets)[:, :, None]
        xs = (x0[:, None] + offsets)[:, None, :]
        rons, errors = [], []
        for first, second in itertools.pairwise(stack):
            cut = second[ys, xs].astype(np.float64) - first[ys, xs]
            deviations = cut.reshape(RON_SAMPLES, -1).std(axis=1, ddof=1)
            rons.append(float(np.median(deviations)) * gain / np.sqrt(2.0))
            errors.append(float(deviations.std(ddof=1)) * gain / np.sqrt(2.0))
        pairs = len(rons)
        result.append((float(np.mean(rons)), float(np.sqrt(np.sum(np.square(errors)))) / pairs))
    return result


def flag_bad_columns(data: np.ndarray, dq: np.ndarray, windows: Sequence[tuple[slice, slice]],
                     ron_adu: Sequence[float], losigma: float, hisigma: float, *,
                     nthreads: int = 1) -> list[tuple[float, float]]:
    """Flag bright and dark columns of a master bias in ``dq`` (DQ 8192).

    Per port: the column means against their median ± sigma × mean absolute deviation, and the
    column's standard deviation against the port's RON in adu; a flagged column is marked
    from its first to its last pixel beyond the cut. Returns the port's slopes along x and y
    (adu per pixel, straight lines through the column and row means), computed from the same
    pass over the data.
    """
    slopes = []
    for (rows, columns), ron in zip(windows, ron_adu, strict=True):
        part = data[rows, columns]
        means, deviations, row_means = _windows.column_moments(part, nthreads)
        x = np.arange(columns.start + 1, columns.stop + 1, dtype=np.float64)
        y = np.arange(rows.start + 1, rows.stop + 1, dtype=np.float64)
        slopes.append((float(np.polyfit(x, means, 1)[0]), float(np.polyfit(y, row_means, 1)[0])))
        median = float(np.median(means))
        spread = float(np.mean(np.abs(means - median)))
        high, low = median + hisigma * spread, median - losigma * spread
        noisy = deviations > ron
        for column in np.flatnonzero(noisy & ((means > high) | (means < low))):
            beyond = (part[:, column] > high) if means[column] > high else (part[:, column]
                                                                               < low)
            where = np.flatnonzero(beyond)
            first, last = where[0], where[-1]
            dq[rows.start + first:rows.start + last + 1, columns.start + column] |= DEAD_PIXEL
    return slopes


@dataclass(frozen=True)
class BiasTask:
    """The work on one IFU (picklable, for worker processes)."""

    ifu: int
    raw: tuple[ChipLocation, ...]
    params: dict[str, ParameterValue]
    products: dict[str, Path]
    preview: Path
    merged: bool
    nthreads: int


def _master_bias_ifu(task: BiasTask) -> IfuOutput:
    params, ifu, n = task.params, task.ifu, len(task.raw)
    chips = [location.open() for location in task.raw]
    check_chips(chips)
    detector = chips[0].detector
    shape = (detector.trimmed_ny, detector.trimmed_nx)
    raw_primary, chip_header = chips[0].header.primary, chips[0].header.extension
    gains, header_ron = chips[0].gains, chips[0].header_ron
    stack = workspace("stack", (n, *shape))
    dq_stack = None
    loaded = []
    for k in range(n):
        loaded.append(load_trimmed(chips[k], params, stack[k], nthreads=task.nthreads))
        if loaded[k].nsaturated:
            if dq_stack is None:
                dq_stack = np.zeros(stack.shape, dtype=np.int32)
            flag_saturated(chips[k], dq_stack[k])
        chips[k] = None  # unmaps this input: one raw chip in memory at a time
    windows = [detector.trimmed_window(port) for port in range(1, N_PORTS + 1)]
    rons = measure_ron(stack, windows, gains)
    window_pixels = (2 * RON_HALF_SIZE + 1) ** 2 * RON_SAMPLES
    data, dq, stat = image_set(f"master-{WRITER.slot()}", shape)
    for (rows, columns), (ron, _), gain in zip(windows, rons, gains, strict=True):
        variance = np.float32((1.0 + 1.0 / window_pixels) * (ron / gain) ** 2)
        part_shape = (n, rows.stop - rows.start, columns.stop - columns.start)
        combine_stack(stack[:, rows, columns], np.broadcast_to(variance, part_shape),
                      None if dq_stack is None else dq_stack[:, rows, columns], params,
                      (data[rows, columns], dq[rows, columns], stat[rows, columns]),
                      nthreads=task.nthreads)
    del stack, dq_stack
    qc: dict[str, float | int] = {}
    for number, item in enumerate(loaded, start=1):
        qc[f"BIAS INPUT{number} NSATURATED"] = item.nsaturated
    statistics = port_statistics(data, detector, nthreads=task.nthreads)
    ron_adu = [ron / gain for (ron, _), gain in zip(rons, gains, strict=True)]
    slopes = flag_bad_columns(data, dq, windows, ron_adu, float(params["losigmabadpix"]),
                              float(params["hisigmabadpix"]), nthreads=task.nthreads)
    for port in range(1, N_PORTS + 1):
        for name, value in statistics[port].items():
            qc[f"BIAS MASTER{port} {name}"] = value
        qc[f"BIAS MASTER{port} RON"], qc[f"BIAS MASTER{port} RONERR"] = rons[port - 1]
        qc[f"BIAS MASTER{port} SLOPE X"], qc[f"BIAS MASTER{port} SLOPE Y"] = slopes[port - 1]
        levels = np.array([item.levels[port - 1] for item in loaded])
        qc[f"BIAS LEVEL{port} MEAN"] = float(levels.mean())
        qc[f"BIAS LEVEL{port} STDEV"] = float(levels.std(ddof=1))
        qc[f"BIAS LEVEL{port} MEDIAN"] = float(np.median(levels))
    qc["BIAS MASTER NBADPIX"] = int(np.count_nonzero(dq))
    qc["BIAS MASTER NSATURATED"] = int(np.count_nonzero(dq & SATURATED))
    drs = {key: value for item in loaded[:1] for overscan in item.overscans
           for key, value in overscan.keywords().items()}
    keywords = {**{f"QC {key}": value for key, value in qc.items()}, **drs}
    if task.merged:
        header = None
        hdus = image_hdus(data, dq, stat, bunit="adu", prefix=f"{extname(ifu)}.",
                          data_cards=merged_data_cards(chip_header, keywords))
    else:
        header = product_header(raw_primary, catg=CATG, recipe=RECIPE, raw=_raw_list(task),
                                calibrations=(), params=params, ncombined=n,
                                pipefile=product_name(CATG, ifu), ifu=ifu, chip=chip_header,
                                keywords=keywords)
        hdus = image_hdus(data, dq, stat, bunit="adu")

    def write() -> None:
        write_hdus(task.products[CATG], header, hdus)
        write_preview(task.preview, data, dq=dq, unit="adu",
                      title=f"{CATG} {extname(ifu)}, {n} exposures from "
                            f"{raw_primary.get('DATE-OBS', '')}")

    WRITER.submit(write)
    attributes = {
        "raw_files": [location.path.name for location in task.raw],
        "ncombined": n,
        "DET_READ_CURID": raw_primary.get("HIERARCH ESO DET READ CURID"),
        "DET_CHIP_NAME": chip_header.get("HIERARCH ESO DET CHIP NAME"),
        "DET_CHIP_ID": chip_header.get("HIERARCH ESO DET CHIP ID"),
        "gain": list(gains),
        "ron": [ron for ron, _ in rons],
        "header_ron": list(header_ron),
    }
    return IfuOutput(ifu=ifu, qc=qc, attributes=attributes)


def _raw_list(task: BiasTask) -> list[tuple[str, str]]:
    return [(location.path.name, RAW_CATG) for location in task.raw]


def make_master_bias(raw_paths: Iterable[Path | str],
                     params: Mapping[str, object] | None = None,
                     out_dir: Path | str = ".", *, ifus: Iterable[int] | None = None,
                     merge: bool | None = None, processes: int | None = None,
                     nthreads: int | None = None,
                     progress: Progress | None = None) -> RecipeResult:
    """Make the MASTER_BIAS of raw BIAS files ``raw_paths`` (at least 3) into ``out_dir``.

    ``params`` are ``muse_bias`` parameters (defaults: ESO's); ``ifus`` overrides ``nifu``;
    ``merge`` overrides the ``merge`` parameter; ``processes`` worker processes run IFUs in
    parallel (default: all cores when ``nifu`` is -1, else 1) with ``nthreads`` OpenMP
    threads each. Inputs are checked before any work (categories, count, read-out mode,
    binning, the requested ``CHANnn`` in every file); a failure raises :class:`RecipeError`
    and leaves no product. Returns the files written and the QC and attributes per IFU.
    """
    resolved = resolve(BIAS_PARAMETERS, params, RECIPE, merge=merge)
    paths = [Path(p) for p in raw_paths]
    if len(paths) < MIN_INPUTS:
        raise RecipeError(f"recipe {RECIPE}: expected at least {MIN_INPUTS} {RAW_CATG} "
                          f"frames, found {len(paths)}")
    raw_files = index_inputs(paths, RAW_CATG, RECIPE)
    selected = select_ifus(int(resolved["nifu"]), None if ifus is None else list(ifus),
                           raw_files)
    if processes is None:
        processes = default_threads() if resolved["nifu"] == -1 else 1
    threads = nthreads if nthreads is not None else default_threads(processes)
    merged = bool(resolved["merge"])

    def make_task(ifu: int, products: dict[str, Path], preview: Path) -> BiasTask:
        return BiasTask(ifu=ifu, raw=tuple(raw.location(ifu) for raw in raw_files),
                        params=resolved, products=products, preview=preview, merged=merged,
                        nthreads=threads)

    def merged_headers() -> dict[str, fits.Header]:
        return {CATG: product_header(raw_files[0].primary, catg=CATG, recipe=RECIPE,
                                     raw=[(path.name, RAW_CATG) for path in paths],
                                     calibrations=(), params=resolved, ncombined=len(paths),
                                     pipefile=product_name(CATG, None))}

    return run_recipe(recipe=RECIPE, categories=(CATG,), ifus=selected, out_dir=Path(out_dir),
                      merged=merged, processes=processes, work=_master_bias_ifu,
                      make_task=make_task, merged_headers=merged_headers, progress=progress)


def run_inputs(inputs: Mapping[str, Sequence[Path]], params: Mapping[str, object],
               out_dir: Path, *, processes: int | None = None,
               progress: Progress | None = None) -> RecipeResult:
    """Run muse_bias on files classified by SOF tag (what ``awe recipe bias`` calls)."""
    return make_master_bias(inputs[RAW_CATG], params, out_dir, processes=processes,
                            progress=progress)
