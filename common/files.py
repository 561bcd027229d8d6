"""Atomic file writes, the one implementation every layer uses.

A file is written to a temporary file on the same file system, flushed and fsynced, then
moved into place and its directory fsynced: after a crash a reader finds either no file (or
the previous one) or the whole new file, never a part. Moving into place either replaces an
existing file (``os.replace``) or refuses to (a hard link, which fails if the target exists:
an atomic create-if-absent, as immutable stores need).

Imports nothing of ours but :mod:`common.errors` (DESIGN §2).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "fsync_directory", "hidden_temporary", "place", "sync_and_place",
           "write_bytes_atomically"]


def fsync_directory(directory: Path) -> None:
    """Flush a directory's entries (a file linked or renamed into it) to disk."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def hidden_temporary(target: Path) -> Path:
    """A hidden temporary path beside ``target`` (same directory, so same file system)."""
    target = Path(target)
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def place(temporary: Path, target: Path, *, replace: bool = True, sync: bool = True) -> None:
    """Move the complete, fsynced file ``temporary`` to ``target``; fsync the directory.

    ``replace`` True renames over an existing ``target``. ``replace`` False links without
    overwriting and raises :class:`FileExistsError` when ``target`` exists; the temporary
    file then stays where it is (its owner removes it). ``sync`` False leaves the directory
    fsync to the caller (several files placed in one directory are synced once).
    """
    temporary, target = Path(temporary), Path(target)
    if replace:
        os.replace(temporary, target)
    else:
        os.link(temporary, target)
        temporary.unlink(missing_ok=True)
    if sync:
        fsync_directory(target.parent)


def sync_and_place(descriptor: int, temporary: Path, target: Path, *,
                   replace: bool = True) -> None:
    """Fsync the open temporary file ``descriptor`` (of ``temporary``), then :func:`place` it."""
    os.fsync(descriptor)
    place(temporary, target, replace=replace)


@contextmanager
def atomic_write(target: Path, *, replace: bool = True,
                 temporary: Path | None = None) -> Iterator[BinaryIO]:
    """Open a temporary file for writing; on a clean exit make it ``target`` atomically.

    Leaving by an exception removes the temporary file and leaves ``target`` as it was.
    ``temporary`` chooses the temporary path (default :func:`hidden_temporary`).
    With ``replace`` False an existing ``target`` raises :class:`FileExistsError`.
    """
    target = Path(target)
    temporary = Path(temporary) if temporary is not None else hidden_temporary(target)
    try:
        with open(temporary, "xb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        place(temporary, target, replace=replace)
    finally:
        temporary.unlink(missing_ok=True)


def write_bytes_atomically(target: Path, write: Callable[[BinaryIO], object] | bytes, *,
                           replace: bool = True) -> Path:
    """Write ``target`` atomically from ``bytes`` or a ``write(stream)`` callback; return it."""
    with atomic_write(target, replace=replace) as stream:
        if isinstance(write, bytes | bytearray | memoryview):
            stream.write(write)
        else:
            write(stream)
    return Path(target)
