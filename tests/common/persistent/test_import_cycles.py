"""``common.persistent`` has no import circle (``check_cycles.py`` sees imports in functions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
CHECK_CYCLES = REPO_ROOT.parent / "shared" / "tools" / "check_cycles.py"


def test_common_persistent_has_no_import_circle():
    if not CHECK_CYCLES.is_file():
        pytest.skip(f"the cycle checker is not at {CHECK_CYCLES} (the shared tools sit beside "
                    "the repository)")
    result = subprocess.run([sys.executable, str(CHECK_CYCLES), ".", "common/persistent"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0 and "0 circles" in result.stdout, \
        result.stdout + result.stderr
