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
  there.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import ColumnElement, Connection, Engine, Integer, Sequence, Table, Text, event
from sqlalchemy.engine import URL
from sqlalchemy.types import TypeDecorator

from common.database.backends.base import Backend
from common.errors import DatabaseError

__all__ = ["NETWORK_FILESYSTEMS", "IntegerBoolean", "IsoDateTime", "SqliteBackend",
           "filesystem_type"]

BUSY_TIMEOUT_SECONDS = 60.0
NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "afs", "ncpfs", "9p", "ceph",
    "glusterfs", "fuse.glusterfs", "fuse.sshfs", "lustre", "gpfs", "beegfs", "davfs",
    "fuse.s3fs", "fuse.rclone",
})
_CONNECTION_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}",
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


class SqliteBackend(Backend):
    """The embedded default."""

    name = "sqlite"
    in_chunk = 1000
    mounts_file = Path("/proc/mounts")
    sized_strings = False
    inline_references = True

    def check_url(self, url: URL) -> None:
        """Refuse a database file on a network filesystem; create its directory if missing."""
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
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"SQLite database {path}: cannot create its directory "
                                f"({exc.strerror})") from exc

    def engine_options(self, url: URL) -> dict[str, Any]:
        """A busy timeout, and connections usable from any thread of the process."""
        return {"connect_args": {"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False}}

    def prepare_engine(self, engine: Engine) -> None:
        """Set the pragmas on every new connection and emit our own BEGIN."""

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            for pragma in _CONNECTION_PRAGMAS:
                cursor.execute(pragma)
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            write = connection.get_execution_options().get("awe_write", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN",
                                       execution_options={"awe_control": True})

    def may_run_ddl(self, connection: Connection) -> bool:
        """The SQLite user owns the file."""
        return True

    def begin_script(self, context: MigrationContext, operations: Operations) -> None:
        """``BEGIN IMMEDIATE``: the write lock, which serialises schema changes, up front."""
        context.impl.static_output("BEGIN IMMEDIATE;")

    def reserve_blocks(self, connection: Connection, sequence: Sequence, counter: Table,
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
