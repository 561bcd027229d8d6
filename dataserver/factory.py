"""Choose the configured store, so callers never decide between local and HTTP themselves."""

from __future__ import annotations

from common.config import Config
from common.errors import ConfigError
from dataserver.store import DataStore, LocalStore

__all__ = ["open_store"]


def open_store(config: Config) -> DataStore:
    """Return the store ``config`` names: the data servers if any, else the local store."""
    if config.dataservers:
        source = config.sources.get("dataservers", "default")
        raise ConfigError(
            f"dataservers ({source}): the HTTP data-server client is not part of this release; "
            "unset it to use the local store at store_root"
        )
    return LocalStore(config.store_root)
