"""Pixel tables of one exposure resampled into a cube, streamed in wavelength slabs.

The cube grid (:class:`CubeGrid`) has 0.2″ spaxels centred on the pixel-table positions
extent (``pix``: one slice pixel = one spaxel) and planes on the 4750 Å + k · 1.25 Å lattice,
cropped by instrument mode and by ``lambdamin``/``lambdamax``. Each table is indexed once:
its rows are bucketed by the slab of the lowest plane they reach (a stable counting sort,
4 bytes per row), rows whose drop also reaches the next slab listed there again, so a slab
reads only the rows that reach it. Slab by slab, every table's rows go through
:func:`muse.recipes._resample.accumulate` (reading the mapped big-endian columns directly),
the slab is written to the :class:`~muse.recipes.cubefile.CubeFile`, the filter images
collect their sums and the pages read are dropped from the resident set every four tables:
memory is the indexes (4 bytes per row) plus one slab.

Flux calibration multiplies each row by ``f(λ) = 10²⁰ · 10^(0.4 (k(λ) X − r(λ))) /
(EXPTIME · Δλ)``: ``r`` ESO's response (STD_RESPONSE, 2.5 log10 of count/s/Å per
erg/s/cm²/Å), ``k`` the extinction (EXTINCT_TABLE, mag per airmass) at airmass ``X`` and
``Δλ`` the table's native Å per CCD pixel. The simple sky (:func:`subtract_sky`) is a second
pass over the written cube: the median of each plane over the faintest spaxels of the
white-light image is subtracted (its variance, π/2 · mean STAT / n, is added to STAT).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from muse.layout import CUBE_LAMBDA_MIN
from muse.recipes import _resample
from muse.recipes.cubefile import CubeFile
from muse.recipes.pixtable import PixTable, decode_origin

__all__ = [
    "CubeGrid",
    "FilterImages",
    "TableIndex",
    "index_table",
    "mode_lambda_min",
    "resample_exposure",
    "subtract_sky",
]

Progress = Callable[[int, int, str], None]
_DISPERSION_SAMPLE = 1 << 18
_KERNEL_COLUMNS = ("xpos", "ypos", "lambda", "data", "dq", "stat")
# tables resampled per kernel call before their pages are dropped: the page cache maps
# large folios, so a slab's scattered rows map much of a table; four bound the resident
# set while keeping the OpenMP regions few
_TABLES_PER_CALL = 4


def mode_lambda_min(mode: str) -> float:
    """The cube's blue end for ``INS.MODE``: 4600 Å extended, 4700 Å nominal AO, else 4750 Å."""
    if mode.endswith("-E"):
        return 4600.0
    if mode.startswith("WFM-AO"):
        return 4700.0
    return CUBE_LAMBDA_MIN


@dataclass(frozen=True)
class CubeGrid:
    """Voxel centres: ``x0 + i · step_x`` (pix), ``y0 + j · step_y``, ``lambda0 + k · dlambda``."""

    nx: int
    ny: int
    nz: int
    x0: float
    y0: float
    step_x: float
    step_y: float
    lambda0: float
    dlambda: float

    @classmethod
    def around(cls, x_limits: tuple[float, float], y_limits: tuple[float, float],
               lambda_limits: tuple[float, float], *, step_x: float, step_y: float,
               dlambda: float) -> CubeGrid:
        """The grid covering the given position and wavelength limits (planes on the lattice).

        ``step_x``, ``step_y`` are the spaxel sizes in pixel-table units (native spaxels).
        """
        nx = math.floor((x_limits[1] - x_limits[0]) / step_x + 1e-6) + 1
        ny = math.floor((y_limits[1] - y_limits[0]) / step_y + 1e-6) + 1
        # centred on the data: a field symmetric about the pointing (MUSE's stacks of slices
        # meet at 0) gets spaxel edges where the stacks' edges are, so no spaxel falls
        # between the last pixel of one stack and the first of the next
        x0 = (x_limits[0] + x_limits[1]) / 2 - (nx - 1) / 2 * step_x
        y0 = (y_limits[0] + y_limits[1]) / 2 - (ny - 1) / 2 * step_y
        first = math.ceil((lambda_limits[0] - CUBE_LAMBDA_MIN) / dlambda - 1e-6)
        last = math.floor((lambda_limits[1] - CUBE_LAMBDA_MIN) / dlambda + 1e-6)
        if last < first:
            raise ValueError(f"no cube plane between {lambda_limits[0]:g} and "
                             f"{lambda_limits[1]:g} Angstrom")
        return cls(nx=nx, ny=ny, nz=last - first + 1, x0=x0, y0=y0,
                   step_x=step_x, step_y=step_y,
                   lambda0=CUBE_LAMBDA_MIN + first * dlambda, dlambda=dlambda)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(nz, ny, nx)``, numpy order."""
        return self.nz, self.ny, self.nx

    @property
    def wavelengths(self) -> np.ndarray:
        """Wavelength (Å) of every plane."""
        return self.lambda0 + self.dlambda * np.arange(self.nz)


@dataclass
class TableIndex:
    """One table's rows by slab bucket: 0 below the cube, ``s + 1`` slab ``s``, the last above.

    ``order[bounds[b]:bounds[b + 1]]`` start in bucket ``b``,
    ``extra[extra_bounds[b]:extra_bounds[b + 1]]`` start in the bucket before and reach into
    ``b``. ``dispersion`` is the native Å per CCD pixel, ``half_planes`` the drop's half size
    in planes.
    """

    order: np.ndarray
    bounds: np.ndarray
    extra: np.ndarray
    extra_bounds: np.ndarray
    dispersion: float
    half_planes: float

    def rows(self, slab: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows that reach slab ``slab``: those starting in it and those spilling over."""
        return (self.order[self.bounds[slab + 1]:self.bounds[slab + 2]],
                self.extra[self.extra_bounds[slab + 1]:self.extra_bounds[slab + 2]])


def native_dispersion(table: PixTable) -> float:
    """Å per CCD pixel from a sample of rows: λ span over CCD-row span within each column."""
    count = min(table.nrows, _DISPERSION_SAMPLE)
    lam = table.native("lambda", 0, count).astype(np.float64)
    _, slice_no, ccd_y, x = decode_origin(table.native("origin", 0, count))
    key = slice_no * 128 + x
    order = np.argsort(key, kind="stable")
    key, lam, ccd_y = key[order], lam[order], ccd_y[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    lam_span = np.maximum.reduceat(lam, starts) - np.minimum.reduceat(lam, starts)
    y_span = np.maximum.reduceat(ccd_y, starts) - np.minimum.reduceat(ccd_y, starts)
    good = (y_span > 0) & np.isfinite(lam_span)
    if not good.any():
        raise ValueError("no CCD column with two rows to measure the dispersion")
    return float(np.median(lam_span[good] / y_span[good]))


def index_table(table: PixTable, grid: CubeGrid, slab_planes: int, half_planes: float,
                dispersion: float) -> TableIndex:
    """Bucket ``table``'s rows by the slab of the lowest plane their drop reaches."""
    nslabs = -(-grid.nz // slab_planes)
    order, bounds, extra, extra_bounds = _resample.bucket_rows(
        table.words("lambda"), grid.lambda0, grid.dlambda, half_planes, slab_planes, nslabs)
    table.release()
    return TableIndex(order=order, bounds=bounds, extra=extra, extra_bounds=extra_bounds,
                      dispersion=dispersion, half_planes=half_planes)


class FilterImages:
    """Filter-weighted means over the planes, summed slab by slab (IMAGE_FOV).

    A spaxel's image value is ``Σ w d / Σ w`` over its finite voxels, its variance
    ``Σ w² s / (Σ w)²``, with ``w`` the filter throughput at each plane's wavelength.
    """

    def __init__(self, grid: CubeGrid, filters: dict[str, tuple[np.ndarray, np.ndarray]]):
        self.weights = {name: np.interp(grid.wavelengths, wave, throughput, left=0.0,
                                        right=0.0) for name, (wave, throughput) in
                        filters.items()}
        self._weights = np.array(list(self.weights.values()))
        self._sums = np.zeros((len(filters), 3, grid.ny, grid.nx))

    def add(self, first_plane: int, data: np.ndarray, stat: np.ndarray, *,
            nthreads: int = 1) -> None:
        """Add a slab of planes starting at ``first_plane``."""
        weights = np.ascontiguousarray(self._weights[:, first_plane:first_plane + len(data)])
        _resample.collapse(data, stat, weights, self._sums, nthreads=nthreads)

    def images(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{name: (image, variance)}``, NaN where the filter saw no finite voxel."""
        result = {}
        for name, (numerator, denominator, variance) in zip(self.weights, self._sums,
                                                            strict=True):
            with np.errstate(invalid="ignore", divide="ignore"):
                good = denominator > 0
                image = np.where(good, numerator / np.where(good, denominator, 1), np.nan)
                error = np.where(good, variance / np.where(good, denominator, 1) ** 2, np.nan)
            result[name] = (image.astype(np.float32), error.astype(np.float32))
        return result

    def reset(self) -> None:
        """Forget the sums (before a second pass over the cube)."""
        self._sums[:] = 0.0


@dataclass(frozen=True)
class Kernel:
    """The resampling: ``nearest`` or drizzle with ``pixfrac`` (spatial x, y and spectral)."""

    nearest: bool
    pixfrac: tuple[float, float, float]


def resample_exposure(tables: Sequence[PixTable], indexes: Sequence[TableIndex],
                      factors: Sequence[np.ndarray], grid: CubeGrid, kernel: Kernel,
                      out: CubeFile, images: FilterImages, *, slab_planes: int,
                      nthreads: int, progress: Progress | None = None) -> int:
    """Resample every table into ``out`` slab by slab; return the number of empty voxels.

    ``factors[t]`` samples table ``t``'s calibration factor at the cube's planes.
    """
    nslabs = -(-grid.nz // slab_planes)
    shape = (slab_planes, grid.ny, grid.nx)
    wsum, dsum, ssum = (np.empty(shape) for _ in range(3))
    data = np.empty(shape, dtype=np.float32)
    stat = np.empty(shape, dtype=np.float32)
    hx = 0.5 * kernel.pixfrac[0] / grid.step_x
    hy = 0.5 * kernel.pixfrac[1] / grid.step_y
    columns = np.array([[table.words(name).ctypes.data for name in _KERNEL_COLUMNS]
                        for table in tables], dtype=np.uint64)
    half_planes = np.array([index.half_planes for index in indexes])
    factor_table = np.ascontiguousarray(factors, dtype=np.float64)
    empty = 0
    for slab in range(nslabs):
        first = slab * slab_planes
        planes = min(slab_planes, grid.nz - first)
        views = [array[:planes] for array in (wsum, dsum, ssum)]
        for view in views:
            view.fill(0.0)
        for group in range(0, len(tables), _TABLES_PER_CALL):
            members = slice(group, group + _TABLES_PER_CALL)
            rows = [index.rows(slab) for index in indexes[members]]
            _resample.accumulate(
                columns[members],
                np.array([[r.ctypes.data for r in pair] for pair in rows], dtype=np.uint64),
                np.array([[r.size for r in pair] for pair in rows], dtype=np.int64), *views,
                grid.x0, grid.y0,
                grid.step_x, grid.step_y, grid.lambda0 + first * grid.dlambda, grid.dlambda,
                hx, hy, half_planes[members], factor_table[members], grid.lambda0,
                grid.dlambda, nearest=kernel.nearest, nthreads=nthreads)
            del rows
            for table in tables[members]:
                table.release()
        _resample.finish(*views, data[:planes], stat[:planes], nthreads=nthreads)
        out.write(first, data[:planes], stat[:planes])
        images.add(first, data[:planes], stat[:planes], nthreads=nthreads)
        empty += int(np.count_nonzero(np.isnan(data[:planes])))
        if progress is not None:
            progress(slab + 1, nslabs, f"planes {first + 1}-{first + planes} of {grid.nz}")
    return empty


def sky_spaxels(white: np.ndarray, fraction: float, ignore: float) -> np.ndarray:
    """Mask of the sky spaxels: the faintest ``fraction`` after the faintest ``ignore``."""
    values = np.sort(white[np.isfinite(white)])
    if values.size == 0:
        raise ValueError("the white-light image has no finite spaxel to find the sky in")
    low = values[min(values.size - 1, int(ignore * values.size))]
    high = values[min(values.size - 1, int((ignore + fraction) * values.size))]
    return np.isfinite(white) & (white >= low) & (white <= high)


def subtract_sky(out: CubeFile, grid: CubeGrid, sky: np.ndarray, images: FilterImages, *,
                 slab_planes: int, progress: Progress | None = None) -> np.ndarray:
    """Subtract per plane the median over the ``sky`` spaxels; return the sky spectrum."""
    spectrum = np.full(grid.nz, np.nan)
    images.reset()
    out.restart_sums()
    nslabs = -(-grid.nz // slab_planes)
    for slab in range(nslabs):
        first = slab * slab_planes
        planes = min(slab_planes, grid.nz - first)
        data, stat = out.read(first, planes)
        values, variances = data[:, sky], stat[:, sky]
        counts = np.count_nonzero(np.isfinite(values), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            level = np.where(counts > 0, np.nanmedian(np.where(counts[:, None] > 0, values, 0),
                                                      axis=1), np.nan)
            noise = np.where(counts > 0, 0.5 * np.pi * np.nanmean(
                np.where(counts[:, None] > 0, variances, 0), axis=1) / np.maximum(counts, 1),
                np.nan)
        data -= np.nan_to_num(level, nan=0.0).astype(np.float32)[:, None, None]
        stat += np.nan_to_num(noise, nan=0.0).astype(np.float32)[:, None, None]
        spectrum[first:first + planes] = level
        out.write(first, data, stat)
        images.add(first, data, stat)
        if progress is not None:
            progress(slab + 1, nslabs, f"sky of planes {first + 1}-{first + planes}")
    return spectrum
