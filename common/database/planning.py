"""Planning schema evolution: the diff between the declared tables and the database, sorted.

:func:`plan_evolution` compares the declared tables with the database through Alembic's
``compare_metadata`` (only tables the client declares; others are ignored, never dropped) and
with the model recorded in the newest history row, and sorts each difference:

- **additive** (a :class:`~common.database.changes.Change`): a new table, a new column (its
  declared default as server default, so existing rows and older clients' inserts read it; a
  ``None`` default gives a plain nullable column), a widened string, a rename declared with
  ``renamed_from``, a new index;
- **refused**: a column missing from a declared class (a drop), a type change, a narrowed
  string, a rename without ``renamed_from``, a unique constraint or link on an existing column.

Differences of nullability, comments and server defaults, and indexes or constraints the client
does not declare, are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Connection, Index, MetaData

from common.database.catalogue import ID_COUNTER, ID_SEQUENCE, OBJECT_TABLE, SITE_TABLE
from common.database.changes import (
    ACTION_ORDER,
    ADD_COLUMN,
    CREATE_INDEX,
    CREATE_SEQUENCE,
    CREATE_TABLE,
    INSERT_ROW,
    RENAME_COLUMN,
    WIDEN_COLUMN,
    Change,
    Plan,
)
from common.database.constants import LOCAL_SITE
from common.database.history import HISTORY_TABLE, DeclaredSchema, history_table
from common.database.mapping import build_metadata
from common.database.spec import ColumnSpec

__all__ = ["declared_metadata", "plan_evolution"]


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
