"""``Backend.rows_table``: many request rows as one FROM clause with one parameter, per backend."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Integer, select
from sqlalchemy.dialects import oracle

from common.database import connect
from common.database.backends import OracleBackend
from common.database.types import sql_type

ROWS = [{"n": index, "t": dt.datetime(2016, 3, 14, 20, 40, 0, index), "s": f"mode {index}",
         "x": None} for index in range(5000)]


def _columns():
    return {"n": Integer(), "t": sql_type("datetime"), "s": sql_type("str", 40),
            "x": sql_type("int")}


def test_rows_come_back_typed_from_one_parameter(database_url):
    database = connect(database_url, site=0)
    try:
        rows = database.backend.rows_table("requests", _columns(), ROWS)
        statement = select(rows.c.n, rows.c.t, rows.c.s, rows.c.x).order_by(rows.c.n)
        compiled = statement.compile(dialect=database.engine.dialect)
        assert len(compiled.params) == 1  # 20,000 values in one bound parameter
        with database.read() as connection:
            found = [tuple(row) for row in connection.execute(statement)]
    finally:
        database.dispose()
    assert found == [(row["n"], row["t"], row["s"], None) for row in ROWS]


def test_oracle_reads_the_rows_through_json_table():
    rows = OracleBackend().rows_table("requests", _columns(), ROWS[:2])
    sql = str(select(rows.c.n, rows.c.s).compile(dialect=oracle.dialect()))
    assert "JSON_TABLE(:requests_rows, '$[*]' COLUMNS (n INTEGER PATH '$.n', " in sql
    assert "t TIMESTAMP PATH '$.t', s VARCHAR2(40 CHAR) PATH '$.s'" in sql


@pytest.mark.parametrize("value", [dt.datetime(2016, 1, 1, 0, 0, 0, 1), dt.date(2016, 1, 1)])
def test_dates_travel_as_iso_text(value):
    from common.database.backends.base import json_rows

    assert json_rows([{"v": value}]) == f'[{{"v": "{value.isoformat()}"}}]'
