"""The file-store protocol and the local store that every data server and test builds on.

A store maps names to immutable files. Each file has a sha256 recorded when it is stored and
checked when it is read back. Writes are atomic: a temporary file in the store, fsync, then a
no-overwrite link into place, so a crash leaves either no file or the whole file.

On disk a :class:`LocalStore` keeps ``files/<aa>/NAME`` with its checksum in
``sha256/<aa>/NAME`` (``aa`` = the first byte of sha256(NAME) in hex, spreading files over 256
directories) and unfinished uploads in ``tmp/``. This module imports no web framework.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from common.errors import IntegrityError, NotFound, StoreError

__all__ = ["CHUNK_SIZE", "NAME_RULE", "DataStore", "LocalStore", "check_name", "sha256_of"]

NAME_RULE = r"[A-Za-z0-9][A-Za-z0-9._:-]{0,254}"
_NAME = re.compile(NAME_RULE)
CHUNK_SIZE = 1 << 20


def check_name(name: object) -> str:
    """Return ``name`` if it is a valid store name, else raise :class:`StoreError`."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise StoreError(
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


class _VerifyingReader(io.BufferedIOBase):
    """A read-only stream that hashes what it returns and checks the digest at end of file."""

    def __init__(self, stream: BinaryIO, expected: str, label: str) -> None:
        super().__init__()
        self._stream = stream
        self._expected = expected
        self._label = label
        self._digest = hashlib.sha256()
        self._verified = False

    def read(self, size: int | None = -1) -> bytes:
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
        return True

    def close(self) -> None:
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
            for sub in ("files", "sha256", "tmp"):
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

    def temp_file(self) -> tuple[int, Path]:
        """Create an open temporary file inside the store (same file system as the data)."""
        fd, tmp = tempfile.mkstemp(dir=self.root / "tmp", prefix="upload-")
        return fd, Path(tmp)

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
            return sha256
        self._write_sidecar(sidecar, sha256)
        _fsync_dir(final.parent)
        return sha256

    def _write_sidecar(self, sidecar: Path, sha256: str) -> None:
        fd, tmp = self.temp_file()
        with os.fdopen(fd, "w", encoding="ascii") as stream:
            stream.write(sha256 + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, sidecar)
        _fsync_dir(sidecar.parent)

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
        return _VerifyingReader(open(self._existing(name), "rb"), expected,
                                f"{name} in {self.root}")

    def read_range(self, name: str, offset: int, size: int) -> bytes:
        """Return up to ``size`` bytes of ``name`` starting at ``offset``."""
        if offset < 0 or size < 0:
            raise StoreError(f"{name}: byte range needs offset >= 0 and size >= 0, "
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

    def free_bytes(self) -> int:
        """Free space on the store's file system."""
        return shutil.disk_usage(self.root).free
