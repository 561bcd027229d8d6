"""MASTER_BIAS from full-size simulated BIAS frames × 24 IFUs, and the combine kernel vs ccdproc.

Measures, in one run:

1. ``make_master_bias`` on N (default 5) full-size raw BIAS files (4224 × 4240 × 24 IFUs,
   ≈ 860 MB each) in a child process: wall time and peak RSS of the process tree (summed
   over worker processes), next to ESO's ``muse_bias`` on the same kind of input (189 s with
   2 threads, 320 s with 1, 1.3–2.5 GB; quoted, ESO's pipeline is not installed here) and
   the goals (≤ 38 s, ≤ 1.3 GB);
2. the sigma-clipping combination of one IFU stack (N × 4112 × 4096, overscan-corrected):
   the Cython kernel against ccdproc's ``Combiner.sigma_clipping`` + ``average_combine`` with
   the same clipping (median ± 3 × mean absolute deviation), both measured now; goal ≥ 10×.

The frames come from the simulator (``muse.instrument``) and are deleted afterwards unless
``--keep``; ``--raw DIR`` reuses frames kept by an earlier run.

Usage: python bench/bench_bias.py [--frames N] [--processes N] [--raw DIR] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import psutil

ESO_WALL_2_THREADS = 189.0
ESO_WALL_1_THREAD = 320.0
ESO_RSS_GB = (1.3, 2.5)
GOAL_WALL = 38.0
GOAL_RSS_GB = 1.3
GOAL_KERNEL_SPEEDUP = 10.0
NIGHT = date(2016, 3, 14)

RECIPE_SCRIPT = """
import sys, time
from pathlib import Path
from muse.recipes.bias import make_master_bias
paths = sorted(Path(sys.argv[1]).glob("MUSE.*.fits"))
start = time.perf_counter()
result = make_master_bias(paths, {"nifu": -1 if int(sys.argv[3]) > 1 else 0}, sys.argv[2],
                          processes=int(sys.argv[3]))
print(f"recipe {time.perf_counter() - start:.2f} s, {len(result.units)} IFUs, "
      f"{len(result.files)} files", flush=True)
"""


def simulate(directory: Path, frames: int) -> float:
    from muse.instrument import simulate_night
    from muse.layout import FULL

    start = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int, what: str) -> None:
        if time.perf_counter() - last[0] > 10 or done == total:
            last[0] = time.perf_counter()
            print(f"  simulate: {done}/{total} extensions", flush=True)

    simulate_night(NIGHT, directory, geometry=FULL, counts={"BIAS": frames},
                   progress=progress)
    return time.perf_counter() - start


def run_recipe(raw: Path, out: Path, processes: int) -> tuple[float, float, str]:
    """Wall time (s) and peak RSS (GB, summed over the process tree) of the recipe."""
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", RECIPE_SCRIPT, str(raw), str(out),
                              str(processes)], stdout=subprocess.PIPE, text=True)
    root = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - start
    output = child.stdout.read().strip() if child.stdout else ""
    if child.returncode != 0:
        raise SystemExit(f"the recipe failed with exit code {child.returncode}")
    return wall, peak / 1e9, output


def ifu_stack(raw: Path, ifu: int) -> np.ndarray:
    from muse.recipes.basicproc import load_trimmed
    from muse.recipes.frames import RawFile
    from muse.recipes.params import BIAS_PARAMETERS, resolve

    params = resolve(BIAS_PARAMETERS, None, "muse_bias")
    chips = [RawFile(path).location(ifu).open() for path in sorted(raw.glob("MUSE.*.fits"))]
    detector = chips[0].detector
    stack = np.empty((len(chips), detector.trimmed_ny, detector.trimmed_nx), np.float32)
    for k, chip in enumerate(chips):
        load_trimmed(chip, params, stack[k], nthreads=2)
    return stack


def kernel_combine(stack: np.ndarray, threads: int) -> tuple[float, np.ndarray]:
    from muse.recipes import _combine

    shape = stack.shape[1:]
    out = np.empty(shape, np.float32), np.empty(shape, np.float32), np.empty(shape, np.int32)
    variance = np.broadcast_to(np.float32(7.0), stack.shape)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        _combine.combine(stack, variance, None, _combine.COMBINE_SIGCLIP, 3.0, 3.0, 1, 1, 1,
                         out[0], out[1], out[2], threads)
        best = min(best, time.perf_counter() - start)
    return best, out[0]


def mean_absolute_deviation(data: np.ma.MaskedArray, axis: int = 0) -> np.ma.MaskedArray:
    return np.ma.mean(np.abs(data - np.ma.median(data, axis=axis)), axis=axis)


def ccdproc_combine(stack: np.ndarray) -> tuple[float, np.ndarray]:
    from astropy.nddata import CCDData
    from ccdproc import Combiner

    images = [CCDData(image, unit="adu") for image in stack]
    start = time.perf_counter()
    combiner = Combiner(images, dtype=np.float32)
    combiner.sigma_clipping(low_thresh=3, high_thresh=3, func=np.ma.median,
                            dev_func=mean_absolute_deviation)
    result = combiner.average_combine()
    return time.perf_counter() - start, np.asarray(result.data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=5, help="raw BIAS frames (default 5)")
    parser.add_argument("--processes", type=int, default=1,
                        help="worker processes for the IFUs (default 1: IFUs in turn, "
                             "OpenMP threads in the kernels)")
    parser.add_argument("--raw", type=Path, help="reuse full-size frames in this directory")
    parser.add_argument("--keep", action="store_true", help="keep frames and products")
    args = parser.parse_args()
    try:
        import ccdproc  # noqa: F401
    except ImportError:
        raise SystemExit("ccdproc is missing (the reference of the kernel figure): install the "
                         "bench extra, .venv/bin/pip install ccdproc") from None
    base = Path(__file__).resolve().parent / "out"
    base.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-bias-", dir=base))
    print(f"load average at start {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          "(other jobs on the machine make every figure noisy)")
    try:
        raw = args.raw
        if raw is None:
            raw = work / "raw"
            seconds = simulate(raw, args.frames)
            print(f"simulated {args.frames} full-size BIAS frames in {seconds:.0f} s")
        frames = len(list(raw.glob("MUSE.*.fits")))
        wall, rss, output = run_recipe(raw, work / "products", args.processes)
        print(f"  child: {output}")
        stack = ifu_stack(raw, 1)
        kernel_2, combined = kernel_combine(stack, 2)
        kernel_1, _ = kernel_combine(stack, 1)
        reference, expected = ccdproc_combine(stack)
        difference = float(np.nanmax(np.abs(combined - expected)))
        print(f"load average at end {os.getloadavg()[0]:.2f}")
        print()
        print(f"MASTER_BIAS, {frames} full-size frames x 24 IFUs, {args.processes} process(es)")
        print(f"  wall time        {wall:7.1f} s   ESO muse_bias {ESO_WALL_2_THREADS:.0f} s "
              f"(2 threads, quoted): {ESO_WALL_2_THREADS / wall:4.1f}x faster; "
              f"{ESO_WALL_1_THREAD:.0f} s (1 thread): {ESO_WALL_1_THREAD / wall:4.1f}x; "
              f"goal <= {GOAL_WALL:.0f} s: {'met' if wall <= GOAL_WALL else 'MISSED'}")
        print(f"  peak RSS         {rss:7.2f} GB  ESO muse_bias {ESO_RSS_GB[0]}-{ESO_RSS_GB[1]} GB "
              f"(quoted); goal <= {GOAL_RSS_GB} GB: {'met' if rss <= GOAL_RSS_GB else 'MISSED'}")
        shape = " x ".join(str(n) for n in stack.shape)
        print(f"sigma-clipped combine of one IFU stack ({shape}, float32)")
        print(f"  kernel 2 threads {kernel_2:7.3f} s   ccdproc Combiner {reference:.2f} s (same "
              f"run): {reference / kernel_2:5.1f}x faster; goal >= {GOAL_KERNEL_SPEEDUP:.0f}x: "
              f"{'met' if reference / kernel_2 >= GOAL_KERNEL_SPEEDUP else 'MISSED'}")
        print(f"  kernel 1 thread  {kernel_1:7.3f} s   {reference / kernel_1:5.1f}x ccdproc")
        print(f"  largest difference to ccdproc {difference:.2e} adu")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
