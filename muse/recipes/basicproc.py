"""Basic processing shared by the recipes: raw chip → trimmed image, stacks, combination.

ESO's order per input (MUSE-FORMATS §7): saturation flag (raw value > 65500), per-port raw
medians, overscan statistics, overscan correction, trim. Here they happen in one pass per
port over the memory-mapped raw data (:func:`load_trimmed`), straight into the caller's slot
of an IFU stack, so no untrimmed or scaled copy of a frame is made.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from muse.layout import N_PORTS, SATURATION_FLAG_LEVEL, DetectorGeometry
from muse.recipes import _combine, _decode, _windows
from muse.recipes.dq import SATURATED
from muse.recipes.frames import RawChip
from muse.recipes.overscan import PortOverscan, process_overscans

__all__ = [
    "COMBINE_METHODS",
    "LoadedInput",
    "combine_stack",
    "default_threads",
    "flag_saturated",
    "histogram_median",
    "image_set",
    "load_trimmed",
    "port_statistics",
    "release_workspaces",
    "window_statistics",
    "workspace",
]

COMBINE_METHODS = {"average": _combine.COMBINE_AVERAGE, "median": _combine.COMBINE_MEDIAN,
                   "minmax": _combine.COMBINE_MINMAX, "sigclip": _combine.COMBINE_SIGCLIP}


def default_threads(processes: int = 1) -> int:
    """OpenMP threads per worker: ``OMP_NUM_THREADS`` if set, else cores // processes."""
    configured = os.environ.get("OMP_NUM_THREADS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, (os.cpu_count() or 1) // max(1, processes))


def histogram_median(histogram: np.ndarray, bzero: float) -> float:
    """The exact median of the raw values counted in a 65536-bin histogram.

    As CPL's median, an even count gives the mean of the two middle values.
    """
    cumulative = np.cumsum(histogram)
    total = int(cumulative[-1])
    if total == 0:
        return float("nan")
    lower = int(np.searchsorted(cumulative, (total - 1) // 2, side="right"))
    upper = int(np.searchsorted(cumulative, total // 2, side="right"))
    return 0.5 * (lower + upper) - 32768.0 + bzero


@dataclass(frozen=True)
class LoadedInput:
    """What loading one raw chip into a stack slot measured on the way.

    ``levels`` are the per-port medians of the raw data sections (before the overscan
    correction); ``nsaturated`` counts raw data pixels above 65500.
    """

    levels: tuple[float, ...]
    nsaturated: int
    overscans: tuple[PortOverscan, ...]


def flag_saturated(chip: RawChip, dq: np.ndarray) -> int:
    """Set DQ 4096 in ``dq`` (trimmed) where the raw data exceed 65500; return the count."""
    detector = chip.detector
    return sum(_decode.flag_above(chip.stored[detector.data_window(port)],
                                   dq[detector.trimmed_window(port)], chip.bzero, chip.swap,
                                   float(SATURATION_FLAG_LEVEL), SATURATED)
               for port in range(1, N_PORTS + 1))


def load_trimmed(chip: RawChip, params: Mapping[str, object], out: np.ndarray,
                 *, nthreads: int = 1) -> LoadedInput:
    """Overscan-correct and trim ``chip`` into ``out`` (float32, trimmed shape, adu).

    Saturation is only counted (:attr:`LoadedInput.nsaturated`); when it is not zero the
    caller flags the pixels with :func:`flag_saturated`, so a stack of DQ images is made
    only for inputs that need one.
    """
    detector = chip.detector
    overscans = tuple(process_overscans(chip, params))
    levels = []
    nsaturated = 0
    histogram = np.zeros(65536, dtype=np.int64)
    for overscan in overscans:
        raw_window = detector.data_window(overscan.port)
        trimmed_window = detector.trimmed_window(overscan.port)
        histogram[:] = 0
        nsaturated += _decode.decode_raw(chip.stored[raw_window], out[trimmed_window],
                                          chip.bzero, chip.swap, overscan.row_offset,
                                          float(SATURATION_FLAG_LEVEL), histogram, nthreads)
        levels.append(histogram_median(histogram, chip.bzero))
    return LoadedInput(levels=tuple(levels), nsaturated=nsaturated, overscans=overscans)


def workspace(name: str, shape: tuple[int, ...], dtype: type = np.float32) -> np.ndarray:
    """A scratch array kept from one IFU to the next in this process (uninitialised).

    A fresh array of an IFU's size costs the kernel's zeroing of every page at first touch;
    IFUs of one run have the same shape, so their stacks and images reuse one allocation.
    Memory stays bounded by what one IFU needs; :func:`release_workspaces` frees it.
    """
    array = _WORKSPACES.get(name)
    if array is None or array.shape != tuple(shape) or array.dtype != np.dtype(dtype):
        _WORKSPACES.pop(name, None)
        array = np.empty(shape, dtype=dtype)
        _WORKSPACES[name] = array
    return array


def release_workspaces() -> None:
    """Free the scratch arrays of :func:`workspace` (at the end of a run)."""
    _WORKSPACES.clear()


_WORKSPACES: dict[str, np.ndarray] = {}


def image_set(name: str, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DATA (float32), DQ (int32) and STAT (float32) images from one reused workspace."""
    block = workspace(name, (3, *shape), np.float32)
    return block[0], block[1].view(np.int32), block[2]


def combine_stack(data: np.ndarray, stat: np.ndarray, dq: np.ndarray | None,
                  params: Mapping[str, object], out: tuple[np.ndarray, np.ndarray, np.ndarray],
                  *, nthreads: int = 1) -> None:
    """Combine a stack ``(n, ny, nx)`` with the recipe's ``combine`` parameters into ``out``.

    ``stat`` and ``dq`` may be broadcast views (zero strides); ``out`` is DATA (float32), DQ
    (int32) and STAT (float32) images, which may be views with contiguous rows.
    """
    out_data, out_dq, out_stat = out
    _combine.combine(data, stat, dq, COMBINE_METHODS[str(params["combine"])],
                     float(params["lsigma"]), float(params["hsigma"]), int(params["nlow"]),
                     int(params["nhigh"]), int(params["nkeep"]), out_data, out_stat, out_dq,
                     nthreads)


def port_statistics(image: np.ndarray, detector: DetectorGeometry,
                    ports: Sequence[int] = tuple(range(1, N_PORTS + 1)), *,
                    nthreads: int = 1) -> dict[int, dict[str, float]]:
    """Median, mean, standard deviation, minimum and maximum of each port of an image.

    ``image`` is trimmed; the result is keyed by port and then by the QC names.
    """
    windows = np.array([[w[0].start, w[0].stop, w[1].start, w[1].stop]
                        for w in (detector.trimmed_window(port) for port in ports)],
                       dtype=np.intp)
    return {port: statistics for port, statistics in zip(
        ports, window_statistics(image, windows, nthreads=nthreads), strict=True)}


def window_statistics(image: np.ndarray, windows: np.ndarray, *,
                      nthreads: int = 1) -> list[dict[str, float]]:
    """``MEDIAN``, ``MEAN``, ``STDEV``, ``MIN``, ``MAX`` of windows ``(y0, y1, x0, x1)``."""
    medians = _windows.window_medians(image, windows, nthreads)
    moments = _windows.window_moments(image, windows, nthreads)
    return [{"MEDIAN": float(median), "MEAN": float(mean), "STDEV": float(stdev),
             "MIN": float(low), "MAX": float(high)}
            for median, (mean, stdev, low, high) in zip(medians, moments, strict=True)]
