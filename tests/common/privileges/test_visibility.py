"""Visibility per privilege level, through the API and (PostgreSQL) through raw SQL per role."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from sqlalchemy.engine import make_url

from common.persistent import DBObject
from common.persistent import session as persistent_session
from tests.common.privileges.conftest import Installation
from tests.common.privileges.model import PrivSample


def make(installation: Installation, user: str, project: str, privileges: int, tag: str,
         label: str = "", source: PrivSample | None = None) -> int:
    """Commit one sample as ``user`` (their own connection); return its id."""
    with persistent_session(installation.users[user],
                            installation.context(user, project, privileges)):
        return PrivSample(tag=tag, label=label, source=source).commit().object_id


def visible_labels(installation: Installation, user: str, tag: str) -> set[str]:
    """The labels ``user`` sees through a query."""
    database = installation.users[user]
    with persistent_session(database, installation.context(user, "alpha")):
        return {obj.label for obj in PrivSample.tag == tag}


@pytest.fixture(scope="module")
def levels(installation: Installation) -> str:
    """One object per level 1-5 by alice in alpha, and one level-2 object by carol in beta."""
    tag = uuid.uuid4().hex[:12]
    for level in range(1, 6):
        make(installation, "alice", "alpha", level, tag, f"alice{level}")
    make(installation, "carol", "beta", 2, tag, "carol2")
    return tag


EXPECTED = {
    "alice": {"alice1", "alice2", "alice3", "alice4", "alice5"},
    "bob": {"alice2", "alice3", "alice4", "alice5"},
    "carol": {"alice3", "alice4", "alice5", "carol2"},
}


@pytest.mark.parametrize("user", sorted(EXPECTED))
def test_each_user_sees_what_the_levels_allow(installation: Installation, levels: str,
                                              user: str) -> None:
    assert visible_labels(installation, user, levels) == EXPECTED[user]


def _raw(installation: Installation, user: str) -> psycopg.Connection:
    url = make_url(installation.url)
    return psycopg.connect(host=url.host, port=url.port, dbname=url.database,
                           user=installation.role(user), autocommit=True)


@pytest.mark.postgres
@pytest.mark.parametrize("user", sorted(EXPECTED))
def test_raw_sql_as_each_role_sees_the_same(pg_installation: Installation, user: str) -> None:
    tag = uuid.uuid4().hex[:12]
    for level in (1, 2, 3):
        make(pg_installation, "alice", "alpha", level, tag, f"alice{level}")
    make(pg_installation, "carol", "beta", 2, tag, "carol2")
    with _raw(pg_installation, user) as raw:
        labels = {row[0] for row in raw.execute(
            "SELECT label FROM awe_priv_sample WHERE tag = %s", (tag,))}
        catalogue = raw.execute("SELECT count(*) FROM awe_object").fetchone()[0]
    expected = {label for label in EXPECTED[user] if label[-1] in "123"}
    assert labels == expected
    with persistent_session(pg_installation.users[user], pg_installation.context(user, "alpha")):
        assert catalogue == len(DBObject.select_all())


@pytest.mark.postgres
def test_another_project_cannot_read_update_or_delete(pg_installation: Installation) -> None:
    tag = uuid.uuid4().hex[:12]
    object_id = make(pg_installation, "alice", "alpha", 2, tag, "secret")
    with _raw(pg_installation, "carol") as raw:
        assert raw.execute("SELECT count(*) FROM awe_priv_sample WHERE object_id = %s",
                           (object_id,)).fetchone()[0] == 0
        updated = raw.execute("UPDATE awe_priv_sample SET privileges = 5 WHERE object_id = %s",
                              (object_id,))
        assert updated.rowcount == 0
        deleted = raw.execute("DELETE FROM awe_priv_sample WHERE object_id = %s", (object_id,))
        assert deleted.rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute("UPDATE awe_priv_sample SET label = 'x' WHERE object_id = %s",
                        (object_id,))
    with _raw(pg_installation, "alice") as raw:
        assert raw.execute("SELECT label, privileges FROM awe_priv_sample WHERE object_id = %s",
                           (object_id,)).fetchone() == ("secret", 2)


@pytest.mark.postgres
def test_forged_creator_is_refused(pg_installation: Installation) -> None:
    with _raw(pg_installation, "carol") as raw, pytest.raises(
            psycopg.errors.InsufficientPrivilege, match="row-level security"):
        raw.execute("INSERT INTO awe_object (object_id, class_name, creator, project, "
                    "privileges, creation_date) VALUES (140737488355329, 'PrivSample', 'alice', "
                    "'alpha', 2, now())")
    with _raw(pg_installation, "carol") as raw:
        raw.execute("BEGIN")
        raw.execute("INSERT INTO awe_object (object_id, class_name, project, privileges, "
                    "creation_date) VALUES (140737488355330, 'PrivSample', 'beta', 1, now())")
        assert raw.execute("SELECT creator FROM awe_object WHERE object_id = 140737488355330"
                           ).fetchone() == ("carol",)
        raw.execute("ROLLBACK")


@pytest.mark.postgres
def test_objects_go_only_into_the_users_projects(pg_installation: Installation) -> None:
    with _raw(pg_installation, "carol") as raw:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            raw.execute("INSERT INTO awe_object (object_id, class_name, project, privileges, "
                        "creation_date) VALUES (140737488355331, 'PrivSample', 'alpha', 2, "
                        "now())")
        raw.execute("BEGIN")
        raw.execute("INSERT INTO awe_object (object_id, class_name, project, privileges, "
                    "creation_date) VALUES (140737488355332, 'PrivSample', 'unregistered', 1, "
                    "now())")
        raw.execute("ROLLBACK")


@pytest.mark.postgres
def test_a_user_cannot_touch_the_accounts(pg_installation: Installation) -> None:
    with _raw(pg_installation, "carol") as raw:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute("INSERT INTO awe_member (project, user_name, manager) "
                        "VALUES ('alpha', 'carol', true)")
        assert raw.execute("SELECT count(*) FROM awe_member").fetchone()[0] == 3
