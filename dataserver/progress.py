"""Progress of long transfers: a bar on a terminal, a line every so often in a log."""

from __future__ import annotations

import logging
import sys
import time
from types import TracebackType
from typing import TextIO

__all__ = ["LARGE_TRANSFER", "Progress"]

log = logging.getLogger(__name__)

LARGE_TRANSFER = 64 << 20
BAR_INTERVAL = 0.1
LOG_INTERVAL = 10.0
BAR_WIDTH = 30


class Progress:
    """Report ``done`` of ``total`` bytes for ``label``.

    ``show`` None reports transfers of :data:`LARGE_TRANSFER` bytes and more; True or False
    decide for every size. On a terminal (``stream.isatty()``) a one-line bar is redrawn at
    most ten times a second; elsewhere a log line is written every :data:`LOG_INTERVAL` s.
    """

    def __init__(self, label: str, total: int, *, show: bool | None = None,
                 stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.active = total >= LARGE_TRANSFER if show is None else show
        self.tty = self.active and self.stream.isatty()
        self.started = time.monotonic()
        self._last = self.started
        self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close(failed=kind is not None)

    def _rate(self) -> float:
        return self.done / max(time.monotonic() - self.started, 1e-6)

    def advance(self, count: int) -> None:
        """Count ``count`` more bytes done."""
        self.done += count
        if not self.active:
            return
        now = time.monotonic()
        if self.tty and now - self._last >= BAR_INTERVAL:
            self._last = now
            self._draw()
        elif not self.tty and now - self._last >= LOG_INTERVAL:
            self._last = now
            log.info("%s: %.0f%% of %.1f MiB at %.0f MiB/s", self.label,
                     100 * self.done / max(self.total, 1), self.total / 2**20,
                     self._rate() / 2**20)

    def _draw(self) -> None:
        fraction = min(self.done / max(self.total, 1), 1.0)
        filled = int(fraction * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stream.write(f"\r{self.label[:40]:40} [{bar}] {100 * fraction:5.1f}% "
                          f"{self.done / 2**20:8.1f}/{self.total / 2**20:.1f} MiB "
                          f"{self._rate() / 2**20:7.1f} MiB/s")
        self.stream.flush()
        self._drawn = True

    def close(self, *, failed: bool = False) -> None:
        """Finish the bar (or the log) with the final figures."""
        if not self.active:
            return
        if self.tty:
            self._draw()
            self.stream.write(" failed\n" if failed else "\n")
            self.stream.flush()
        elif not failed:
            log.info("%s: %.1f MiB in %.1f s", self.label, self.done / 2**20,
                     time.monotonic() - self.started)
