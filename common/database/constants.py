"""Values and the clock every module of this layer shares; it imports nothing of the layer.

- An object id is ``site_id << SITE_SHIFT | n``; site 0 (:data:`LOCAL_SITE`) is the private
  default, registered when a database is initialised.
- :func:`utcnow` is the one clock of the system: naive UTC, as every backend stores datetimes.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["LOCAL_SITE", "MAX_SERIAL", "SITE_SHIFT", "site_of", "utcnow"]

SITE_SHIFT = 48
MAX_SERIAL = (1 << SITE_SHIFT) - 1
LOCAL_SITE = (0, "local")


def site_of(object_id: int) -> int:
    """The site that created ``object_id``."""
    return object_id >> SITE_SHIFT


def utcnow() -> dt.datetime:
    """Now, as the naive UTC datetime the database stores."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
