"""The visibility rule compiled into queries for the backends without RLS (Oracle: compile only),
and the PostgreSQL policies derived from each kind of table."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import oracle, sqlite

from common.database import build_metadata
from common.database.backends import OracleBackend, SqliteBackend
from common.database.catalogue import MEMBER_TABLE, OBJECT_TABLE, SITE_TABLE
from common.database.postgresql_security import security_statements, table_kind
from common.database.roles import RoleNames, user_name
from common.database.spec import ColumnSpec, TableSpec
from common.persistent import DBObject
from common.persistent.compiler import QueryCompiler
from common.persistent.registry import concrete_classes
from common.persistent.visibility import visible_rule
from tests.common.privileges.model import PrivSample

BACKENDS = {"sqlite": (SqliteBackend(), sqlite.dialect()),
            "oracle": (OracleBackend(), oracle.dialect())}


@pytest.mark.parametrize("backend_name", sorted(BACKENDS))
@pytest.mark.parametrize("shape", ["single", "union", "link path"])
def test_the_rule_is_in_every_table_read(backend_name: str, shape: str) -> None:
    query = {"single": PrivSample.label == "x", "union": DBObject.select_all(),
             "link path": PrivSample.source.label == "y"}[shape]
    backend, dialect = BACKENDS[backend_name]
    metadata = build_metadata()
    members = metadata.tables[MEMBER_TABLE.name]
    compiler = QueryCompiler(query, backend, lambda name: metadata.tables[name],
                             visible=lambda source: visible_rule(source, "alice", members))
    expected = {"single": 1, "union": len(concrete_classes(DBObject)), "link path": 2}[shape]
    for statement in (compiler.count(), compiler.rows() if compiler.single else compiler.ids()):
        sql = str(statement.compile(dialect=dialect))
        assert sql.count("FROM awe_member") == sql.count("privileges >=") == expected, sql


def test_no_rule_where_the_database_enforces_it() -> None:
    backend, dialect = BACKENDS["sqlite"]
    metadata = build_metadata()
    compiler = QueryCompiler(PrivSample.label == "x", backend, lambda name: metadata.tables[name])
    assert "awe_member" not in str(compiler.rows().compile(dialect=dialect))


def test_policies_follow_the_columns() -> None:
    job = TableSpec("awe_fake_job", (ColumnSpec("job_id", "int"), ColumnSpec("creator", "str"),
                                     ColumnSpec("state", "str")),
                    primary_key=("job_id",), mutable=("state",))
    assert [table_kind(spec) for spec in (OBJECT_TABLE, job, SITE_TABLE)] == \
        ["owned", "creator only", "system"]
    statements = security_statements([OBJECT_TABLE, job, SITE_TABLE], RoleNames("p_"),
                                     sequence="awe_object_id_seq", quote=lambda name: name)
    text = "\n".join(statements)
    assert "GRANT SELECT, INSERT, DELETE, UPDATE (privileges) ON awe_object TO p_awe_user" in text
    assert "GRANT SELECT, INSERT, DELETE, UPDATE (state) ON awe_fake_job TO p_awe_user" in text
    assert "GRANT SELECT ON awe_site TO p_awe_user" in text
    assert "CREATE POLICY awe_world_read ON awe_object FOR SELECT TO p_awe_anonymous USING " \
           "((privileges >= 4))" in text
    assert "CREATE POLICY awe_world_read ON awe_fake_job" not in text, "a job: its creator only"
    assert "CREATE POLICY awe_service_all ON awe_fake_job TO p_awe_service" in text, \
        "and the DPU scheduler"
    for table in ("awe_object", "awe_fake_job", "awe_site", "awe_schema_history"):
        assert f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY" in text
        assert f"CREATE POLICY awe_owner_all ON {table} TO p_awe_owner" in text


def test_one_rule_maps_roles_to_user_names() -> None:
    assert user_name("p_alice", "p_") == "alice"
    assert user_name("alice", "p_") == "alice", "a role without the prefix is its own name"
    assert user_name("postgres", "") == "postgres"
    assert user_name("p_", "p_") == "p_", "the bare prefix is not a user"
    assert RoleNames("p_").role("alice") == "p_alice"
