"""Publishing and deleting objects: whole dependency trees, all or nothing, audited.

- :func:`publish` raises an object and everything it depends on (its links and link lists,
  recursively) to a privilege level in one transaction. The caller must be allowed to raise
  every node that needs it — its creator, or a manager of its project — or nothing changes and
  the refusal lists each node with its owner. Each raised node gets an audit record.
- :func:`delete` removes an object's rows (class table, list tables, catalogue, its audit
  records) in one transaction and records the deletion in a new audit record. It is refused
  while anything depends on it (the refusal lists the dependents), and at level 3 or more
  unless a manager of its project forces it. ``recursive`` deletes the dependents too,
  dependents first. Files are left in the store: ``awe dataserver gc`` collects them.

Both lock the rows they change (``SELECT … FOR UPDATE`` in object-id order) and re-read what
they decide on under the lock, so a publish and a delete of one tree running at once leave it
either published or deleted, never half of each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, select, union_all
from sqlalchemy import delete as sql_delete

from common.database import OBJECT_TABLE, column_name
from common.errors import IntegrityError, NotFound, PermissionDenied, PersistenceError
from common.persistent.commit import commit, in_transaction, transaction
from common.persistent.loading import load_attribute
from common.persistent.projects import managed_projects
from common.persistent.registry import concrete_classes, persistent_class
from common.persistent.session import Session, current_session
from common.persistent.statements import chunks
from common.persistent.visibility import visibility

__all__ = ["Node", "delete", "dependency_tree", "publish"]

AUDIT_CLASS = "AuditRecord"


@dataclass(frozen=True)
class Node:
    """One object of a tree as a refusal or a dry run lists it."""

    class_name: str
    object_id: int
    creator: str | None
    project: str | None
    privileges: int | None

    def __str__(self) -> str:
        if self.creator is None:
            return f"{self.class_name} {self.object_id:#018x} (not visible to you)"
        return (f"{self.class_name} {self.object_id:#018x} (creator {self.creator}, project "
                f"{self.project}, privileges {self.privileges})")


def _node(obj: Any) -> Node:
    values = obj.__dict__
    return Node(type(obj).__name__, values["object_id"], values["creator"], values["project"],
                values["privileges"])


def dependency_tree(root: Any) -> tuple[list[Any], list[int]]:
    """``root`` and every committed object it depends on, and the ids of those not visible.

    One statement per class per level of the tree.
    """
    session = current_session()
    seen = {root.__dict__["object_id"]: root}
    hidden: list[int] = []
    frontier = [root]
    while frontier:
        names = {name for obj in frontier
                 for name in (*type(obj)._meta.links, *type(obj)._meta.link_lists)}
        for name in sorted(names):
            load_attribute(session, frontier, name)
        reached = []
        for obj in frontier:
            record = type(obj)._meta
            values = obj.__dict__
            targets = [values[name] for name in record.links if values[name] is not None]
            for name in record.link_lists:
                targets.extend(values[name])
            for target in targets:
                if target.__class__ is int:
                    hidden.append(target)
                elif target.__dict__["object_id"] not in seen:
                    seen[target.__dict__["object_id"]] = target
                    reached.append(target)
        frontier = reached
    return list(seen.values()), sorted(set(hidden))


def _may_change(session: Session, nodes: Iterable[Any]) -> list[Any]:
    """The nodes the acting user may not change (neither creator nor project manager)."""
    user = session.user
    managed = managed_projects(user, session=session)
    return [obj for obj in nodes
            if obj.__dict__["creator"] != user and obj.__dict__["project"] not in managed]


def publish(obj: Any, level: int, *, dry_run: bool = False, reason: str = "") -> list[Node]:
    """Raise ``obj`` and its dependency tree to privileges ``level``; return the nodes raised.

    Nodes already at ``level`` or above stay as they are. ``dry_run`` only returns what would
    be raised (after the same checks). Raises :class:`~common.errors.PermissionDenied` listing
    every node the caller may not raise (and dependencies they cannot see); nothing changes
    then.
    """
    if not obj.is_committed:
        raise PersistenceError(f"{type(obj).__name__}.publish: the object is not committed; "
                               "set privileges directly before commit")
    session = current_session()
    if obj.__dict__["privileges"] > level:
        raise PersistenceError(f"{obj!r} is at privileges {obj.__dict__['privileges']}; publish "
                               f"raises and never lowers (asked for {level})")
    nodes, hidden = dependency_tree(obj)
    raised = sorted((node for node in nodes if node.__dict__["privileges"] < level),
                    key=lambda node: node.__dict__["object_id"])
    refused = [str(_node(node)) for node in _may_change(session, raised)]
    refused += [str(Node("object", object_id, None, None, None)) for object_id in hidden]
    if refused:
        raise PermissionDenied(
            f"publish {obj!r} at level {level}: {session.user} may not raise {len(refused)} of "
            f"the {len(nodes) + len(hidden)} objects of its tree (only their creator or a "
            f"manager of their project may); nothing changed: {'; '.join(refused)}")
    plan = [_node(node) for node in raised]
    if dry_run or not raised:
        return plan
    text = reason or f"published at level {level}"
    with transaction():
        for node in raised:
            node._mutate("publish", {"privileges": level}, text)
    return plan


# -- delete ------------------------------------------------------------------------------


def _link_sources(session: Session) -> list[tuple[Table, str]]:
    """``(table, column)`` of every link column and link-list value column (audit excluded)."""
    sources = []
    for cls in concrete_classes(object):
        if cls.__name__ == AUDIT_CLASS:
            continue
        record = cls._meta
        for name in record.links:
            sources.append((session.table(record.table), column_name(name)))
        for name in record.link_lists:
            sources.append((session.table(record.list_tables[name]), "value"))
    return sources


def _dependents(session: Session, connection: Connection, ids: Sequence[int]) -> set[int]:
    """The ids of the objects that link to any of ``ids`` (one UNION ALL per chunk)."""
    sources = _link_sources(session)
    found: set[int] = set()
    if not sources:
        return found
    for piece in chunks(list(ids), session.database.backend.in_chunk):
        statement = union_all(*(select(table.c.object_id).where(table.c[column].in_(piece))
                                for table, column in sources))
        found.update(connection.execute(statement).scalars())
    return found


def _catalogue(session: Session, connection: Connection, ids: Sequence[int], *,
               lock: bool) -> dict[int, Node]:
    """The catalogue rows of ``ids`` the caller sees (``lock``: and may change, locked).

    Locks are taken one row at a time in object-id order, so two callers never deadlock.
    """
    catalogue = session.table(OBJECT_TABLE.name)
    visible = visibility(session)
    rows: dict[int, Node] = {}
    for object_id in sorted(ids):
        statement = select(catalogue.c.class_name, catalogue.c.creator, catalogue.c.project,
                           catalogue.c.privileges).where(catalogue.c.object_id == object_id)
        if visible is not None:
            statement = statement.where(visible(catalogue))
        row = connection.execute(statement.with_for_update() if lock else statement).first()
        if row is not None:
            rows[object_id] = Node(row.class_name, object_id, row.creator, row.project,
                                   row.privileges)
    return rows


def _refusals(nodes: list[Node], user: str, managed: set[str], force: bool) -> list[str]:
    refused = [f"{node}: not yours and you do not manage project {node.project}"
               for node in nodes if node.creator != user and node.project not in managed]
    refused += [f"{node}: published (level {node.privileges}); "
                + ("a manager of its project must force it" if node.project not in managed
                   else "use force")
                for node in nodes if node.privileges >= 3
                and not (force and node.project in managed)]
    return refused


def _delete_rows(session: Session, connection: Connection, nodes: list[Node]) -> None:
    audit = persistent_class(AUDIT_CLASS)
    audit_table = session.table(audit._meta.table)
    ids = [node.object_id for node in nodes]
    for piece in chunks(ids, session.database.backend.in_chunk):
        audits = list(connection.execute(select(audit_table.c.object_id).where(
            audit_table.c.target.in_(piece))).scalars())
        for chunk in chunks(audits, session.database.backend.in_chunk):
            connection.execute(sql_delete(audit_table).where(audit_table.c.object_id.in_(chunk)))
            connection.execute(sql_delete(session.table(OBJECT_TABLE.name)).where(
                session.table(OBJECT_TABLE.name).c.object_id.in_(chunk)))
    catalogue = session.table(OBJECT_TABLE.name)
    for node in nodes:
        record = persistent_class(node.class_name)._meta
        for list_table in record.list_tables.values():
            table = session.table(list_table)
            connection.execute(sql_delete(table).where(table.c.object_id == node.object_id))
        table = session.table(record.table)
        deleted = connection.execute(sql_delete(table).where(table.c.object_id == node.object_id))
        connection.execute(sql_delete(catalogue).where(catalogue.c.object_id == node.object_id))
        if deleted.rowcount != 1:
            raise PermissionDenied(f"delete {node}: the database refused to delete it (only its "
                                   "creator, below level 3, or a manager of its project may)")
        session.identity.discard(node.object_id)


def delete(obj: Any, *, recursive: bool = False, force: bool = False,
           reason: str = "") -> list[Node]:
    """Delete ``obj`` (and with ``recursive`` everything that depends on it); return the nodes.

    Refused (nothing deleted) when anything depends on it and ``recursive`` is not given, when
    a node is at level 3 or more and the caller does not manage its project or did not
    ``force``, and when the caller is neither a node's creator nor a manager of its project.
    The objects' files stay in the store until ``awe dataserver gc``.
    """
    if not obj.is_committed:
        raise PersistenceError(f"{obj!r}: only a committed object can be deleted")
    session = current_session()
    user = session.user
    root = obj.__dict__["object_id"]
    done: list[Node] = []

    def work(connection: Connection) -> None:
        managed = managed_projects(user, session=session)
        order: list[list[int]] = [[root]]
        wanted = {root}
        while True:
            found = _dependents(session, connection, order[-1]) - wanted
            if not found:
                break
            if not recursive:
                listed = _catalogue(session, connection, sorted(found), lock=False)
                shown = [str(listed.get(object_id, Node("object", object_id, None, None,
                                                        None))) for object_id in sorted(found)]
                raise IntegrityError(f"delete {obj!r}: {len(found)} object(s) depend on it "
                                     f"(delete them first, or use recursive): "
                                     f"{'; '.join(shown)}")
            order.append(sorted(found))
            wanted |= found
        for lock in (False, True):
            # First what the caller sees, for the refusals; then the rows locked, re-checked
            # (a publish may have raised one meanwhile).
            rows = _catalogue(session, connection, sorted(wanted), lock=lock)
            missing = sorted(wanted - set(rows))
            if missing:
                raise NotFound(f"delete {obj!r}: object(s) "
                               f"{', '.join(f'{i:#018x}' for i in missing)} no longer exist or "
                               "are not visible")
            nodes = [rows[object_id] for level in reversed(order) for object_id in level]
            refused = _refusals(nodes, user, managed, force)
            if refused:
                raise PermissionDenied(f"delete {obj!r}: refused, nothing deleted: "
                                       f"{'; '.join(refused)}")
        _delete_rows(session, connection, nodes)
        done.extend(nodes)

    audit = persistent_class(AUDIT_CLASS)
    values = obj.__dict__
    record = audit(target=None, field="deleted",
                   old_value=f"{type(obj).__name__} {root:#018x}"
                             + (" and its dependents" if recursive else ""),
                   reason=reason or "deleted", project=values["project"], privileges=1)
    with transaction():
        in_transaction(work)
        commit(record)
    return done
