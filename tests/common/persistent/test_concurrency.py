"""Eight writer processes on one fresh PostgreSQL database: no lost and no duplicate ids."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from common.database import connect
from common.persistent import DBObject, persistent, session

WRITERS = 8
ITEMS = 1200
WRITER_SCRIPT = Path(__file__).with_name("concurrent_writer.py")


class ConcurrentItem(DBObject):
    """The same class the writer processes declare (same name, same table)."""

    writer = persistent("writer number", int)
    serial = persistent("serial within the writer", int)


@pytest.fixture
def fresh_postgres(postgres_url):
    """An empty PostgreSQL database (the writers initialise it concurrently)."""
    import psycopg

    name = postgres_url.rsplit("/", 1)[1] + "_writers"
    admin = postgres_url.rsplit("/", 1)[0].replace("+psycopg", "") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.postgres
def test_eight_concurrent_writers(fresh_postgres, python, tester):
    environment = {**os.environ, "AWE_DATABASE": fresh_postgres.replace("+psycopg", "")}
    writers = [subprocess.Popen([python, str(WRITER_SCRIPT), str(writer), str(ITEMS)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=environment, cwd=Path(__file__).parents[3])
               for writer in range(WRITERS)]
    reported: list[int] = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        reported.extend(json.loads(out))
    assert len(reported) == len(set(reported)) == WRITERS * ITEMS, "no duplicate ids"
    database = connect(fresh_postgres, site=0)
    try:
        with session(database, tester):
            items = list(ConcurrentItem.select_all())
            stored = {item.object_id: (item.writer, item.serial) for item in items}
    finally:
        database.dispose()
    assert set(stored) == set(reported), "no lost objects"
    assert sorted(stored.values()) == [(w, s) for w in range(WRITERS) for s in range(ITEMS)]
    assert {item.creator for item in items} == {"postgres"}, \
        "on PostgreSQL the creator is the database's current_user"


def test_two_scripts_on_one_new_sqlite_file(tmp_path, python, tester):
    url = f"sqlite:///{tmp_path / 'scripts.sqlite'}"
    environment = {**os.environ, "AWE_DATABASE": url, "AWE_USER": "script-user"}
    writers = [subprocess.Popen([python, str(WRITER_SCRIPT), str(writer), "300"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=environment, cwd=Path(__file__).parents[3])
               for writer in range(2)]
    reported = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        reported.extend(json.loads(out))
    database = connect(url, site=0)
    try:
        with session(database, tester):
            assert len(ConcurrentItem.select_all()) == 0, "level 1: only their creator sees them"
        with session(database, replace(tester, user="script-user")):
            items = list(ConcurrentItem.select_all())
    finally:
        database.dispose()
    assert sorted(item.object_id for item in items) == sorted(reported)
    assert len(reported) == len(set(reported)) == 600
    assert {item.creator for item in items} == {"script-user"}
