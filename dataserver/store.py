"""The file-store protocol and the local store that every data server and test builds on.

A store maps names to immutable files. Each file has a sha256 recorded when it is stored and
checked when it is read back. Writes are atomic: a temporary file in the store, fsync, then a
no-overwrite link into place, so a crash leaves either no file or the whole file.

On disk a :class:`LocalStore` keeps ``files/<aa>/NAME`` with its checksum in
``sha256/<aa>/NAME`` (``aa`` = the first byte of sha256(NAME) in hex, spreading files over 256
directories) and unfinished uploads in ``tmp/``, each held under an exclusive ``flock`` by its
writer so that :meth:`LocalStore.clean_temp` can tell an orphan (writer killed) from a live
upload. A data server also keeps ``tombstones/<aa>/NAME`` (JSON: when a name was deleted and
its sha256, so peers never resurrect it), ``quarantine/`` (files whose content no longer
matches their checksum) and ``quarantined/<aa>/NAME`` (JSON: why and when ``NAME`` was
quarantined and the sha256 it stays bound to until a copy with that sha256 heals it or an
operator releases the name). This module imports no web framework.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from common.errors import CorruptFile, IntegrityError, NotFound, StoreError, StoreRequestError
from common.files import atomic_write, fsync_directory, place, sync_and_place

__all__ = [
    "CHUNK_SIZE",
    "NAME_RULE",
    "DamagedChecksumRecord",
    "DataStore",
    "LocalStore",
    "Quarantine",
    "StoredFile",
    "Tombstone",
    "VerifyingReader",
    "check_name",
    "check_same_content",
    "hash_all",
    "sha256_of",
    "start_writeback",
    "verify_digest",
    "write_all",
]

NAME_RULE = r"[A-Za-z0-9][A-Za-z0-9._:-]{0,254}"
_NAME = re.compile(NAME_RULE)
_HEX64 = re.compile(r"[0-9a-f]{64}")
CHUNK_SIZE = 1 << 20


class DamagedChecksumRecord(CorruptFile):
    """A file's sha256 sidecar is empty or not 64 hex digits (travels as CorruptFile)."""


def check_name(name: object) -> str:
    """Return ``name`` if it is a valid store name, else raise :class:`StoreRequestError`."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise StoreRequestError(
            f"bad file name {name!r}: expected {NAME_RULE} (a letter or digit, then letters, "
            "digits, '.', '_', ':' or '-', at most 255 characters)"
        )
    return name


def verify_digest(found: str, expected: str, what: str, *,
                  error: type[IntegrityError] = CorruptFile, outcome: str = "corrupted") -> None:
    """Raise ``error`` naming ``what`` unless sha256 ``found`` is ``expected``.

    The one place where content is compared with the checksum recorded or declared for it:
    a copy read back (:class:`CorruptFile`) or an upload (:class:`ChecksumMismatch`).
    """
    if found != expected:
        raise error(f"{what}: content has sha256 {found}, expected {expected} ({outcome})")


def check_same_content(name: str, existing: str, offered: str, where: str) -> None:
    """Raise :class:`IntegrityError` when ``offered`` content would replace ``existing``."""
    if existing != offered:
        raise IntegrityError(
            f"{name}: {where} with sha256 {existing}; refusing other content (sha256 "
            f"{offered}). Stored files are immutable: use a new name.")


def sha256_of(path: Path) -> str:
    """Return the sha256 hex digest of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


_SYNC_FILE_RANGE_WRITE = 2
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
if _libc is not None:
    _libc.sync_file_range.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64,
                                      ctypes.c_uint)


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing ``length`` bytes at ``offset`` to disk now.

    A large upload then reaches the disk while it is still arriving, so the fsync at its end
    has little left to wait for. Linux ``sync_file_range``; elsewhere nothing happens.
    """
    if _libc is not None and length > 0:
        _libc.sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


def write_all(fd: int, chunks: Iterable[bytes | memoryview]) -> int:
    """Write every chunk completely to ``fd``; return the bytes written.

    Writing releases the GIL, and so does :func:`hash_all`: two worker threads hash and write
    the same chunks at once while the caller receives the next ones.
    """
    written = 0
    for chunk in chunks:
        view = memoryview(chunk)
        while view:
            count = os.write(fd, view)
            view = view[count:]
            written += count
    return written


def hash_all(digest: hashlib._Hash, chunks: Iterable[bytes | memoryview]) -> None:
    """Feed every chunk to ``digest``."""
    for chunk in chunks:
        digest.update(chunk)


@dataclass(frozen=True)
class StoredFile:
    """A stored file as listed for garbage collection: name, size and time stored (epoch s)."""

    name: str
    size: int
    stored: float


@dataclass(frozen=True)
class Tombstone:
    """The record that ``name`` was deleted at ``deleted`` (epoch s); ``sha256`` if known."""

    name: str
    deleted: float
    sha256: str | None

    def to_json(self) -> dict[str, object]:
        """Plain data for the wire and the tombstone file."""
        return {"name": self.name, "deleted": self.deleted, "sha256": self.sha256}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Tombstone:
        """Rebuild a tombstone from :meth:`to_json` data (checks the name)."""
        sha256 = data.get("sha256")
        return cls(check_name(data["name"]), float(data["deleted"]),
                   str(sha256) if sha256 else None)

    def describe(self) -> str:
        """When the name was deleted, for error messages."""
        stamp = datetime.fromtimestamp(self.deleted, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{self.name}: deleted at {stamp}"


@dataclass(frozen=True)
class Quarantine:
    """Why ``name`` was taken out of service and the sha256 (if known) it stays bound to."""

    name: str
    quarantined: float
    sha256: str | None
    reason: str

    def to_json(self) -> dict[str, object]:
        """Plain data for the record file and the wire."""
        return {"name": self.name, "quarantined": self.quarantined, "sha256": self.sha256,
                "reason": self.reason}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Quarantine:
        """Rebuild a record from :meth:`to_json` data (checks the name)."""
        sha256 = data.get("sha256")
        return cls(check_name(data["name"]), float(data["quarantined"]),
                   str(sha256) if sha256 else None, str(data.get("reason", "")))

    def describe(self) -> str:
        """When and why, for error messages."""
        stamp = datetime.fromtimestamp(self.quarantined, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        bound = f"sha256 {self.sha256}" if self.sha256 else "content of unknown sha256"
        return (f"{self.name}: quarantined at {stamp} ({self.reason}); the name stays bound to "
                f"{bound} until healed or released by an operator")


@runtime_checkable
class DataStore(Protocol):
    """What every file store offers: local, one HTTP server or the logical store of many."""

    def put(self, src: Path, name: str) -> str:
        """Store the file ``src`` as ``name``; return its sha256 hex.

        The same content again is accepted; other content under an existing name raises
        :class:`IntegrityError`.
        """
        ...

    def get(self, name: str, dst: Path) -> Path:
        """Write the file ``name`` to ``dst`` (atomically, checksum verified); return ``dst``."""
        ...

    def open(self, name: str) -> BinaryIO:
        """Open ``name`` as a binary stream that verifies the checksum when read to the end."""
        ...

    def exists(self, name: str) -> bool:
        """Whether the store holds ``name``."""
        ...

    def checksum(self, name: str) -> str:
        """The recorded sha256 hex of ``name``."""
        ...

    def read_range(self, name: str, offset: int, size: int) -> bytes:
        """Return ``size`` bytes of ``name`` from byte ``offset`` (fewer at the end)."""
        ...

    def delete(self, name: str) -> None:
        """Remove ``name``; deleting a missing file raises :class:`NotFound`."""
        ...


class VerifyingReader(io.BufferedIOBase):
    """A read-only stream that hashes what it returns and checks the digest at end of file."""

    def __init__(self, stream: BinaryIO, expected: str, label: str) -> None:
        super().__init__()
        self._stream = stream
        self._expected = expected
        self._label = label
        self._digest = hashlib.sha256()
        self._verified = False

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes; at end of file raise :class:`IntegrityError` on a mismatch."""
        data = self._stream.read(-1 if size is None else size)
        self._digest.update(data)
        if (not data or size is None or size < 0) and not self._verified:
            self._verified = True
            verify_digest(self._digest.hexdigest(), self._expected, self._label)
        return data

    read1 = read

    def readable(self) -> bool:
        """Always True: this is a read-only stream."""
        return True

    def close(self) -> None:
        """Close the underlying stream."""
        self._stream.close()
        super().close()


class LocalStore:
    """A :class:`DataStore` on a local (or mounted) directory."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser()
        try:
            for sub in ("files", "sha256", "tmp", "tombstones", "quarantine", "quarantined"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"store root {self.root}: cannot be created ({exc})") from exc

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def config(self) -> dict[str, str]:
        """Plain data another process reopens this store from (``open_store_config``)."""
        return {"open": "dataserver.factory:open_store_config", "kind": "local",
                "root": str(self.root)}

    # -- paths ------------------------------------------------------------------------------

    def _shard(self, name: str) -> str:
        return hashlib.sha256(name.encode()).hexdigest()[:2]

    def path(self, name: str) -> Path:
        """The file's path on disk (it may not exist); for memmap reads by local code."""
        return self.root / "files" / self._shard(check_name(name)) / name

    def _sidecar(self, name: str) -> Path:
        return self.root / "sha256" / self._shard(name) / name

    def _tombstone_path(self, name: str) -> Path:
        return self.root / "tombstones" / self._shard(name) / name

    def _quarantine_path(self, name: str) -> Path:
        return self.root / "quarantined" / self._shard(name) / name

    def temp_file(self) -> tuple[int, Path]:
        """Create an open temporary file inside the store (same file system as the data).

        The file is locked (``flock``) through the returned descriptor until it is closed, so
        :meth:`clean_temp` never removes a file that a live writer still holds.
        """
        while True:
            fd, tmp = tempfile.mkstemp(dir=self.root / "tmp", prefix="upload-")
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_nlink:
                return fd, Path(tmp)
            # clean_temp took it for an orphan between its creation and our lock
            os.close(fd)

    def clean_temp(self) -> int:
        """Remove temporary files whose writer has gone (killed mid-upload); return how many."""
        removed = 0
        for path in (self.root / "tmp").iterdir():
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            else:
                path.unlink(missing_ok=True)
                removed += 1
            finally:
                os.close(fd)
        return removed

    # -- the protocol -------------------------------------------------------------------------

    def put(self, src: Path, name: str) -> str:
        """Copy ``src`` into the store as ``name`` (hashing while copying); return sha256 hex."""
        check_name(name)
        fd, tmp = self.temp_file()
        try:
            digest = hashlib.sha256()
            with open(src, "rb") as source, os.fdopen(fd, "wb") as target:
                while chunk := source.read(CHUNK_SIZE):
                    digest.update(chunk)
                    target.write(chunk)
                target.flush()
                os.fsync(target.fileno())
                return self.commit_temp(tmp, name, digest.hexdigest())
        except OSError as exc:
            raise StoreError(f"{name}: cannot store {src} in {self.root} ({exc})") from exc
        finally:
            tmp.unlink(missing_ok=True)

    def commit_temp(self, tmp: Path, name: str, sha256: str) -> str:
        """Move a complete, fsynced temporary file into place as ``name``; return ``sha256``.

        The data file is linked into place without overwriting (atomic create-if-absent);
        its checksum sidecar follows. A racing put of other content loses with
        :class:`IntegrityError`; a racing put of the same content succeeds. A quarantined
        name takes only its recorded content (which heals it and ends the quarantine).
        """
        self.link_temp(tmp, name, sha256)
        return sha256

    def link_temp(self, tmp: Path, name: str, sha256: str) -> bool:
        """As :meth:`commit_temp`; return True if ``name`` is new, False if already there."""
        check_name(name)
        held = self.quarantined(name)
        if held is not None:
            check_same_content(name, held.sha256 or "unknown", sha256, held.describe())
        final, sidecar = self.path(name), self._sidecar(name)
        final.parent.mkdir(exist_ok=True)
        sidecar.parent.mkdir(exist_ok=True)
        try:
            place(tmp, final, replace=False)
        except FileExistsError:
            check_same_content(name, self.checksum(name), sha256, "already stored")
            return False
        self._write_sidecar(sidecar, sha256)
        if held is not None:
            self.release(name)
        return True

    def _write_sidecar(self, sidecar: Path, sha256: str) -> None:
        self._write_small(sidecar, sha256 + "\n")

    def _write_small(self, target: Path, text: str) -> None:
        """Write a small text file atomically (temp in the store, fsync, rename)."""
        target.parent.mkdir(exist_ok=True)
        fd, tmp = self.temp_file()
        try:
            with os.fdopen(fd, "w", encoding="ascii") as stream:
                stream.write(text)
                stream.flush()
                sync_and_place(stream.fileno(), tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def repair_checksum(self, name: str, sha256: str) -> None:
        """Replace the recorded checksum of ``name`` (scrub found the sidecar bad, not the file)."""
        self._existing(name)
        self._write_sidecar(self._sidecar(name), sha256)

    def _existing(self, name: str) -> Path:
        path = self.path(name)
        if not path.is_file():
            raise NotFound(f"{name}: no such file in the store at {self.root}")
        return path

    def exists(self, name: str) -> bool:
        """Whether ``name`` is stored."""
        return self.path(name).is_file()

    def checksum(self, name: str) -> str:
        """The recorded sha256 of ``name`` (recorded anew if a crash lost the sidecar).

        An empty or malformed record raises :class:`DamagedChecksumRecord`: the content can
        no longer be vouched for, so it is checked (scrub) rather than served.
        """
        path = self._existing(name)
        sidecar = self._sidecar(name)
        try:
            text = sidecar.read_text(encoding="ascii", errors="replace").strip()
        except FileNotFoundError:
            digest = sha256_of(path)
            self._write_sidecar(sidecar, digest)
            return digest
        if not _HEX64.fullmatch(text):
            raise DamagedChecksumRecord(f"{name}: checksum record {sidecar} is damaged: "
                                        f"expected 64 hex digits, found {text[:80]!r}")
        return text

    def get(self, name: str, dst: Path) -> Path:
        """Copy ``name`` to ``dst`` atomically, verifying its checksum; return ``dst``."""
        dst = Path(dst)
        expected = self.checksum(name)
        with open(self._existing(name), "rb") as source, atomic_write(dst) as target:
            digest = hashlib.sha256()
            while chunk := source.read(CHUNK_SIZE):
                digest.update(chunk)
                target.write(chunk)
            verify_digest(digest.hexdigest(), expected, f"{name} in {self.root}")
        return dst

    def open(self, name: str) -> BinaryIO:
        """Open ``name`` for reading; reading to the end verifies the checksum."""
        expected = self.checksum(name)
        return VerifyingReader(open(self._existing(name), "rb"), expected,
                               f"{name} in {self.root}")

    def read_range(self, name: str, offset: int, size: int) -> bytes:
        """Return up to ``size`` bytes of ``name`` starting at ``offset``."""
        if offset < 0 or size < 0:
            raise StoreRequestError(f"{name}: byte range needs offset >= 0 and size >= 0, "
                             f"found offset={offset} size={size}")
        with open(self._existing(name), "rb") as stream:
            stream.seek(offset)
            return stream.read(size)

    def delete(self, name: str) -> None:
        """Remove ``name`` and its checksum."""
        path = self._existing(name)
        path.unlink()
        self._sidecar(name).unlink(missing_ok=True)

    def names(self) -> Iterator[str]:
        """Every stored name, in no particular order (for scrub and garbage collection)."""
        for shard in sorted((self.root / "files").iterdir()):
            for path in shard.iterdir():
                yield path.name

    def entries(self) -> Iterator[StoredFile]:
        """Every stored file with its size and the time it was stored."""
        for shard in sorted((self.root / "files").iterdir()):
            with os.scandir(shard) as scan:
                for entry in scan:
                    try:
                        info = entry.stat()
                    except FileNotFoundError:
                        continue
                    yield StoredFile(entry.name, info.st_size, info.st_mtime)

    def used_bytes(self) -> int:
        """Total size of the stored files."""
        return sum(entry.size for entry in self.entries())

    def free_bytes(self) -> int:
        """Free space on the store's file system."""
        return shutil.disk_usage(self.root).free

    # -- quarantine and tombstones (data-server bookkeeping) ------------------------------------

    def quarantine(self, name: str, sha256: str | None, reason: str) -> Path:
        """Move the file ``name`` out of service into ``quarantine/``; return its new path.

        The record of why stays under ``quarantined/``: until a copy with ``sha256`` heals
        the name or an operator releases it, other content under ``name`` is refused and a
        read is answered with :class:`CorruptFile`, not "no such file".
        """
        path = self._existing(name)
        record = Quarantine(name, time.time(), sha256, reason)
        self._write_small(self._quarantine_path(name), json.dumps(record.to_json()) + "\n")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        target = self.root / "quarantine" / f"{name}.{stamp}"
        place(path, target)
        fsync_directory(path.parent)
        return target

    def quarantined(self, name: str) -> Quarantine | None:
        """The quarantine record of ``name``, or None if it is not held."""
        try:
            text = self._quarantine_path(check_name(name)).read_text(encoding="ascii")
        except FileNotFoundError:
            return None
        return Quarantine.from_json(json.loads(text))

    def release(self, name: str) -> Quarantine:
        """End the quarantine of ``name`` (healed, or an operator frees the name); the record."""
        record = self.quarantined(name)
        if record is None:
            raise NotFound(f"{name}: not quarantined in the store at {self.root}")
        self._quarantine_path(name).unlink(missing_ok=True)
        fsync_directory(self._quarantine_path(name).parent)
        return record

    def bury(self, name: str, sha256: str | None) -> Tombstone:
        """Record that ``name`` was deleted (its content had ``sha256``, if known)."""
        tombstone = Tombstone(check_name(name), time.time(), sha256)
        self._write_small(self._tombstone_path(name), json.dumps(tombstone.to_json()) + "\n")
        return tombstone

    def tombstone(self, name: str) -> Tombstone | None:
        """The tombstone of ``name``, or None if it was never deleted here."""
        try:
            text = self._tombstone_path(check_name(name)).read_text(encoding="ascii")
        except FileNotFoundError:
            return None
        return Tombstone.from_json(json.loads(text))

    def unbury(self, name: str) -> None:
        """Forget that ``name`` was deleted (it has been stored again)."""
        self._tombstone_path(check_name(name)).unlink(missing_ok=True)

    def tombstones(self) -> Iterator[Tombstone]:
        """Every tombstone of this store."""
        for shard in sorted((self.root / "tombstones").iterdir()):
            for path in shard.iterdir():
                try:
                    text = path.read_text(encoding="ascii")
                except FileNotFoundError:
                    continue
                yield Tombstone.from_json(json.loads(text))
