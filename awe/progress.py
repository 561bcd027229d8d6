"""Progress of long command-line work: a bar on a terminal, plain lines in a log.

Recipes and the simulator report through a callback ``progress(done, total, what)``; this is
the callback the ``awe`` commands give them.
"""

from __future__ import annotations

import time
from typing import TextIO

__all__ = ["StepProgress"]

BAR_WIDTH = 30


class StepProgress:
    """Show ``done`` of ``total`` steps of ``label``.

    On a terminal a one-line bar is redrawn at every step. Elsewhere (a log, a pipe) a line
    ``label: done/total unit (what)`` is written each time another tenth of the work is done,
    so a job log gets at most about ten lines whatever the step count.
    """

    def __init__(self, stream: TextIO, label: str, unit: str) -> None:
        self.stream = stream
        self.label = label
        self.unit = unit
        self.terminal = stream.isatty()
        self.started = time.monotonic()
        self.reported = -1

    def __call__(self, done: int, total: int, what: str) -> None:
        """Report that ``done`` of ``total`` steps are finished, the last being ``what``."""
        elapsed = time.monotonic() - self.started
        if self.terminal:
            filled = BAR_WIDTH * done // total
            self.stream.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} "
                              f"{self.unit} {elapsed:6.1f} s {what[:40]:40}")
            if done == total:
                self.stream.write("\n")
        elif 10 * done // total > self.reported:
            self.reported = 10 * done // total
            self.stream.write(f"{self.label}: {done}/{total} {self.unit} ({what}, "
                              f"{elapsed:.1f} s)\n")
        self.stream.flush()
