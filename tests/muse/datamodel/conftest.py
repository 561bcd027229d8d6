"""Fixtures of the data-model tests: a session per backend and raw files put into the store.

``ingest_raw(path)`` ingests one file with :func:`muse.datamodel.ingest.ingest_file`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from common.config import Context
from common.database import Database, connect, count_statements
from common.persistent import session as persistent_session
from muse.datamodel.ingest import ingest_file


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    """The test database of the backend, connected (and initialised) once."""
    connected = connect(database_url, site=0)
    yield connected
    connected.dispose()


@pytest.fixture
def db_session(database: Database, local_store):
    """A fresh session on the test database with a local store."""
    context = Context(user="tester", project="test", privileges=1, site=0)
    with persistent_session(database, context, store=local_store) as opened:
        yield opened


@pytest.fixture
def assert_query_count(database: Database):
    """``with assert_query_count(n): …`` fails unless exactly n statements ran."""

    @contextmanager
    def check(expected: int):
        with count_statements(database) as log:
            yield log
        assert len(log) == expected, (f"expected {expected} statements, ran {len(log)}:\n"
                                      + "\n---\n".join(log.statements))

    return check


@pytest.fixture
def ingest_raw() -> Callable[..., object]:
    """``ingest_raw(path)``: ingest and commit one file (the real ingest), return its object."""

    def ingest(path: Path) -> object:
        result = ingest_file(path, commit_it=True)
        assert result.status == "ingested", result.message
        return result.obj

    return ingest
