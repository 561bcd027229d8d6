"""``awe db init|migrate|history`` and the SQL scripts ``awe db migrate --sql`` writes.

Oracle has no server here: its scripts are compiled with SQLAlchemy's oracle dialect from plans
made on a real database, and checked as text. The PostgreSQL and SQLite scripts are run.
"""

from __future__ import annotations

import os
import re
import sqlite3

import psycopg
import pytest
from sqlalchemy import create_engine, inspect

from awe.cli import main
from common.database import (
    ColumnSpec,
    Database,
    TableSpec,
    connect,
    count_statements,
    database_url,
    ensure_schema,
)
from common.database.backends import OracleBackend
from common.database.catalogue import SYSTEM_TABLES
from common.database.evolution import Change, Plan, not_owner_error, preview, render_script
from common.database.schema import declared_schema
from common.persistent.objects import AuditRecord

FRAME_ID = ColumnSpec("object_id", "link", nullable=False)
NAME = ColumnSpec("name", "str", length=40)
EXPTIME = ColumnSpec("exptime", "float")


def frame_table(*columns: ColumnSpec) -> TableSpec:
    """The table of a persistent class ``EvoFrame``."""
    return TableSpec("awe_evo_frame", (FRAME_ID, *columns), primary_key=("object_id",),
                     owner="EvoFrame")


FRAMES_V1 = (frame_table(NAME, EXPTIME),)
FRAMES_V2 = (
    frame_table(ColumnSpec("name", "str", length=120),
                ColumnSpec("exposure_time", "float", renamed_from="exptime"),
                ColumnSpec("gain", "float", default=1.5), ColumnSpec("meta", "dict")),
    TableSpec("awe_evo_log", (FRAME_ID, ColumnSpec("text", "str", length=4000),
                              ColumnSpec("frame", "link", index=True),
                              ColumnSpec("extra", "dict")),
              primary_key=("object_id",), owner="EvoLog"),
)


def awe_db(capsys, *args: str) -> tuple[int, str, str]:
    """Run ``awe db ARGS…`` in this process; return the exit status, stdout and stderr."""
    status = main(["db", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_init_migrate_and_history(fresh_url, capsys):
    status, out, _ = awe_db(capsys, "migrate", "--dry-run", "--database", fresh_url)
    assert status == 0
    assert "change: create table awe_object" in out and "change: create table awe_audit_record" \
        in out and "CREATE TABLE awe_object (" in out
    database = connect(fresh_url, evolve=False)
    try:
        assert inspect(database.engine).get_table_names() == []
    finally:
        database.dispose()
    status, out, _ = awe_db(capsys, "init", "--database", fresh_url)
    assert status == 0 and "schema version 1," in out and "  create table awe_site" in out
    status, out, _ = awe_db(capsys, "migrate", "--database", fresh_url)
    assert status == 0 and out.strip().endswith("up to date (schema version 1)")
    status, out, _ = awe_db(capsys, "migrate", "--sql", "--database", fresh_url)
    assert status == 0 and out.startswith("-- ") and "up to date (schema version 1)" in out
    status, out, _ = awe_db(capsys, "history", "--statements", "--database", fresh_url)
    assert status == 0
    assert re.match(r"version 1  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC  release 0\.1\.0, "
                    r"(data model \S+, )?by \S+, "
                    r"hash [0-9a-f]{12}\n", out)
    assert "  insert row into awe_site (site 0 'local')" in out and "CREATE TABLE" in out


def test_migrate_names_what_it_refuses(fresh_url, capsys):
    audit = next(spec for spec in declared_schema().specs if spec.name == AuditRecord._meta.table)
    legacy = TableSpec(audit.name, (*audit.columns, ColumnSpec("legacy", "int")),
                       primary_key=audit.primary_key, owner=audit.owner)
    database = connect(fresh_url, site=0, evolve=False)
    try:
        ensure_schema(database, [legacy])
    finally:
        database.dispose()
    status, out, _ = awe_db(capsys, "migrate", "--dry-run", "--database", fresh_url)
    assert status == 1
    assert ("refused: AuditRecord.legacy (awe_audit_record.legacy): the database has this "
            "column but the class no longer declares it (a drop)") in out
    status, _, err = awe_db(capsys, "migrate", "--database", fresh_url)
    assert status == 1 and err.startswith("awe: SchemaEvolutionError: ")
    assert "AuditRecord.legacy" in err and "nothing was altered" in err
    status, _, err = awe_db(capsys, "migrate", "--sql", "--database", fresh_url)
    assert status == 1 and "AuditRecord.legacy" in err


def _evolve_to(url: str, specs: tuple[TableSpec, ...]) -> None:
    database = connect(url, site=0, evolve=False)
    try:
        ensure_schema(database, specs)
    finally:
        database.dispose()


def test_the_migration_script_a_dba_runs_brings_clients_up_to_date(fresh_url):
    _evolve_to(fresh_url, FRAMES_V1)
    database = connect(fresh_url, site=0, evolve=False)
    try:
        planned = preview(database, declared_schema(FRAMES_V2))
        script = render_script(planned, database.dialect, applied_by="dba")
    finally:
        database.dispose()
    assert re.search(r"ALTER TABLE awe_evo_frame RENAME (COLUMN )?exptime TO exposure_time;",
                     script)
    assert "INSERT INTO awe_schema_history" in script
    if fresh_url.startswith("sqlite"):
        with sqlite3.connect(fresh_url.removeprefix("sqlite:///")) as connection:
            connection.executescript(script)
    else:
        with psycopg.connect(fresh_url.replace("+psycopg", ""), autocommit=True) as connection:
            connection.execute(script)
    database = connect(fresh_url, site=0, evolve=False)
    try:
        with count_statements(database) as log:
            assert ensure_schema(database, FRAMES_V2) == []
        assert len(log) == 1
        columns = [item["name"] for item in inspect(database.engine).get_columns("awe_evo_frame")]
        assert columns == ["object_id", "name", "exposure_time", "gain", "meta"]
    finally:
        database.dispose()


@pytest.mark.postgres
def test_oracle_scripts_compile_for_a_dba(fresh_postgres_url):
    database = connect(fresh_postgres_url, site=0, evolve=False)
    try:
        initial = render_script(preview(database, declared_schema(FRAMES_V1)), "oracle")
        ensure_schema(database, FRAMES_V1)
        planned = preview(database, declared_schema(FRAMES_V2))
        evolution = render_script(planned, "oracle")
    finally:
        database.dispose()
    assert "CREATE SEQUENCE awe_object_id_seq INCREMENT BY 1000 START WITH 1\n\n/" in initial
    assert "object_id NUMBER(19) NOT NULL" in initial
    assert "name VARCHAR2(40 CHAR)" in initial and "exptime BINARY_DOUBLE" in initial
    assert ("FOREIGN KEY(object_id) REFERENCES awe_object (object_id) DEFERRABLE INITIALLY "
            "DEFERRED") in initial
    assert "INSERT INTO awe_site (site_id, name, registered) VALUES (0, 'local', TO_TIMESTAMP(" \
        in initial
    for table in [spec.name for spec in SYSTEM_TABLES] + ["awe_schema_history", "awe_evo_frame"]:
        assert f"CREATE TABLE {table} (" in initial
    assert "ALTER TABLE awe_evo_frame MODIFY name VARCHAR2(120 CHAR)" in evolution
    assert "ALTER TABLE awe_evo_frame RENAME COLUMN exptime TO exposure_time" in evolution
    assert "ALTER TABLE awe_evo_frame ADD gain BINARY_DOUBLE DEFAULT 1.5" in evolution
    assert "ALTER TABLE awe_evo_frame ADD meta CLOB" in evolution
    assert ("ALTER TABLE awe_evo_frame ADD CONSTRAINT ck_awe_evo_frame_meta CHECK (meta IS JSON)"
            in evolution)
    assert evolution.startswith("WHENEVER SQLERROR EXIT SQL.SQLCODE\nSET DEFINE OFF\n")
    assert "text VARCHAR2(4000 CHAR)" in evolution and "CHECK (extra IS JSON)" in evolution
    assert "CREATE INDEX ix_awe_evo_log_frame ON awe_evo_log (frame)" in evolution
    history = evolution[evolution.index("INSERT INTO awe_schema_history"):]
    assert f"'{declared_schema(FRAMES_V2).schema_hash}'" in history
    assert "to_clob('" in history
    assert max(len(literal.encode()) for literal in re.findall(r"'((?:[^']|'')*)'", evolution)) \
        <= 4000
    *statements, last = evolution.split("\n/\n")
    assert last.strip() == "COMMIT;" and not any(block.rstrip().endswith(";")
                                                 for block in statements)


@pytest.mark.postgres
def test_init_as_superuser_makes_the_owner_roles_and_the_owner_evolves(
        fresh_postgres_url, postgres_admin, capsys):
    prefix = os.environ["AWE_ROLE_PREFIX"]
    owner = f"{prefix}awe_owner"
    status, out, _ = awe_db(capsys, "init", "--database", fresh_postgres_url)
    assert status == 0 and f"created roles: {owner}, {prefix}awe_service" in out
    name = fresh_postgres_url.rsplit("/", 1)[1]
    admin_role = f"{name}_admin"
    with postgres_admin(name) as admin:
        owners = set(admin.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'"
                                   ).fetchall())
        assert owners == {(owner,)}
        admin.execute(f'CREATE ROLE "{admin_role}" LOGIN IN ROLE "{owner}"')
    as_admin = fresh_postgres_url.replace("postgres@", f"{admin_role}@")
    database = connect(as_admin, site=0, evolve=False)
    try:
        changes = ensure_schema(database, [*declared_schema().specs, *FRAMES_V1])
        assert [change.describe() for change in changes] == ["create table awe_evo_frame"]
    finally:
        database.dispose()
    with postgres_admin(name) as admin:
        assert admin.execute("SELECT tableowner FROM pg_tables WHERE tablename = "
                             "'awe_evo_frame'").fetchone() == (owner,)
        assert admin.execute("SELECT applied_by FROM awe_schema_history ORDER BY version_id"
                             ).fetchall() == [("postgres",), (admin_role,)]
    status, out, _ = awe_db(capsys, "init", "--database", fresh_postgres_url)
    assert status == 0 and "created roles" not in out


def test_an_oracle_client_is_told_to_ask_the_dba():
    database = Database(create_engine(database_url("oracle://scott:tiger@db.example/AWE")),
                        OracleBackend(), site=0)
    plan = Plan([Change("add column", "awe_evo_frame", "gain", "float")])
    message = str(not_owner_error(database, plan, "scott"))
    assert ("the schema needs 1 change(s) (add column awe_evo_frame.gain (float)) and scott may "
            "not change it; clients do not change an Oracle schema: have the DBA run the script "
            "that `awe db migrate --sql` writes") in message
