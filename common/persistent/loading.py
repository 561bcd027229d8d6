"""Run queries and turn rows into objects through the identity map; load links and lists.

This module runs every statement of a query (its rows, its COUNT). Loading never runs one
query per object: a query's rows come back in one statement per class, and touching an
unloaded link or list of one object loads it for every live object of the same batch
(:class:`~common.persistent.identity.Batch`), one statement per class.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, Table

from common.database import OBJECT_TABLE
from common.errors import NotFound, QueryError
from common.persistent.compiler import QueryCompiler
from common.persistent.identity import Batch
from common.persistent.properties import persistent
from common.persistent.registry import concrete_classes, persistent_class
from common.persistent.session import Session, current_session
from common.persistent.state import ObjectState, freeze, set_state
from common.persistent.statements import (
    catalogue_classes,
    list_items,
    rows_by_ids,
    select_in_chunks,
)
from common.persistent.visibility import Visible, visibility

if TYPE_CHECKING:
    from common.persistent.query import Query

__all__ = [
    "count_query",
    "dangling_link",
    "load_attribute",
    "load_ids",
    "load_query",
    "materialise",
    "objects_from_rows",
    "resolve_link",
    "resolve_list",
]

_new = object.__new__


def dangling_link(owner: type, owner_id: int, name: str, target: type,
                  target_id: int) -> NotFound:
    """The error for a link (or list element) to an object that is missing or not visible."""
    return target.NotFound(f"{owner.__name__} {owner_id:#018x}: {name} links to object "
                           f"{target_id:#018x}, which does not exist or is not visible")


def materialise(session: Session, cls: type, rows: Iterable[Any], batch: Batch) -> list[Any]:
    """Objects of ``cls`` for rows of its table (columns in table order).

    A row whose object is already in the identity map refreshes that object's mutable
    fields instead of creating another object.
    """
    record = cls._meta
    names = record.columns
    mutable = record.mutable
    state = ObjectState(committed=True, batch=batch)
    identity = session.identity
    references = identity.references
    reference = weakref.ref
    objects: list[Any] = []
    append = objects.append
    # Creating many objects in a row makes the cyclic collector rescan every live object
    # again and again; these objects form no cycles, so it pauses for the loop.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for row in rows:
            known = references.get(row[0])
            obj = None if known is None else known()
            if obj is None:
                obj = _new(cls)
                values = obj.__dict__
                values.update(zip(names, row, strict=True))
                set_state(obj, state)
                references[row[0]] = reference(obj)
            else:
                values = obj.__dict__
                for name, position in mutable:
                    values[name] = row[position]
            append(obj)
    finally:
        if collecting:
            gc.enable()
    identity.sweep_if_grown()
    if record.dicts:
        for obj in objects:
            freeze(obj)
    return objects


def objects_from_rows(cls: type, rows: Sequence[Sequence[Any]]) -> list[Any]:
    """The objects of concrete class ``cls`` for full rows of its table, in the current session.

    For an upper layer that selects whole rows with a statement of its own (e.g. a ranking the
    query API cannot express) and wants them as objects in one round trip: the rows must hold
    every column of ``cls``'s table, in table order.
    """
    if cls._meta.table is None:
        raise QueryError(f"{cls.__name__} is abstract: it has no table of its own")
    return materialise(current_session(), cls, rows, Batch([row[0] for row in rows]))


@contextmanager
def _reading(session: Session, connection: Connection | None) -> Iterator[Connection]:
    if connection is not None:
        yield connection
    else:
        with session.database.read() as opened:
            yield opened


def _visible_rows(statement: Callable[[Table, Sequence[int]], Select], table: Table,
                  visible: Visible | None, ids: Sequence[int]) -> Select:
    built = statement(table, ids)
    return built if visible is None else built.where(visible(table))


def _rows_by_ids(session: Session, connection: Connection, table: Table,
                 ids: list[int]) -> list[Any]:
    return select_in_chunks(connection,
                            partial(_visible_rows, rows_by_ids, table, visibility(session)),
                            ids, session.database.backend.in_chunk)


def count_query(session: Session, query: Query) -> int:
    """The number of objects of ``query`` (one COUNT; of its slice, when sliced)."""
    database = session.database
    compiler = QueryCompiler(query, database.backend, session.table,
                             visible=visibility(session))
    if compiler.empty:
        return 0
    with database.read() as connection:
        return connection.execute(compiler.count()).scalar_one()


def load_query(session: Session, query: Query) -> list[Any]:
    """The objects of ``query``, in its order."""
    database = session.database
    compiler = QueryCompiler(query, database.backend, session.table,
                             visible=visibility(session))
    if compiler.empty:
        return []
    with database.read() as connection:
        if compiler.single:
            rows = connection.execute(compiler.rows()).all()
            return materialise(session, compiler.classes[0], rows,
                               Batch([row[0] for row in rows]))
        pairs = connection.execute(compiler.ids()).all()
        ids = [object_id for object_id, _ in pairs]
        batch = Batch(ids)
        by_class: dict[str, list[int]] = {}
        for object_id, class_name in pairs:
            by_class.setdefault(class_name, []).append(object_id)
        found: dict[int, Any] = {}
        for class_name, class_ids in by_class.items():
            cls = persistent_class(class_name)
            rows = _rows_by_ids(session, connection, session.table(cls._meta.table),
                                class_ids)
            for obj in materialise(session, cls, rows, batch):
                found[obj.object_id] = obj
    return [found[object_id] for object_id in ids if object_id in found]


def load_ids(session: Session, cls: type, ids: Iterable[int], *,
             connection: Connection | None = None, refresh: bool = True) -> dict[int, Any]:
    """The objects of ``cls`` (or a subclass) with these ids that exist; id → object.

    With ``refresh`` False, objects already in the identity map are returned as they are.
    """
    wanted = list(dict.fromkeys(ids))
    found: dict[int, Any] = {}
    if not refresh:
        missing = []
        for object_id in wanted:
            obj = session.identity.get(object_id)
            if obj is not None and isinstance(obj, cls):
                found[object_id] = obj
            else:
                missing.append(object_id)
        wanted = missing
    if not wanted:
        return found
    database = session.database
    classes = concrete_classes(cls)
    batch = Batch(wanted)
    with _reading(session, connection) as reading:
        if len(classes) == 1:
            groups = {classes[0]: wanted}
        else:
            catalogue = session.table(OBJECT_TABLE.name)
            groups = {}
            for object_id, class_name in select_in_chunks(
                    reading, partial(_visible_rows, catalogue_classes, catalogue,
                                     visibility(session)), wanted,
                    database.backend.in_chunk):
                try:
                    klass = persistent_class(class_name)
                except LookupError:
                    continue
                if issubclass(klass, cls) and klass._meta.is_concrete:
                    groups.setdefault(klass, []).append(object_id)
        for klass, class_ids in groups.items():
            rows = _rows_by_ids(session, reading, session.table(klass._meta.table),
                                class_ids)
            for obj in materialise(session, klass, rows, batch):
                found[obj.object_id] = obj
    return found


def _unique(objects: list[Any]) -> list[Any]:
    return list({id(obj): obj for obj in objects}.values())


def _load_lists(session: Session, connection: Connection, cls: type, prop: persistent,
                owners: list[Any]) -> list[Any]:
    name = prop.name
    table = session.table(cls._meta.list_tables[name])
    values: dict[int, list[Any]] = {owner.__dict__["object_id"]: [] for owner in owners}
    for object_id, value in select_in_chunks(connection, partial(list_items, table),
                                             list(values), session.database.backend.in_chunk):
        values[object_id].append(value)
    reached: list[Any] = []
    if prop.kind == "link":
        targets = load_ids(session, prop.target,
                           (value for items in values.values() for value in items),
                           connection=connection, refresh=False)
        for object_id, items in values.items():
            missing = [value for value in items if value not in targets]
            if missing:
                raise dangling_link(cls, object_id, name, prop.target, missing[0])
            values[object_id] = [targets[value] for value in items]
            reached.extend(values[object_id])
    for owner in owners:
        owner.__dict__[name] = tuple(values[owner.__dict__["object_id"]])
    return reached


def load_attribute(session: Session, objects: list[Any], name: str) -> list[Any]:
    """Load link or list ``name`` of every object that has it unloaded.

    Returns the objects it reaches, for prefetching the next level of a path.
    """
    reached: list[Any] = []
    links: dict[persistent, list[Any]] = {}
    lists: dict[type, list[Any]] = {}
    for obj in objects:
        cls = type(obj)
        prop = cls._meta.properties.get(name)
        if prop is None:
            continue
        values = obj.__dict__
        if prop.is_link:
            value = values[name]
            if value.__class__ is int:
                links.setdefault(prop, []).append(obj)
            elif value is not None:
                reached.append(value)
        elif prop.is_list:
            if name not in values:
                lists.setdefault(cls, []).append(obj)
            elif prop.kind == "link":
                reached.extend(values[name])
    if not links and not lists:
        return _unique(reached)
    with session.database.read() as connection:
        for prop, owners in links.items():
            targets = load_ids(session, prop.target, (owner.__dict__[name] for owner in owners),
                               connection=connection, refresh=False)
            for owner in owners:
                target = targets.get(owner.__dict__[name])
                if target is not None:
                    owner.__dict__[name] = target
                    reached.append(target)
        for cls, owners in lists.items():
            reached.extend(_load_lists(session, connection, cls,
                                       cls._meta.properties[name], owners))
    return _unique(reached)


def _batch_of(session: Session, instance: Any) -> list[Any]:
    batch = instance._state.batch
    members = batch.members(session.identity) if batch is not None else []
    if not any(member is instance for member in members):
        members.append(instance)
    return members


def resolve_link(instance: Any, prop: persistent) -> Any:
    """The linked object of ``instance``, loading the link for its whole batch."""
    session = current_session()
    load_attribute(session, _batch_of(session, instance), prop.name)
    value = instance.__dict__[prop.name]
    if value.__class__ is int:
        raise dangling_link(type(instance), instance.__dict__["object_id"], prop.name,
                            prop.target, value)
    return value


def resolve_list(instance: Any, prop: persistent) -> tuple[Any, ...]:
    """The list of a committed ``instance``, loading it for its whole batch."""
    session = current_session()
    load_attribute(session, _batch_of(session, instance), prop.name)
    return instance.__dict__[prop.name]
