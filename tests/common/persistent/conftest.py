"""Fixtures of the persistence tests: one connected Database per backend, a fresh session per
test, a unique tag to isolate a test's objects, and ``assert_query_count``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from common.config import Context
from common.database import Database, StatementLog, connect, count_statements
from common.persistent import session as persistent_session
from common.persistent.session import Session


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    """The test database of the backend, connected (and initialised) once."""
    connected = connect(database_url, site=0)
    yield connected
    connected.dispose()


@pytest.fixture
def backend(database: Database) -> str:
    """The dialect name of the current backend."""
    return database.dialect


@pytest.fixture(scope="session")
def tester() -> Context:
    """The acting context of the tests."""
    return Context(user="tester", project="test", privileges=1, site=0)


@pytest.fixture
def db_session(database: Database, tester: Context, local_store) -> Iterator[Session]:
    """A fresh session (empty identity map) on the test database, with a local store."""
    with persistent_session(database, tester, store=local_store) as opened:
        yield opened


@pytest.fixture
def tag() -> str:
    """A value unique to this test, to select only the objects it made."""
    return uuid.uuid4().hex[:12]


@pytest.fixture
def assert_query_count(database: Database) -> Callable[[int], AbstractContextManager]:
    """``with assert_query_count(n): …`` fails unless exactly n statements ran."""

    @contextmanager
    def check(expected: int) -> Iterator[StatementLog]:
        with count_statements(database) as log:
            yield log
        assert len(log) == expected, (f"expected {expected} statements, ran {len(log)}:\n"
                                      + "\n---\n".join(log.statements))

    return check
