"""Ingest rate on full-size raw files, next to reading the same files' headers with astropy.

Measures, in one run, on N (default 3) full-size simulated BIAS files (4224 × 4240 × 24 IFUs,
≈ 860 MB each, page cache warm after a first read):

1. ``muse.datamodel.ingest.inspect_file``: what ``awe ingest`` does per file before it stores
   and commits (headers, classification, the byte range of every ``CHANnn`` and the raw QC of
   every chip in one pass over the memory-mapped pixels), in files/s;
2. the reference: ``astropy.io.fits.open`` reading every header of the same files (no pixels),
   in files/s;
3. the whole file hashed with sha256 (what storing it costs at least), in files/s.

The frames come from the simulator and are deleted afterwards unless ``--keep``; ``--raw DIR``
reuses frames kept by an earlier run.

Usage: python bench/bench_ingest.py [--frames N] [--raw DIR] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from astropy.io import fits

NIGHT = date(2016, 3, 14)


def simulate(directory: Path, frames: int) -> list[Path]:
    from muse.instrument import simulate_night
    from muse.layout import FULL

    night = simulate_night(NIGHT, directory, geometry=FULL,
                           counts={"BIAS": frames, "FLAT": 0, "ARC": 0, "OBJECT": 0})
    return list(night.bias_files)


def rate(label: str, paths: list[Path], work) -> float:
    start = time.perf_counter()
    for path in paths:
        work(path)
    seconds = time.perf_counter() - start
    per_second = len(paths) / seconds
    print(f"{label:55} {per_second:7.2f} files/s  ({seconds / len(paths):.3f} s per file)")
    return per_second


def astropy_headers(path: Path) -> None:
    with fits.open(path, memmap=True, lazy_load_hdus=False) as hdul:
        for hdu in hdul:
            hdu.header.get("EXTNAME")


def sha256_of(path: Path) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 22):
            digest.update(chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=3)
    parser.add_argument("--raw", type=Path, help="reuse full-size frames kept earlier")
    parser.add_argument("--keep", action="store_true", help="keep the simulated frames")
    args = parser.parse_args()
    from muse.datamodel.ingest import inspect_file

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        if args.raw:
            paths = sorted(args.raw.glob("MUSE.*.fits"))[:args.frames]
        else:
            print(f"simulating {args.frames} full-size BIAS frames in {work} …", flush=True)
            paths = simulate(work, args.frames)
        size = sum(path.stat().st_size for path in paths) / len(paths) / 1e6
        print(f"{len(paths)} files of {size:.0f} MB each, page cache warmed first")
        for path in paths:
            sha256_of(path)
        ours = rate("awe ingest check (headers, chips, raw QC)", paths, inspect_file)
        reference = rate("reference: astropy reads every header", paths, astropy_headers)
        rate("reference: sha256 of the whole file", paths, sha256_of)
        print(f"{'ingest check / astropy headers':55} {ours / reference:7.2f}x")
    finally:
        if args.keep:
            print(f"frames kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
