"""SQLite quirks: WAL, foreign keys, busy timeout, our own BEGIN, ISO text datetimes, GLOB.

- Python's ``sqlite3`` (3.11) starts transactions only before DML; we switch that off and emit
  ``BEGIN`` ourselves, ``BEGIN IMMEDIATE`` for writes (execution option ``awe_write``), so a
  writer takes the lock up front instead of failing on upgrade. Connection pragmas have no
  Core construct, so they are the only driver-level statements here.
- ``PRAGMA synchronous = NORMAL`` with WAL: a crash or power loss can lose the last commits
  but never leaves half of one.
- Datetimes are ISO text with microseconds (``2016-03-14T02:10:11.123000``), so text order is
  time order; booleans are INTEGER 0/1.
- LIKE is case-insensitive in SQLite, so the ``*`` wildcard compiles to GLOB.
- A database file on a network filesystem (NFS, SMB…) is refused: SQLite's locking is unsafe
  there. So is a file whose directory does not exist (a mistyped path), except in the home
  directory of the default database, which is created.
- A write lock held longer than the busy timeout becomes a :class:`DatabaseError` naming the
  file and, from ``/proc/locks``, the process that holds it.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    FromClause,
    Integer,
    Table,
    Text,
    bindparam,
    event,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy import Sequence as SqlSequence
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator, TypeEngine

from common.database.backends.base import Backend, json_rows
from common.errors import DatabaseError

__all__ = ["NETWORK_FILESYSTEMS", "IntegerBoolean", "IsoDateTime", "SqliteBackend",
           "filesystem_type", "write_lock_holders"]

BUSY_TIMEOUT_SECONDS = 60.0
# In WAL mode the write lock is one byte of the -shm file, at this offset (SQLite's wal.c).
WAL_WRITE_LOCK_OFFSET = 120
NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "afs", "ncpfs", "9p", "ceph",
    "glusterfs", "fuse.glusterfs", "fuse.sshfs", "lustre", "gpfs", "beegfs", "davfs",
    "fuse.s3fs", "fuse.rclone",
})
_CONNECTION_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
)


class IsoDateTime(TypeDecorator[dt.datetime]):
    """A naive UTC datetime stored as ISO text with microseconds."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> str | None:
        """ISO text with microseconds."""
        return None if value is None else value.isoformat(timespec="microseconds")

    def process_result_value(self, value: str | None, dialect: Any) -> dt.datetime | None:
        """The datetime of the ISO text."""
        return None if value is None else dt.datetime.fromisoformat(value)


class IntegerBoolean(TypeDecorator[bool]):
    """A boolean stored as INTEGER 0/1."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: bool | None, dialect: Any) -> int | None:
        """0 or 1."""
        return None if value is None else int(value)

    def process_result_value(self, value: int | None, dialect: Any) -> bool | None:
        """False or True."""
        return None if value is None else bool(value)


def _unescape_mount(field: str) -> str:
    r"""Undo the octal escapes of /proc/mounts (``\\040`` is a space)."""
    return field.encode("latin-1").decode("unicode_escape")


def filesystem_type(path: Path, mounts: str) -> str | None:
    """The type of the filesystem holding ``path``, from the text of ``/proc/mounts``."""
    best, best_type = "", None
    target = str(path)
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        mount_point = _unescape_mount(fields[1])
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, best_type = mount_point, fields[2]
    return best_type


def _process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
    except OSError:
        return "?"


def write_lock_holders(database: Path, locks: str) -> list[int]:
    """The processes holding the WAL write lock of ``database``, from the text of /proc/locks."""
    try:
        shm = os.stat(f"{database}-shm")
    except OSError:
        return []
    device = f"{os.major(shm.st_dev):02x}:{os.minor(shm.st_dev):02x}:{shm.st_ino}"
    holders = []
    for line in locks.splitlines():
        fields = line.split()
        # "N: POSIX ADVISORY WRITE PID MAJ:MIN:INODE START END"; waiters have "->" after N:
        if len(fields) == 8 and fields[3] == "WRITE" and fields[5] == device \
                and fields[6] == str(WAL_WRITE_LOCK_OFFSET):
            holders.append(int(fields[4]))
    return holders


class SqliteBackend(Backend):
    """The embedded default; ``busy_timeout`` is how long a connection waits for a lock (s)."""

    name = "sqlite"
    in_chunk = 1000
    mounts_file = Path("/proc/mounts")
    locks_file = Path("/proc/locks")
    busy_timeout = BUSY_TIMEOUT_SECONDS
    sized_strings = False
    inline_references = True

    def check_url(self, url: URL, *, home: Path | None = None) -> None:
        """Refuse a URL with a host, a file on a network filesystem, or in a missing directory.

        The directory is created only when it is ``home`` (the default database's).
        """
        if url.host:
            raise DatabaseError(
                f"database URL {url.render_as_string(hide_password=True)}: an SQLite URL has no "
                f"host, found {url.host!r}; expected sqlite:///relative/file or "
                "sqlite:////absolute/file (three slashes before the path)")
        if not url.database or url.database == ":memory:":
            return
        path = Path(url.database).expanduser().resolve()
        if self.mounts_file.is_file():
            kind = filesystem_type(path, self.mounts_file.read_text(encoding="utf-8"))
            if kind in NETWORK_FILESYSTEMS:
                raise DatabaseError(
                    f"SQLite database {path}: the file is on a network filesystem ({kind}), "
                    "where SQLite's locking is unsafe; put it on a local disk or use PostgreSQL"
                )
        if path.parent.is_dir():
            return
        if home is None or path.parent != home.expanduser().resolve():
            raise DatabaseError(f"SQLite database {path}: its directory {path.parent} does not "
                                "exist; create it, or correct the database URL")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"SQLite database {path}: cannot create its directory "
                                f"({exc.strerror})") from exc

    def engine_options(self, url: URL) -> dict[str, Any]:
        """A busy timeout, and connections usable from any thread of the process."""
        return {"connect_args": {"timeout": self.busy_timeout, "check_same_thread": False}}

    def prepare_engine(self, engine: Engine) -> None:
        """Set the pragmas on every new connection and emit our own BEGIN."""

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            for pragma in _CONNECTION_PRAGMAS:
                cursor.execute(pragma)
            cursor.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            write = connection.get_execution_options().get("awe_write", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN",
                                       execution_options={"awe_control": True})

    def explain_error(self, error: DBAPIError, url: URL) -> DatabaseError | None:
        """"database is locked" (past the busy timeout): which file, and who holds the lock."""
        if not isinstance(error.orig, sqlite3.OperationalError) \
                or "locked" not in str(error.orig):
            return None
        path = Path(url.database or ":memory:").expanduser().resolve()
        holders = write_lock_holders(path, self.locks_file.read_text(encoding="utf-8")
                                     if self.locks_file.is_file() else "")
        held = (" by " + ", ".join(f"process {pid} ({_process_name(pid)})" for pid in holders)
                if holders else " by another connection")
        return DatabaseError(f"SQLite database {path} is locked: its write lock was held{held} "
                             f"for longer than the busy timeout ({self.busy_timeout:g} s); "
                             "retry when that writer has finished")

    def may_run_ddl(self, connection: Connection) -> bool:
        """The SQLite user owns the file."""
        return True

    def begin_script(self, context: MigrationContext, operations: Operations) -> None:
        """``BEGIN IMMEDIATE``: the write lock, which serialises schema changes, up front."""
        context.impl.static_output("BEGIN IMMEDIATE;")

    def reserve_blocks(self, connection: Connection, sequence: SqlSequence, counter: Table,
                       count: int, block: int) -> list[int]:
        """Advance the counter row by ``count`` blocks in one UPDATE … RETURNING."""
        step = count * block
        statement = (counter.update()
                     .where(counter.c.name == sequence.name)
                     .values(next_value=counter.c.next_value + step)
                     .returning(counter.c.next_value))
        end = connection.execute(statement).scalar_one()
        first = end - step
        return [first + i * block for i in range(count)]

    def wildcard_match(self, column: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
        """GLOB is case-sensitive and uses ``*`` itself; ``[`` and ``?`` are made literal."""
        glob = pattern.replace("[", "[[]").replace("?", "[?]")
        return column.op("GLOB", is_comparison=True)(glob)

    def rows_table(self, name: str, columns: Mapping[str, TypeEngine[Any]],
                   rows: Sequence[Mapping[str, Any]]) -> FromClause:
        """``json_each`` over one JSON parameter: no limit on the number of rows.

        Materialised, so each value is extracted once, not once per row it is compared with.
        """
        each = func.json_each(bindparam(f"{name}_rows", json_rows(rows), type_=Text())
                              ).table_valued("value").alias(f"{name}_each")
        return (select(*(type_coerce(func.json_extract(each.c.value,
                                                       literal_column(f"'$.{key}'")),
                                     kind).label(key)
                         for key, kind in columns.items()))
                .cte(name).prefix_with("MATERIALIZED"))
