"""``python -m awe`` is the ``awe`` command (used where the entry-point script is not on PATH)."""

import sys

from awe.cli import main

sys.exit(main())
