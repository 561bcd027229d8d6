"""The one progress callback type every layer accepts: ``progress(done, total, what)``.

Long work (a recipe over 24 IFUs, a simulated night, a 1 GB transfer, a scrub) calls it with
how much of ``total`` is ``done`` (steps or bytes, as the caller documents) and what it is
doing. It never decides how progress is shown: ``awe`` renders it as a bar on a terminal and a
few lines in a log (:mod:`awe.progress`). Imports nothing of ours (DESIGN §2: every layer may
import it).
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Progress"]


class Progress(Protocol):
    """Called as ``progress(done, total, what)``; ``done`` grows to ``total``."""

    def __call__(self, done: int, total: int, what: str) -> None:
        """Report that ``done`` of ``total`` units are finished, the last being ``what``."""
        ...
