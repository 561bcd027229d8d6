"""Science processing at full size: one OBJECT exposure through muse_scibasic and muse_scipost.

Measures, in one run:

1. the preparation (not a goal): a full-size simulated night (3 BIAS, 3 FLAT, 3 ARC, 1 OBJECT;
   4224 × 4240 × 24 IFUs each) and its calibrations made by the recipes (MASTER_BIAS,
   MASTER_FLAT + TRACE_TABLE, WAVECAL_TABLE), or those of an earlier ``--keep`` run
   (``--night DIR``);
2. the floors, measured now: reading the raw OBJECT file once, and later the 24 pixel tables
   once (sequential reads; the files are in the page cache, as after simulating/writing);
3. ``make_pixtable`` (24 IFUs, ``--processes`` worker processes, default 2, as many OpenMP
   threads as cores left) in a child process: wall time and peak RSS of the process tree
   (the sum over the child and its workers, sampled every 50 ms with psutil) against the
   goals (≤ 60 s, ≤ 4 GB), and its CPU time (user + system);
4. ``make_scipost`` on the 24 pixel tables (defaults: drizzle, no sky, the static response
   and extinction, white image) in a child with ``--threads`` OpenMP threads (default 2): the
   same figures against the goals (≤ 120 s, ≤ 4 GB).

The machine's load is printed before and after: the figures are only as quiet as the
machine. Files go to ``bench/out`` and are deleted afterwards unless ``--keep``.

Usage: python bench/bench_science.py [--processes N] [--threads N] [--night DIR] [--keep]
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

import psutil

GOALS = {"scibasic": (60.0, 4.0), "scipost": (120.0, 4.0)}
NIGHT = date(2016, 3, 14)
COUNTS = {"BIAS": 3, "FLAT": 3, "ARC": 3, "OBJECT": 1}

SCIBASIC_SCRIPT = """
import sys, time
from pathlib import Path
from muse.recipes.scibasic import make_pixtable
night, out, processes = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
def files(catg):
    return sorted((night / "calibrations").glob(f"{catg}-*.fits"))
calibrations = {catg: files(catg) for catg in
                ("MASTER_BIAS", "MASTER_FLAT", "TRACE_TABLE", "WAVECAL_TABLE")}
calibrations["GEOMETRY_TABLE"] = [Path(sys.argv[4])]
start = time.perf_counter()
result = make_pixtable([Path(sys.argv[5])], calibrations, {"nifu": -1}, out,
                       processes=processes)
rows = sum(sum(unit.attributes["rows"]) for unit in result.units.values())
print(f"    recipe {time.perf_counter() - start:.1f} s, {len(result.units)} IFUs, "
      f"{rows / 1e6:.1f} M rows", flush=True)
"""

SCIPOST_SCRIPT = """
import sys, time
from pathlib import Path
from muse.recipes.scipost import make_scipost
tables, out = Path(sys.argv[1]), Path(sys.argv[2])
start = time.perf_counter()
result = make_scipost(sorted(tables.glob("PIXTABLE_OBJECT_0001-*.fits")),
                      std_response=Path(sys.argv[3]), extinct_table=Path(sys.argv[4]),
                      out_dir=out)
print(f"    recipe {time.perf_counter() - start:.1f} s, cube {result.attributes['shape']}, "
      f"{result.attributes['empty_voxels']} empty voxels, QC SCIPOST NDET "
      f"{result.qc['SCIPOST NDET']}", flush=True)
"""


def load() -> str:
    """The load averages and the core count, for reading the figures."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def prepare(directory: Path) -> None:
    """Simulate the full-size night and make its calibrations into ``directory``."""
    from muse.instrument import simulate_night
    from muse.layout import FULL
    from muse.recipes.bias import make_master_bias
    from muse.recipes.flat import make_master_flat
    from muse.recipes.wavecal import make_wavecal

    start = time.perf_counter()
    night = simulate_night(NIGHT, directory / "raw", geometry=FULL, counts=COUNTS)
    print(f"  simulated {sum(COUNTS.values())} full-size frames in "
          f"{time.perf_counter() - start:.0f} s", flush=True)
    calibrations = directory / "calibrations"
    step = time.perf_counter()
    make_master_bias(night.bias_files, {"nifu": -1}, calibrations, processes=2)
    biases = sorted(calibrations.glob("MASTER_BIAS-*.fits"))
    make_master_flat(night.flat_files, biases, {"nifu": -1}, calibrations, processes=2)
    make_wavecal(night.arc_files, biases, sorted(calibrations.glob("TRACE_TABLE-*.fits")),
                 night.statics["LINE_CATALOG"], {"nifu": -1}, calibrations, processes=2)
    print(f"  MASTER_BIAS, MASTER_FLAT, TRACE_TABLE, WAVECAL_TABLE in "
          f"{time.perf_counter() - step:.0f} s", flush=True)


def read_floor(paths: list[Path]) -> tuple[float, float]:
    """Seconds and GB to read ``paths`` once, sequentially."""
    start = time.perf_counter()
    total = 0
    for path in paths:
        with open(path, "rb") as stream:
            while chunk := stream.read(64 << 20):
                total += len(chunk)
    return time.perf_counter() - start, total / 1e9


def run_child(script: str, arguments: list[str], threads: int
              ) -> tuple[float, tuple[float, float], float]:
    """Wall time, CPU time (user, system) and peak RSS of the process tree (GB) of a child."""
    environment = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", script, *arguments], env=environment)
    root = psutil.Process(child.pid)
    peak, cpu = 0, {}
    while child.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            for process in tree:  # workers exit before the child: keep their last CPU times
                times = process.cpu_times()
                cpu[process.pid] = (times.user + times.children_user,
                                    times.system + times.children_system)
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"the recipe failed with exit code {child.returncode}")
    user = sum(u for u, _ in cpu.values())
    system = sum(s for _, s in cpu.values())
    return wall, (user, system), peak / 1e9


def report(step: str, wall: float, cpu: tuple[float, float], rss: float,
           floor: tuple[float, float]) -> None:
    goal_wall, goal_rss = GOALS[step]
    print(f"  {step}: {wall:.1f} s wall (goal <= {goal_wall:.0f} s: "
          f"{'met' if wall <= goal_wall else 'MISSED'}), CPU {cpu[0]:.1f} s user + "
          f"{cpu[1]:.1f} s system, peak RSS {rss:.2f} GB (goal <= {goal_rss:.0f} GB: "
          f"{'met' if rss <= goal_rss else 'MISSED'}); reading its input once: "
          f"{floor[0]:.1f} s for {floor[1]:.2f} GB (floor, same run)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=2,
                        help="scibasic worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=2,
                        help="OpenMP threads of scipost (default 2)")
    parser.add_argument("--night", type=Path, help="reuse the night and calibrations a --keep "
                        "run left in this directory")
    parser.add_argument("--keep", action="store_true", help="keep the files written")
    args = parser.parse_args()
    base = Path(__file__).resolve().parent / "out"
    base.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-science-", dir=base))
    try:
        print(load(), flush=True)
        night = args.night
        if night is None:
            night = work
            print("preparing a full-size night and its calibrations:", flush=True)
            prepare(night)
        raw = sorted((night / "raw").glob("MUSE.*.fits"))
        from astropy.io import fits

        science = next(path for path in raw
                       if fits.getval(path, "HIERARCH ESO DPR TYPE") == "OBJECT")
        statics = {fits.getval(path, "HIERARCH ESO PRO CATG"): path
                   for path in (night / "raw").glob("*.fits") if path not in raw}
        tables, products = work / "pixtables", work / "products"
        tables.mkdir()
        products.mkdir()
        floor = read_floor([science])
        cpu_threads = max(1, (os.cpu_count() or 1) // args.processes)
        print(f"make_pixtable in a child process ({args.processes} processes, 24 IFUs):",
              flush=True)
        scibasic = run_child(SCIBASIC_SCRIPT, [str(night), str(tables), str(args.processes),
                                               str(statics["GEOMETRY_TABLE"]), str(science)],
                             cpu_threads)
        report("scibasic", *scibasic, floor)
        floor = read_floor(sorted(tables.glob("PIXTABLE_OBJECT_0001-*.fits")))
        print(f"make_scipost in a child process ({args.threads} threads):", flush=True)
        scipost = run_child(SCIPOST_SCRIPT, [str(tables), str(products),
                                             str(statics["STD_RESPONSE"]),
                                             str(statics["EXTINCT_TABLE"])], args.threads)
        report("scipost", *scipost, floor)
        print(load())
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
