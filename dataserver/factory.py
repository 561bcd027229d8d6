"""Choose the configured store, so callers never decide between local and HTTP themselves."""

from __future__ import annotations

from common.config import Config, Progress, read_token
from dataserver.client import HttpStore
from dataserver.store import DataStore, LocalStore

__all__ = ["open_store", "open_store_config"]


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


def open_store_config(config: dict[str, object]) -> DataStore:
    """Reopen the store a store's ``config()`` described (in a worker process)."""
    kind = config.get("kind")
    if kind == "local":
        return LocalStore(str(config["root"]))
    if kind == "http":
        urls = config.get("urls")
        if not isinstance(urls, list) or not urls:
            raise ValueError(f"store config: urls expected a list of data-server URLs, found "
                             f"{urls!r}")
        token = config.get("token")
        return HttpStore([str(url) for url in urls], token=None if token is None else str(token))
    raise ValueError(f"store config: kind expected 'local' or 'http', found {kind!r}")
