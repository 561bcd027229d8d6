"""Fixtures of the schema-evolution tests: a fresh database per test, on SQLite and PostgreSQL.

Schema-changing tests cannot share a database, so ``fresh_url`` makes a new SQLite file or a
new PostgreSQL database (named after the session's test database, so roles made for it start
with that name too; ``AWE_ROLE_PREFIX`` likewise) and drops the database and its roles
afterwards.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import psycopg
import pytest

from common.database import register_declaring
from tests.conftest import new_postgres_database

# As an application does: connect declares the system classes of the persistent layer.
register_declaring("common.persistent")


@pytest.fixture
def postgres_admin(postgres_url: str) -> Callable[[str], psycopg.Connection]:
    """``postgres_admin(database)``: an autocommit psycopg connection as user postgres."""
    base = postgres_url.rsplit("/", 1)[0].replace("+psycopg", "")

    def open_admin(database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(f"{base}/{database}", autocommit=True, connect_timeout=5)

    return open_admin


@pytest.fixture
def fresh_postgres_url(postgres_url: str,
                       monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """URL of a new, empty PostgreSQL database for this test only; dropped with its roles.

    ``AWE_ROLE_PREFIX`` is set for the test (the session database's name, a random part), so
    the roles ``awe db init`` makes are the test's own and are dropped too.
    """
    session = postgres_url.rsplit("/", 1)[1]
    name = f"{session}_evo_{secrets.token_hex(3)}"
    prefix = f"{session}_{secrets.token_hex(2)}_"
    monkeypatch.setenv("AWE_ROLE_PREFIX", prefix)
    with new_postgres_database(name, prefix) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """URL of a new, empty database for this test only (SQLite file or PostgreSQL database)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'evolution.sqlite'}"
    return request.getfixturevalue("fresh_postgres_url")
