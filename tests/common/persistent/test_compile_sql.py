"""Every query shape and every statement of the persistent layer compiles for SQLite,
PostgreSQL and Oracle (Oracle has no server here, so compiling is its test)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.dialects import oracle, postgresql, sqlite

from common.database import build_metadata
from common.database.backends import OracleBackend, PostgresqlBackend, SqliteBackend
from common.persistent import DBObject, persistent
from common.persistent import statements as persistent_statements
from common.persistent.compiler import QueryCompiler
from common.persistent.query import Query
from common.persistent.system import ParameterSet

BACKENDS = {"sqlite": (SqliteBackend(), sqlite.dialect()),
            "postgresql": (PostgresqlBackend(), postgresql.dialect()),
            "oracle": (OracleBackend(), oracle.dialect())}


class CmpChip(DBObject):
    ifu = persistent("IFU", int)
    extname = persistent("extension", str, None, length=8)
    DATE_OBS = persistent("start", dt.datetime)
    flagged = persistent("flag", bool)


class CmpMaster(DBObject):
    ifu = persistent("IFU", int)
    chip = persistent("a chip", CmpChip)
    previous = persistent("previous master", "CmpMaster")
    chips = persistent("chips", CmpChip, [])
    quality_flags = persistent("flags", int, 0)


class CmpMasterSub(CmpMaster):
    note = persistent("note", str)


class CmpParameters(ParameterSet):
    sigma = persistent("sigma", float, 3.0)


QUERIES = {
    "single table": (CmpChip.ifu == 5) & (CmpChip.extname.like("CHAN*")),
    "negation and null": ~((CmpChip.ifu < 5) | (CmpChip.DATE_OBS == None)),  # noqa: E711
    "in list": CmpChip.ifu.in_(list(range(1500))),
    "bool": CmpChip.flagged == True,  # noqa: E712
    "bits": CmpMasterSub.quality_flags.any_bits(6),
    "link path": (CmpMasterSub.chip.ifu == 5) & (CmpMasterSub.previous.chip.extname > "A"),
    "polymorphic": (CmpMaster.ifu >= 2).order_by("chip.DATE_OBS", desc=True)[10:20],
    "polymorphic link path": ~(CmpMaster.previous.previous.ifu != 3),
    "everything": CmpMaster.select_all(),
    "max": (CmpMaster.ifu == 1).order_by("ifu", desc=True)[0:1],
}


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_queries_compile(backend, name):
    sql_backend, dialect = BACKENDS[backend]
    metadata = build_metadata()
    compiler = QueryCompiler(QUERIES[name], sql_backend, metadata.tables.__getitem__)
    main = compiler.rows() if compiler.single else compiler.ids()
    text = str(main.compile(dialect=dialect))
    count = str(compiler.count().compile(dialect=dialect))
    assert "count(*)" in count.lower()
    if not compiler.single:
        assert "UNION ALL" in text
    if "link" in name:
        assert "LEFT OUTER JOIN" in text
    if backend == "oracle":
        assert "LIMIT" not in text
        if name == "bits":
            assert "BITAND(" in text
        if name == "polymorphic":
            assert "OFFSET" in text and "FETCH FIRST" in text
    if name == "single table":
        expected = {"sqlite": "GLOB", "postgresql": "LIKE", "oracle": "LIKE"}[backend]
        assert expected in text
    if name == "in list":
        assert text.count(" IN (") == 2, "more than 1000 values are split into OR-ed lists"
    if name == "polymorphic":
        assert "NULLS FIRST" in text


def test_like_escapes_sql_wildcards():
    sql_backend, dialect = BACKENDS["postgresql"]
    compiled = (CmpChip.extname.like("a%_*"))
    compiler = QueryCompiler(compiled, sql_backend, build_metadata().tables.__getitem__)
    statement = compiler.rows().compile(dialect=dialect)
    assert "ESCAPE" in str(statement)
    assert "a\\%\\_%" in statement.params.values()
    glob = QueryCompiler(CmpChip.extname.like("[?*"), BACKENDS["sqlite"][0],
                         build_metadata().tables.__getitem__).rows().compile(
                             dialect=BACKENDS["sqlite"][1])
    assert "[[][?]*" in glob.params.values()


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_every_statement_compiles(backend):
    dialect = BACKENDS[backend][1]
    tables = build_metadata().tables
    chips = tables[CmpMaster._meta.list_tables["chips"]]
    master = tables[CmpMaster._meta.table]
    built = [
        persistent_statements.rows_by_ids(master, [1, 2]),
        persistent_statements.catalogue_classes(tables["awe_object"], [1, 2]),
        persistent_statements.list_items(chips, [1, 2]),
        persistent_statements.equal_values(tables[CmpParameters._meta.table], ["ab"]),
        persistent_statements.insert_rows(master),
        persistent_statements.lock_fields(master, 1, ["ifu", "quality_flags"]),
        persistent_statements.update_fields(master, 1, {"ifu": 2}),
        persistent_statements.update_catalogue_privileges(tables["awe_object"], 1, 3),
    ]
    texts = [str(statement.compile(dialect=dialect)) for statement in built]
    lock = texts[5]
    assert ("FOR UPDATE" in lock) == (backend != "sqlite")
    assert texts[4].startswith("INSERT INTO awe_cmp_master")


def test_query_repr_is_readable():
    query = ((CmpChip.ifu == 5) & CmpChip.extname.like("C*") & ~CmpChip.ifu.in_([1, 2])
             | (CmpChip.DATE_OBS == None))  # noqa: E711
    assert repr(query.order_by("ifu", desc=True)[2:5]) == (
        "Query(CmpChip: ((ifu == 5) & (extname.like('C*')) & (~(ifu.in_([1, 2])))) | "
        "(DATE_OBS == None), order by ifu desc, [2:5])")
    assert repr(CmpChip.select_all()) == "Query(CmpChip: everything)"
    assert repr(Query(CmpChip, (CmpChip.ifu == 1).where)) == "Query(CmpChip: ifu == 1)"
