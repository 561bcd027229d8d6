"""``awe dataserver gc``: files no row of any awe_* table references, on SQLite and PostgreSQL."""

import secrets

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert

from awe.cli import main
from awe.commands.dataserver import referenced_names
from common.errors import DatabaseError, PermissionDenied


@pytest.fixture
def file_tables(database_url):
    """Two awe_* tables with a filename column, one without, one non-awe table; dropped after."""
    suffix = secrets.token_hex(3)
    engine = create_engine(database_url)
    metadata = MetaData()
    raw = Table(f"awe_gc_raw_{suffix}", metadata, Column("object_id", Integer, primary_key=True),
                Column("filename", String(255)))
    bias = Table(f"awe_gc_bias_{suffix}", metadata,
                 Column("object_id", Integer, primary_key=True), Column("filename", String(255)))
    Table(f"awe_gc_plain_{suffix}", metadata, Column("object_id", Integer, primary_key=True),
          Column("name", String(255)))
    other = Table(f"gc_notes_{suffix}", metadata, Column("filename", String(255)))
    metadata.create_all(engine)
    try:
        yield engine, raw, bias, other
    finally:
        metadata.drop_all(engine)
        engine.dispose()


def test_gc_lists_then_deletes_only_unreferenced_files(cluster, tmp_path, database_url,
                                                       file_tables, capsys):
    engine, raw, bias, other = file_tables
    server = cluster.start("a")
    token = secrets.token_hex(4)
    names = {kind: f"{kind}-{token}.fits" for kind in ("raw", "bias", "orphan", "noted")}
    source = tmp_path / "f"
    source.write_bytes(b"some pixels")
    store = server.client()
    for name in names.values():
        store.put(source, name)
    with engine.begin() as connection:
        connection.execute(insert(raw), [{"object_id": 1, "filename": names["raw"]},
                                         {"object_id": 2, "filename": None}])
        connection.execute(insert(bias), [{"object_id": 1, "filename": names["bias"]}])
        connection.execute(insert(other), [{"filename": names["noted"]}])
    assert {names["raw"], names["bias"]} <= referenced_names(database_url)

    argv = ["dataserver", "gc", "--server", server.url, "--token-file",
            str(cluster.tokens.service_token_file), "--database", database_url]
    assert main([*argv, "--older-than", "1d"]) == 0
    assert "0 of 0 files" in capsys.readouterr().out
    assert main([*argv, "--older-than", "0"]) == 0
    listed = capsys.readouterr().out
    assert f"unreferenced {names['orphan']} 11 bytes" in listed
    assert f"unreferenced {names['noted']}" in listed, "only awe_* tables reference files"
    assert names["raw"] not in listed and names["bias"] not in listed
    assert "2 of 4 files" in listed
    assert all(server.disk().exists(name) for name in names.values()), "listing deletes nothing"

    assert main([*argv, "--older-than", "0", "--delete"]) == 0
    assert "deleted 2 files" in capsys.readouterr().out
    remaining = set(server.disk().names())
    assert remaining == {names["raw"], names["bias"]}
    assert server.disk().tombstone(names["orphan"]) is None, "gc leaves no tombstone"


def test_gc_refuses_a_database_without_file_tables(cluster, tmp_path, capsys):
    server = cluster.start("a")
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    with pytest.raises(DatabaseError, match="no awe_\\* table has a filename column"):
        referenced_names(empty)
    assert main(["dataserver", "gc", "--server", server.url, "--token-file",
                 str(cluster.tokens.service_token_file), "--database", empty]) == 1
    assert "DatabaseError" in capsys.readouterr().err


def test_gc_needs_the_service_token(cluster, tmp_path, capsys):
    server = cluster.start("a")
    user_token = tmp_path / "user-token"
    user_token.write_text(cluster.tokens.alice)
    assert main(["dataserver", "gc", "--server", server.url, "--token-file", str(user_token),
                 "--database", f"sqlite:///{tmp_path / 'x.sqlite'}"]) == 1
    assert "PermissionDenied" in capsys.readouterr().err
    with pytest.raises(PermissionDenied, match="needs a service token"):
        server.client("alice").collect(["x.fits"], 0)
