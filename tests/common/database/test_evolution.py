"""Schema evolution on real SQLite and PostgreSQL databases, one fresh database per test.

The data-model versions here are table specs (what the persistent layer registers), so one
process can play several releases; ``test_evolution_processes.py`` does the same with real
persistent classes in separate processes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, inspect, select

from common.database import (
    OBJECT_TABLE,
    ColumnSpec,
    Database,
    TableSpec,
    connect,
    count_statements,
    ensure_schema,
)
from common.database.evolution import Change
from common.database.history import (
    HISTORY_TABLE,
    DeclaredSchema,
    history_table,
    read_history,
)
from common.database.schema import declared_schema
from common.errors import SchemaEvolutionError

CREATED = dt.datetime(2016, 3, 15, 2, 10, 11)
LABEL = ColumnSpec("label", "str", length=40, index=True, doc="what the run is")
COUNT = ColumnSpec("count", "int", default=0)
TAKEN = ColumnSpec("taken", "datetime")
EXPTIME = ColumnSpec("exptime", "float", index=True)


def run_table(*columns: ColumnSpec) -> TableSpec:
    """The table of a persistent class ``EvoRun`` with ``columns`` after its id."""
    return TableSpec("awe_evo_run", (ColumnSpec("object_id", "link", nullable=False), *columns),
                     primary_key=("object_id",), owner="EvoRun")


NOTE_TABLE = TableSpec(
    "awe_evo_note",
    (ColumnSpec("object_id", "link", nullable=False), ColumnSpec("text", "str", length=200),
     ColumnSpec("run", "link", index=True), ColumnSpec("extra", "dict")),
    primary_key=("object_id",), owner="EvoNote")
V1 = (run_table(LABEL, COUNT, TAKEN, EXPTIME),)


@contextmanager
def opened(url: str, specs: Sequence[TableSpec]) -> Iterator[tuple[Database, list[Change]]]:
    """A database evolved to ``specs`` (as a client declaring exactly them), and the changes."""
    database = connect(url, site=0, evolve=False)
    try:
        yield database, ensure_schema(database, specs)
    finally:
        database.dispose()


def evolve_to(url: str, specs: Sequence[TableSpec]) -> list[Change]:
    """Connect as a client declaring ``specs``; return the changes that made."""
    with opened(url, specs) as (_, changes):
        return changes


def add_runs(database: Database, *rows: dict[str, Any]) -> None:
    """Insert ``rows`` into the run table (and the object catalogue)."""
    catalogue = database.metadata.tables[OBJECT_TABLE.name]
    with database.write() as connection:
        for row in rows:
            connection.execute(catalogue.insert().values(
                object_id=row["object_id"], class_name="EvoRun", creator="tester",
                project="test", privileges=1, creation_date=CREATED))
        connection.execute(database.metadata.tables["awe_evo_run"].insert(), list(rows))


def runs(database: Database) -> list[dict[str, Any]]:
    """Every row of the run table as this client declares it, by id."""
    table = database.metadata.tables["awe_evo_run"]
    with database.read() as connection:
        return [dict(row._mapping)
                for row in connection.execute(select(table).order_by(table.c.object_id))]


def history(database: Database) -> list:
    with database.read() as connection:
        return read_history(connection, history_table(MetaData()))


def snapshot(database: Database) -> dict[str, Any]:
    """Every table's columns, indexes, constraints and rows, as the database reports them."""
    shape: dict[str, Any] = {}
    with database.read() as connection:
        inspector = inspect(connection)
        for name in sorted(inspector.get_table_names()):
            table = Table(name, MetaData(), autoload_with=connection)
            rows = sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            shape[name] = {
                "columns": [(item["name"], str(item["type"]), item["nullable"])
                            for item in inspector.get_columns(name)],
                "indexes": sorted((item["name"], tuple(item["column_names"]))
                                  for item in inspector.get_indexes(name)),
                "uniques": sorted(tuple(item["column_names"])
                                  for item in inspector.get_unique_constraints(name)),
                "links": sorted(tuple(item["constrained_columns"])
                                for item in inspector.get_foreign_keys(name)),
                "rows": rows,
            }
    return shape


def test_the_schema_hash_is_canonical():
    reordered = run_table(TAKEN, EXPTIME, COUNT,
                          ColumnSpec("label", "str", length=40, index=True, doc="other doc"))
    assert declared_schema((*V1, NOTE_TABLE)).schema_hash == declared_schema(
        (NOTE_TABLE, reordered)).schema_hash
    longer = run_table(ColumnSpec("label", "str", length=41, index=True), COUNT, TAKEN, EXPTIME)
    assert declared_schema((longer,)).schema_hash != declared_schema(V1).schema_hash
    # The hash is sha256 of canonical JSON, the same in every process and Python version:
    # changing it makes every database look out of date (bump MODEL_FORMAT on purpose).
    assert DeclaredSchema.of(V1).schema_hash == (
        "2dedc52bcadb7191dd8ffd0bf94418beff1006abb0042cdabe8beb6afc8c2d44")


def test_an_empty_database_is_initialised_and_recorded(fresh_url):
    with opened(fresh_url, V1) as (database, changes):
        assert [change.describe() for change in changes if change.table == "awe_evo_run"] == [
            "create table awe_evo_run"]
        entries = history(database)
        assert len(entries) == 1
        entry = entries[0]
        assert entry.version_id == 1
        assert entry.schema_hash == declared_schema(V1).schema_hash
        assert entry.software_release == "0.1.0"
        assert "CREATE TABLE awe_evo_run" in entry.statements
        assert {"action": "insert row", "table": "awe_site", "column": "",
                "detail": "site 0 'local'"} in entry.changes
        tables = set(inspect(database.engine).get_table_names())
        assert {"awe_object", "awe_site", "awe_id_block", HISTORY_TABLE, "awe_evo_run"} <= tables
        assert database.allocate_ids(2)[1] == 2


def test_a_new_class_and_attribute_evolve_and_old_rows_read_the_default(fresh_url):
    with opened(fresh_url, V1) as (database, _):
        add_runs(database, {"object_id": 1, "label": "bias"}, {"object_id": 2, "label": "flat"})
    gain = ColumnSpec("gain", "float", default=1.5)
    mode = ColumnSpec("mode", "str", length=8, default="WFM")
    flag = ColumnSpec("flagged", "bool", default=False)
    seen = ColumnSpec("seen", "date", default=dt.date(2016, 3, 14))
    meta = ColumnSpec("meta", "dict", default={"source": "old"})
    note = ColumnSpec("note", "str", length=100)
    parent = ColumnSpec("parent", "link", index=True)
    v2 = (run_table(LABEL, COUNT, TAKEN, EXPTIME, gain, mode, flag, seen, meta, note, parent),
          NOTE_TABLE)
    with opened(fresh_url, v2) as (database, changes):
        described = [change.describe() for change in changes]
        assert described == [
            "create table awe_evo_note",
            "add column awe_evo_run.gain (float, default 1.5)",
            "add column awe_evo_run.mode (str(8), default 'WFM')",
            "add column awe_evo_run.flagged (bool, default False)",
            "add column awe_evo_run.seen (date, default datetime.date(2016, 3, 14))",
            "add column awe_evo_run.meta (dict, default {'source': 'old'})",
            "add column awe_evo_run.note (str(100))",
            "add column awe_evo_run.parent (link)",
            "create index ix_awe_evo_run_parent on awe_evo_run",
        ]
        old = runs(database)
        assert [(row["label"], row["gain"], row["mode"], row["flagged"], row["seen"],
                 row["meta"], row["note"], row["parent"]) for row in old] == [
            ("bias", 1.5, "WFM", False, dt.date(2016, 3, 14), {"source": "old"}, None, None),
            ("flat", 1.5, "WFM", False, dt.date(2016, 3, 14), {"source": "old"}, None, None),
        ]
        add_runs(database, {"object_id": 3, "label": "arc", "gain": 2.5, "parent": 1})
        assert runs(database)[-1]["gain"] == 2.5 and runs(database)[-1]["parent"] == 1
        entries = history(database)
        assert [entry.version_id for entry in entries] == [1, 2]
        assert entries[1].schema_hash == declared_schema(v2).schema_hash
        assert "ALTER TABLE awe_evo_run ADD" in entries[1].statements
        assert [Change(**item).describe() for item in entries[1].changes] == described
        foreign = [tuple(item["constrained_columns"])
                   for item in inspect(database.engine).get_foreign_keys("awe_evo_run")]
        assert ("parent",) in foreign
    with opened(fresh_url, v2) as (database, changes):
        assert changes == [] and len(history(database)) == 2


def test_a_rename_with_renamed_from_keeps_the_data(fresh_url):
    with opened(fresh_url, V1) as (database, _):
        add_runs(database, {"object_id": 1, "label": "bias", "exptime": 0.0},
                 {"object_id": 2, "label": "sci", "exptime": 900.0})
    renamed = ColumnSpec("exposure_time", "float", index=True, renamed_from="exptime")
    v2 = (run_table(LABEL, COUNT, TAKEN, renamed),)
    with opened(fresh_url, v2) as (database, changes):
        assert [change.describe() for change in changes] == [
            "rename column awe_evo_run.exptime to exposure_time"]
        assert [(row["label"], row["exposure_time"]) for row in runs(database)] == [
            ("bias", 0.0), ("sci", 900.0)]
        indexed = [item["column_names"]
                   for item in inspect(database.engine).get_indexes("awe_evo_run")]
        assert indexed.count(["exposure_time"]) == 1
    v3 = (run_table(LABEL, COUNT, TAKEN, renamed, ColumnSpec("airmass", "float")),)
    with opened(fresh_url, v3) as (database, changes):
        assert [change.describe() for change in changes] == [
            "add column awe_evo_run.airmass (float)"]
        assert [row["exposure_time"] for row in runs(database)] == [0.0, 900.0]


def test_a_widened_string_is_altered_and_recorded(fresh_url):
    with opened(fresh_url, V1) as (database, _):
        add_runs(database, {"object_id": 1, "label": "bias"})
    wide = ColumnSpec("label", "str", length=120, index=True)
    v2 = (run_table(wide, COUNT, TAKEN, EXPTIME),)
    with opened(fresh_url, v2) as (database, changes):
        assert [change.describe() for change in changes] == [
            "widen column awe_evo_run.label (40 to 120 characters)"]
        add_runs(database, {"object_id": 2, "label": "x" * 100})
        assert [len(row["label"]) for row in runs(database)] == [4, 100]
        if database.dialect == "postgresql":
            column = next(item for item in inspect(database.engine).get_columns("awe_evo_run")
                          if item["name"] == "label")
            assert column["type"].length == 120


def test_destructive_changes_are_refused_and_nothing_is_altered(fresh_url):
    with opened(fresh_url, V1) as (database, _):
        add_runs(database, {"object_id": 1, "label": "bias", "count": 3,
                            "taken": CREATED, "exptime": 1.0})
        before = snapshot(database)
    narrow = ColumnSpec("label", "str", length=20, index=True)
    count_as_text = ColumnSpec("count", "str", length=10)
    taken_as_text = ColumnSpec("taken", "str", length=40)
    duration = ColumnSpec("duration", "float")
    v2 = (run_table(narrow, count_as_text, taken_as_text, duration), NOTE_TABLE)
    database = connect(fresh_url, site=0, evolve=False)
    try:
        with pytest.raises(SchemaEvolutionError) as refused:
            ensure_schema(database, v2)
        after = snapshot(database)
    finally:
        database.dispose()
    message = str(refused.value)
    assert "nothing was altered" in message
    assert "EvoRun.label (awe_evo_run.label): " in message and "(narrowing)" in message
    assert "EvoRun.count (awe_evo_run.count): the database has " in message
    assert "EvoRun.taken (awe_evo_run.taken): " in message
    assert message.count("(a type change)") == 2
    assert ("EvoRun.exptime (awe_evo_run.exptime): the database has this column but the class "
            "no longer declares it (a drop); if it was renamed to 'duration', declare "
            "renamed_from='exptime' there") in message
    assert "`awe db migrate --dry-run`" in message
    assert before == after
    assert "awe_evo_note" not in after


def test_a_renamed_from_that_is_still_declared_is_refused(fresh_url):
    evolve_to(fresh_url, V1)
    both = ColumnSpec("exposure_time", "float", renamed_from="exptime")
    with pytest.raises(SchemaEvolutionError, match="exposure_time.*declares "
                                                   "renamed_from='exptime', but 'exptime' is "
                                                   "declared too"):
        evolve_to(fresh_url, (run_table(LABEL, COUNT, TAKEN, EXPTIME, both),))


def test_a_rename_that_changes_the_type_is_refused(fresh_url):
    evolve_to(fresh_url, V1)
    as_text = ColumnSpec("taken_at", "str", length=40, renamed_from="taken")
    with pytest.raises(SchemaEvolutionError, match=r"EvoRun\.taken_at \(awe_evo_run\.taken_at\)"
                                                   r": .*(datetime|TIMESTAMP).*\(a type change\)"):
        evolve_to(fresh_url, (run_table(LABEL, COUNT, as_text, EXPTIME),))


def test_the_up_to_date_check_is_one_query(fresh_url):
    evolve_to(fresh_url, V1)
    database = connect(fresh_url, site=0, evolve=False)
    try:
        with count_statements(database) as log:
            assert ensure_schema(database, V1) == []
        assert len(log) == 1, log.statements
        assert HISTORY_TABLE in log.statements[0]
        assert "awe_evo_run" in database.metadata.tables
        with count_statements(database) as again:
            ensure_schema(database, V1)
        assert len(again) == 0
    finally:
        database.dispose()


def test_a_class_registered_after_connect_compares_only_its_table(fresh_url):
    database = connect(fresh_url, site=0, evolve=False)
    try:
        ensure_schema(database, V1)
        with count_statements(database) as log:
            changes = ensure_schema(database, (*V1, NOTE_TABLE))
        assert [change.describe() for change in changes] == ["create table awe_evo_note"]
        assert "awe_evo_note" in database.metadata.tables
        reflected = [text for text in log.statements if "awe_evo_run" in text]
        assert reflected == [], reflected
    finally:
        database.dispose()


def test_an_older_client_keeps_working(fresh_url):
    evolve_to(fresh_url, V1)
    v2 = (run_table(LABEL, COUNT, TAKEN, EXPTIME, ColumnSpec("gain", "float", default=1.5)),
          NOTE_TABLE)
    with opened(fresh_url, v2) as (database, _):
        add_runs(database, {"object_id": 1, "label": "new", "gain": 3.0})
    with opened(fresh_url, V1) as (database, changes):
        assert changes == []
        assert [row["label"] for row in runs(database)] == ["new"]
        assert "gain" not in runs(database)[0]
        add_runs(database, {"object_id": 2, "label": "old"})
        assert len(history(database)) == 2
    with opened(fresh_url, v2) as (database, _):
        assert [(row["label"], row["gain"]) for row in runs(database)] == [
            ("new", 3.0), ("old", 1.5)]


def test_an_older_client_is_refused_after_a_rename_it_still_uses(fresh_url):
    evolve_to(fresh_url, V1)
    renamed = ColumnSpec("exposure_time", "float", renamed_from="exptime")
    evolve_to(fresh_url, (run_table(LABEL, COUNT, TAKEN, renamed),))
    with pytest.raises(SchemaEvolutionError, match=r"schema version 2 \(release 0\.1\.0\) "
                                                   r"renamed awe_evo_run\.exptime to "
                                                   r"exposure_time; upgrade the software"):
        evolve_to(fresh_url, V1)


def test_tables_a_client_does_not_declare_are_ignored(fresh_url):
    evolve_to(fresh_url, (*V1, NOTE_TABLE))
    only_notes = (NOTE_TABLE,)
    with opened(fresh_url, only_notes) as (database, changes):
        assert changes == []
        assert "awe_evo_run" in inspect(database.engine).get_table_names()
        assert history(database)[-1].schema_hash == declared_schema(only_notes).schema_hash


@pytest.mark.postgres
def test_a_role_that_is_not_the_owner_refuses(fresh_postgres_url, postgres_admin):
    fresh_url = fresh_postgres_url
    name = fresh_url.rsplit("/", 1)[1]
    reader = f"{name}_reader"
    with opened(fresh_url, V1) as (database, _):
        before = snapshot(database)
    with postgres_admin(name) as admin:
        admin.execute(f'CREATE ROLE "{reader}" LOGIN')
        admin.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{reader}"')
    as_reader = fresh_url.replace("postgres@", f"{reader}@")
    with opened(as_reader, V1) as (database, changes):
        assert changes == []
    v2 = (run_table(LABEL, COUNT, TAKEN, EXPTIME, ColumnSpec("gain", "float")),)
    with pytest.raises(SchemaEvolutionError, match=rf"add column awe_evo_run.gain \(float\)\) "
                                                   rf"and {reader} may not change it; run "
                                                   rf"`awe db migrate` as the owner"):
        evolve_to(as_reader, v2)
    with opened(fresh_url, V1) as (database, _):
        assert snapshot(database) == before
