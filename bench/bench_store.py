"""LocalStore put/get throughput against a plain copy + sha256 of the same file, same run.

Usage: python bench/bench_store.py [--size-mb N] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from dataserver.store import CHUNK_SIZE, LocalStore


def copy_and_hash(src: Path, dst: Path) -> str:
    """Reference: the least a verified copy must do (read, hash, write, fsync)."""
    digest = hashlib.sha256()
    with open(src, "rb") as source, open(dst, "wb") as target:
        while chunk := source.read(CHUNK_SIZE):
            digest.update(chunk)
            target.write(chunk)
        target.flush()
        os.fsync(target.fileno())
    return digest.hexdigest()


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-store-", dir=Path.cwd()))
    try:
        src = work / "input.fits"
        with open(src, "wb") as stream:
            block = os.urandom(CHUNK_SIZE)
            for _ in range(args.size_mb):
                stream.write(block)
        size_gb = args.size_mb / 1024
        store = LocalStore(work / "store")
        reference = timed(copy_and_hash, src, work / "reference.fits")
        put = timed(store.put, src, "input.fits")
        get = timed(store.get, "input.fits", work / "back.fits")
        print(f"file {args.size_mb} MiB")
        print(f"reference copy+sha256+fsync  {size_gb / reference:6.2f} GiB/s")
        print(f"LocalStore.put               {size_gb / put:6.2f} GiB/s  "
              f"ratio {reference / put:4.2f}x reference")
        print(f"LocalStore.get (verified)    {size_gb / get:6.2f} GiB/s  "
              f"ratio {reference / get:4.2f}x reference")
    finally:
        if not args.keep:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
