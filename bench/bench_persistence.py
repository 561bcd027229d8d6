"""Persistence speed next to raw SQLAlchemy Core on the same tables, same run.

For SQLite and PostgreSQL (a fresh database each):

- batch commit of COUNT objects (``commit(*objects)``: ids, catalogue and class rows) next to
  raw Core executemany of the same rows into the same tables (ids allocated beforehand);
- materialising them (``list(query)`` in a fresh session) next to a raw Core fetch of the same
  rows;
- SINGLE single-object commits (``obj.commit()``) next to raw single-row transactions.

Ours and raw run alternately (single commits: object by object) so both see the same load;
each batch and fetch figure is the best of REPEAT runs. Goals: batch commit <= 1.5x raw,
materialise <= 2x raw. Other work on the machine makes figures noisy.

Usage: python bench/bench_persistence.py [--count N] [--single N] [--repeat R]
       [--backends sqlite,postgresql] [--postgres ADMIN_URL] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from common.config import Context
from common.database import Database, connect
from common.persistent import DBObject, commit, persistent, session

GOALS = {"batch commit": 1.5, "materialise": 2.0}
START = dt.datetime(2016, 3, 15, 2, 10, 11, 123000)


class BenchFrame(DBObject):
    """The frame every chip links to."""

    filename = persistent("file name", str, None, length=64)


class BenchChip(DBObject):
    """A raw-chip-like object: the usual mix of column kinds and one link."""

    batch = persistent("which run made the row", int, None, index=True)
    ifu = persistent("IFU 1-24", int)
    night = persistent("night", dt.date)
    extname = persistent("extension name", str, None, length=16)
    DATE_OBS = persistent("observation start", dt.datetime)
    median = persistent("median level", float)
    saturated = persistent("saturated pixels present", bool)
    frame = persistent("the frame", BenchFrame)


def chips(count: int, batch: int, frame: BenchFrame) -> list[BenchChip]:
    """``count`` new chips."""
    return [BenchChip(batch=batch, ifu=i % 24 + 1, night=dt.date(2016, 3, 14),
                      extname=f"CHAN{i % 24 + 1:02d}", DATE_OBS=START + dt.timedelta(seconds=i),
                      median=1000.0 + i % 97, saturated=i % 2 == 0, frame=frame)
            for i in range(count)]


def raw_rows(database: Database, count: int, batch: int, frame_id: int,
             context: Context) -> tuple[list[dict], list[dict]]:
    """The catalogue and class rows of ``count`` chips, as plain dicts with new ids."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    catalogue, rows = [], []
    for i, object_id in enumerate(database.allocate_ids(count)):
        system = {"object_id": object_id, "creator": context.user, "project": context.project,
                  "privileges": context.privileges, "creation_date": now}
        catalogue.append({**system, "class_name": "BenchChip"})
        rows.append({**system, "batch": batch, "ifu": i % 24 + 1, "night": dt.date(2016, 3, 14),
                     "extname": f"CHAN{i % 24 + 1:02d}",
                     "date_obs": START + dt.timedelta(seconds=i), "median": 1000.0 + i % 97,
                     "saturated": i % 2 == 0, "frame": frame_id})
    return catalogue, rows


def best_of(repeat: int, ours: Callable[[], float], raw: Callable[[], float]) -> tuple[float,
                                                                                       float]:
    """The smallest of ``repeat`` timings of each, the two run alternately (same conditions)."""
    timings = [(ours(), raw()) for _ in range(repeat)]
    return min(pair[0] for pair in timings), min(pair[1] for pair in timings)


def timed(function: Callable[[], object]) -> float:
    """Seconds ``function`` takes."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def report(backend: str, figure: str, ours: float, raw: float, count: int) -> None:
    """Print one figure next to its reference and the ratio."""
    goal = GOALS.get(figure)
    verdict = "" if goal is None else \
        f" (goal <= {goal:.1f}x: {'met' if ours / raw <= goal else 'NOT met'})"
    print(f"{backend:10s} {figure:16s} ours {ours:8.3f} s ({count / ours:9.0f}/s)   raw "
          f"{raw:8.3f} s ({count / raw:9.0f}/s)   ratio {ours / raw:5.2f}x{verdict}",
          flush=True)


def progress(label: str, done: int, total: int) -> None:
    """A progress line on stderr every tenth of the work."""
    if total >= 10 and done % (total // 10) == 0:
        print(f"  {label}: {done}/{total}", file=sys.stderr, flush=True)


def run_backend(backend: str, url: str, args: argparse.Namespace) -> None:
    """Every figure for one database."""
    database = connect(url, site=0)
    context = Context(user="bench", project="bench", privileges=1, site=0)
    catalogue = database.table("awe_object")
    table = database.table(BenchChip._meta.table)
    try:
        with session(database, context):
            frame = BenchFrame(filename="MUSE.2016-03-15T02:10:11.123.fits")
            frame.commit()
            frame_id = frame.object_id

        batch_number = iter(range(1, 10_000))

        def ours_batch() -> float:
            with session(database, context):
                objects = chips(args.count, next(batch_number), frame)
                return timed(lambda: commit(*objects))

        def raw_batch() -> float:
            rows = raw_rows(database, args.count, next(batch_number), frame_id, context)

            def insert() -> None:
                with database.write() as connection:
                    connection.execute(catalogue.insert(), rows[0])
                    connection.execute(table.insert(), rows[1])

            return timed(insert)

        report(backend, "batch commit", *best_of(args.repeat, ours_batch, raw_batch),
               args.count)

        def ours_load() -> float:
            with session(database, context):
                found: list = []
                elapsed = timed(lambda: found.extend(BenchChip.batch == 1))
                assert len(found) == args.count
                return elapsed

        def raw_load() -> float:
            statement = select(*table.c).where(table.c.batch == 1).order_by(table.c.object_id)
            with database.read() as connection:
                found: list = []
                elapsed = timed(lambda: found.extend(connection.execute(statement).all()))
                assert len(found) == args.count
                return elapsed

        report(backend, "materialise", *best_of(args.repeat, ours_load, raw_load), args.count)

        if args.single:
            # One object committed our way, then one row the raw way, in turn, so both see
            # the same load on the machine.
            catalogue_rows, rows = raw_rows(database, args.single, 0, frame_id, context)
            ours = raw = 0.0
            with session(database, context):
                objects = chips(args.single, 0, frame)
                for done, (obj, entry, row) in enumerate(
                        zip(objects, catalogue_rows, rows, strict=True), 1):
                    start = time.perf_counter()
                    obj.commit()
                    middle = time.perf_counter()
                    with database.write() as connection:
                        connection.execute(catalogue.insert(), entry)
                        connection.execute(table.insert(), row)
                    ours += middle - start
                    raw += time.perf_counter() - middle
                    progress(f"{backend} single commits", done, args.single)
            report(backend, "single commits", ours, raw, args.single)
    finally:
        database.dispose()


def postgres_database(admin_url: str, name: str, *, create: bool) -> str | None:
    """Create (or drop) a benchmark database; None when PostgreSQL is not reachable."""
    import psycopg

    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
            if create:
                admin.execute(f'CREATE DATABASE "{name}"')
            else:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.OperationalError as exc:
        print(f"postgresql: not reachable at {admin_url} ({exc}); skipped")
        return None
    return admin_url.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    """Run the figures for each backend asked for."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="objects per batch")
    parser.add_argument("--single", type=int, default=100_000,
                        help="single-object commits (0: skip)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per batch figure")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=os.environ.get(
        "AWE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()
    print(f"{args.count} objects per batch, {args.single} single commits, best of "
          f"{args.repeat}; the machine may be busy, so figures are noisy", flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench-persistence-", dir=Path.cwd()))
    os.environ["AWE_HOME"] = str(work / "home")
    name = f"awe_bench_{os.getpid()}"
    try:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                run_backend("sqlite", f"sqlite:///{work / 'bench.sqlite'}", args)
            elif backend == "postgresql":
                url = postgres_database(args.postgres, name, create=True)
                if url is not None:
                    run_backend("postgresql", url, args)
            else:
                parser.error(f"unknown backend {backend!r}")
    finally:
        if args.keep:
            print(f"kept {work} and PostgreSQL database {name}")
        else:
            shutil.rmtree(work, ignore_errors=True)
            if "postgresql" in args.backends:
                postgres_database(args.postgres, name, create=False)


if __name__ == "__main__":
    main()
