"""Choose the configured store, so callers never decide between local and HTTP themselves."""

from __future__ import annotations

from common.config import Config, Progress, read_token
from dataserver.client import HttpStore
from dataserver.store import DataStore, LocalStore

__all__ = ["open_store"]


def open_store(config: Config, *, progress: Progress | None = None) -> DataStore:
    """Return the store ``config`` names: the data servers if any, else the local store.

    The data servers are reached with the user's token from ``store_token_file`` when that
    file exists (without it only servers running with ``--public-read`` can be read);
    ``progress`` is told about their large transfers.
    """
    if config.dataservers:
        token = None
        if config.store_token_file.exists():
            token = read_token(config.store_token_file, what="data-server token")
        return HttpStore(config.dataservers, token=token, progress=progress)
    return LocalStore(config.store_root)
