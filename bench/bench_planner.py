"""Target processing: planning time when everything is up to date, and per-IFU parallel speed-up.

Figures, each printed next to its goal or reference from the same run (SQLite by default):

1. **One night up to date**: the small simulated night (3 BIAS, 3 FLAT, 3 ARC, one OBJECT,
   the static calibrations; 24 IFUs) reduced to its DataCube by ``process_target`` with 2
   workers (the small geometry's WAVECAL_TABLEs fail the full-geometry fit-RMS limit, so
   they get ``override_qc``, the documented way on), then ``plan_target('DataCube', …)``
   timed (best of 3): every one of its 97 nodes is reused. Goal < 0.5 s.
2. **10,000 targets up to date**: N MASTER_BIAS rows (24 IFUs over N/24 nights, each linked
   to 3 of its night's 72 raw bias chips, reference parameters), then ``plan_targets`` for
   all N (night, IFU) targets at once (best of 3). Goal < 5 s.
3. **Per-IFU parallel speed-up**: ``MasterBias`` for the 24 IFUs of the small night made
   from raw data with 1 worker and with 2 workers (fresh databases), wall time of each and
   the ratio (reference: 1 worker).

Usage: python bench/bench_planner.py [--count N] [--skip-night] [--backend sqlite|postgresql]
       [--postgres ADMIN_URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

IFUS = 24
NIGHT_GOAL = 0.5
BATCH_GOAL = 5.0
FIRST_NIGHT = dt.date(2015, 1, 1)
SMALL_NIGHT = dt.date(2016, 3, 14)
REPEATS = 3
"""Planning figures are the best of this many runs (the machine may be shared)."""


def _best_of(repeats: int, work):
    """The shortest wall time of ``repeats`` calls of ``work`` and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def _session(url: str, store: Path):
    from common.config import Context
    from common.database import connect
    from common.persistent import session
    from dataserver.store import LocalStore

    database = connect(url, site=0)
    return database, session(database, Context(user="bench", project="bench", privileges=1,
                                               site=0), store=LocalStore(store))


def _ingest(files) -> None:
    from muse.datamodel.ingest import ingest_file

    for path in files:
        result = ingest_file(path, commit_it=True)
        if result.status != "ingested":
            raise SystemExit(f"{path}: {result.message}")


def night_up_to_date(night, url: str, work: Path) -> float:
    """Reduce the night to its DataCube, then time the up-to-date plan of it."""
    from common.process.local import LocalExecutor
    from common.process.planner import plan_target
    from common.process.target import process_target
    from muse.datamodel import ScipostParameters, WavecalTable

    database, opened = _session(url, work / "store-night")
    with opened:
        _ingest([*night.bias_files[:3], *night.flat_files[:3], *night.arc_files[:3],
                 night.object_files[0], *night.statics.values()])
        parameters = {"scipost": ScipostParameters(skymethod="none").commit().object_id}
        keys = {"exposure": night.object_files[0].name.removesuffix(".fits")}
        executor = LocalExecutor(2)
        start = time.perf_counter()
        try:
            result = process_target("DataCube", keys, parameters=parameters,
                                    executor=executor)
            for outcome in result.stopped:
                if outcome.class_name == "WavecalTable" and outcome.object_id is not None:
                    WavecalTable.get(outcome.object_id).override_qc(
                        "bench: small geometry, full-geometry fit-RMS limit")
            if result.stopped:
                result = process_target("DataCube", keys, parameters=parameters,
                                        executor=executor)
        finally:
            executor.shutdown()
        made = time.perf_counter() - start
        if result.root_id is None:
            raise SystemExit(f"the DataCube was not made:\n{result.summary()}")
        print(f"night: DataCube and its sub-tree made from raw data in {made:.1f} s "
              f"(2 workers)", flush=True)
        plan_target("DataCube", keys, parameters=parameters)  # warm the caches once
        elapsed, plan = _best_of(REPEATS, lambda: plan_target("DataCube", keys,
                                                              parameters=parameters))
    database.dispose()
    if plan.count("make") or plan.count("stop"):
        raise SystemExit(f"the night is not up to date:\n{plan.text()}")
    print(f"night: up-to-date plan of {len(plan)} nodes in {elapsed:.3f} s "
          f"(goal < {NIGHT_GOAL} s: {'met' if elapsed < NIGHT_GOAL else 'NOT met'})",
          flush=True)
    return elapsed


def _synthetic(count: int, work: Path) -> list[dict]:
    """Commit raw bias frames and chips and ``count`` MASTER_BIAS made from them."""
    from common.persistent import commit
    from muse.datamodel import BiasParameters, MasterBias, RawBias, RawBiasChip
    from muse.datamodel.rules import validity_of

    reference = BiasParameters().commit()
    payload = work / "payload.bin"
    keys = []
    nights = (count + IFUS - 1) // IFUS
    for index in range(nights):
        night = FIRST_NIGHT + dt.timedelta(days=index)
        objects = []
        chips: dict[int, list] = {ifu: [] for ifu in range(1, IFUS + 1)}
        for number in range(3):
            moment = dt.datetime.combine(night + dt.timedelta(days=1), dt.time(10, number))
            name = f"MUSE.{moment.isoformat()}.000.fits"
            frame = RawBias(ARCFILE=name, filename=name, DATE_OBS=moment, night=night,
                            exposure=name.removesuffix(".fits"), DET_READ_CURID=1,
                            primary_size=2880)
            payload.write_bytes(name.encode())
            frame.store(payload)
            objects.append(frame)
            for ifu in range(1, IFUS + 1):
                chip = RawBiasChip(raw_frame=frame, ifu=ifu, night=night, DATE_OBS=moment,
                                   extname=f"CHAN{ifu:02d}", hdu_offset=2880 * ifu,
                                   hdu_size=2880)
                chips[ifu].append(chip)
                objects.append(chip)
        for ifu in range(1, IFUS + 1):
            if len(keys) == count:
                break
            bias = MasterBias(night=night, ifu=ifu, DET_READ_CURID=1, parameters=reference,
                              raw_chips=chips[ifu], software_release="bench", ncombined=3)
            bias.set_observation(chips[ifu])
            bias.timestamp_start, bias.timestamp_end = validity_of(night, 0)
            payload.write_bytes(f"bias {night} {ifu}".encode())
            bias.store(payload)
            bias.verify()
            objects.append(bias)
            keys.append({"night": night, "ifu": ifu})
        commit(*objects)
    return keys


def many_targets(count: int, url: str, work: Path) -> float:
    """Time the plan of ``count`` up-to-date MASTER_BIAS targets at once."""
    from common.process.planner import plan_targets

    database, opened = _session(url, work / "store-many")
    with opened:
        start = time.perf_counter()
        keys = _synthetic(count, work)
        print(f"targets: {count} MASTER_BIAS with their raw chips committed in "
              f"{time.perf_counter() - start:.1f} s", flush=True)
        plan_targets("MasterBias", keys[:IFUS])  # warm the caches once
        elapsed, plan = _best_of(REPEATS, lambda: plan_targets("MasterBias", keys))
    database.dispose()
    reused = plan.count("reuse")
    if reused != count:
        raise SystemExit(f"expected {count} targets up to date, found {reused}")
    print(f"targets: up-to-date plan of {count} targets in {elapsed:.3f} s "
          f"({count / elapsed:.0f} targets/s; goal < {BATCH_GOAL} s: "
          f"{'met' if elapsed < BATCH_GOAL else 'NOT met'})", flush=True)
    return elapsed


def speed_up(night, urls: list[str], work: Path) -> float:
    """Wall time of the 24 MASTER_BIAS with 1 worker, then with 2; return the ratio."""
    from common.process.local import LocalExecutor
    from common.process.target import process_target

    times = []
    for workers, url in zip((1, 2), urls, strict=True):
        database, opened = _session(url, work / f"store-{workers}")
        with opened:
            _ingest(night.bias_files[:3])
            executor = LocalExecutor(workers)
            try:
                process_target("MasterBias", {"night": SMALL_NIGHT, "ifu": 1},
                               executor=executor)  # start the workers, import the recipes
                start = time.perf_counter()
                result = process_target("MasterBias", {"night": SMALL_NIGHT,
                                                       "ifu": list(range(2, IFUS + 1))},
                                        executor=executor)
                times.append(time.perf_counter() - start)
            finally:
                executor.shutdown()
        database.dispose()
        if len(result.made) != IFUS - 1:
            raise SystemExit(f"expected {IFUS - 1} MASTER_BIAS made:\n{result.summary()}")
    ratio = times[0] / times[1]
    print(f"parallel: 23 MASTER_BIAS with 1 worker {times[0]:.1f} s (reference), with 2 "
          f"workers {times[1]:.1f} s: speed-up {ratio:.2f}x on {os.cpu_count()} cores",
          flush=True)
    return ratio


def main() -> None:
    """Simulate the small night once, then run the three figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="targets (default 10000)")
    parser.add_argument("--skip-night", action="store_true",
                        help="leave out figure 1 (it reduces the whole night)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres", default=os.environ.get(
        "AWE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_persistence import postgres_database

    from muse.instrument import simulate_night

    work = Path(tempfile.mkdtemp(prefix="bench-planner-"))
    os.environ["AWE_HOME"] = str(work / "home")
    names = [f"awe_bench_planner_{os.getpid()}_{part}" for part in ("a", "b", "c", "d")]

    def url(index: int) -> str:
        if args.backend == "sqlite":
            return f"sqlite:///{work / f'bench-{index}.sqlite'}"
        found = postgres_database(args.postgres, names[index], create=True)
        if found is None:
            raise SystemExit(f"PostgreSQL at {args.postgres} is not reachable")
        return found

    try:
        night = simulate_night(SMALL_NIGHT, work / "night", seed=1)
        speed_up(night, [url(0), url(1)], work)
        many_targets(args.count, url(2), work)
        if not args.skip_night:
            night_up_to_date(night, url(3), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if args.backend == "postgresql":
            for name in names:
                postgres_database(args.postgres, name, create=False)


if __name__ == "__main__":
    main()
