"""Progress of long command-line work: a bar on a terminal, plain lines in a log.

Every layer reports through one callback type, :class:`common.config.Progress`, called as
``progress(done, total, what)``: recipes and the simulator count steps (IFUs, extensions), the
data-server client and scrub count bytes or files. :class:`StepProgress` is the callback the
``awe`` commands give them.
"""

from __future__ import annotations

import time
from typing import TextIO

__all__ = ["BYTES", "StepProgress"]

BAR_WIDTH = 30
BYTES = "bytes"
"""The unit that is shown in MiB with a rate (transfers)."""
REDRAW_INTERVAL = 0.1
MIN_RATE_TIME = 0.05


class StepProgress:
    """Show ``done`` of ``total`` ``unit`` of ``label`` (a :class:`common.config.Progress`).

    On a terminal a one-line bar is redrawn at every step (bytes: at most ten times a second,
    and at the end).
    Elsewhere (a log, a pipe) a line ``label: done/total unit (what)`` is written each time
    another tenth of the work is done, so a job log gets at most about ten lines whatever the
    step count. With ``unit`` :data:`BYTES` the amounts are shown in MiB with a rate.

    One callback may serve several tasks in turn (the prompt's store reports every transfer
    to one): a call after a finished task, or one whose ``done`` went back, starts a new one.
    """

    def __init__(self, stream: TextIO, label: str, unit: str) -> None:
        self.stream = stream
        self.label = label
        self.unit = unit
        self.terminal = stream.isatty()
        self.started = time.monotonic()
        self.reported = -1
        self._drawn = 0.0
        self._done = 0
        self._finished = False

    def _amount(self, done: int, total: int, elapsed: float) -> str:
        if self.unit != BYTES:
            return f"{done}/{total} {self.unit}"
        amount = f"{done / 2**20:.1f}/{total / 2**20:.1f} MiB"
        if elapsed < MIN_RATE_TIME:  # too early for a meaningful rate
            return amount
        return f"{amount} {done / elapsed / 2**20:.0f} MiB/s"

    def __call__(self, done: int, total: int, what: str) -> None:
        """Report that ``done`` of ``total`` units are finished, the last being ``what``."""
        now = time.monotonic()
        if self._finished and done == self._done:
            return  # the end of the task reported again
        if self._finished or done < self._done:  # the next task
            self.started, self.reported, self._drawn = now, -1, 0.0
        self._done = done
        elapsed = now - self.started
        finished = self._finished = done >= total
        if self.terminal:
            if self.unit == BYTES and not finished and now - self._drawn < REDRAW_INTERVAL:
                return
            self._drawn = now
            filled = BAR_WIDTH * done // max(total, 1)
            self.stream.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                              f"{self._amount(done, total, elapsed)} {elapsed:6.1f} s "
                              f"{what[:40]:40}")
            if finished:
                self.stream.write("\n")
        elif 10 * done // max(total, 1) > self.reported:
            self.reported = 10 * done // max(total, 1)
            self.stream.write(f"{self.label}: {self._amount(done, total, elapsed)} ({what}, "
                              f"{elapsed:.1f} s)\n")
        self.stream.flush()
