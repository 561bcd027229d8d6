"""Commit: a graph of new objects, or many, in one transaction with one executemany per table.

Order of work for :func:`commit` (and at the end of ``with transaction():``):

1. collect every uncommitted object reachable through links and lists (committed ones are
   leaves), checking each link's declared class;
2. replace parameter sets equal to an existing or an earlier one (value semantics);
3. check that each DataObject's file is in the store;
4. allocate the missing ids (one statement, in its own transaction: ids are never reused);
5. in one write transaction: apply the audited changes (reading the old values under a row
   lock), check every link target is visible and no object is more visible than what it
   links to (:mod:`common.persistent.linkcheck`), then insert ``awe_object`` rows, each
   class table and each list table with one executemany each;
6. only then mark the objects committed and put them in the identity map.

A failure rolls the transaction back and restores the objects as they were (an allocated id
is kept: it is never handed out again).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from common.config import MAX_PRIVILEGES
from common.database import OBJECT_TABLE, column_name, utcnow
from common.errors import DatabaseError, IntegrityError, PersistenceError
from common.persistent.identity import Batch
from common.persistent.linkcheck import check_links
from common.persistent.loading import load_ids
from common.persistent.session import Session, current_session
from common.persistent.state import ObjectState, Stateful, freeze, set_state
from common.persistent.statements import (
    equal_values,
    insert_rows,
    lock_fields,
    select_in_chunks,
    update_catalogue_privileges,
    update_fields,
)

__all__ = ["Mutation", "Pending", "audit_text", "commit", "in_transaction", "mutate",
           "transaction"]


@dataclass
class Mutation:
    """An audited change of mutable fields of one committed object.

    ``records`` are its new audit records, one per changed field in the order of ``changes``
    (built by the object); commit fills in their old values, read under a row lock.
    """

    obj: Any
    changes: dict[str, Any]
    records: list[Any]


@dataclass
class Pending:
    """The commits, audited changes and other work of an open ``with transaction():`` block."""

    roots: list[Any] = field(default_factory=list)
    mutations: list[Mutation] = field(default_factory=list)
    work: list[Callable[[Connection], None]] = field(default_factory=list)


def _label(obj: Any) -> str:
    object_id = obj.__dict__.get("object_id")
    return f"{type(obj).__name__} {object_id:#018x}" if object_id is not None else \
        f"{type(obj).__name__} (uncommitted)"


def audit_text(value: Any) -> str | None:
    """A field value as an audit record keeps it (text; datetimes in ISO form)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    return str(value)


def _collect(roots: list[Any]) -> dict[type, list[Any]]:
    """Every uncommitted object reachable from ``roots``, each once, grouped by class."""
    seen: set[int] = set()
    groups: dict[type, list[Any]] = {}
    stack = list(reversed(roots))
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj._state.committed:
            continue
        seen.add(id(obj))
        values = obj.__dict__
        cls = obj.__class__
        record = cls._meta
        group = groups.get(cls)
        if group is None:
            if record.is_abstract:
                raise PersistenceError(f"{cls.__name__} is abstract (declared with "
                                       "abstract=True) and cannot be committed")
            group = groups[cls] = []
        group.append(obj)
        for name, target in record.link_targets:
            value = values[name]
            if value is None or value.__class__ is int:
                continue
            if not isinstance(value, target):
                raise PersistenceError(f"{_label(obj)}.{name}: links to a "
                                       f"{type(value).__name__}, expected a {target.__name__}")
            stack.append(value)
        for name in record.link_lists:
            stack.extend(values[name])
    return groups


def _replace(values: dict[str, Any], cls: type, replacements: dict[int, Any]) -> None:
    for name in cls._meta.links:
        target = replacements.get(id(values[name]))
        if target is not None:
            values[name] = target
    for name in cls._meta.link_lists:
        values[name] = [replacements.get(id(item), item) for item in values[name]]


def _resolve_values(session: Session, groups: dict[type, list[Any]]) -> dict[int, Any]:
    """Map each new value object (ParameterSet) equal to an existing or earlier one to it."""
    by_class: dict[type, dict[str, list[Any]]] = {}
    for cls, objects in groups.items():
        if cls._meta.is_value:
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
            table = session.table(cls._meta.table)
            existing: dict[str, int] = dict(select_in_chunks(
                connection, partial(equal_values, table), list(equal),
                database.backend.in_chunk))
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
    files = [obj for cls, objects in groups.items() if cls._meta.is_stored
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
        record = cls._meta
        plan = record.insert
        columns, values_of, links = plan.columns, plan.values, plan.links
        class_name = cls.__name__
        rows = tables[record.table] = []
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
        for name, table in record.list_tables.items():
            link = record.properties[name].kind == "link"
            items = tables[table] = []
            for obj in objects:
                object_id = obj.__dict__["object_id"]
                for position, item in enumerate(obj.__dict__[name]):
                    items.append({"object_id": object_id, "position": position,
                                  "value": item.__dict__["object_id"] if link else item})
    return tables


def _apply_mutations(session: Session, connection: Any, mutations: list[Mutation]) -> None:
    catalogue = session.table(OBJECT_TABLE.name)
    for mutation in mutations:
        obj = mutation.obj
        cls = type(obj)
        table = session.table(cls._meta.table)
        object_id = obj.__dict__["object_id"]
        columns = [column_name(name) for name in mutation.changes]
        current = connection.execute(lock_fields(table, object_id, columns)).first()
        if current is None:
            raise cls.NotFound(f"{_label(obj)} no longer exists (or is not visible)")
        for record, old in zip(mutation.records, current, strict=True):
            record.__dict__["old_value"] = audit_text(old)
        connection.execute(update_fields(table, object_id, {
            column_name(name): value for name, value in mutation.changes.items()}))
        if "privileges" in mutation.changes:
            connection.execute(update_catalogue_privileges(
                catalogue, object_id, mutation.changes["privileges"]))


class _ValueRace(IntegrityError):
    """Another writer committed an equal value object between our look-up and our insert."""


def _flush(session: Session, roots: list[Any], mutations: list[Mutation],
           work: Sequence[Callable[[Connection], None]] = ()) -> list[Any]:
    """Write ``roots`` and ``mutations``; retry once when an equal value object raced in.

    Two writers (a DPU and a user, two DPUs) may make the same new parameter set at once: both
    look it up, find none and insert it, and its unique ``params_hash`` refuses the second.
    The retry looks the values up again and links the set the other writer committed.
    """
    try:
        return _flush_once(session, roots, mutations, work)
    except _ValueRace:
        return _flush_once(session, roots, mutations, work)


def _flush_once(session: Session, roots: list[Any], mutations: list[Mutation],
                work: Sequence[Callable[[Connection], None]] = ()) -> list[Any]:
    groups = _collect([*roots, *(record for mutation in mutations
                                 for record in mutation.records)])
    replacements = _resolve_values(session, groups)
    _check_stored(session, groups)
    database = session.database
    needing = [obj for objects in groups.values() for obj in objects
               if obj.__dict__["object_id"] is None]
    for obj, object_id in zip(needing, database.allocate_ids(len(needing)), strict=True):
        obj.__dict__["object_id"] = object_id
    filled_project, filled_privileges = _stamp(session, groups)
    # Tables first: a table missing since connect is created outside the write transaction.
    tables = {OBJECT_TABLE.name: session.table(OBJECT_TABLE.name)}
    for cls in groups:
        for name in (cls._meta.table, *cls._meta.list_tables.values()):
            tables[name] = session.table(name)
    try:
        with database.write() as connection:
            _apply_mutations(session, connection, mutations)
            for step in work:
                step(connection)
            check_links(session, connection, groups)
            for table_name, rows in _rows(groups).items():
                if rows:
                    connection.execute(insert_rows(tables[table_name]),
                                       rows[0] if len(rows) == 1 else rows)
    except BaseException as exc:
        _unstamp(groups, filled_project, filled_privileges)
        count = sum(len(objects) for objects in groups.values())
        if isinstance(exc, SqlIntegrityError):
            error = _ValueRace if any(cls._meta.is_value for cls in groups) else IntegrityError
            raise error(f"commit of {count} objects refused by the database: "
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

    Unset privileges come from the context, except for value classes (parameter sets): equal
    values are one object for every user, so they are committed published (level 5).

    Returns the value dicts whose project and privileges were filled in (to undo on failure).
    """
    context = session.context
    user, project, privileges = session.user, context.project, context.privileges
    now = utcnow()
    filled_project: list[dict] = []
    filled_privileges: list[dict] = []
    for cls, objects in groups.items():
        # A value (ParameterSet) is shared by whoever commits an equal one: published.
        level = MAX_PRIVILEGES if cls._meta.is_value else privileges
        for obj in objects:
            values = obj.__dict__
            values["creator"] = user
            values["creation_date"] = now
            if values["project"] is None:
                values["project"] = project
                filled_project.append(values)
            if values["privileges"] is None:
                values["privileges"] = level
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
    state = ObjectState(committed=True, batch=batch)
    identity = session.identity
    for cls, objects in groups.items():
        lists = cls._meta.lists
        for obj in objects:
            values = obj.__dict__
            set_state(obj, state)
            for name in lists:
                values[name] = tuple(values[name])
            identity.add(values["object_id"], obj)
        if cls._meta.dicts:
            for obj in objects:
                freeze(obj)


def commit(*objects: Any) -> list[Any]:
    """Commit the objects and every uncommitted object they link to, in one transaction.

    Returns the committed objects in order; a parameter set equal to a committed one is
    returned as that one. Inside ``with transaction():`` the work waits for the end of the
    block and the objects are returned as given.
    """
    for obj in objects:
        if not isinstance(obj, Stateful):
            raise PersistenceError(f"commit: expected persistent objects, found {obj!r}")
    session = current_session()
    if session.pending is not None:
        session.pending.roots.extend(objects)
        return list(objects)
    return _flush(session, list(objects), [])


def mutate(obj: Any, changes: dict[str, Any], records: list[Any]) -> None:
    """Change mutable fields of a committed object, writing its audit ``records`` too.

    ``records`` hold one new audit record per field of ``changes``, in the same order; their
    old values are read under a row lock in the write transaction.
    """
    session = current_session()
    mutation = Mutation(obj, changes, records)
    if session.pending is not None:
        session.pending.mutations.append(mutation)
    else:
        _flush(session, [], [mutation])


def in_transaction(work: Callable[[Connection], None]) -> None:
    """Run ``work(connection)`` in the write transaction of the commit (its own, if none is open).

    For changes that are neither inserts nor audited fields (deleting rows): inside ``with
    transaction():`` it runs with the block's commits, after the audited changes and before
    the inserts, so an exception from it writes nothing at all.
    """
    session = current_session()
    if session.pending is not None:
        session.pending.work.append(work)
    else:
        _flush(session, [], [], [work])


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
    _flush(session, pending.roots, pending.mutations, pending.work)
