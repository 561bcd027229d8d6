"""Commit: a graph of new objects, or many, in one transaction with one executemany per table.

Order of work for :func:`commit` (and at the end of ``with transaction():``):

1. collect every uncommitted object reachable through links and lists (committed ones are
   leaves), checking each link's declared class;
2. replace parameter sets equal to an existing or an earlier one (value semantics);
3. check that each DataObject's file is in the store;
4. allocate the missing ids (one statement, in its own transaction: ids are never reused);
5. in one write transaction: apply the audited changes (reading the old values under a row
   lock), then insert ``awe_object`` rows, each class table and each list table with one
   executemany each;
6. only then mark the objects committed and put them in the identity map.

A failure rolls the transaction back and restores the objects as they were (an allocated id
is kept: it is never handed out again).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from common.database import OBJECT_TABLE, column_name
from common.errors import DatabaseError, IntegrityError, PersistenceError
from common.persistent.identity import Batch
from common.persistent.loading import freeze, load_ids
from common.persistent.session import Session, current_session
from common.persistent.statements import (
    equal_values,
    insert_rows,
    lock_fields,
    update_catalogue_privileges,
    update_fields,
)

__all__ = ["Mutation", "Pending", "commit", "mutate", "transaction"]



@dataclass
class Mutation:
    """An audited change of mutable fields of one committed object."""

    obj: Any
    changes: dict[str, Any]
    reason: str


@dataclass
class Pending:
    """The commits and audited changes of an open ``with transaction():`` block."""

    roots: list[Any] = field(default_factory=list)
    mutations: list[Mutation] = field(default_factory=list)


def _label(obj: Any) -> str:
    object_id = obj.__dict__.get("object_id")
    return f"{type(obj).__name__} {object_id:#018x}" if object_id is not None else \
        f"{type(obj).__name__} (uncommitted)"


_LINK_PLANS: dict[type, tuple[tuple[tuple[str, type], ...], tuple[str, ...]]] = {}


def _link_plan(cls: type) -> tuple[tuple[tuple[str, type], ...], tuple[str, ...]]:
    """``((link, target class)…), (list of links…)`` of a committable class."""
    plan = _LINK_PLANS.get(cls)
    if plan is None:
        if cls.__awe_table__ is None:
            raise PersistenceError(f"{cls.__name__} is abstract (declared with abstract=True) "
                                   "and cannot be committed")
        properties = cls.__awe_properties__
        plan = (tuple((name, properties[name].target) for name in cls.__awe_links__),
                tuple(name for name in cls.__awe_lists__ if properties[name].kind == "link"))
        _LINK_PLANS[cls] = plan
    return plan


def _collect(roots: list[Any]) -> dict[type, list[Any]]:
    """Every uncommitted object reachable from ``roots``, each once, grouped by class."""
    seen: set[int] = set()
    groups: dict[type, list[Any]] = {}
    stack = list(reversed(roots))
    while stack:
        obj = stack.pop()
        values = obj.__dict__
        if id(obj) in seen or "_awe_batch" in values:
            continue
        seen.add(id(obj))
        cls = obj.__class__
        group = groups.get(cls)
        if group is None:
            _link_plan(cls)
            group = groups[cls] = []
        group.append(obj)
        links, lists = _LINK_PLANS[cls]
        for name, target in links:
            value = values[name]
            if value is None or value.__class__ is int:
                continue
            if not isinstance(value, target):
                raise PersistenceError(f"{_label(obj)}.{name}: links to a "
                                       f"{type(value).__name__}, expected a {target.__name__}")
            stack.append(value)
        for name in lists:
            stack.extend(values[name])
    return groups


def _replace(values: dict[str, Any], cls: type, replacements: dict[int, Any]) -> None:
    for name in cls.__awe_links__:
        target = replacements.get(id(values[name]))
        if target is not None:
            values[name] = target
    for name in cls.__awe_lists__:
        if cls.__awe_properties__[name].kind == "link":
            values[name] = [replacements.get(id(item), item) for item in values[name]]


def _resolve_values(session: Session, groups: dict[type, list[Any]]) -> dict[int, Any]:
    """Map each new value object (ParameterSet) equal to an existing or earlier one to it."""
    by_class: dict[type, dict[str, list[Any]]] = {}
    for cls, objects in groups.items():
        if cls.__awe_value__:
            for obj in objects:
                digest = obj.compute_hash()
                obj.__dict__["params_hash"] = digest
                by_class.setdefault(cls, {}).setdefault(digest, []).append(obj)
    replacements: dict[int, Any] = {}
    if not by_class:
        return replacements
    database = session.database
    with database.read() as connection:
        for cls, equal in by_class.items():
            table = database.table(cls.__awe_table__)
            digests = list(equal)
            existing: dict[str, int] = {}
            chunk = database.backend.in_chunk
            for start in range(0, len(digests), chunk):
                statement = equal_values(table, digests[start:start + chunk])
                existing.update((digest, object_id)
                                for digest, object_id in connection.execute(statement))
            loaded = load_ids(session, cls, existing.values(), connection=connection,
                              refresh=False)
            for digest, objects in equal.items():
                canonical = loaded.get(existing.get(digest, -1), objects[0])
                for obj in objects:
                    if obj is not canonical:
                        replacements[id(obj)] = canonical
    for cls, objects in groups.items():
        for obj in objects:
            _replace(obj.__dict__, cls, replacements)
        objects[:] = [obj for obj in objects if id(obj) not in replacements]
    return replacements


def _check_stored(session: Session, groups: dict[type, list[Any]]) -> None:
    files = [obj for cls, objects in groups.items() if hasattr(cls, "__awe_stored__")
             for obj in objects]
    if not files:
        return
    store = session.store
    for obj in files:
        obj.check_stored(store)


def _rows(groups: dict[type, list[Any]]) -> dict[str, list[dict[str, Any]]]:
    """Insert parameters per table name, ``awe_object`` first."""
    catalogue: list[dict[str, Any]] = []
    tables: dict[str, list[dict[str, Any]]] = {OBJECT_TABLE.name: catalogue}
    for cls, objects in groups.items():
        columns, values_of, links = cls.__awe_insert__
        class_name = cls.__name__
        rows = tables[cls.__awe_table__] = []
        for obj in objects:
            values = obj.__dict__
            row = dict(zip(columns, values_of(values), strict=True))
            for name, column in links:
                value = values[name]
                row[column] = value if value is None or value.__class__ is int \
                    else value.__dict__["object_id"]
            rows.append(row)
            catalogue.append({"object_id": row["object_id"], "class_name": class_name,
                              "creator": row["creator"], "project": row["project"],
                              "privileges": row["privileges"],
                              "creation_date": row["creation_date"]})
        for name, table in cls.__awe_list_tables__.items():
            link = cls.__awe_properties__[name].kind == "link"
            items = tables[table] = []
            for obj in objects:
                object_id = obj.__dict__["object_id"]
                for position, item in enumerate(obj.__dict__[name]):
                    items.append({"object_id": object_id, "position": position,
                                  "value": item.__dict__["object_id"] if link else item})
    return tables


def _audit_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    return str(value)


def _apply_mutations(session: Session, connection: Any, mutations: list[Mutation],
                     records: dict[int, list[Any]]) -> None:
    database = session.database
    catalogue = database.table(OBJECT_TABLE.name)
    for mutation in mutations:
        obj = mutation.obj
        cls = type(obj)
        table = database.table(cls.__awe_table__)
        object_id = obj.__dict__["object_id"]
        columns = [column_name(name) for name in mutation.changes]
        current = connection.execute(lock_fields(table, object_id, columns)).first()
        if current is None:
            raise cls.NotFound(f"{_label(obj)} no longer exists (or is not visible)")
        for record, old in zip(records[id(mutation)], current, strict=True):
            record.__dict__["old_value"] = _audit_text(old)
        connection.execute(update_fields(table, object_id, {
            column_name(name): value for name, value in mutation.changes.items()}))
        if "privileges" in mutation.changes:
            connection.execute(update_catalogue_privileges(
                catalogue, object_id, mutation.changes["privileges"]))


def _flush(session: Session, roots: list[Any], mutations: list[Mutation]) -> list[Any]:
    from common.persistent.system import AuditRecord

    records: dict[int, list[Any]] = {}
    for mutation in mutations:
        records[id(mutation)] = [
            AuditRecord(target=mutation.obj, field=name, new_value=_audit_text(value),
                        reason=mutation.reason)
            for name, value in mutation.changes.items()]
    groups = _collect([*roots, *(record for group in records.values() for record in group)])
    replacements = _resolve_values(session, groups)
    _check_stored(session, groups)
    database = session.database
    needing = [obj for objects in groups.values() for obj in objects
               if obj.__dict__["object_id"] is None]
    for obj, object_id in zip(needing, database.allocate_ids(len(needing)), strict=True):
        obj.__dict__["object_id"] = object_id
    filled_project, filled_privileges = _stamp(session, groups)
    # Tables first: a table missing since connect is created outside the write transaction.
    tables = {OBJECT_TABLE.name: database.table(OBJECT_TABLE.name)}
    for cls in groups:
        for name in (cls.__awe_table__, *cls.__awe_list_tables__.values()):
            tables[name] = database.table(name)
    try:
        with database.write() as connection:
            _apply_mutations(session, connection, mutations, records)
            for table_name, rows in _rows(groups).items():
                if rows:
                    connection.execute(insert_rows(tables[table_name]),
                                       rows[0] if len(rows) == 1 else rows)
    except BaseException as exc:
        _unstamp(groups, filled_project, filled_privileges)
        count = sum(len(objects) for objects in groups.values())
        if isinstance(exc, SqlIntegrityError):
            raise IntegrityError(f"commit of {count} objects refused by the database: "
                                 f"{exc.orig}") from exc
        if isinstance(exc, DBAPIError):
            raise DatabaseError(f"commit of {count} objects failed: {exc.orig}") from exc
        raise
    _mark_committed(session, groups)
    for mutation in mutations:
        mutation.obj.__dict__.update(mutation.changes)
    return [replacements.get(id(root), root) for root in roots]


def _stamp(session: Session, groups: dict[type, list[Any]]) -> tuple[list[dict], list[dict]]:
    """Set creator, creation date, and project and privileges where unset.

    Returns the value dicts whose project and privileges were filled in (to undo on failure).
    """
    context = session.context
    user, project, privileges = context.user, context.project, context.privileges
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    filled_project: list[dict] = []
    filled_privileges: list[dict] = []
    for objects in groups.values():
        for obj in objects:
            values = obj.__dict__
            values["creator"] = user
            values["creation_date"] = now
            if values["project"] is None:
                values["project"] = project
                filled_project.append(values)
            if values["privileges"] is None:
                values["privileges"] = privileges
                filled_privileges.append(values)
    return filled_project, filled_privileges


def _unstamp(groups: dict[type, list[Any]], filled_project: list[dict],
             filled_privileges: list[dict]) -> None:
    """Undo :func:`_stamp` (users never set creator or creation date themselves)."""
    for objects in groups.values():
        for obj in objects:
            obj.__dict__["creator"] = obj.__dict__["creation_date"] = None
    for values in filled_project:
        values["project"] = None
    for values in filled_privileges:
        values["privileges"] = None


def _mark_committed(session: Session, groups: dict[type, list[Any]]) -> None:
    """Make the objects committed (immutable) members of one batch, in the identity map."""
    batch = Batch([obj.__dict__["object_id"] for objects in groups.values() for obj in objects])
    identity = session.identity
    for cls, objects in groups.items():
        lists = cls.__awe_lists__
        for obj in objects:
            values = obj.__dict__
            values["_awe_batch"] = batch
            for name in lists:
                values[name] = tuple(values[name])
            identity.add(values["object_id"], obj)
        if cls.__awe_dicts__:
            for obj in objects:
                freeze(obj)


def commit(*objects: Any) -> list[Any]:
    """Commit the objects and every uncommitted object they link to, in one transaction.

    Returns the committed objects in order; a parameter set equal to a committed one is
    returned as that one. Inside ``with transaction():`` the work waits for the end of the
    block and the objects are returned as given.
    """
    from common.persistent.objects import DBObject

    for obj in objects:
        if not isinstance(obj, DBObject):
            raise PersistenceError(f"commit: expected persistent objects, found {obj!r}")
    session = current_session()
    if session.pending is not None:
        session.pending.roots.extend(objects)
        return list(objects)
    return _flush(session, list(objects), [])


def mutate(obj: Any, changes: dict[str, Any], reason: str) -> None:
    """Change mutable fields of a committed object, with one AuditRecord per field."""
    session = current_session()
    mutation = Mutation(obj, changes, reason)
    if session.pending is not None:
        session.pending.mutations.append(mutation)
    else:
        _flush(session, [], [mutation])


@contextmanager
def transaction() -> Iterator[None]:
    """Collect the commits and audited changes of the block; write them all at its end.

    An exception in the block writes nothing. Nested blocks join the outermost one.
    """
    session = current_session()
    if session.pending is not None:
        yield
        return
    pending = session.pending = Pending()
    try:
        yield
    finally:
        session.pending = None
    _flush(session, pending.roots, pending.mutations)
