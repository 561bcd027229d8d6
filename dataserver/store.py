"""The file-store protocol and the local store that every data server and test builds on.

A store maps names to immutable files. Each file has a sha256 recorded when it is stored and
checked when it is read back. Writes are atomic: a temporary file in the store, fsync, then a
no-overwrite link into place, so a crash leaves either no file or the whole file.

On disk a :class:`LocalStore` keeps ``files/<aa>/NAME`` with its checksum in
``sha256/<aa>/NAME`` (``aa`` = the first byte of sha256(NAME) in hex, spreading files over 256
directories) and unfinished uploads in ``tmp/``, each held under an exclusive ``flock`` by its
writer so that :meth:`LocalStore.clean_temp` can tell an orphan (writer killed) from a live
upload. A data server also keeps ``tombstones/<aa>/NAME`` (JSON: when a name was deleted and
its sha256, so peers never resurrect it) and ``quarantine/`` (files whose content no longer
matches their checksum). This module imports no web framework.
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

from common.errors import IntegrityError, NotFound, StoreError, StoreRequestError

__all__ = [
    "CHUNK_SIZE",
    "NAME_RULE",
    "DataStore",
    "LocalStore",
    "StoredFile",
    "Tombstone",
    "VerifyingReader",
    "check_name",
    "hash_all",
    "sha256_of",
    "start_writeback",
    "write_all",
]

NAME_RULE = r"[A-Za-z0-9][A-Za-z0-9._:-]{0,254}"
_NAME = re.compile(NAME_RULE)
CHUNK_SIZE = 1 << 20


def check_name(name: object) -> str:
    """Return ``name`` if it is a valid store name, else raise :class:`StoreRequestError`."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise StoreRequestError(
            f"bad file name {name!r}: expected {NAME_RULE} (a letter or digit, then letters, "
            "digits, '.', '_', ':' or '-', at most 255 characters)"
        )
    return name


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
            found = self._digest.hexdigest()
            if found != self._expected:
                raise IntegrityError(
                    f"{self._label}: content has sha256 {found}, expected {self._expected}"
                )
        return data

    read1 = read

    def readable(self) -> bool:
        """Always True: this is a read-only stream."""
        return True

    def close(self) -> None:
        """Close the underlying stream."""
        self._stream.close()
        super().close()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalStore:
    """A :class:`DataStore` on a local (or mounted) directory."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser()
        try:
            for sub in ("files", "sha256", "tmp", "tombstones", "quarantine"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"store root {self.root}: cannot be created ({exc})") from exc

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

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
        :class:`IntegrityError`; a racing put of the same content succeeds.
        """
        self.link_temp(tmp, name, sha256)
        return sha256

    def link_temp(self, tmp: Path, name: str, sha256: str) -> bool:
        """As :meth:`commit_temp`; return True if ``name`` is new, False if already there."""
        check_name(name)
        final, sidecar = self.path(name), self._sidecar(name)
        final.parent.mkdir(exist_ok=True)
        sidecar.parent.mkdir(exist_ok=True)
        try:
            os.link(tmp, final)
        except FileExistsError:
            existing = self.checksum(name)
            if existing != sha256:
                raise IntegrityError(
                    f"{name}: already stored with sha256 {existing}; refusing other content "
                    f"(sha256 {sha256}). Stored files are immutable: use a new name."
                ) from None
            return False
        self._write_sidecar(sidecar, sha256)
        _fsync_dir(final.parent)
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
                os.fsync(stream.fileno())
                os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(target.parent)

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
        """The recorded sha256 of ``name`` (recorded anew if a crash lost the sidecar)."""
        path = self._existing(name)
        sidecar = self._sidecar(name)
        try:
            return sidecar.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            digest = sha256_of(path)
            self._write_sidecar(sidecar, digest)
            return digest

    def get(self, name: str, dst: Path) -> Path:
        """Copy ``name`` to ``dst`` atomically, verifying its checksum; return ``dst``."""
        dst = Path(dst)
        expected = self.checksum(name)
        fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.")
        try:
            digest = hashlib.sha256()
            with open(self._existing(name), "rb") as source, os.fdopen(fd, "wb") as target:
                while chunk := source.read(CHUNK_SIZE):
                    digest.update(chunk)
                    target.write(chunk)
            if digest.hexdigest() != expected:
                raise IntegrityError(f"{name} in {self.root}: content has sha256 "
                                     f"{digest.hexdigest()}, expected {expected} (corrupted)")
            os.replace(tmp, dst)
        finally:
            Path(tmp).unlink(missing_ok=True)
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

    def quarantine(self, name: str) -> Path:
        """Move the file ``name`` out of service into ``quarantine/``; return its new path.

        Its recorded checksum stays, so a copy fetched from a peer can be verified against it.
        """
        path = self._existing(name)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        target = self.root / "quarantine" / f"{name}.{stamp}"
        os.replace(path, target)
        _fsync_dir(path.parent)
        return target

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
