"""Fixtures of the target-processing tests: a fresh database per test with a small night in it.

``night_db(files)`` connects a new database of the backend (a new SQLite file, or a new
PostgreSQL database dropped afterwards), opens a session on it with a fresh local store, and
ingests ``files`` (raw frames and static calibrations) with the real ingest.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import psycopg
import pytest

from common.config import Context
from common.database import connect
from common.persistent import session
from dataserver.store import LocalStore
from muse.datamodel.ingest import ingest_file

CONTEXT = Context(user="tester", project="test", privileges=1, site=0)


@pytest.fixture
def night_db(database_url: str, tmp_path: Path) -> Iterator[Callable[[Sequence[Path]], object]]:
    """``night_db(files)``: a session on a fresh database and store holding ``files``."""
    opened: list = []
    dropped: list[str] = []

    def make(files: Sequence[Path]) -> object:
        if database_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / 'target.sqlite'}"
        else:
            name = f"{database_url.rsplit('/', 1)[1]}_t{secrets.token_hex(3)}"
            admin_url = database_url.rsplit("/", 1)[0].replace("+psycopg", "") + "/postgres"
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            dropped.append((admin_url, name))
            url = f"{database_url.rsplit('/', 1)[0]}/{name}"
        database = connect(url, site=0)
        context = session(database, CONTEXT, store=LocalStore(tmp_path / "store"))
        current = context.__enter__()
        opened.append((database, context))
        for path in files:
            result = ingest_file(path, commit_it=True)
            assert result.status == "ingested", result.message
        return current

    yield make
    for database, context in opened:
        context.__exit__(None, None, None)
        database.dispose()
    for admin_url, name in dropped:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
