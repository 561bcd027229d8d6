"""Sessions and context: the default session, threads, late classes, roles without DDL."""

from __future__ import annotations

import threading

import pytest

from common.config import Context
from common.database import connect
from common.errors import ConfigError, DatabaseError
from common.persistent import DBObject, context, persistent, session
from common.persistent.session import current_session


class SessionItem(DBObject):
    tag = persistent("test isolation tag", str, None, length=40)


def test_the_default_session_comes_from_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("AWE_DATABASE", f"sqlite:///{tmp_path / 'default.sqlite'}")
    monkeypatch.setenv("AWE_PROJECT", "GTO")
    monkeypatch.setenv("AWE_PRIVILEGES", "2")
    results = {}

    def work() -> None:
        item = SessionItem(tag="default")
        item.commit()
        results[threading.get_ident()] = (current_session(), item)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (first, a), (second, b) = results.values()
    assert first is not second, "one session per thread"
    assert first.database is second.database, "sharing the process's engine"
    assert first.database.url.endswith("default.sqlite")
    assert (a.project, a.privileges, a.creator) == ("GTO", 2, "tester")
    assert a.object_id != b.object_id


def test_context_changes_the_current_session_only(db_session, database, tester):
    context.set_project("ESO")
    assert context.project == "ESO" and db_session.context.project == "ESO"
    with session(database, tester):
        assert context.whoami() == tester
    assert context.whoami().project == "ESO"
    with pytest.raises(ConfigError, match="expected an integer 1-5"):
        context.set_privileges(9)
    assert "user tester, project ESO" in repr(context)


def test_a_class_declared_after_connect_gets_its_table(db_session, backend):
    late = type(f"SessionLate{backend.title()}", (DBObject,),
                {"__module__": __name__, "value": persistent("a value", int)})
    item = late(value=4)
    item.commit()
    assert late.get(item.object_id) is item
    assert len(late.value == 4) == 1


@pytest.mark.postgres
def test_a_role_that_may_not_run_ddl_is_refused(postgres_url):
    import psycopg

    name = postgres_url.rsplit("/", 1)[1]
    role = f"{name}_reader"
    admin = postgres_url.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE ROLE "{role}" LOGIN')
        connection.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
    type("SessionNeedsDdl", (DBObject,), {"__module__": __name__,
                                          "value": persistent("a value", int)})
    url = postgres_url.replace("postgres@", f"{role}@")
    with pytest.raises(DatabaseError, match="create table awe_session_needs_ddl.* may not change "
                                            "it; run `awe db migrate` as the owner"):
        connect(url, site=0)
    owner = connect(postgres_url, site=0)
    owner.dispose()


def test_sessions_are_explicit_when_asked(database):
    ctx = Context(user="someone", project="P", privileges=3, site=0)
    with session(database, ctx) as opened:
        assert current_session() is opened
        item = SessionItem(tag="explicit")
        item.commit()
        assert (item.creator, item.project, item.privileges) == ("someone", "P", 3)
    assert current_session() is not opened
