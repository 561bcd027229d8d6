"""WAVECAL_TABLE from raw ARC frames (ESO's ``muse_wavecal``): the wavelength of every pixel.

Inputs: ARC frames (one or more per lamp; the lamp is the ``ESO INS LAMPn`` whose lamp and
shutter are on: LAMP3/6 Ne, LAMP4 Xe, LAMP5 HgCd), a MASTER_BIAS, a TRACE_TABLE and the
LINE_CATALOG, per IFU or merged. Per IFU, with ESO's parameters
(:data:`~muse.recipes.params.WAVECAL_PARAMETERS`):

1. each arc is overscan-corrected, trimmed, bias-subtracted and converted to counts as in
   ``muse_flat`` (pixels the MASTER_BIAS flags get no weight); the arcs of one lamp are
   combined (``combine``); without ``lampwise`` all lamps are summed and identified against
   the whole catalogue;
2. per slice and lamp, lines are detected in the central columns (the three unflagged ones
   nearest the traced centre) and identified against the catalogue lines of that lamp with
   quality ≥ 1 (:mod:`muse.recipes.arclines`);
3. every identified line is centred in every column between the traced edges (compiled
   Gaussian fits, ``nthreads`` threads); centres deviating from a straight line along the arc
   line by more than ``linesigma`` × RMS are dropped;
4. λ(x, y) = Σ ``wlc<i><j>`` xⁱ yʲ is fitted with weights ``fitweighting`` and ``fitsigma``
   rejection, where **x is the trimmed 1-based column minus the traced slice centre at row y**
   and y the trimmed 1-based row (the convention of this implementation; ESO's is not yet
   checked, MUSE-FORMATS §8);
5. a slice whose fit fails or is poor is solved again from its nearest good neighbour's
   solution, else carries that solution (:mod:`muse.recipes.wavecal_slice`).

The arcs must share ``ESO INS MODE``; the TRACE_TABLE must have their mode and
``ESO DET READ CURID``; the MASTER_BIAS their read-out, binning and chip.

QC (``ESO QC WAVECAL SLICEj …``): ``LINES NDET/NID``, ``LINES PEAK MEAN/STDEV/MIN/MAX`` (counts,
identified lines in the central column) and the same per lamp (``LAMPl``, lamps in the order
met), ``LINES FWHM MEAN/STDEV/MIN/MAX`` (Å), ``RESOL`` (mean λ/FWHM), ``FIT NLINES``, ``FIT RMS``
(Å), ``DWLEN BOTTOM/TOP`` (λ at the left minus the right edge in the first/last row, Å) and
``WLPOS`` (the row at the slice centre where λ = ``WLEN``, 7000 Å); per IFU ``WAVECAL NSLICES
RETRIED/FAILED``, ``WAVECAL FIT RMS MAX`` (pix) and ``WAVECAL SLICEj SUBSTITUTE`` per failed
slice. QC cards carry ESO-style comments where they fit.

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
from threadpoolctl import threadpool_limits

from common.errors import RecipeError
from muse.layout import N_PORTS, extname, geometry_for_detector
from muse.recipes.basicproc import combine_stack, default_threads, image_set, load_trimmed
from muse.recipes.flat import calibration_files
from muse.recipes.frames import (
    ChipLocation,
    RawFile,
    index_inputs,
    open_chips_with_bias,
    open_fits,
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
from muse.recipes.wavecal_io import read_line_catalog, read_trace_table, write_residual_preview
from muse.recipes.wavecal_slice import WLEN, solve_slices

__all__ = ["BIAS_CATG", "CATALOG_CATG", "CATG", "RAW_CATG", "RECIPE", "TRACE_CATG",
           "WLEN", "lamps_on", "make_wavecal", "run_inputs"]

RECIPE = "muse_wavecal"
CATG = "WAVECAL_TABLE"
RAW_CATG = "ARC"
BIAS_CATG = "MASTER_BIAS"
TRACE_CATG = "TRACE_TABLE"
CATALOG_CATG = "LINE_CATALOG"
_LAMP_NAMES = {"CU-LAMP3": "Ne", "CU-LAMP6": "Ne", "CU-LAMP4": "Xe", "CU-LAMP5": "HgCd"}
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


def _wavecal_ifu(task: WavecalTask) -> IfuOutput:
    images, variances, detector, primary, chip_header = _lamp_images(task)
    where = f"{task.raw[0].where}"
    spectral = geometry_for_detector(detector).spectral
    traces = read_trace_table(task.trace, task.ifu)
    ny = detector.trimmed_ny
    # the fits are many small linear systems: BLAS threads only add overhead, and two IFU
    # processes with a BLAS pool per core each would oversubscribe the machine
    with threadpool_limits(limits=1, user_api="blas"):
        solved = solve_slices(traces, images, variances, task.catalog, spectral, task.params,
                              ny, where, nthreads=task.nthreads)
    qc, points, rows = solved.qc, solved.points, solved.rows
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
    # the table of a per-IFU file is named by its category (its IFU is the primary's EXTNAME)
    hdu = fits.BinTableHDU.from_columns(columns, name=extname(task.ifu) if task.merged
                                        else CATG)
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
    title = (f"{CATG} IFU {task.ifu} ({extname(task.ifu)}), {len(task.raw)} arcs from "
             f"{str(primary.get('DATE-OBS', '?'))[:19]}\nfit residuals: RMS {rms:.4f} Å "
             f"({rms / spectral.dispersion:.4f} pix), {len(traces)} slices, "
             f"{len(solved.retried)} retried, {len(solved.substitutes)} failed")

    def write() -> None:
        write_hdus(task.products[CATG], header, [hdu])
        write_residual_preview(task.preview, residuals, title=title,
                               shape=(ny, detector.trimmed_nx))

    WRITER.submit(write)
    attributes = {"raw_files": [name for name, _ in raw], "master_bias": task.master_bias.name,
                  "trace_table": task.trace.name, "line_catalog": task.catalog_name,
                  "lamps": list(images), "fit_rms": rms,
                  "DET_READ_CURID": primary.get("HIERARCH ESO DET READ CURID"),
                  "DET_CHIP_NAME": chip_header.get("HIERARCH ESO DET CHIP NAME"),
                  "INS_MODE": primary.get("HIERARCH ESO INS MODE")}
    return IfuOutput(ifu=task.ifu, qc=qc, attributes=attributes)


def _check_modes(raw_files: Sequence[RawFile], trace_paths: Sequence[Path]) -> None:
    """Refuse arcs of different instrument modes, and traces of another mode or read-out.

    (Read-out, binning and chip of arcs and MASTER_BIAS are checked per IFU with the chips.)
    """
    reference = raw_files[0]
    where = f"recipe {RECIPE}: {reference.path}"
    expected = {key: require(reference.primary, key, kind, where)
                for key, kind in (("ESO INS MODE", str), ("ESO DET READ CURID", int))}
    headers = [(str(raw.path), raw.primary, ("ESO INS MODE",)) for raw in raw_files[1:]]
    for path in trace_paths:
        with open_fits(path) as hdul:
            headers.append((str(path), hdul[0].header.copy(), tuple(expected)))
    for name, header, keys in headers:
        for key in keys:
            found = require(header, key, type(expected[key]), f"recipe {RECIPE}: {name}")
            if found != expected[key]:
                raise RecipeError(f"recipe {RECIPE}: {name}: keyword '{key}': expected "
                                  f"{expected[key]!r} as in {reference.path}, found {found!r}")


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
    _check_modes(raw_files, trace_paths)
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
