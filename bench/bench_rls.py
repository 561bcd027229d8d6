"""Row-level security overhead: the same queries over N objects with RLS on and off, one run.

A fresh PostgreSQL database gets the roles, grants and policies of DESIGN §3 and N (default
100,000) objects spread over four creators, two projects and the five levels (inserted with
two set-based statements). Each query is compiled once by the query compiler and timed (median
of the repetitions) two ways, returning the same rows:

- **RLS on**: as user ``alice``'s own login role; the database applies the policies;
- **RLS off** (the reference): as the superuser, whom RLS does not touch, with the visibility
  rule for ``alice`` written into the statement by the compiler instead (as on SQLite).

Queries: COUNT of every visible object, COUNT of a range on a float column, the rows of one
indexed bucket. Goal: RLS on at most 1.3× the reference. The database and its roles are
dropped afterwards unless ``--keep``.

Usage: python bench/bench_rls.py [--count N] [--repeat R] [--postgres ADMIN_URL] [--keep]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

GOAL = 1.3
USERS = ("alice", "bob", "carol", "dave")
PROJECTS = {"alpha": ("alice", "bob"), "beta": ("carol",), "gamma": ("dave",)}
ID_BASE = 1 << 40


def _median_seconds(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _populate(admin: Any, table: str, count: int) -> None:
    """N rows in awe_object and the class table: two INSERT … SELECT over generate_series."""
    from sqlalchemy import text

    users = "(ARRAY['" + "','".join(USERS) + "'])"
    projects = "(ARRAY['" + "','".join(PROJECTS) + "'])"
    owned = (f"{users}[1 + n % 4], {projects}[1 + (n / 4) % 3], 1 + (n / 12) % 5, "
             "now()::timestamp")
    with admin.write() as connection:
        connection.execute(text(
            "INSERT INTO awe_object (object_id, class_name, creator, project, privileges, "
            f"creation_date) SELECT {ID_BASE} + n, 'BenchRlsItem', {owned} "
            f"FROM generate_series(1, {count}) AS n"))
        connection.execute(text(
            f"INSERT INTO {table} (object_id, creator, project, privileges, creation_date, "
            f"bucket, score) SELECT {ID_BASE} + n, {owned}, n % 1000, "
            f"(n * 7919 % 10007) / 10007.0 FROM generate_series(1, {count}) AS n"))
        connection.execute(text(f"ANALYZE {table}"))
        connection.execute(text("ANALYZE awe_object"))


def main(argv: list[str] | None = None) -> int:
    """Set up, measure, print each figure beside its reference, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--postgres", default=os.environ.get(
        "AWE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--keep", action="store_true", help="keep the database and roles")
    args = parser.parse_args(argv)

    import psycopg

    name = f"awe_bench_rls_{secrets.token_hex(3)}"
    prefix = name + "_"
    os.environ["AWE_ROLE_PREFIX"] = prefix
    with psycopg.connect(args.postgres, autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    base = args.postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    host = base.split("@", 1)[1]
    try:
        return _measure(f"{base}/{name}", f"postgresql+psycopg://{prefix}alice@{host}/{name}",
                        prefix, args.count, args.repeat)
    finally:
        if not args.keep:
            with psycopg.connect(args.postgres, autocommit=True) as server:
                server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                for (role,) in server.execute("SELECT rolname FROM pg_roles WHERE rolname "
                                              "LIKE %s", (prefix + "%",)).fetchall():
                    server.execute(f'DROP ROLE IF EXISTS "{role}"')


def _measure(admin_url: str, alice_url: str, prefix: str, count: int, repeat: int) -> int:
    from common.config import Context
    from common.database import connect
    from common.database.accounts import add_member, create_project, create_user
    from common.database.catalogue import MEMBER_TABLE
    from common.database.evolution import prepare_owner_roles
    from common.database.schema import secure_schema
    from common.persistent import DBObject, persistent, session
    from common.persistent.compiler import QueryCompiler
    from common.persistent.visibility import visible_rule

    class BenchRlsItem(DBObject):
        """One of the benchmark's objects."""

        bucket = persistent("a bucket 0-999", int, index=True)
        score = persistent("a value in [0, 1)", float)

    admin = connect(admin_url, site=0)
    prepare_owner_roles(admin, prefix)
    secure_schema(admin, prefix)
    for user in USERS:
        create_user(admin, user)
    for project, members in PROJECTS.items():
        create_project(admin, project, 2)
        for user in members:
            add_member(admin, project, user)
    table_name = BenchRlsItem._meta.table
    start = time.perf_counter()
    _populate(admin, table_name, count)
    print(f"inserted {count} objects in {time.perf_counter() - start:.1f} s (set-based)")
    alice = connect(alice_url, site=0)
    context = Context("alice", "alpha", 1, 0)
    queries = {
        "count(*) of every visible object": BenchRlsItem.select_all(),
        "count(*) of score < 0.25": BenchRlsItem.score < 0.25,
        "rows of bucket == 421": BenchRlsItem.bucket == 421,
    }
    worst = 0.0
    print(f"{'query':36} {'RLS on':>10} {'RLS off (rule in SQL)':>22} {'ratio':>7}")
    for label, query in queries.items():
        timings = []
        results = []
        for database, rule in ((alice, False), (admin, True)):
            with session(database, context):
                members = database.table(MEMBER_TABLE.name)
                visible = (lambda source, m=members: visible_rule(source, "alice", m)) \
                    if rule else None
                compiler = QueryCompiler(query, database.backend, database.table,
                                         visible=visible)
                statement = compiler.rows() if label.startswith("rows") else compiler.count()

                def run(statement: Any = statement, database: Any = database) -> Any:
                    with database.read() as connection:
                        return connection.execute(statement).all()

                run()
                seconds, result = _median_seconds(run, repeat)
            timings.append(seconds)
            results.append(sorted(map(tuple, result)))
        if results[0] != results[1]:
            print(f"{label}: RLS on and the rule in SQL disagree", file=sys.stderr)
            return 1
        ratio = timings[0] / timings[1]
        worst = max(worst, ratio)
        rows = len(results[0]) if label.startswith("rows") else results[0][0][0]
        print(f"{label:36} {timings[0] * 1000:8.1f}ms {timings[1] * 1000:20.1f}ms "
              f"{ratio:6.2f}×  ({rows} rows)")
    print(f"worst ratio {worst:.2f}× (goal ≤ {GOAL}×): {'met' if worst <= GOAL else 'MISSED'}")
    alice.dispose()
    admin.dispose()
    return 0 if worst <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
