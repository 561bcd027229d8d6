"""Connecting: URLs, initialising an empty database, sites, ids, SQLite safety."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from common.database import (
    SITE_SHIFT,
    connect,
    database_url,
    register_site,
    registered_sites,
    site_of,
)
from common.database.backends.sqlite import SqliteBackend, filesystem_type
from common.errors import ConfigError, DatabaseError


def test_urls_select_this_projects_drivers():
    assert database_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert database_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert database_url("oracle://u@h/db").drivername == "oracle+oracledb"
    assert database_url("sqlite:////tmp/x.sqlite").drivername == "sqlite"
    with pytest.raises(DatabaseError, match="dialect 'mysql' is not supported"):
        database_url("mysql://u@h/db")
    with pytest.raises(ConfigError, match="not a database URL"):
        database_url("nonsense")


def test_connect_initialises_an_empty_database(database_url):
    database = connect(database_url, site=0)
    try:
        tables = set(inspect(database.engine).get_table_names())
        assert {"awe_object", "awe_site", "awe_id_block", "awe_audit_record"} <= tables
        assert registered_sites(database)[0] == "local"
        if database.dialect == "postgresql":
            assert database.current_user == "postgres"
    finally:
        database.dispose()


def test_connect_from_configuration_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("AWE_HOME", str(tmp_path / "home"))
    database = connect()
    try:
        assert database.site == 0 and (tmp_path / "home" / "awe.sqlite").is_file()
    finally:
        database.dispose()


def test_an_sqlite_file_in_a_missing_directory_is_refused(tmp_path, monkeypatch):
    missing = tmp_path / "sub"
    monkeypatch.setenv("AWE_DATABASE", f"sqlite:///{missing / 'awe.sqlite'}")
    with pytest.raises(DatabaseError, match=f"SQLite database {missing / 'awe.sqlite'}: its "
                                            f"directory {missing} does not exist"):
        connect()
    with pytest.raises(DatabaseError, match="does not exist"):
        connect(f"sqlite:///{missing / 'awe.sqlite'}", site=0)
    assert not missing.exists()


@pytest.mark.parametrize(("url", "error", "expected"), [
    ("sqlite://relative", DatabaseError,
     "database URL sqlite://relative: an SQLite URL has no host, found 'relative'; expected "
     "sqlite:///relative/file"),
    ("postgresql://[::1", ConfigError,
     r"database: 'postgresql://\[::1' is not a database URL \(.*\); expected sqlite:///FILE, "
     r"postgresql://USER@HOST\[:PORT\]/DATABASE"),
])
def test_malformed_urls_are_refused_naming_them(url, error, expected):
    with pytest.raises(error, match=expected):
        connect(url, site=0)


def test_sites_must_be_registered(database_url):
    database = connect(database_url, site=0)
    try:
        site = 100 + sum(map(ord, database_url)) % 30000
        with pytest.raises(DatabaseError, match=f"site {site} is not registered"):
            connect(database_url, site=site)
        register_site(database, site, f"site-{site}")
        with pytest.raises(DatabaseError, match=f"site {site} is already registered"):
            register_site(database, site, "again")
        with pytest.raises(DatabaseError, match="the name 'local' is already taken"):
            register_site(database, site + 1, "local")
        with pytest.raises(DatabaseError, match="expected an integer 1-32767"):
            register_site(database, 0, "zero")
        remote = connect(database_url, site=site)
        try:
            ids = remote.allocate_ids(3)
            assert all(site_of(i) == site for i in ids) and ids[0] >> SITE_SHIFT == site
        finally:
            remote.dispose()
    finally:
        database.dispose()


def test_ids_are_unique_across_allocators(database_url):
    first, second = connect(database_url, site=0), connect(database_url, site=0)
    try:
        ids = first.allocate_ids(1500) + second.allocate_ids(700) + first.allocate_ids(900)
        assert len(set(ids)) == len(ids) == 3100
    finally:
        first.dispose()
        second.dispose()


def test_a_named_target_package_must_exist(sqlite_url):
    with pytest.raises(ConfigError, match="'no_such_package_here' cannot be imported"):
        connect(sqlite_url, site=0, target="no_such_package_here")


MOUNTS = """\
sysfs /sys sysfs rw 0 0
/dev/sda1 / ext4 rw 0 0
server:/export /data nfs4 rw 0 0
//nas/share /mnt/with\\040space cifs rw 0 0
"""


def test_filesystem_type_uses_the_longest_mount_point():
    assert filesystem_type(Path("/home/u/awe.sqlite"), MOUNTS) == "ext4"
    assert filesystem_type(Path("/data/awe.sqlite"), MOUNTS) == "nfs4"
    assert filesystem_type(Path("/database/awe.sqlite"), MOUNTS) == "ext4"
    assert filesystem_type(Path("/mnt/with space/awe.sqlite"), MOUNTS) == "cifs"


def test_sqlite_on_a_network_filesystem_is_refused(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/sda1 / ext4 rw 0 0\nserver:/x {tmp_path / 'nfs'} nfs rw 0 0\n")
    backend = SqliteBackend()
    backend.mounts_file = mounts
    url = database_url(f"sqlite:///{tmp_path / 'nfs' / 'awe.sqlite'}")
    with pytest.raises(DatabaseError, match="network filesystem \\(nfs\\)"):
        backend.check_url(url)
    (tmp_path / "local").mkdir()
    backend.check_url(database_url(f"sqlite:///{tmp_path / 'local' / 'awe.sqlite'}"))


def test_sqlite_connections_are_configured(sqlite_url):
    database = connect(sqlite_url, site=0)
    try:
        with database.engine.connect() as connection:
            raw = connection.connection.driver_connection
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert raw.execute("PRAGMA busy_timeout").fetchone()[0] >= 10000
    finally:
        database.dispose()
