"""Two releases of a small data model, for the process tests of schema evolution.

The release is the environment variable ``EVOLVING_MODEL_RELEASE`` (``1`` or ``2``); release 2
adds the attribute ``EvoRun.gain`` (default 1.5) and the class ``EvoNote``. Only client
processes import this module (the test process never declares these classes).
"""

from __future__ import annotations

import os

from common.persistent import DBObject, persistent

RELEASE = int(os.environ["EVOLVING_MODEL_RELEASE"])


class EvoRun(DBObject):
    """A run of the evolving model."""

    label = persistent("what the run is", str, length=40)
    count = persistent("how many frames", int, 0)
    if RELEASE >= 2:
        gain = persistent("gain in e-/ADU", float, 1.5)


if RELEASE >= 2:

    class EvoNote(DBObject):
        """A note about a run (release 2)."""

        text = persistent("the note", str, length=200)
        run = persistent("the run it is about", EvoRun)
