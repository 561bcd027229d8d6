"""Fixtures of the privilege tests: three users in two projects, on PostgreSQL and SQLite.

On PostgreSQL each test module gets a database of its own whose roles carry a prefix made of
its name (dropped with the database afterwards), so parallel runs never share a role; the
users log in as their own roles. On SQLite the same users are names in ``awe_member`` and
the query compiler applies the rule. ``alice`` and ``bob`` are in project ``alpha`` (``bob``
manages it), ``carol`` is in ``beta``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from common.config import Context
from common.database import Database, connect
from common.database.accounts import add_member, create_project, create_user
from common.database.evolution import prepare_owner_roles
from common.database.schema import secure_schema
from tests.conftest import POSTGRES_BASE, new_postgres_database

USERS = ("alice", "bob", "carol")
PROJECTS = {"alpha": (("alice", False), ("bob", True)), "beta": (("carol", False),)}


@dataclass
class Installation:
    """One database with the three users: the admin's connection and one per user."""

    dialect: str
    url: str
    prefix: str
    admin: Database
    users: dict[str, Database] = field(default_factory=dict)

    def context(self, user: str, project: str, privileges: int = 1) -> Context:
        """The context ``user`` acts in."""
        return Context(user=user, project=project, privileges=privileges, site=0)

    def role(self, user: str) -> str:
        """The login role of ``user``."""
        return self.prefix + user

    def dispose(self) -> None:
        """Close every connection pool."""
        for database in (self.admin, *self.users.values()):
            database.dispose()


def _populate(installation: Installation) -> None:
    for user in USERS:
        create_user(installation.admin, user)
    for project, members in PROJECTS.items():
        create_project(installation.admin, project, 2)
        for user, manager in members:
            add_member(installation.admin, project, user, manager=manager)


@pytest.fixture(scope="module")
def pg_installation(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[Installation]:
    """A fresh PostgreSQL database with the group roles, RLS and the three users."""
    name = f"awe_priv_{os.getpid()}_{secrets.token_hex(3)}"
    prefix = name + "_"
    monkeypatch_module.setenv("AWE_ROLE_PREFIX", prefix)
    installation = None
    with new_postgres_database(name) as url:
        try:
            admin_db = connect(url, site=0)
            prepare_owner_roles(admin_db, prefix)
            assert secure_schema(admin_db, prefix)
            installation = Installation("postgresql", url, prefix, admin_db)
            _populate(installation)
            host = POSTGRES_BASE.split("@", 1)[1]
            for user in USERS:
                installation.users[user] = connect(
                    f"postgresql+psycopg://{prefix}{user}@{host}/{name}", site=0)
            yield installation
        finally:
            if installation is not None:
                installation.dispose()


@pytest.fixture(scope="module")
def sqlite_installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    """A fresh SQLite file with the three users (names only: one connection for all)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('priv') / 'awe.sqlite'}"
    admin_db = connect(url, site=0)
    installation = Installation("sqlite", url, "", admin_db,
                                users=dict.fromkeys(USERS, admin_db))
    _populate(installation)
    yield installation
    admin_db.dispose()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    """A monkeypatch that lasts for the module."""
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                                 marks=pytest.mark.postgres)])
def installation(request: pytest.FixtureRequest) -> Installation:
    """The same privilege tests on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{'pg' if request.param == 'postgres' else 'sqlite'}"
                                   "_installation")
