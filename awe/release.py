"""The installed release of MUSE-WISE, for ``awe --version`` and the prompt's banner."""

from __future__ import annotations

import importlib.metadata

__all__ = ["DISTRIBUTION", "version"]

DISTRIBUTION = "muse-wise"


def version() -> str:
    """The installed release of MUSE-WISE ("unknown" when it is not installed)."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
