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

__all__ = ["Mutation", "commit", "mutate", "transaction"]

_STAMPED = ("creator", "project", "privileges", "creation_date")


@dataclass
class Mutation:
    """An audited change of mutable fields of one committed object."""

    obj: Any
    changes: dict[str, Any]
    reason: str


@dataclass
class _Pending:
    roots: list[Any] = field(default_factory=list)
    mutations: list[Mutation] = field(default_factory=list)


def _label(obj: Any) -> str:
    object_id = obj.__dict__.get("object_id")
    return f"{type(obj).__name__} {object_id:#018x}" if object_id is not None else \
        f"{type(obj).__name__} (uncommitted)"


def _collect(roots: list[Any]) -> list[Any]:
    """Every uncommitted object reachable from ``roots``, each once, roots first."""
    seen: set[int] = set()
    found: list[Any] = []
    stack = list(reversed(roots))
    while stack:
        obj = stack.pop()
        values = obj.__dict__
        if id(obj) in seen or "_awe_batch" in values:
            continue
        cls = type(obj)
        if cls.__awe_table__ is None:
            raise PersistenceError(f"{cls.__name__} is abstract (declared with abstract=True) "
                                   "and cannot be committed")
        seen.add(id(obj))
        found.append(obj)
        properties = cls.__awe_properties__
        for name in cls.__awe_links__:
            value = values[name]
            if value is None or value.__class__ is int:
                continue
            target = properties[name].target
            if not isinstance(value, target):
                raise PersistenceError(f"{_label(obj)}.{name}: links to a "
                                       f"{type(value).__name__}, expected a {target.__name__}")
            stack.append(value)
        for name in cls.__awe_lists__:
            prop = properties[name]
            if prop.kind == "link":
                stack.extend(item for item in values[name] if "_awe_batch" not in item.__dict__)
    return found


def _replace(values: dict[str, Any], cls: type, replacements: dict[int, Any]) -> None:
    for name in cls.__awe_links__:
        target = replacements.get(id(values[name]))
        if target is not None:
            values[name] = target
    for name in cls.__awe_lists__:
        if cls.__awe_properties__[name].kind == "link":
            values[name] = [replacements.get(id(item), item) for item in values[name]]


def _resolve_values(session: Session, new: list[Any]) -> dict[int, Any]:
    """Map each new value object (ParameterSet) equal to an existing or earlier one to it."""
    by_class: dict[type, dict[str, list[Any]]] = {}
    for obj in new:
        if type(obj).__awe_value__:
            digest = obj.compute_hash()
            obj.__dict__["params_hash"] = digest
            by_class.setdefault(type(obj), {}).setdefault(digest, []).append(obj)
    replacements: dict[int, Any] = {}
    if not by_class:
        return replacements
    database = session.database
    with database.read() as connection:
        for cls, groups in by_class.items():
            table = database.table(cls.__awe_table__)
            digests = list(groups)
            existing: dict[str, int] = {}
            chunk = database.backend.in_chunk
            for start in range(0, len(digests), chunk):
                statement = equal_values(table, digests[start:start + chunk])
                existing.update((digest, object_id)
                                for digest, object_id in connection.execute(statement))
            loaded = load_ids(session, cls, existing.values(), connection=connection,
                              refresh=False)
            for digest, objects in groups.items():
                canonical = loaded.get(existing.get(digest, -1), objects[0])
                for obj in objects:
                    if obj is not canonical:
                        replacements[id(obj)] = canonical
    for obj in new:
        _replace(obj.__dict__, type(obj), replacements)
    return replacements


def _check_stored(session: Session, objects: list[Any]) -> None:
    files = [obj for obj in objects if hasattr(type(obj), "__awe_stored__")]
    if not files:
        return
    store = session.store
    for obj in files:
        obj.check_stored(store)


def _rows(new: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """Insert parameters per table name, ``awe_object`` first."""
    tables: dict[str, list[dict[str, Any]]] = {OBJECT_TABLE.name: []}
    catalogue = tables[OBJECT_TABLE.name]
    for obj in new:
        cls = type(obj)
        values = obj.__dict__
        plain, links = cls.__awe_insert__
        row = {column: values[name] for name, column in plain}
        for name, column in links:
            value = values[name]
            row[column] = value if value is None or value.__class__ is int \
                else value.__dict__["object_id"]
        object_id = values["object_id"]
        catalogue.append({"object_id": object_id, "class_name": cls.__name__,
                          "creator": values["creator"], "project": values["project"],
                          "privileges": values["privileges"],
                          "creation_date": values["creation_date"]})
        tables.setdefault(cls.__awe_table__, []).append(row)
        for name, table in cls.__awe_list_tables__.items():
            link = cls.__awe_properties__[name].kind == "link"
            rows = tables.setdefault(table, [])
            for position, item in enumerate(values[name]):
                rows.append({"object_id": object_id, "position": position,
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
    new = _collect([*roots, *(record for group in records.values() for record in group)])
    replacements = _resolve_values(session, new)
    new = [obj for obj in new if id(obj) not in replacements]
    _check_stored(session, new)
    database = session.database
    needing = [obj for obj in new if obj.__dict__["object_id"] is None]
    for obj, object_id in zip(needing, database.allocate_ids(len(needing)), strict=True):
        obj.__dict__["object_id"] = object_id
    saved = [(obj, [obj.__dict__[name] for name in _STAMPED]) for obj in new]
    context = session.context
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for obj in new:
        values = obj.__dict__
        values["creator"] = context.user
        if values["project"] is None:
            values["project"] = context.project
        if values["privileges"] is None:
            values["privileges"] = context.privileges
        values["creation_date"] = now
    # Tables first: a table missing since connect is created outside the write transaction.
    tables = {OBJECT_TABLE.name: database.table(OBJECT_TABLE.name)}
    for cls in {type(obj) for obj in new}:
        for name in (cls.__awe_table__, *cls.__awe_list_tables__.values()):
            tables[name] = database.table(name)
    try:
        with database.write() as connection:
            _apply_mutations(session, connection, mutations, records)
            for table_name, rows in _rows(new).items():
                if rows:
                    connection.execute(insert_rows(tables[table_name]), rows)
    except BaseException as exc:
        for obj, before in saved:
            obj.__dict__.update(zip(_STAMPED, before, strict=True))
        if isinstance(exc, SqlIntegrityError):
            raise IntegrityError(f"commit of {len(new)} objects refused by the database: "
                                 f"{exc.orig}") from exc
        if isinstance(exc, DBAPIError):
            raise DatabaseError(f"commit of {len(new)} objects failed: {exc.orig}") from exc
        raise
    batch = Batch([obj.__dict__["object_id"] for obj in new])
    identity = session.identity
    for obj in new:
        values = obj.__dict__
        values["_awe_batch"] = batch
        for name in type(obj).__awe_lists__:
            values[name] = tuple(values[name])
        freeze(obj)
        identity.add(values["object_id"], obj)
    for mutation in mutations:
        mutation.obj.__dict__.update(mutation.changes)
    return [replacements.get(id(root), root) for root in roots]


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
    pending = session.pending = _Pending()
    try:
        yield
    finally:
        session.pending = None
    _flush(session, pending.roots, pending.mutations)
