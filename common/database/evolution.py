"""Additive schema evolution: the diff between the declared tables and the database, applied safely.

:func:`plan_evolution` compares the declared tables with the database through Alembic's
``compare_metadata`` (only tables the client declares; others are ignored, never dropped) and
with the model recorded in the newest history row, and sorts each difference:

- **additive** (a :class:`Change`): a new table, a new column (its declared default as server
  default, so existing rows and older clients' inserts read it; a ``None`` default gives a plain
  nullable column), a widened string, a rename declared with ``renamed_from``, a new index;
- **refused**: a column missing from a declared class (a drop), a type change, a narrowed
  string, a rename without ``renamed_from``, a unique constraint or link on an existing column.

:func:`evolve` applies the additive changes in one transaction under the schema lock
(``pg_advisory_xact_lock``; SQLite ``BEGIN IMMEDIATE``), re-reading the newest hash under the
lock, and records them in ``awe_schema_history`` with their statements. Any refusal raises
:class:`~common.errors.SchemaEvolutionError` naming each difference, and nothing is altered.
Only the owner runs DDL: the SQLite user; on PostgreSQL a superuser, the database owner or a
member of ``awe_owner`` (with ``AWE_ROLE_PREFIX``); on Oracle nobody (the DBA runs the script of
:func:`render_script`). DDL on PostgreSQL runs as the role that owns the schema.

Differences of nullability, comments and server defaults, and indexes or constraints the client
does not declare, are left alone.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    DDL,
    CheckConstraint,
    Column,
    Connection,
    ForeignKey,
    Index,
    MetaData,
    Table,
    Text,
    event,
    exists,
    func,
    inspect,
    literal,
    select,
)
from sqlalchemy import column as catalog_column
from sqlalchemy import table as catalog_table
from sqlalchemy.schema import (
    AddConstraint,
    CreateIndex,
    CreateSequence,
    CreateTable,
    SetColumnComment,
    SetTableComment,
)

from common.config import load_config
from common.database.backends.postgresql import SCHEMA_LOCK_KEY
from common.database.catalogue import ID_COUNTER, ID_SEQUENCE, OBJECT_TABLE, SITE_TABLE
from common.database.history import (
    HISTORY_TABLE,
    DeclaredSchema,
    history_table,
    merge_models,
    model_text,
    software_release,
)
from common.database.mapping import build_metadata
from common.database.naming import constraint_name
from common.database.sites import LOCAL_SITE, utcnow
from common.database.spec import ColumnSpec, TableSpec
from common.errors import SchemaEvolutionError

if TYPE_CHECKING:
    from common.database.engine import Database

__all__ = [
    "Change",
    "Plan",
    "Preview",
    "evolve",
    "not_owner_error",
    "plan_evolution",
    "prepare_owner_roles",
    "preview",
    "render_script",
]

log = logging.getLogger(__name__)

CREATE_SEQUENCE = "create sequence"
CREATE_TABLE = "create table"
INSERT_ROW = "insert row"
RENAME_COLUMN = "rename column"
WIDEN_COLUMN = "widen column"
ADD_COLUMN = "add column"
CREATE_INDEX = "create index"
# The order changes are applied in (tables before their columns and indexes).
ACTION_ORDER = (CREATE_SEQUENCE, CREATE_TABLE, INSERT_ROW, RENAME_COLUMN, WIDEN_COLUMN,
                ADD_COLUMN, CREATE_INDEX)
# Oracle refuses string literals over 4000 bytes: long texts go in as TO_CLOB pieces.
ORACLE_LITERAL_CHARS = 1000
MIGRATE_HINT = ("keep these declarations as the database has them (declare renamed_from='old "
                "name' on a renamed attribute), or make the change by hand as the owner and then "
                "run `awe db migrate`; `awe db migrate --dry-run` lists every difference")


@dataclass(frozen=True)
class Change:
    """One additive change: ``action`` on ``table`` (``column``, ``detail`` as the action needs)."""

    action: str
    table: str
    column: str = ""
    detail: str = ""

    def describe(self) -> str:
        """One line for people: ``add column awe_master_bias.gain (float, default 1.5)``."""
        if self.action == RENAME_COLUMN:
            return f"rename column {self.table}.{self.detail} to {self.column}"
        if self.action in (ADD_COLUMN, WIDEN_COLUMN):
            return f"{self.action} {self.table}.{self.column} ({self.detail})"
        if self.action == CREATE_INDEX:
            return f"create index {self.column} on {self.table}"
        if self.action == INSERT_ROW:
            return f"insert row into {self.table} ({self.detail})"
        return f"{self.action} {self.table}"

    def to_json(self) -> dict[str, str]:
        """The change as plain data, as the history records it."""
        return {"action": self.action, "table": self.table, "column": self.column,
                "detail": self.detail}


@dataclass
class Plan:
    """What evolving the database to the declared tables takes: changes, or refusals."""

    changes: list[Change] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        """One line per change."""
        return [change.describe() for change in self.changes]


@dataclass(frozen=True)
class _Newest:
    version_id: int
    schema_hash: str
    model: dict[str, Any] | None


@dataclass(frozen=True)
class _Permission:
    allowed: bool
    user: str
    run_as: str | None


# --- comparing -------------------------------------------------------------------------------


def _comparing(connection: Connection, names: set[str]) -> MigrationContext:
    """A migration context that compares only the tables ``names`` (and types, not defaults)."""
    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        return type_ != "table" or name in names

    def include_object(item: Any, name: str | None, type_: str, reflected: bool,
                       compare_to: Any) -> bool:
        return type_ != "table" or name in names

    return MigrationContext.configure(connection, opts={
        "include_name": include_name, "include_object": include_object, "compare_type": True,
        "compare_server_default": False})


def _diffs(context: MigrationContext, metadata: MetaData) -> Iterator[tuple]:
    for diff in compare_metadata(context, metadata):
        if isinstance(diff, list):
            yield from diff
        else:
            yield diff


def _column_names(item: Any) -> tuple[str, ...]:
    return tuple(column.name for column in item.columns)


def _kind_text(spec: ColumnSpec | None, fallback: Any) -> str:
    if spec is None:
        return str(fallback)
    return f"str({spec.length})" if spec.kind == "str" else spec.kind


def _default_text(spec: ColumnSpec) -> str:
    kind = _kind_text(spec, "")
    return kind if spec.default is None else f"{kind}, default {spec.default!r}"


@dataclass
class _TableDiff:
    """The differences Alembic reports for one existing table."""

    added: dict[str, Column] = field(default_factory=dict)
    removed: dict[str, Column] = field(default_factory=dict)
    retyped: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    indexes: list[Index] = field(default_factory=list)
    uniques: list[tuple[str, ...]] = field(default_factory=list)
    links: list[tuple[str, ...]] = field(default_factory=list)
    reflected_indexes: set[tuple[str, ...]] = field(default_factory=set)
    reflected_uniques: set[tuple[str, ...]] = field(default_factory=set)
    reflected_links: set[tuple[str, ...]] = field(default_factory=set)


def _sort_diffs(diffs: Iterator[tuple]) -> tuple[set[str], dict[str, _TableDiff]]:
    new_tables: set[str] = set()
    tables: dict[str, _TableDiff] = {}

    def of(name: str) -> _TableDiff:
        return tables.setdefault(name, _TableDiff())

    for diff in diffs:
        kind = diff[0]
        if kind == "add_table":
            new_tables.add(diff[1].name)
        elif kind == "add_column":
            of(diff[2]).added[diff[3].name] = diff[3]
        elif kind == "remove_column":
            of(diff[2]).removed[diff[3].name] = diff[3]
        elif kind == "modify_type":
            of(diff[2]).retyped[diff[3]] = (diff[5], diff[6])
        elif kind == "add_index":
            of(diff[1].table.name).indexes.append(diff[1])
        elif kind == "remove_index":
            target = of(diff[1].table.name)
            (target.reflected_uniques if diff[1].unique else target.reflected_indexes).add(
                _column_names(diff[1]))
        elif kind == "add_constraint":
            of(diff[1].table.name).uniques.append(_column_names(diff[1]))
        elif kind == "remove_constraint":
            of(diff[1].table.name).reflected_uniques.add(_column_names(diff[1]))
        elif kind == "add_fk":
            of(diff[1].table.name).links.append(tuple(diff[1].column_keys))
        elif kind == "remove_fk":
            of(diff[1].table.name).reflected_links.add(tuple(diff[1].column_keys))
    return new_tables, tables


class _Planner:
    """Sorts the differences of the declared tables into changes and refusals."""

    def __init__(self, declared: DeclaredSchema, metadata: MetaData,
                 recorded: dict[str, Any] | None, context: MigrationContext) -> None:
        self.specs = {spec.name: spec for spec in declared.specs}
        self.metadata = metadata
        self.context = context
        self.recorded = (recorded or {}).get("tables", {})
        self.plan = Plan()
        self.settled: set[tuple[str, str]] = set()

    def label(self, table_name: str, column_name: str = "") -> str:
        spec = self.specs.get(table_name)
        owner = f"{spec.owner}." if spec is not None and spec.owner else ""
        where = f"{table_name}.{column_name}" if column_name else table_name
        return f"{owner}{column_name} ({where})" if owner and column_name else where

    def refuse(self, table_name: str, column_name: str, text: str) -> None:
        self.settled.add((table_name, column_name))
        self.plan.refusals.append(f"{self.label(table_name, column_name)}: {text}")

    def change(self, change: Change) -> None:
        self.settled.add((change.table, change.column))
        self.plan.changes.append(change)

    def new_table(self, name: str, *, sequences: bool) -> None:
        if name == OBJECT_TABLE.name and sequences:
            self.change(Change(CREATE_SEQUENCE, ID_SEQUENCE))
        self.change(Change(CREATE_TABLE, name))
        if name == ID_COUNTER.name:
            self.change(Change(INSERT_ROW, name, detail=f"{ID_SEQUENCE} starts at 1"))
        elif name == SITE_TABLE.name:
            self.change(Change(INSERT_ROW, name, detail=f"site {LOCAL_SITE[0]} "
                                                        f"{LOCAL_SITE[1]!r}"))

    def existing_table(self, name: str, diff: _TableDiff) -> None:
        spec = self.specs.get(name)
        columns = {column.name: column for column in spec.columns} if spec else {}
        renamed = self.renames(name, columns, diff)
        for column_name in diff.added:
            self.change(Change(ADD_COLUMN, name, column_name,
                               _default_text(columns[column_name]) if column_name in columns
                               else ""))
        for column_name, reflected in diff.removed.items():
            self.refuse_drop(name, column_name, reflected, diff)
        for column_name, (old, new) in diff.retyped.items():
            self.retype(name, column_name, old, new, columns.get(column_name))
        self.check_recorded(name, columns, renamed)

        def mapped(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(renamed.get(item, item) for item in names)

        reflected_indexes = {mapped(names) for names in diff.reflected_indexes}
        reflected_uniques = {mapped(names) for names in diff.reflected_uniques}
        reflected_links = {mapped(names) for names in diff.reflected_links}
        for index in diff.indexes:
            names = _column_names(index)
            if names not in reflected_indexes:
                self.change(Change(CREATE_INDEX, name, index.name,
                                   ", ".join(names)))
        for names in diff.uniques:
            if names not in reflected_uniques:
                self.refuse(name, ", ".join(names),
                            "declared unique, but the existing table has no unique constraint "
                            "on it (existing rows could violate it)")
        for names in diff.links:
            if names not in reflected_links and not set(names) <= set(diff.added):
                self.refuse(name, ", ".join(names), "declared a link, but the existing column "
                            "is not one (a type change)")
        for names in diff.reflected_links:
            target = mapped(names)
            declared_link = all(columns.get(item) is not None and columns[item].kind == "link"
                                for item in target)
            if not declared_link and set(names).isdisjoint(diff.removed):
                self.refuse(name, ", ".join(target), "a link in the database, but no longer "
                            "declared as one (a type change)")

    def renames(self, name: str, columns: dict[str, ColumnSpec],
                diff: _TableDiff) -> dict[str, str]:
        renamed: dict[str, str] = {}
        for column in columns.values():
            old = column.renamed_from
            if old is None or column.name not in diff.added:
                continue
            if old in columns:
                self.refuse(name, column.name, f"declares renamed_from={old!r}, but {old!r} is "
                            "declared too")
                del diff.added[column.name]
            elif old in diff.removed:
                reflected = diff.removed.pop(old)
                del diff.added[column.name]
                renamed[old] = column.name
                # Not settled: the recorded kind of the old column is still checked.
                self.plan.changes.append(Change(RENAME_COLUMN, name, column.name, old))
                declared = self.metadata.tables[name].c[column.name]
                if self.context.impl.compare_type(reflected, declared):
                    self.retype(name, column.name, reflected.type, declared.type, column)
        return renamed

    def refuse_drop(self, name: str, column_name: str, reflected: Column,
                    diff: _TableDiff) -> None:
        candidates = [added for added in diff.added
                      if type(diff.added[added].type)._type_affinity
                      is type(reflected.type)._type_affinity]
        hint = (f"; if it was renamed to {', '.join(map(repr, candidates))}, declare "
                f"renamed_from={column_name!r} there (a rename without renamed_from is "
                "ambiguous)" if candidates else "")
        self.refuse(name, column_name, "the database has this column but the class no longer "
                    f"declares it (a drop){hint}")

    def retype(self, name: str, column_name: str, old: Any, new: Any,
               spec: ColumnSpec | None) -> None:
        if type(old)._type_affinity is type(new)._type_affinity:
            self.widen_or_refuse(name, column_name, old, new, spec)
        else:
            self.refuse(name, column_name, f"the database has {old}, the class declares "
                        f"{_kind_text(spec, new)} (a type change)")

    def widen_or_refuse(self, name: str, column_name: str, old: Any, new: Any,
                        spec: ColumnSpec | None) -> None:
        old_length = getattr(old, "length", None)
        new_length = getattr(new, "length", None)
        if old_length is None or new_length is None or old_length == new_length:
            self.refuse(name, column_name, f"the database has {old}, the class declares "
                        f"{_kind_text(spec, new)} (a type change)")
        elif new_length > old_length:
            self.change(Change(WIDEN_COLUMN, name, column_name,
                               f"{old_length} to {new_length} characters"))
        else:
            self.refuse(name, column_name, f"the database holds up to {old_length} characters, "
                        f"the class declares {new_length} (narrowing)")

    def check_recorded(self, name: str, columns: dict[str, ColumnSpec],
                       renamed: dict[str, str]) -> None:
        """Kind and length changes the database types cannot show (SQLite stores both as TEXT)."""
        recorded = self.recorded.get(name, {}).get("columns", {})
        previous = {new: old for old, new in renamed.items()}
        for column in columns.values():
            if (name, column.name) in self.settled:
                continue
            before = recorded.get(previous.get(column.name, column.name))
            if before is None:
                continue
            if before["kind"] != column.kind:
                self.refuse(name, column.name, f"recorded as {before['kind']}, the class "
                            f"declares {column.kind} (a type change)")
            elif column.kind == "str" and before["length"] != column.length:
                if column.length > before["length"]:
                    self.change(Change(WIDEN_COLUMN, name, column.name,
                                       f"{before['length']} to {column.length} characters"))
                else:
                    self.refuse(name, column.name, f"recorded with up to {before['length']} "
                                f"characters, the class declares {column.length} (narrowing)")


def declared_metadata(declared: DeclaredSchema, only: frozenset[str] | None = None
                      ) -> MetaData:
    """Fresh tables of ``declared``: its specs (only those named in ``only``, if given).

    The system tables, the id sequence and the history table are always there.
    """
    specs = [spec for spec in declared.specs if only is None or spec.name in only]
    metadata = build_metadata(specs)
    history_table(metadata)
    return metadata


def plan_evolution(connection: Connection, declared: DeclaredSchema, metadata: MetaData, *,
                   recorded: dict[str, Any] | None = None,
                   only: frozenset[str] | None = None) -> Plan:
    """The changes (or refusals) that take the database of ``connection`` to ``declared``.

    ``metadata`` holds the declared tables (:func:`declared_metadata`); ``recorded`` is the
    model of the newest history row; ``only`` restricts the comparison to these tables.
    """
    # With ``only``, the history table is compared too: Alembic reflects every table when none
    # of the compared ones exists yet (an empty name filter means no filter).
    names = set(metadata.tables) if only is None else {*only, HISTORY_TABLE} & set(
        metadata.tables)
    context = _comparing(connection, names)
    new_tables, tables = _sort_diffs(_diffs(context, metadata))
    planner = _Planner(declared, metadata, recorded, context)
    for created in metadata.sorted_tables:
        if created.name in new_tables:
            planner.new_table(created.name, sequences=connection.dialect.supports_sequences)
    for name in sorted(names - new_tables):
        planner.existing_table(name, tables.get(name, _TableDiff()))
    planner.plan.changes.sort(key=lambda change: ACTION_ORDER.index(change.action))
    return planner.plan


# --- applying --------------------------------------------------------------------------------


def _server_default(spec: ColumnSpec | None, declared: Column) -> Any:
    if spec is None or spec.default is None:
        return None
    if spec.kind == "dict":
        return literal(json.dumps(spec.default, sort_keys=True), Text())
    return literal(spec.default, declared.type)


def _added_column(table_spec: TableSpec | None, declared: Column) -> Column:
    spec = next((column for column in table_spec.columns if column.name == declared.name),
                None) if table_spec is not None else None
    links = [ForeignKey(key.target_fullname, name=key.name, deferrable=key.deferrable,
                        initially=key.initially) for key in declared.foreign_keys]
    return Column(declared.name, declared.type, *links, nullable=True,
                  server_default=_server_default(spec, declared), comment=declared.comment)


def _apply(operations: Operations, change: Change, metadata: MetaData,
           specs: dict[str, TableSpec]) -> None:
    dialect = operations.migration_context.dialect
    if change.action == CREATE_SEQUENCE:
        operations.execute(CreateSequence(metadata.info[ID_SEQUENCE],
                                          if_not_exists=dialect.name == "postgresql"))
        return
    declared = metadata.tables[change.table]
    if change.action == CREATE_TABLE:
        operations.execute(CreateTable(declared))
        for index in sorted(declared.indexes, key=lambda item: item.name):
            operations.execute(CreateIndex(index))
        if dialect.supports_comments and not dialect.inline_comments:
            if declared.comment:
                operations.execute(SetTableComment(declared))
            for item in declared.columns:
                if item.comment:
                    operations.execute(SetColumnComment(item))
    elif change.action == INSERT_ROW:
        if change.table == ID_COUNTER.name:
            operations.execute(declared.insert().values(name=ID_SEQUENCE, next_value=1))
        else:
            operations.execute(declared.insert().values(
                site_id=LOCAL_SITE[0], name=LOCAL_SITE[1], registered=utcnow()))
    elif change.action == RENAME_COLUMN:
        operations.alter_column(change.table, change.detail, new_column_name=change.column)
    elif change.action == WIDEN_COLUMN:
        if dialect.name != "sqlite":
            operations.alter_column(change.table, change.column,
                                    type_=declared.c[change.column].type)
    elif change.action == ADD_COLUMN:
        operations.add_column(change.table,
                              _added_column(specs.get(change.table), declared.c[change.column]),
                              inline_references=dialect.name == "sqlite")
        if dialect.name == "oracle":
            json_check = constraint_name("ck", change.table, change.column)
            for constraint in declared.constraints:
                if isinstance(constraint, CheckConstraint) and constraint.name == json_check:
                    operations.execute(AddConstraint(constraint))
    elif change.action == CREATE_INDEX:
        index = next(item for item in declared.indexes if item.name == change.column)
        operations.execute(CreateIndex(index))


def _apply_all(operations: Operations, plan: Plan, metadata: MetaData,
               declared: DeclaredSchema) -> None:
    specs = {spec.name: spec for spec in declared.specs}
    total = len(plan.changes)
    for number, change in enumerate(plan.changes, 1):
        log.info("schema evolution %d/%d: %s", number, total, change.describe())
        _apply(operations, change, metadata, specs)


def _long_text(value: str, dialect_name: str) -> Any:
    if dialect_name != "oracle" or len(value) <= ORACLE_LITERAL_CHARS:
        return value
    pieces = [func.to_clob(literal(value[start:start + ORACLE_LITERAL_CHARS], Text()))
              for start in range(0, len(value), ORACLE_LITERAL_CHARS)]
    joined = pieces[0]
    for piece in pieces[1:]:
        joined = joined.concat(piece)
    return joined


def _history_row(history: Table, *, version_id: int, declared: DeclaredSchema,
                 applied_by: str, plan: Plan, statements: Sequence[str],
                 model: dict[str, Any], dialect_name: str) -> Any:
    return history.insert().values(
        version_id=version_id,
        schema_hash=declared.schema_hash,
        datamodel_version=declared.datamodel_version[:63],
        software_release=software_release()[:63],
        applied_by=applied_by[:63],
        applied_at=utcnow(),
        changes=_long_text(json.dumps([change.to_json() for change in plan.changes],
                                      sort_keys=True), dialect_name),
        statements=_long_text(";\n".join(statements), dialect_name),
        model=_long_text(model_text(model), dialect_name),
    )


# --- reading the history and the role -------------------------------------------------------

_HISTORY = history_table(MetaData())
_PG_ROLES = catalog_table("pg_roles", catalog_column("oid"), catalog_column("rolname"),
                          catalog_column("rolsuper"))
_PG_DATABASE = catalog_table("pg_database", catalog_column("datname"), catalog_column("datdba"))
_PG_TABLES = catalog_table("pg_tables", catalog_column("schemaname"),
                           catalog_column("tablename"), catalog_column("tableowner"))


def _newest(connection: Connection) -> _Newest | None:
    if not inspect(connection).has_table(HISTORY_TABLE):
        return None
    row = connection.execute(
        select(_HISTORY.c.version_id, _HISTORY.c.schema_hash, _HISTORY.c.model)
        .order_by(_HISTORY.c.version_id.desc()).limit(1)).first()
    if row is None:
        return None
    return _Newest(row.version_id, row.schema_hash, json.loads(row.model))


def _versions_since(connection: Connection, schema_hash: str
                    ) -> list[tuple[int, str, list[dict[str, str]]]] | None:
    """History rows from the first one with ``schema_hash`` on; None when it is unknown."""
    first = (select(func.min(_HISTORY.c.version_id))
             .where(_HISTORY.c.schema_hash == schema_hash).scalar_subquery())
    rows = connection.execute(
        select(_HISTORY.c.version_id, _HISTORY.c.software_release, _HISTORY.c.changes)
        .where(_HISTORY.c.version_id >= first).order_by(_HISTORY.c.version_id)).all()
    if not rows:
        return None
    return [(row.version_id, row.software_release, json.loads(row.changes)) for row in rows]


def _refuse_stale_names(database: Database, declared: DeclaredSchema,
                        since: list[tuple[int, str, list[dict[str, str]]]]) -> None:
    """An older client may run, unless a later version renamed a column it still uses."""
    columns = {(spec.name, column.name) for spec in declared.specs for column in spec.columns}
    stale = [f"schema version {version} (release {release}) renamed {change['table']}."
             f"{change['detail']} to {change['column']}"
             for version, release, changes in since[1:] for change in changes
             if change["action"] == RENAME_COLUMN
             and (change["table"], change["detail"]) in columns]
    if stale:
        raise SchemaEvolutionError(
            f"database {database.url}: this software (release {software_release()}) is older "
            f"than the database's schema and still uses renamed columns: {'; '.join(stale)}; "
            "upgrade the software")


def _permission(database: Database, connection: Connection) -> _Permission:
    backend = database.backend
    if backend.name != "postgresql":
        return _Permission(backend.may_run_ddl(connection), load_config().user, None)
    owner_role = f"{load_config().role_prefix}awe_owner"
    database_owner = exists().where(_PG_DATABASE.c.datname == func.current_database(),
                                    func.pg_has_role(_PG_DATABASE.c.datdba, "MEMBER"))
    member_of_owner = exists().where(_PG_ROLES.c.rolname == owner_role,
                                     func.pg_has_role(_PG_ROLES.c.oid, "MEMBER"))
    owner_ready = exists().where(
        _PG_ROLES.c.rolname == owner_role, func.pg_has_role(_PG_ROLES.c.oid, "MEMBER"),
        func.has_schema_privilege(_PG_ROLES.c.rolname, func.current_schema(), "CREATE"))
    schema_owner = (select(_PG_TABLES.c.tableowner)
                    .where(_PG_TABLES.c.schemaname == func.current_schema(),
                           _PG_TABLES.c.tablename == HISTORY_TABLE).scalar_subquery())
    row = connection.execute(select(func.current_user(), database_owner, member_of_owner,
                                    owner_ready, schema_owner)).one()
    user, is_database_owner, is_owner_member, ready, history_owner = row
    run_as = history_owner or (owner_role if ready else None)
    return _Permission(bool(is_database_owner or is_owner_member), user,
                       None if run_as == user else run_as)


def _refusal_error(database: Database, plan: Plan) -> SchemaEvolutionError:
    listed = "\n".join(f"  - {refusal}" for refusal in plan.refusals)
    return SchemaEvolutionError(
        f"database {database.url}: the declared data model differs from the database in "
        f"{len(plan.refusals)} way(s) that are not additive; nothing was altered:\n{listed}\n"
        f"{MIGRATE_HINT}")


def not_owner_error(database: Database, plan: Plan, user: str) -> SchemaEvolutionError:
    """The refusal of a role that may not run the DDL ``plan`` needs: who runs what instead."""
    shown = "; ".join(plan.describe()[:5]) + (" …" if len(plan.changes) > 5 else "")
    if database.backend.name == "oracle":
        command = ("clients do not change an Oracle schema: have the DBA run the script that "
                   "`awe db migrate --sql` writes")
    else:
        command = "run `awe db migrate` as the owner"
    return SchemaEvolutionError(
        f"database {database.url}: the schema needs {len(plan.changes)} change(s) ({shown}) "
        f"and {user or 'this role'} may not change it; {command}")


# --- the entry points -------------------------------------------------------------------------


@contextmanager
def _capturing(connection: Connection, statements: list[str]) -> Iterator[None]:
    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        statements.append(statement.strip())

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(connection, "before_cursor_execute", record)


def evolve(database: Database, declared: DeclaredSchema, *, has_history: bool = True,
           synced_hash: str | None = None, only: frozenset[str] | None = None) -> list[Change]:
    """Bring the database to ``declared`` with additive changes; return the changes applied.

    The caller has read the newest history row and found another hash (``has_history=False``:
    there is no history). A client whose hash is in the history is older: it runs as it is,
    unless a later version renamed a column it uses. Otherwise the plan is made and applied in
    one transaction under the schema lock, after re-reading the newest hash there (another
    process may have evolved the schema meanwhile), and recorded in the history. ``only``
    limits the comparison to new tables while the newest hash is still ``synced_hash`` (the
    one this process last matched). Refusals raise
    :class:`~common.errors.SchemaEvolutionError`, as does a role that may not run DDL when the
    schema needs changes; nothing is altered then.
    """
    if has_history:
        with database.read() as connection:
            since = _versions_since(connection, declared.schema_hash)
        if since is not None:
            _refuse_stale_names(database, declared, since)
            return []
    with database.read() as connection:
        permission = _permission(database, connection)
        if not permission.allowed:
            newest = _newest(connection)
            plan = plan_evolution(connection, declared, declared_metadata(declared),
                                  recorded=newest.model if newest else None)
    if not permission.allowed:
        if plan.refusals:
            raise _refusal_error(database, plan)
        if plan.changes:
            raise not_owner_error(database, plan, permission.user)
        return []
    with database.write() as connection:
        database.backend.lock_schema(connection)
        newest = _newest(connection)
        if newest is not None and newest.schema_hash == declared.schema_hash:
            return []
        if newest is None or newest.schema_hash != synced_hash:
            only = None
        metadata = declared_metadata(declared, only)
        plan = plan_evolution(connection, declared, metadata,
                              recorded=newest.model if newest else None, only=only)
        if plan.refusals:
            raise _refusal_error(database, plan)
        if permission.run_as:
            quoted = connection.dialect.identifier_preparer.quote(permission.run_as)
            connection.execute(DDL(f"SET LOCAL ROLE {quoted}"))
        statements: list[str] = []
        with _capturing(connection, statements):
            _apply_all(Operations(MigrationContext.configure(connection)), plan, metadata,
                       declared)
        connection.execute(_history_row(
            _HISTORY, version_id=newest.version_id + 1 if newest else 1, declared=declared,
            applied_by=permission.user, plan=plan, statements=statements,
            model=merge_models(newest.model if newest else None, declared.model),
            dialect_name=database.dialect))
    return plan.changes


@dataclass(frozen=True)
class Preview:
    """A plan made without altering anything, with what rendering it as a script needs."""

    plan: Plan
    declared: DeclaredSchema
    metadata: MetaData
    newest_version: int
    recorded: dict[str, Any] | None

    @property
    def up_to_date(self) -> bool:
        """Whether the database needs nothing (no change and no refusal)."""
        return not self.plan.changes and not self.plan.refusals


def preview(database: Database, declared: DeclaredSchema) -> Preview:
    """The plan for ``declared`` against the database as it is now (read only, no lock)."""
    metadata = declared_metadata(declared)
    with database.read() as connection:
        newest = _newest(connection)
        if newest is not None and newest.schema_hash == declared.schema_hash:
            plan = Plan()
        else:
            plan = plan_evolution(connection, declared, metadata,
                                  recorded=newest.model if newest else None)
    return Preview(plan, declared, metadata, newest.version_id if newest else 0,
                   newest.model if newest else None)


class _ScriptBuffer(io.StringIO):
    """The text of a script, and each statement written to it (separators left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.statements: list[str] = []

    def write(self, text: str) -> int:
        """Keep ``text``; Alembic writes one statement (or one separator) per call."""
        piece = "\n".join(line for line in text.splitlines() if line.strip())
        if piece and piece not in ("/", ";"):
            self.statements.append(piece)
        return super().write(text)


def _begin_script(context: MigrationContext, operations: Operations) -> None:
    dialect_name = context.dialect.name
    if dialect_name == "oracle":
        context.impl.static_output("WHENEVER SQLERROR EXIT SQL.SQLCODE\nSET DEFINE OFF")
    elif dialect_name == "postgresql":
        context.impl.static_output("BEGIN;")
        operations.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
    elif dialect_name == "sqlite":
        context.impl.static_output("BEGIN IMMEDIATE;")


def render_script(planned: Preview, dialect_name: str, *, record: bool = True,
                  applied_by: str = "dba") -> str:
    """The SQL of ``planned`` for ``dialect_name`` (``oracle``: for SQL*Plus).

    With ``record`` the script is one transaction where the database has transactional DDL
    (PostgreSQL: under the schema lock; SQLite), stops at the first error (Oracle), and ends
    by inserting the history row, so clients of the new model find their hash once it has run.
    A plan with refusals raises :class:`~common.errors.SchemaEvolutionError`.
    """
    if planned.plan.refusals:
        raise SchemaEvolutionError(
            "the declared data model differs from the database in ways that are not additive:"
            "\n" + "\n".join(f"  - {refusal}" for refusal in planned.plan.refusals)
            + f"\n{MIGRATE_HINT}")
    output = _ScriptBuffer()
    context = MigrationContext.configure(dialect_name=dialect_name, opts={
        "as_sql": True, "output_buffer": output, "literal_binds": True})
    operations = Operations(context)
    if record:
        _begin_script(context, operations)
    first = len(output.statements)
    _apply_all(operations, planned.plan, planned.metadata, planned.declared)
    if record:
        operations.execute(_history_row(
            _HISTORY, version_id=planned.newest_version + 1, declared=planned.declared,
            applied_by=applied_by, plan=planned.plan, statements=output.statements[first:],
            model=merge_models(planned.recorded, planned.declared.model),
            dialect_name=dialect_name))
        context.impl.static_output("COMMIT;")
    return output.getvalue()


def prepare_owner_roles(database: Database, role_prefix: str) -> list[str] | None:
    """As a PostgreSQL superuser, create ``awe_owner`` and ``awe_service`` if they are missing.

    ``awe_owner`` (no login) gets USAGE and CREATE on the schema, so the tables an
    initialisation creates next are owned by it (DDL runs as that role); ``awe_service`` is the
    login role of DPUs and ingest daemons. Returns the roles created, or None when the
    database is not PostgreSQL or the role is no superuser (nothing is done then).
    """
    if database.backend.name != "postgresql":
        return None
    owner, service = f"{role_prefix}awe_owner", f"{role_prefix}awe_service"
    with database.write() as connection:
        superuser = connection.execute(select(_PG_ROLES.c.rolsuper).where(
            _PG_ROLES.c.rolname == func.current_user())).scalar_one()
        if not superuser:
            return None
        existing = set(connection.execute(select(_PG_ROLES.c.rolname).where(
            _PG_ROLES.c.rolname.in_([owner, service]))).scalars())
        quote = connection.dialect.identifier_preparer.quote
        created = []
        for role, login in ((owner, "NOLOGIN"), (service, "LOGIN")):
            if role not in existing:
                connection.execute(DDL(f"CREATE ROLE {quote(role)} {login}"))
                created.append(role)
        schema = connection.execute(select(func.current_schema())).scalar_one()
        connection.execute(DDL(f"GRANT USAGE, CREATE ON SCHEMA {quote(schema)} TO "
                               f"{quote(owner)}"))
    return created
