"""Best-calibration selection for many targets: one set-based statement against one per target.

Measures, in one run per backend (SQLite file and PostgreSQL), over N (default 10,000)
MASTER_BIAS products (24 IFUs over N/24 nights, a twentieth of them made with an optimised
parameter set, which a reference request must never select):

1. ``MasterBias.select_for_targets`` for N (time, IFU, setup) targets: one statement;
2. the reference: the same N targets asked one at a time (``select_for_targets([target])``,
   one statement each), in the same run; both must give the same answers.

The goal is a set-based selection at least 50× faster than one query per target.

Usage: python bench/bench_selection.py [--count N] [--backends sqlite,postgresql]
       [--postgres ADMIN_URL] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

GOAL = 50.0
IFUS = 24
FIRST_NIGHT = dt.date(2015, 1, 1)


def products(count: int, work: Path) -> list:
    """``count`` stored, verified MASTER_BIAS objects (not committed)."""
    from muse.datamodel import BiasParameters, MasterBias
    from muse.datamodel.rules import validity_of

    reference, optimised = BiasParameters(), BiasParameters(combine="median")
    made = []
    payload = work / "payload.fits"
    for index in range(count):
        night = FIRST_NIGHT + dt.timedelta(days=index // IFUS)
        product = MasterBias(ifu=index % IFUS + 1, night=night, DET_READ_CURID=1,
                             DET_CHIP_NAME="CCD", software_release="bench",
                             parameters=optimised if index % 20 == 7 else reference)
        product.timestamp_start, product.timestamp_end = validity_of(night, 0)
        product.set_qc({"BIAS MASTER1 RON": 2.9, "BIAS MASTER NBADPIX": 10})
        payload.write_bytes(f"bias {index}".encode())
        product.store(payload)
        product.verify()
        made.append(product)
    return made


def targets(count: int, nights: int, seed: int = 7) -> list[tuple[dt.datetime, int, dict]]:
    """``count`` random (time, IFU, setup) requests over the nights, a few outside them."""
    rng = random.Random(seed)
    start = dt.datetime.combine(FIRST_NIGHT, dt.time(20, 40))
    span = (nights + 2) * 86_400
    return [(start + dt.timedelta(seconds=rng.randrange(-86_400, span)),
             rng.randint(1, IFUS), {"DET_READ_CURID": 1}) for _ in range(count)]


def run_backend(backend: str, url: str, count: int, work: Path) -> bool:
    """Both figures for one database; False when the two ways disagree."""
    from common.config import Context
    from common.database import connect
    from common.persistent import commit, session
    from dataserver.store import LocalStore
    from muse.datamodel import MasterBias

    database = connect(url, site=0)
    context = Context(user="bench", project="bench", privileges=1, site=0)
    store = LocalStore(work / f"store-{backend}")
    try:
        with session(database, context, store=store):
            start = time.perf_counter()
            commit(*products(count, work))
            print(f"{backend:10s} {count} MASTER_BIAS stored and committed in "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
            requests = targets(count, count // IFUS)
            start = time.perf_counter()
            together = MasterBias.select_for_targets(requests)
            set_based = time.perf_counter() - start
            start = time.perf_counter()
            alone = [MasterBias.select_for_targets([request])[0] for request in requests]
            per_target = time.perf_counter() - start
    finally:
        database.dispose()
    same = [getattr(obj, "object_id", None) for obj in together] == \
        [getattr(obj, "object_id", None) for obj in alone]
    found = sum(obj is not None for obj in together)
    ratio = per_target / set_based
    met = ratio >= GOAL
    print(f"{backend:10s} set-based {set_based:7.3f} s ({count / set_based:8.0f} targets/s)   "
          f"one query per target {per_target:7.3f} s ({count / per_target:6.0f} targets/s)   "
          f"speed-up {ratio:6.1f}x (goal >= {GOAL:.0f}x: {'met' if met else 'NOT met'}); "
          f"{found} of {count} targets found; answers {'equal' if same else 'DIFFER'}",
          flush=True)
    return same


def main() -> None:
    """Run the figures for each backend asked for."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_persistence import postgres_database

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000,
                        help="calibrations, and targets (default 10000)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=os.environ.get(
        "AWE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-selection-"))
    os.environ["AWE_HOME"] = str(work / "home")
    name = f"awe_bench_selection_{os.getpid()}"
    results = []
    try:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                results.append(run_backend("sqlite", f"sqlite:///{work / 'bench.sqlite'}",
                                           args.count, work))
            elif backend == "postgresql":
                url = postgres_database(args.postgres, name, create=True)
                if url is not None:
                    results.append(run_backend("postgresql", url, args.count, work))
            else:
                parser.error(f"unknown backend {backend!r}")
    finally:
        if args.keep:
            print(f"kept {work} and PostgreSQL database {name}")
        else:
            shutil.rmtree(work, ignore_errors=True)
            if "postgresql" in args.backends:
                postgres_database(args.postgres, name, create=False)
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
