"""Schema evolution across real processes with real persistent classes (``evolving_model``).

Each client process declares release 1 or 2 of the model (``evolving_client.py``): release 2
adds an attribute with a default and a class. The test process never declares them.
"""

from __future__ import annotations

import json
import os
import selectors
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, select

from common.database import connect
from common.database.backends.postgresql import SCHEMA_LOCK_KEY
from common.database.evolution import Change
from common.database.history import history_table, read_history

CLIENT = Path(__file__).with_name("evolving_client.py")
ROOT = Path(__file__).parents[3]
TIMEOUT = 120.0


def start_client(url: str, release: str, *labels: str) -> subprocess.Popen[str]:
    """Start a client process of ``release`` writing one run per label."""
    return subprocess.Popen([sys.executable, str(CLIENT), url, release, *labels], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def finish(process: subprocess.Popen[str]) -> list[tuple[str, int, float | None]]:
    """Wait for a client; return the runs it printed as (label, count, gain)."""
    out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, f"client failed:\n{out}\n{err}"
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [(row["label"], row["count"], row["gain"]) for row in rows]


def client(url: str, release: str, *labels: str) -> list[tuple[str, int, float | None]]:
    """Run a client process to its end."""
    return finish(start_client(url, release, *labels))


def versions(url: str) -> list:
    database = connect(url, site=0, evolve=False)
    try:
        with database.read() as connection:
            return read_history(connection, history_table(MetaData()))
    finally:
        database.dispose()


def _hold_schema_lock(url: str):
    """Take the schema lock the way another migrating process would; return its release."""
    if url.startswith("sqlite"):
        holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        return lambda: (holder.execute("ROLLBACK"), holder.close())
    import psycopg

    holder = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
    return lambda: (holder.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,)),
                    holder.close())


def _next_line(process: subprocess.Popen[str], deadline: float) -> str:
    """The next line the process prints; fails at ``deadline``.

    Read byte by byte from the pipe, so nothing the process prints later is buffered here
    (a select on the pipe then shows exactly whether it printed more).
    """
    line = b""
    descriptor = process.stdout.fileno()
    with selectors.DefaultSelector() as selector:
        selector.register(descriptor, selectors.EVENT_READ)
        while not line.endswith(b"\n"):
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                pytest.fail(f"client {process.pid} printed nothing for {TIMEOUT} s")
            byte = os.read(descriptor, 1)
            if not byte:
                break
            line += byte
    return line.decode().strip()


def _blocked_in_begin_immediate(processes: list[subprocess.Popen[str]],
                                deadline: float) -> None:
    """Return once both processes have started ``BEGIN IMMEDIATE`` and are still in it.

    The test process holds the write lock, so neither statement can finish: each process
    is alive and has printed nothing after it (it would print its next write, or exit).
    """
    for process in processes:
        assert _next_line(process, deadline) == "sql: BEGIN IMMEDIATE"
    with selectors.DefaultSelector() as selector:
        for process in processes:
            selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(timeout=0) == []
    assert [process.poll() for process in processes] == [None, None]


def _waiting_on_the_lock(url: str, processes: list[subprocess.Popen[str]]) -> None:
    """Return once both processes are blocked on the schema lock, as the database shows it."""
    deadline = time.monotonic() + TIMEOUT
    for process in processes:
        assert _next_line(process, deadline) == "connecting"
    if url.startswith("sqlite"):
        _blocked_in_begin_immediate(processes, deadline)
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_locks JOIN pg_database d ON d.oid = pg_locks.database "
                "WHERE locktype = 'advisory' AND NOT granted AND d.datname = %s",
                (name,)).fetchone()[0]
            if waiting == 2:
                return
            time.sleep(0.05)
    pytest.fail("the two clients never both waited for the schema lock")


def test_two_releases_in_separate_processes(fresh_url):
    """Release 1 writes; two release-2 processes connect at once (one migrates, the other waits
    for the lock, both write); release 1 then reads and writes; its rows read the default."""
    assert client(fresh_url, "1", "bias") == [("bias", 0, None)]
    release = _hold_schema_lock(fresh_url)
    try:
        processes = [start_client(fresh_url, "2", "one"), start_client(fresh_url, "2", "two")]
        _waiting_on_the_lock(fresh_url, processes)
    finally:
        release()
    for rows in (finish(process) for process in processes):
        assert rows[0] == ("bias", 0, 1.5) and len(rows) in (2, 3)
    assert sorted(client(fresh_url, "1", "dark")) == [("bias", 0, None), ("dark", 0, None),
                                                      ("one", 0, None), ("two", 0, None)]
    entries = versions(fresh_url)
    assert [entry.version_id for entry in entries] == [1, 2]
    assert [Change(**item).describe() for item in entries[1].changes] == [
        "create table awe_evo_note", "add column awe_evo_run.gain (float, default 1.5)"]
    database = connect(fresh_url, site=0, evolve=False)
    try:
        with database.read() as connection:
            runs = Table("awe_evo_run", MetaData(), autoload_with=connection)
            notes = Table("awe_evo_note", MetaData(), autoload_with=connection)
            assert sorted(connection.execute(select(runs.c.label, runs.c.gain))) == [
                ("bias", 1.5), ("dark", 1.5), ("one", 2.5), ("two", 2.5)]
            assert sorted(connection.execute(select(notes.c.text)).scalars()) == [
                "about one", "about two"]
    finally:
        database.dispose()
