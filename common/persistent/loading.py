"""Turn rows into objects through the identity map; load links and lists batch-wise.

Loading never runs one query per object: a query's rows come back in one statement per
class, and touching an unloaded link or list of one object loads it for every live object of
the same batch (:class:`~common.persistent.identity.Batch`), one statement per class.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table

from common.database import OBJECT_TABLE
from common.persistent.compiler import QueryCompiler
from common.persistent.identity import Batch
from common.persistent.meta import concrete_classes, persistent_class
from common.persistent.properties import persistent
from common.persistent.session import Session, current_session
from common.persistent.statements import catalogue_classes, list_items, rows_by_ids

if TYPE_CHECKING:
    from common.persistent.query import Query

__all__ = ["freeze", "load_attribute", "load_ids", "load_query", "materialise",
           "resolve_link", "resolve_list"]

_new = object.__new__


def freeze(obj: Any) -> None:
    """Make the dict values of a committed object read-only (top level)."""
    values = obj.__dict__
    for name in type(obj).__awe_dicts__:
        value = values[name]
        if value is not None and not isinstance(value, MappingProxyType):
            values[name] = MappingProxyType(dict(value))


def materialise(session: Session, cls: type, rows: Iterable[Any], batch: Batch) -> list[Any]:
    """Objects of ``cls`` for rows of its table (columns in table order).

    A row whose object is already in the identity map refreshes that object's mutable
    fields instead of creating another object.
    """
    names = cls.__awe_columns__
    mutable = cls.__awe_mutable__
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
                values["_awe_batch"] = batch
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
    if cls.__awe_dicts__:
        for obj in objects:
            freeze(obj)
    return objects


@contextmanager
def _reading(session: Session, connection: Connection | None) -> Iterator[Connection]:
    if connection is not None:
        yield connection
    else:
        with session.database.read() as opened:
            yield opened


def _rows_by_ids(session: Session, connection: Connection, table: Table,
                 ids: list[int]) -> list[Any]:
    chunk = session.database.backend.in_chunk
    rows: list[Any] = []
    for start in range(0, len(ids), chunk):
        rows.extend(connection.execute(rows_by_ids(table, ids[start:start + chunk])).all())
    return rows


def load_query(session: Session, query: Query) -> list[Any]:
    """The objects of ``query``, in its order."""
    database = session.database
    compiler = QueryCompiler(query, database.backend, database.table)
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
            rows = _rows_by_ids(session, connection, database.table(cls.__awe_table__),
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
            catalogue = database.table(OBJECT_TABLE.name)
            groups = {}
            chunk = database.backend.in_chunk
            for start in range(0, len(wanted), chunk):
                statement = catalogue_classes(catalogue, wanted[start:start + chunk])
                for object_id, class_name in reading.execute(statement):
                    try:
                        klass = persistent_class(class_name)
                    except LookupError:
                        continue
                    if issubclass(klass, cls) and klass.__awe_table__ is not None:
                        groups.setdefault(klass, []).append(object_id)
        for klass, class_ids in groups.items():
            rows = _rows_by_ids(session, reading, database.table(klass.__awe_table__),
                                class_ids)
            for obj in materialise(session, klass, rows, batch):
                found[obj.object_id] = obj
    return found


def _unique(objects: list[Any]) -> list[Any]:
    return list({id(obj): obj for obj in objects}.values())


def _load_lists(session: Session, connection: Connection, cls: type, prop: persistent,
                owners: list[Any]) -> list[Any]:
    name = prop.name
    table = session.database.table(cls.__awe_list_tables__[name])
    chunk = session.database.backend.in_chunk
    values: dict[int, list[Any]] = {owner.__dict__["object_id"]: [] for owner in owners}
    ids = list(values)
    for start in range(0, len(ids), chunk):
        for object_id, value in connection.execute(list_items(table, ids[start:start + chunk])):
            values[object_id].append(value)
    reached: list[Any] = []
    if prop.kind == "link":
        targets = load_ids(session, prop.target,
                           (value for items in values.values() for value in items),
                           connection=connection, refresh=False)
        for object_id, items in values.items():
            missing = [value for value in items if value not in targets]
            if missing:
                raise prop.target.NotFound(
                    f"{cls.__name__} {object_id:#018x}: {name} links to object "
                    f"{missing[0]:#018x}, which does not exist or is not visible")
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
        prop = cls.__awe_properties__.get(name)
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
            reached.extend(_load_lists(session, connection, cls, cls.__awe_properties__[name],
                                       owners))
    return _unique(reached)


def _batch_of(session: Session, instance: Any) -> list[Any]:
    batch = instance.__dict__.get("_awe_batch")
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
        raise prop.target.NotFound(
            f"{type(instance).__name__} {instance.__dict__['object_id']:#018x}: {prop.name} "
            f"links to object {value:#018x}, which does not exist or is not visible")
    return value


def resolve_list(instance: Any, prop: persistent) -> tuple[Any, ...]:
    """The list of a committed ``instance``, loading it for its whole batch."""
    session = current_session()
    load_attribute(session, _batch_of(session, instance), prop.name)
    return instance.__dict__[prop.name]
