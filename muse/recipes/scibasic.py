"""PIXTABLE_OBJECT from raw OBJECT frames (ESO's ``muse_scibasic``), a first version.

Per exposure and IFU, with the parameters of :data:`~muse.recipes.params.SCIBASIC_PARAMETERS`:

1. the raw chip is overscan-corrected, trimmed, bias-subtracted and converted to counts as in
   ``muse_flat`` (STAT: ``STAT(bias) + (RON/GAIN)² + data/GAIN``, in count²); raw values
   above 65500 are flagged saturated; DQ carries the MASTER_BIAS and MASTER_FLAT flags;
2. it is divided by the MASTER_FLAT (of the same ``INS.MODE`` and read-out setup; STAT:
   ``(stat + data² · STAT(flat)) / flat²``);
3. every pixel whose centre lies between the traced edges of a slice becomes a row:
   ``lambda`` from the WAVECAL_TABLE (x relative to the traced centre, as
   :mod:`muse.recipes.wavecal` fits it), ``xpos``/``ypos`` from the GEOMETRY_TABLE (the slice's
   centre, length and angle, the pixel's place between the edges), ``origin`` packed as
   MUSE-FORMATS §2 says, with ``ESO DRS MUSE PIXTABLE EXP1 IFUnn SLICEmm XOFFSET`` the
   slice's first 0-based column; with ``crop`` only 4750–9350 Å is kept.

Dividing by the MASTER_FLAT also divides by the lamp's spectrum (and, the master being
normalised by its mean, scales each IFU by its lamp level). So the flat's spectrum goes with the
data: the mean of the good MASTER_FLAT pixels at least :data:`EDGE_MARGIN` inside the traced
edges, in bins of two CCD rows' worth of wavelength, the
``PIXTABLE_FLAT_FIELD`` table (``lambda``, ``data``; ESO's extension), and the level the master
was divided by, ``ESO DRS MUSE FLAT FLUX LAMP`` (``QC FLAT MASTER MEAN``; 1 for a master in
count). ``muse_scipost`` multiplies the lamp back in (see :mod:`muse.recipes.scipost`).

The product ``PIXTABLE_OBJECT_kkkk-NN.fits`` (exposure k, IFU NN) has one N × 1 IMAGE
extension per column (``xpos``, ``ypos`` in pix, ``lambda`` in Angstrom, ``data`` in count,
``dq``, ``stat`` in count**2, ``origin``), then ``PIXTABLE_FLAT_FIELD``, and the ``ESO DRS MUSE
PIXTABLE`` state keywords (``TYPE = 'GEOFULL'``, ``LIMITS``, ``EXP1 FIRST/LAST``); QC
``SCIBASIC NSATURATED``.
Not supported yet: STD/SKY/ASTROMETRY inputs, ILLUM and TWILIGHT_CUBE corrections, the
``*_RED`` images, ``SCIBASIC LAMBDA SHIFT`` (sky-line check) and merged inputs of the raw data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits

from common.errors import RecipeError
from muse.layout import CUBE_LAMBDA_MAX, CUBE_LAMBDA_MIN, N_PORTS, extname
from muse.recipes.arclines import evaluate_solution
from muse.recipes.basicproc import default_threads, flag_saturated, load_trimmed
from muse.recipes.dq import OUTSIDE_RANGE
from muse.recipes.flat import calibration_files
from muse.recipes.frames import (
    ChipLocation,
    check_same_setup,
    index_inputs,
    open_fits,
    read_image_product,
    require,
)
from muse.recipes.params import SCIBASIC_PARAMETERS, ParameterValue, resolve
from muse.recipes.pixtable import FLAT_FIELD_EXTNAME, FLAT_LEVEL_KEY
from muse.recipes.preview import write_preview
from muse.recipes.products import RecipeResult, product_header, product_name, write_hdus
from muse.recipes.runner import IfuOutput, Progress, run_recipe, select_ifus
from muse.recipes.sof import classify_files
from muse.recipes.wavecal_io import read_trace_table, read_wavecal_table

__all__ = ["CALIBRATIONS", "CATG", "RAW_CATG", "RECIPE", "decode_origin", "make_pixtable",
           "run_inputs"]

RECIPE = "muse_scibasic"
CATG = "PIXTABLE_OBJECT"
RAW_CATG = "OBJECT"
CALIBRATIONS = ("MASTER_BIAS", "MASTER_FLAT", "TRACE_TABLE", "WAVECAL_TABLE", "GEOMETRY_TABLE")
FLAT_MIN = 1e-4  # MASTER_FLAT values at or below are outside the illuminated area
EDGE_MARGIN = 2.0  # CCD pixels inside the traced edges for the flat's lamp level
COLUMNS = (("xpos", "pix"), ("ypos", "pix"), ("lambda", "Angstrom"), ("data", "count"),
           ("dq", None), ("stat", "count**2"), ("origin", None))


def decode_origin(origin: np.ndarray, xoffsets: Mapping[int, int]) -> tuple[np.ndarray, ...]:
    """Slice, IFU, 0-based column and 0-based row of packed ``origin`` values.

    ``xoffsets`` maps slice numbers to their ``XOFFSET`` keyword (one IFU).
    """
    origin = np.asarray(origin, dtype=np.int64)
    slices = origin & 0x3F
    ifus = (origin >> 6) & 0x1F
    rows = ((origin >> 11) & 0x1FFF) - 1
    offsets = np.array([xoffsets.get(int(s), 0) for s in range(64)])[slices]
    columns = ((origin >> 24) & 0x7F) - 1 + offsets
    return slices, ifus, columns, rows


def _geometry_rows(path: Path, ifu: int) -> dict[int, tuple[float, float, float, float]]:
    with open_fits(path) as hdul:
        if len(hdul) < 2 or not isinstance(hdul[1], fits.BinTableHDU):
            raise RecipeError(f"{path}: HDU 1: expected the GEOMETRY_TABLE binary table")
        table = hdul[1].data
        try:
            rows = {int(r["SliceCCD"]): (float(r["x"]), float(r["y"]), float(r["width"]),
                                         float(r["angle"]))
                    for r in table if int(r["SubField"]) == ifu}
        except KeyError as exc:
            raise RecipeError(f"{path}: column {exc}: expected ESO's GEOMETRY_TABLE columns "
                              "SubField, SliceCCD, x, y, width, angle") from None
    if len(rows) != 48:
        raise RecipeError(f"{path}: SubField {ifu}: expected 48 slices, found {len(rows)}")
    return rows


def _flat_level(flat) -> float:
    """What the MASTER_FLAT was divided by: its mean in count (``QC FLAT MASTER MEAN``)."""
    if str(flat.header.get("BUNIT", "")).strip() == "count":
        return 1.0
    level = flat.header.get("HIERARCH ESO QC FLAT MASTER MEAN")
    if isinstance(level, bool) or not isinstance(level, int | float) or not level > 0:
        raise RecipeError(f"{flat.path}: keyword 'ESO QC FLAT MASTER MEAN': expected the "
                          f"positive level the master flat was normalised by, found {level!r}")
    return float(level)


def _flat_spectrum(wavelength: np.ndarray, values: np.ndarray, step: float,
                   where: Path) -> fits.BinTableHDU:
    """The ``PIXTABLE_FLAT_FIELD`` table: mean flat value per ``step``-wide wavelength bin."""
    low = float(wavelength.min())
    bins = ((wavelength - low) / step).astype(np.int64)
    counts = np.bincount(bins)
    sums = np.bincount(bins, weights=values)
    filled = counts > 0
    if np.count_nonzero(filled) < 2:
        raise RecipeError(f"{where}: fewer than 2 wavelength bins with good flat-field pixels")
    centres = low + step * (np.flatnonzero(filled) + 0.5)
    return fits.BinTableHDU.from_columns([
        fits.Column("lambda", "D", unit="Angstrom", array=centres),
        fits.Column("data", "D", array=sums[filled] / counts[filled])], name=FLAT_FIELD_EXTNAME)


@dataclass(frozen=True)
class ScibasicTask:
    """The work on one IFU for every exposure (picklable)."""

    ifu: int
    raw: tuple[ChipLocation, ...]
    calibrations: dict[str, Path]
    params: dict[str, ParameterValue]
    products: dict[str, Path]
    preview: Path
    nthreads: int


def _reduce(task: ScibasicTask, location: ChipLocation, bias, flat):
    chip = location.open()
    check_same_setup([(chip.where, chip.header), (bias.where, bias.header)])
    check_same_setup([(chip.where, chip.header), (flat.where, flat.header)])
    # muse.oca: the MASTER_FLAT also matches the instrument mode
    mode = require(chip.header, "ESO INS MODE", str, chip.where)
    flat_mode = require(flat.header, "ESO INS MODE", str, flat.where)
    if flat_mode != mode:
        raise RecipeError(f"{flat.where}: keyword 'ESO INS MODE': expected {mode!r} as in "
                          f"{chip.where}, found {flat_mode!r}")
    detector = chip.detector
    data = np.empty((detector.trimmed_ny, detector.trimmed_nx), dtype=np.float32)
    loaded = load_trimmed(chip, task.params, data, nthreads=task.nthreads)
    dq = bias.dq | flat.dq
    if loaded.nsaturated:
        flag_saturated(chip, dq)
    data -= bias.data
    stat = np.empty_like(data)
    for port, gain, ron in zip(range(1, N_PORTS + 1), chip.gains, chip.header_ron,
                               strict=True):
        window = detector.trimmed_window(port)
        ron_adu = ron / gain if np.isfinite(ron) else 0.0
        stat[window] = (np.maximum(data[window], 0) / gain + bias.stat[window]
                        + ron_adu**2) * gain**2
        data[window] *= gain
    # a flat this close to 0 saw no light (its square would overflow float32)
    good = flat.data > FLAT_MIN
    dq[~good] |= OUTSIDE_RANGE
    safe = np.where(good, flat.data, np.float32(1.0))
    data /= safe
    # STAT = (stat + data² STAT(flat)) / flat², in place: full-size frames are 67 MB each
    np.square(safe, out=safe)
    variance = np.square(data)
    variance *= flat.stat
    stat += variance
    del variance
    stat /= safe
    return chip, data, stat, dq, loaded.nsaturated


def _pixtable_ifu(task: ScibasicTask) -> IfuOutput:
    ifu = task.ifu
    bias = read_image_product(task.calibrations["MASTER_BIAS"], ifu)
    flat = read_image_product(task.calibrations["MASTER_FLAT"], ifu)
    traces = read_trace_table(task.calibrations["TRACE_TABLE"], ifu)
    solutions = read_wavecal_table(task.calibrations["WAVECAL_TABLE"], ifu)
    placements = _geometry_rows(task.calibrations["GEOMETRY_TABLE"], ifu)
    flat_level = _flat_level(flat)
    flat_table = None
    qc: dict[str, float | int] = {}
    rows_written = []
    for number, (location, catg) in enumerate(zip(task.raw, task.products, strict=True),
                                              start=1):
        chip, data, stat, dq, nsaturated = _reduce(task, location, bias, flat)
        ny, nx = data.shape
        y = np.arange(1, ny + 1, dtype=np.float64)[:, None]
        columns: dict[str, list[np.ndarray]] = {name: [] for name, _ in COLUMNS}
        flat_values: list[np.ndarray] = []
        keywords: dict[str, object] = {FLAT_LEVEL_KEY: (
            flat_level, "[count] level the master flat was divided by")}
        dispersion = 0.0
        for trace in traces:
            if trace.slice_no not in solutions:
                raise RecipeError(f"{task.calibrations['WAVECAL_TABLE']}: slice "
                                  f"{trace.slice_no} of {extname(ifu)} has no solution")
            left, right = trace.x("left", y), trace.x("right", y)
            first = max(int(np.ceil(left.min())), 1)
            last = min(int(np.floor(right.max())), nx)
            x = np.arange(first, last + 1, dtype=np.float64)[None, :]
            inside = (x >= left) & (x <= right)
            xx, yy = np.broadcast_arrays(x, y)
            wavelength = evaluate_solution(solutions[trace.slice_no],
                                           xx - trace.x("centre", yy), yy)
            ends = evaluate_solution(solutions[trace.slice_no], np.zeros(2),
                                     np.array([1.0, float(ny)]))
            dispersion = max(dispersion, abs(float(ends[1] - ends[0])) / max(ny - 1, 1))
            if task.params["crop"]:
                inside &= (wavelength >= CUBE_LAMBDA_MIN) & (wavelength <= CUBE_LAMBDA_MAX)
            centre_x, centre_y, length, angle = placements[trace.slice_no]
            along = ((xx - left) / (right - left) - 0.5) * length
            radians = np.radians(angle)
            rows, cols = yy[inside].astype(np.int64) - 1, xx[inside].astype(np.int64) - 1
            xoffset = first - 1
            keywords[f"DRS MUSE PIXTABLE EXP1 IFU{ifu:02d} SLICE{trace.slice_no:02d} "
                     "XOFFSET"] = xoffset
            # float32 as stored: the columns of 13.6 M rows per IFU take half the memory
            columns["xpos"].append((centre_x + along * np.cos(radians))[inside].astype(
                np.float32))
            columns["ypos"].append((centre_y + along * np.sin(radians))[inside].astype(
                np.float32))
            columns["lambda"].append(wavelength[inside].astype(np.float32))
            columns["data"].append(data[rows, cols])
            columns["dq"].append(dq[rows, cols])
            columns["stat"].append(stat[rows, cols])
            if flat_table is None:
                # the lamp's level: pixels the slice's blurred edges do not dim
                core = (inside & (xx >= left + EDGE_MARGIN) & (xx <= right - EDGE_MARGIN))[inside]
                flat_values.append(np.where(core, flat.data[rows, cols], np.float32(np.nan)))
            columns["origin"].append((trace.slice_no | (ifu << 6) | ((rows + 1) << 11)
                                      | ((cols - xoffset + 1) << 24)).astype(np.int32))
        if number == 1:
            write_preview(task.preview, data, dq=dq, unit="count",
                          title=f"{CATG} {extname(ifu)}, exposure "
                                f"{chip.header.primary.get('DATE-OBS', '')} (flat-fielded)")
        del data, stat, dq  # the CCD images go before the columns are joined
        arrays = {}
        for name in list(columns):
            arrays[name] = np.concatenate(columns.pop(name))
        if flat_table is None:
            values = np.concatenate(flat_values)
            good = (arrays["dq"] == 0) & (values > 0)  # NaN (near an edge) is not > 0
            flat_table = _flat_spectrum(arrays["lambda"][good], values[good].astype(np.float64),
                                        2.0 * dispersion, flat.path)
            del values, good, flat_values
        total = arrays["data"].size
        for axis, name in (("X", "xpos"), ("Y", "ypos"), ("LAMBDA", "lambda")):
            keywords[f"DRS MUSE PIXTABLE LIMITS {axis} LOW"] = float(arrays[name].min())
            keywords[f"DRS MUSE PIXTABLE LIMITS {axis} HIGH"] = float(arrays[name].max())
        keywords.update({"DRS MUSE PIXTABLE TYPE": "GEOFULL", "DRS MUSE PIXTABLE EXP1 FIRST": 0,
                         "DRS MUSE PIXTABLE EXP1 LAST": total - 1,
                         "QC SCIBASIC NSATURATED": nsaturated})
        qc[f"SCIBASIC NSATURATED {number}"] = nsaturated
        header = product_header(chip.header.primary, catg=CATG, recipe=RECIPE,
                                raw=[(location.path.name, RAW_CATG)],
                                calibrations=[(p.name, c) for c, p in task.calibrations.items()],
                                params=task.params, ncombined=1,
                                pipefile=product_name(catg, ifu), ifu=ifu,
                                chip=chip.header.extension, keywords=keywords)
        hdus = []
        for name, unit in COLUMNS:
            kind = np.int32 if name in ("dq", "origin") else np.float32
            hdu = fits.ImageHDU(np.asarray(arrays[name], dtype=kind).reshape(-1, 1), name=name)
            if unit:
                hdu.header["BUNIT"] = (unit, "Physical unit of the column")
            hdus.append(hdu)
        hdus.append(flat_table)
        write_hdus(task.products[catg], header, hdus)
        del hdus, arrays
        rows_written.append(total)
    return IfuOutput(ifu=ifu, qc=qc, attributes={
        "raw_files": [location.path.name for location in task.raw],
        "rows": rows_written, **{catg: path.name for catg, path in task.calibrations.items()}})


def make_pixtable(raw_paths: Iterable[Path | str], calibrations: Mapping[str, Iterable[Path]],
                  params: Mapping[str, object] | None = None, out_dir: Path | str = ".", *,
                  ifus: Iterable[int] | None = None, processes: int | None = None,
                  nthreads: int | None = None,
                  progress: Progress | None = None) -> RecipeResult:
    """Make ``PIXTABLE_OBJECT_kkkk-NN.fits`` for every OBJECT exposure k and IFU NN.

    ``calibrations`` maps each of :data:`CALIBRATIONS` to its files (per-IFU or merged;
    GEOMETRY_TABLE one file). A failure raises :class:`RecipeError` and leaves no product.
    """
    resolved = resolve(SCIBASIC_PARAMETERS, params, RECIPE)
    paths = [Path(p) for p in raw_paths]
    if not paths:
        raise RecipeError(f"recipe {RECIPE}: expected at least one {RAW_CATG} frame, found none")
    files: dict[str, list[Path]] = {}
    for catg in CALIBRATIONS:
        given = [Path(p) for p in calibrations.get(catg, ())]
        if not given:
            raise RecipeError(f"recipe {RECIPE}: expected a {catg}, found none")
        for path, found in classify_files(given).items():
            if found != catg:
                raise RecipeError(f"recipe {RECIPE}: {path}: expected a {catg}, found "
                                  f"category {found}")
        files[catg] = given
    raw_files = index_inputs(paths, RAW_CATG, RECIPE)
    selected = select_ifus(int(resolved["nifu"]), None if ifus is None else list(ifus),
                           raw_files)
    per_ifu = {catg: calibration_files(files[catg], catg) for catg in CALIBRATIONS[:-1]}
    for ifu in selected:
        for catg, found in per_ifu.items():
            if ifu not in found:
                raise RecipeError(f"recipe {RECIPE}: extension {extname(ifu)}: no {catg} "
                                  f"among {', '.join(str(p) for p in files[catg])} holds it")
    if processes is None:
        processes = default_threads() if resolved["nifu"] == -1 else 1
    threads = nthreads if nthreads is not None else default_threads(processes)
    categories = tuple(f"{CATG}_{k:04d}" for k in range(1, len(paths) + 1))

    def make_task(ifu: int, products: dict[str, Path], preview: Path) -> ScibasicTask:
        chosen = {catg: found[ifu] for catg, found in per_ifu.items()}
        chosen["GEOMETRY_TABLE"] = files["GEOMETRY_TABLE"][0]
        return ScibasicTask(ifu=ifu, raw=tuple(raw.location(ifu) for raw in raw_files),
                            calibrations=chosen, params=resolved, products=products,
                            preview=preview, nthreads=threads)

    return run_recipe(recipe=RECIPE, categories=categories, ifus=selected,
                      out_dir=Path(out_dir), merged=False, processes=processes,
                      work=_pixtable_ifu, make_task=make_task, merged_headers=dict,
                      progress=progress)


def run_inputs(inputs: Mapping[str, Sequence[Path]], params: Mapping[str, object],
               out_dir: Path, *, processes: int | None = None,
               progress: Progress | None = None) -> RecipeResult:
    """Run muse_scibasic on files classified by SOF tag (what ``awe recipe scibasic`` calls)."""
    return make_pixtable(inputs[RAW_CATG], inputs, params, out_dir, processes=processes,
                         progress=progress)
