"""Fixtures of the target-processing tests: a fresh database per test with a small night in it.

``night_db(files)`` connects a new database of the backend (a new SQLite file, or a new
PostgreSQL database dropped afterwards), opens a session on it with a fresh local store, and
ingests ``files`` (raw frames and static calibrations) with the real ingest.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from common.config import Context
from common.database import connect
from common.persistent import session
from dataserver.store import LocalStore
from muse.datamodel.ingest import ingest_file
from tests.conftest import new_postgres_database

CONTEXT = Context(user="tester", project="test", privileges=1, site=0)


@pytest.fixture
def night_db(database_url: str, tmp_path: Path) -> Iterator[Callable[[Sequence[Path]], object]]:
    """``night_db(files)``: a session on a fresh database and store holding ``files``."""
    with contextlib.ExitStack() as cleanup:

        def make(files: Sequence[Path]) -> object:
            if database_url.startswith("sqlite"):
                url = f"sqlite:///{tmp_path / 'target.sqlite'}"
            else:
                url = cleanup.enter_context(new_postgres_database(
                    f"{database_url.rsplit('/', 1)[1]}_t{secrets.token_hex(3)}"))
            database = connect(url, site=0)
            cleanup.callback(database.dispose)
            current = cleanup.enter_context(
                session(database, CONTEXT, store=LocalStore(tmp_path / "store")))
            for path in files:
                result = ingest_file(path, commit_it=True)
                assert result.status == "ingested", result.message
            return current

        yield make
