"""An SQLite write lock held past the busy timeout is a clear DatabaseError (issue #11)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from common.database import connect, register_site
from common.database.backends.sqlite import SqliteBackend
from common.errors import DatabaseError

# Another process takes the write lock and keeps it until its stdin closes.
HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.read()
"""


def test_a_lock_held_past_the_busy_timeout_names_the_file_and_the_holder(tmp_path,
                                                                         monkeypatch):
    path = tmp_path / "locked.sqlite"
    monkeypatch.setattr(SqliteBackend, "busy_timeout", 0.2)
    database = connect(f"sqlite:///{path}", site=0)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        expected = (f"SQLite database {re.escape(str(path))} is locked: its write lock was "
                    rf"held by process {holder.pid} \([^)]+\) for longer than the busy "
                    r"timeout \(0.2 s\)")
        with pytest.raises(DatabaseError, match=expected):
            register_site(database, 5, "five")
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()
        database.dispose()
    register_site(database, 5, "five")
