"""The type table and DDL of DESIGN §3, compiled for SQLite, PostgreSQL and Oracle."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData
from sqlalchemy.dialects import oracle, postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateSequence, CreateTable

import common.persistent  # noqa: F401 - registers the system classes' tables
from common.database import ColumnSpec, TableSpec, build_metadata, build_table
from common.database.backends import OracleBackend, PostgresqlBackend, SqliteBackend
from common.database.catalogue import ID_COUNTER, ID_SEQUENCE
from common.database.naming import (
    MAX_IDENTIFIER,
    RESERVED_WORDS,
    list_table_name,
    snake_case,
    table_name,
)
from common.errors import TableSpecError

DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect(),
            "oracle": oracle.dialect()}

KINDS = TableSpec("awe_kinds", (
    ColumnSpec("object_id", "link", nullable=False),
    ColumnSpec("n", "int"), ColumnSpec("x", "float"), ColumnSpec("s", "str", length=40),
    ColumnSpec("b", "bool"), ColumnSpec("t", "datetime"), ColumnSpec("d", "date"),
    ColumnSpec("j", "dict"), ColumnSpec("other", "link", index=True),
), primary_key=("object_id",))

EXPECTED = {
    "sqlite": ["n INTEGER", "x REAL", "s TEXT", "b INTEGER", "t TEXT", "d DATE", "j JSON",
               "other INTEGER"],
    "postgresql": ["n BIGINT", "x DOUBLE PRECISION", 's VARCHAR(40) COLLATE "C"',
                   "b BOOLEAN", "t TIMESTAMP(6) WITHOUT TIME ZONE", "d DATE", "j JSONB",
                   "other BIGINT"],
    "oracle": ["n NUMBER(19)", "x BINARY_DOUBLE", "s VARCHAR2(40 CHAR)", "b NUMBER(1)",
               "t TIMESTAMP", "d DATE", "j CLOB", "other NUMBER(19)"],
}


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_type_table(dialect):
    metadata = build_metadata(specs=[KINDS])
    ddl = str(CreateTable(metadata.tables["awe_kinds"]).compile(dialect=DIALECTS[dialect]))
    for column in EXPECTED[dialect]:
        assert f"\t{column}" in ddl, (column, ddl)
    assert "REFERENCES awe_object (object_id) DEFERRABLE INITIALLY DEFERRED" in ddl
    assert ("CHECK (j IS JSON)" in ddl) == (dialect == "oracle")


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_registered_table_compiles(dialect):
    metadata = build_metadata()
    assert len(metadata.tables) >= 4
    for table in metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=DIALECTS[dialect]))
        assert table.name in ddl
        for index in table.indexes:
            assert len(index.name) <= MAX_IDENTIFIER
            str(CreateIndex(index).compile(dialect=DIALECTS[dialect]))
        for constraint in table.constraints:
            assert constraint.name is None or len(constraint.name) <= MAX_IDENTIFIER
    if dialect != "sqlite":
        sequence = str(CreateSequence(metadata.info[ID_SEQUENCE]).compile(
            dialect=DIALECTS[dialect]))
        assert "INCREMENT BY 1000" in sequence


@pytest.mark.parametrize("backend", [SqliteBackend(), PostgresqlBackend(), OracleBackend()])
def test_id_reservation_compiles(backend):
    metadata = build_metadata()
    counter = metadata.tables[ID_COUNTER.name]
    sequence = metadata.info[ID_SEQUENCE]
    statements = []

    class Recorder:
        def execute(self, statement):
            statements.append(str(statement.compile(dialect=DIALECTS[backend.name])))
            return self

        def scalar_one(self):
            return 1001

        def scalars(self):
            return [1, 1001]

    backend.reserve_blocks(Recorder(), sequence, counter, 2, 1000)
    assert statements
    expected = {"sqlite": "UPDATE awe_id_block SET next_value=",
                "postgresql": "nextval('awe_object_id_seq')",
                "oracle": "awe_object_id_seq.nextval"}[backend.name]
    assert expected in statements[0].lower() or expected in statements[0]


def test_naming_rules():
    assert snake_case("RawBiasChip") == "raw_bias_chip"
    assert snake_case("QCRecord") == "qc_record"
    assert snake_case("ImageFov") == "image_fov"
    assert table_name("MasterBias") == "awe_master_bias"
    long_name = table_name("ScibasicParametersForTwilightSkyFlats")
    assert len(long_name) == MAX_IDENTIFIER and long_name.startswith("awe_scibasic_paramet")
    assert long_name != table_name("ScibasicParametersForTwilightSkyFlatz")
    assert list_table_name("MasterBias", "raw_chips") == "awe_master_bias__raw_chips"
    assert {"size", "level", "date", "user", "raw", "comment", "number"} <= RESERVED_WORDS
    assert not {"ifu", "night", "file_size", "filename", "checksum"} & RESERVED_WORDS


def test_bad_specs_are_refused():
    with pytest.raises(TableSpecError, match="kind must be one of"):
        ColumnSpec("x", "complex")
    with pytest.raises(TableSpecError, match="length must be 1-4000"):
        ColumnSpec("x", "str", length=5000)
    with pytest.raises(TableSpecError, match="duplicate columns x"):
        TableSpec("t", (ColumnSpec("x", "int"), ColumnSpec("x", "int")), primary_key=("x",))
    with pytest.raises(TableSpecError, match="primary key names unknown columns y"):
        build_table(TableSpec("t", (ColumnSpec("x", "int"),), primary_key=("y",)), MetaData())
