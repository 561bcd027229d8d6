"""Connect time with many persistent classes when the schema is up to date, next to a full
reflection of the same database (SQLAlchemy ``MetaData.reflect``), same run.

For SQLite and PostgreSQL (a fresh database each), with CLASSES classes of 24 attributes
(every value kind, indexes, a link to the previous class):

- the first connect, which initialises the database (for scale);
- the schema check of connect (model hash of every declared table and the one-row read of
  ``awe_schema_history``) next to ``MetaData.reflect`` of the same database;
- ``connect()`` when the schema is up to date next to the same connect plus a
  ``MetaData.reflect`` (what connect would cost if it looked at the schema); both build the
  Core tables of every class, which the persistent layer needs anyway (shown on its own);
- evolving by one new class: registered after connect (only its table is compared) and at
  connect (Alembic compares every declared table).

Each figure is the median of REPEAT runs, ours and the reference alternating. Other work on the
machine makes figures noisy.

Usage: python bench/bench_evolution.py [--classes N] [--repeat R]
       [--backends sqlite,postgresql] [--postgres ADMIN_URL] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, event

from common.database import (
    ColumnSpec,
    Database,
    TableSpec,
    build_metadata,
    connect,
    ensure_schema,
    registered_tables,
)
from common.database.schema import declared_schema, newest_hash
from common.persistent import DBObject, persistent

KINDS: tuple[tuple[type, Any], ...] = (
    (int, 0), (float, None), (str, None), (bool, False), (dt.datetime, None), (dt.date, None),
    (dict, None), (int, None),
)
ATTRIBUTES = 24


def declare_classes(count: int) -> None:
    """Register ``count`` persistent classes ``BenchEvo000``…, each linking to the previous."""
    previous: type = DBObject
    for number in range(count):
        namespace: dict[str, Any] = {"__module__": __name__,
                                     "__doc__": f"Benchmark class {number}."}
        for position in range(ATTRIBUTES):
            kind, default = KINDS[position % len(KINDS)]
            namespace[f"value_{position:02d}"] = persistent(
                f"attribute {position}", kind, default, index=position == 2)
        namespace["previous"] = persistent("the previous class", previous)
        previous = type(f"BenchEvo{number:03d}", (DBObject,), namespace)


@contextmanager
def counting(engine_class: type[Engine]) -> Iterator[list[str]]:
    """Every statement any engine sends inside the block."""
    statements: list[str] = []

    def record(connection: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement)

    event.listen(engine_class, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine_class, "before_cursor_execute", record)


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def medians(repeat: int, ours: Callable[[], object], reference: Callable[[], object]
            ) -> tuple[float, float]:
    """Median seconds of ``ours`` and ``reference``, run alternately ``repeat`` times each."""
    mine, theirs = [], []
    for _ in range(repeat):
        mine.append(timed(ours))
        theirs.append(timed(reference))
    return statistics.median(mine), statistics.median(theirs)


def report(backend: str, figure: str, ours: float, reference: str, theirs: float) -> None:
    print(f"{backend:10} {figure:34} {ours * 1000:9.1f} ms   {reference:30} "
          f"{theirs * 1000:9.1f} ms   ratio {theirs / ours:6.1f}x")


def run_backend(backend: str, url: str, repeat: int) -> None:
    print(f"{backend}: initialising {len(registered_tables())} tables …", flush=True)
    with counting(Engine) as statements:
        started = time.perf_counter()
        connect(url, site=0).dispose()
        initialise = time.perf_counter() - started
    print(f"{backend:10} first connect (initialises)         {initialise * 1000:9.1f} ms   "
          f"{len(statements)} statements")

    def our_connect() -> None:
        connect(url, site=0).dispose()

    def reflecting_connect() -> None:
        database = connect(url, site=0)
        MetaData().reflect(bind=database.engine)
        database.dispose()

    with counting(Engine) as statements:
        our_connect()
    schema_queries = [text for text in statements if "awe_schema_history" in text]
    print(f"{backend:10} up-to-date connect sends {len(statements)} statements (transaction "
          f"control included), {len(schema_queries)} of them the schema check", flush=True)
    opened = connect(url, site=0, evolve=False)
    try:
        def schema_check() -> None:
            declared = declared_schema()
            assert newest_hash(Database(opened.engine, opened.backend, site=0)) \
                == declared.schema_hash

        ours, theirs = medians(repeat, schema_check,
                               lambda: MetaData().reflect(bind=opened.engine))
        report(backend, "schema check (hash + one query)", ours, "MetaData.reflect", theirs)
        ours, theirs = medians(repeat, our_connect, reflecting_connect)
        report(backend, "connect(), schema up to date", ours, "connect() + MetaData.reflect",
               theirs)
        mapping = statistics.median(timed(lambda: build_metadata(registered_tables()))
                                    for _ in range(repeat))
        print(f"{backend:10} of which Core tables of every class   {mapping * 1000:9.1f} ms   "
              "(the persistent layer's mapping, built by any connect)")
        ensure_schema(opened)
        late = new_class_spec("awe_bench_evo_late", "BenchEvoLate")
        evolve = timed(lambda: ensure_schema(opened, [*registered_tables(), late]))
        print(f"{backend:10} evolve: class registered after connect {evolve * 1000:7.1f} ms   "
              "(compares the new table only; DDL; history row)")
        new = new_class_spec("awe_bench_evo_new", "BenchEvoNew")
        evolving = Database(opened.engine, opened.backend, site=0)
        evolve = timed(lambda: ensure_schema(evolving, [*registered_tables(), late, new]))
        print(f"{backend:10} evolve: new class at connect          {evolve * 1000:9.1f} ms   "
              "(Alembic compares every declared table; DDL; history row)")
    finally:
        opened.dispose()


def new_class_spec(table: str, owner: str) -> TableSpec:
    """The table spec of a small class that is not registered."""
    return TableSpec(table, (ColumnSpec("object_id", "link", nullable=False),
                             ColumnSpec("note", "str", length=80)),
                     primary_key=("object_id",), owner=owner)


def databases(backends: list[str], admin_url: str, *, keep: bool) -> Iterator[tuple[str, str]]:
    """Yield (backend, URL of a fresh database) per backend; drop them all at the end.

    ``keep`` keeps them. Closing the generator early cleans up too.
    """
    work = Path(tempfile.mkdtemp(prefix="bench-evolution-", dir=Path.cwd()))
    name = f"awe_bench_evolution_{secrets.token_hex(3)}"
    created = False
    try:
        for backend in backends:
            if backend == "sqlite":
                yield backend, f"sqlite:///{work / 'evolution.sqlite'}"
                continue
            import psycopg

            try:
                with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
                    admin.execute(f'CREATE DATABASE "{name}"')
            except psycopg.OperationalError as exc:
                print(f"postgresql: not reachable at {admin_url} ({exc}); skipped")
                continue
            created = True
            yield backend, f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        if keep:
            print(f"kept {work}" + (f" and PostgreSQL database {name}" if created else ""))
        else:
            shutil.rmtree(work, ignore_errors=True)
            if created:
                import psycopg

                with psycopg.connect(admin_url, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classes", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=os.environ.get(
        "AWE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()
    declare_classes(args.classes)
    print(f"{args.classes} classes of {ATTRIBUTES} attributes; medians of {args.repeat} runs "
          "(noisy when the machine is busy)")
    with closing(databases(args.backends.split(","), args.postgres, keep=args.keep)) as fresh:
        for backend, url in fresh:
            run_backend(backend, url, args.repeat)


if __name__ == "__main__":
    main()
