"""A recipe run's scratch directory inside the output directory; dead runs' ones are removed.

Each run keeps its temporary files in ``OUT/.awe-run-<pid>-<random>/`` and holds an
exclusive ``flock`` on the ``lock`` file in it for as long as it lives. The kernel drops that
lock when the process ends, however it ends (``SIGKILL`` too), so the next run in the same
directory can tell a dead run's directory from a live one: it takes the lock, and if it
gets it, removes the directory. Being in the output directory keeps every temporary file on
the products' file system, so putting a product in place is a rename.

A directory that cannot be used raises :class:`RecipeError` naming it and the system's reason.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import shutil
import time
from pathlib import Path

from common.errors import RecipeError

__all__ = ["RUN_PREFIX", "RunDirectory", "is_output_failure", "output_error", "remove_dead_runs"]

RUN_PREFIX = ".awe-run-"
_LOCK = "lock"
# a run directory without its lock file is younger than this while its run starts
_UNLOCKED_GRACE_SECONDS = 60.0
# astropy checks the free space itself and raises an OSError without errno saying this
_ASTROPY_NO_SPACE = "Not enough space on disk"
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                  errno.EFBIG, errno.ENOTDIR}


def output_error(directory: Path, exc: OSError) -> RecipeError:
    """The one-line error for an output directory the system refused: its path and reason."""
    reason = exc.strerror or str(exc)
    if exc.errno is None and str(exc).startswith(_ASTROPY_NO_SPACE):
        reason = os.strerror(errno.ENOSPC)
    return RecipeError(f"{directory}: cannot write the products there: {reason}")


def is_output_failure(directory: Path, exc: OSError) -> bool:
    """Whether ``exc`` came from writing into ``directory`` (a full or read-only disk...)."""
    if exc.filename is not None:
        return Path(os.fsdecode(exc.filename)).is_relative_to(directory)
    if exc.errno is None:
        return str(exc).startswith(_ASTROPY_NO_SPACE)
    return exc.errno in _OUTPUT_ERRNOS


def _lock(path: Path, *, wait: bool) -> int | None:
    """An open descriptor holding an exclusive lock on ``path``, or None if another holds it."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor


def remove_dead_runs(directory: Path) -> list[Path]:
    """Remove the scratch directories of runs in ``directory`` that have ended; return them."""
    removed = []
    for run in sorted(directory.glob(f"{RUN_PREFIX}*")):
        lock = run / _LOCK
        try:
            if not lock.exists():
                if time.time() - run.stat().st_mtime < _UNLOCKED_GRACE_SECONDS:
                    continue
                descriptor = None
            else:
                descriptor = _lock(lock, wait=False)
                if descriptor is None:
                    continue  # a live run
        except FileNotFoundError:
            continue  # its own run finished meanwhile
        try:
            shutil.rmtree(run, ignore_errors=True)
            removed.append(run)
        finally:
            if descriptor is not None:
                os.close(descriptor)
    return removed


class RunDirectory:
    """A run's scratch directory in ``directory`` (created with it), locked while open.

    Creating it first removes the directories of dead runs; :meth:`close` removes it.
    """

    def __init__(self, directory: Path) -> None:
        self.parent = Path(directory)
        if self.parent.exists() and not self.parent.is_dir():
            raise RecipeError(f"{self.parent}: cannot write the products there: not a "
                              "directory")
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
            remove_dead_runs(self.parent)
            self.path = self.parent / f"{RUN_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
            self.path.mkdir()
            self._descriptor = _lock(self.path / _LOCK, wait=True)
        except OSError as exc:
            raise output_error(self.parent, exc) from None

    def file(self, name: str) -> Path:
        """The path of a scratch file ``name`` of this run."""
        return self.path / name

    def close(self) -> None:
        """Remove the directory and everything left in it, then let go of the lock."""
        shutil.rmtree(self.path, ignore_errors=True)
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
