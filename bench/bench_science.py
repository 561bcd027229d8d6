"""Science processing at full size: muse_scipost on one exposure of 24 pixel tables.

Measures, in one run:

1. the writing of one full-size exposure of synthetic PIXTABLE_OBJECT (24 IFUs × 48 slices
   × 77 pixels × 3681 CCD rows cropped to 4750–9350 Å = 13.6 M rows per IFU, ≈ 380 MB each,
   ≈ 9.1 GB in all): a field of point sources with a continuum and an emission line on a
   sky, through a known response and extinction;
2. the floor: reading every pixel table once, sequentially (the files are in the page
   cache after writing, as after scibasic), measured now;
3. ``make_scipost`` (defaults: drizzle, no sky, white image) in a child process with
   ``OMP_NUM_THREADS`` threads (default 2): wall time and peak RSS against the goals
   (≤ 120 s, ≤ 4 GB), and its CPU time (user + system), which the load does not inflate.

The machine's load (``uptime``) is printed before and after: the figures are only as quiet
as the machine. The files are deleted afterwards unless ``--keep``; ``--tables DIR`` reuses
tables kept by an earlier run.

Usage: python bench/bench_science.py [--threads N] [--tables DIR] [--keep]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy.io import fits

GOAL_WALL = 120.0
GOAL_RSS_GB = 4.0
N_IFUS, SLICES, WIDTH, ROWS = 24, 48, 77, 3681
FIRST_LAMBDA, DISPERSION = 4750.0, 1.25
EXPTIME, AIRMASS = 600.0, 1.2
RESPONSE = 2.5 * np.log10(1e18)

RECIPE_SCRIPT = """
import sys, time
from pathlib import Path
from muse.recipes.scipost import make_scipost
directory = Path(sys.argv[1])
start = time.perf_counter()
shown = [0.0]
def progress(done, total, what):
    if time.perf_counter() - shown[0] > 15 or done == total:
        shown[0] = time.perf_counter()
        print(f"    {time.perf_counter() - start:5.0f} s: {done}/{total} {what}", flush=True)
result = make_scipost(sorted(directory.glob("PIXTABLE_OBJECT_0001-*.fits")),
                      std_response=directory / "STD_RESPONSE.fits",
                      extinct_table=directory / "EXTINCT_TABLE.fits", out_dir=sys.argv[2],
                      progress=progress)
print(f"    recipe {time.perf_counter() - start:.1f} s, cube {result.attributes['shape']}, "
      f"{result.attributes['empty_voxels']} empty voxels, QC SCIPOST NDET "
      f"{result.qc['SCIPOST NDET']}", flush=True)
"""


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def write_exposure(directory: Path) -> float:
    """Write the 24 pixel tables and the response and extinction tables; return seconds."""
    from muse.recipes.pixtable import encode_origin, write_pixtable

    start = time.perf_counter()
    rng = np.random.default_rng(2026)
    stars = rng.uniform((10, 10), (4 * WIDTH - 10, N_IFUS * 12 - 10), size=(40, 2))
    fluxes = rng.uniform(200.0, 5000.0, size=40)
    slice_no, ccd_y, xs = (a.ravel() for a in np.meshgrid(
        np.arange(1, SLICES + 1, dtype=np.int32), np.arange(ROWS, dtype=np.int32),
        np.arange(WIDTH, dtype=np.int32), indexing="ij"))
    x = ((slice_no - 1) // 12 * WIDTH + xs).astype(np.float32)
    row = ((slice_no - 1) % 12).astype(np.float32)
    to_counts = np.float32(1e-20 * EXPTIME * DISPERSION * 10 ** (0.4 * (RESPONSE - 0.1
                                                                        * AIRMASS)))
    for ifu in range(1, N_IFUS + 1):
        y = row + np.float32((ifu - 1) * 12)
        lam = (FIRST_LAMBDA + DISPERSION * ccd_y + 0.3 * np.sin(slice_no + ifu)).astype(
            np.float32)
        flux = np.full(x.size, 30.0, dtype=np.float32)
        sky_line = 400.0 * np.exp(-0.5 * ((lam - 5577.3) / 1.1) ** 2)
        flux += sky_line.astype(np.float32)
        for (sx, sy), total in zip(stars, fluxes, strict=True):
            if abs(sy - ((ifu - 1) * 12 + 6)) > 12:
                continue
            near = (np.abs(x - sx) < 6) & (np.abs(y - sy) < 6)
            r2 = (x[near] - sx) ** 2 + (y[near] - sy) ** 2
            flux[near] += (total * np.exp(-0.5 * r2 / 1.5 ** 2) / (2 * np.pi * 1.5 ** 2)
                           ).astype(np.float32)
        counts = flux * to_counts
        stat = counts + np.float32(9.0)
        data = counts + rng.standard_normal(counts.size, dtype=np.float32) * np.sqrt(stat)
        header = fits.Header()
        for key, value in (("INSTRUME", "MUSE"), ("OBJECT", "bench field"), ("RA", 53.1),
                           ("DEC", -27.8), ("EXPTIME", EXPTIME),
                           ("DATE-OBS", "2026-12-01T03:04:05.678"),
                           ("EXTNAME", f"CHAN{ifu:02d}"),
                           ("HIERARCH ESO INS MODE", "WFM-NOAO-N"),
                           ("HIERARCH ESO TEL AIRM START", AIRMASS),
                           ("HIERARCH ESO TEL AIRM END", AIRMASS),
                           ("HIERARCH ESO PRO CATG", "PIXTABLE_OBJECT")):
            header[key] = value
        write_pixtable(directory / f"PIXTABLE_OBJECT_0001-{ifu:02d}.fits", header,
                       {"xpos": x, "ypos": y, "lambda": lam, "data": data,
                        "dq": np.zeros(x.size, np.int32), "stat": stat,
                        "origin": encode_origin(ifu, slice_no, ccd_y, xs)})
        print(f"  wrote IFU {ifu:2d} ({time.perf_counter() - start:.0f} s)", flush=True)
    wave = np.linspace(4000.0, 10000.0, 61)
    fits.BinTableHDU.from_columns([
        fits.Column("lambda", "D", array=wave), fits.Column("response", "D",
                                                           array=np.full(61, RESPONSE)),
    ]).writeto(directory / "STD_RESPONSE.fits", overwrite=True)
    fits.BinTableHDU.from_columns([
        fits.Column("LAMBDA", "D", array=wave), fits.Column("EXTINCTION", "D",
                                                           array=np.full(61, 0.1)),
    ]).writeto(directory / "EXTINCT_TABLE.fits", overwrite=True)
    return time.perf_counter() - start


def read_floor(directory: Path) -> tuple[float, float]:
    """Seconds and GB to read every pixel table once, sequentially."""
    start = time.perf_counter()
    total = 0
    for path in sorted(directory.glob("PIXTABLE_OBJECT_0001-*.fits")):
        with open(path, "rb") as stream:
            while chunk := stream.read(64 << 20):
                total += len(chunk)
    return time.perf_counter() - start, total / 1e9


def run_recipe(tables: Path, out: Path, threads: int
               ) -> tuple[float, tuple[float, float], float]:
    """Wall time, CPU time (user, system; s) and peak RSS (GB) of make_scipost, in a child."""
    out.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    code = subprocess.call([sys.executable, "-c", RECIPE_SCRIPT, str(tables), str(out)],
                           env=environment)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:
        raise SystemExit(f"make_scipost failed with exit code {code}")
    cpu = (after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tables", type=Path, help="reuse the pixel tables in this directory")
    parser.add_argument("--keep", action="store_true", help="keep the files written")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-science-"))
    try:
        print(f"load before: {load()}")
        tables = args.tables
        if tables is None:
            tables = work / "tables"
            tables.mkdir()
            print("writing one full-size exposure of pixel tables:")
            seconds = write_exposure(tables)
            print(f"  24 pixel tables in {seconds:.0f} s")
        floor, gigabytes = read_floor(tables)
        print(f"reading the pixel tables once: {floor:.1f} s for {gigabytes:.2f} GB "
              f"(floor, measured now)")
        print(f"make_scipost in a child process ({args.threads} threads):", flush=True)
        wall, cpu, rss = run_recipe(tables, work / "products", args.threads)
        print(f"make_scipost, {args.threads} threads: {wall:.1f} s wall "
              f"(goal <= {GOAL_WALL:.0f} s), CPU {cpu[0]:.1f} s user + {cpu[1]:.1f} s system, "
              f"peak RSS {rss:.2f} GB "
              f"(goal <= {GOAL_RSS_GB:.0f} GB)")
        print(f"load after: {load()}")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
