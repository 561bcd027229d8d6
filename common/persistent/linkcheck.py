"""Commit-time checks of links: every target visible to the creator, never less visible.

Foreign keys bypass row-level security, so the database alone would let a user link to an
object they cannot see (and learn that it exists). Inside the commit's write transaction,
:func:`check_links` reads the catalogue rows of every committed link target as the committing
role (RLS on PostgreSQL, :mod:`common.persistent.visibility` elsewhere) and refuses a target it
cannot see. It also keeps DESIGN §3's invariant: an object is never more visible than what it
depends on — its privileges may not exceed a target's, and at level 2 both are in one project.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Connection, Select, Table, select

from common.database import OBJECT_TABLE
from common.errors import IntegrityError, PermissionDenied
from common.persistent.session import Session
from common.persistent.statements import select_in_chunks
from common.persistent.visibility import Visible, visibility

__all__ = ["Reach", "check_links", "more_visible"]


@dataclass(frozen=True)
class Reach:
    """Who sees an object: its level, project and creator."""

    privileges: int
    project: str
    creator: str


def more_visible(obj: Reach, target: Reach) -> bool:
    """Whether ``obj`` would be seen by someone who cannot see ``target``."""
    if obj.privileges > target.privileges:
        return True
    if obj.privileges == target.privileges == 2:
        return obj.project != target.project
    if obj.privileges == target.privileges == 1:
        return obj.creator != target.creator
    return False


def _label(obj: Any) -> str:
    return f"{type(obj).__name__} {obj.__dict__['object_id']:#018x}"


def _reach(values: dict[str, Any]) -> Reach:
    return Reach(values["privileges"], values["project"], values["creator"])


def _catalogue_rows(catalogue: Table, visible: Visible | None, ids: list[int]) -> Select:
    statement = select(catalogue.c.object_id, catalogue.c.privileges, catalogue.c.project,
                       catalogue.c.creator).where(catalogue.c.object_id.in_(ids))
    return statement if visible is None else statement.where(visible(catalogue))


def _edges(groups: dict[type, list[Any]]) -> list[tuple[Any, str, Any]]:
    """``(object, attribute, target)`` of every link and link-list element of the new objects."""
    edges = []
    for cls, objects in groups.items():
        record = cls._meta
        for obj in objects:
            values = obj.__dict__
            for name, _ in record.link_targets:
                if values[name] is not None:
                    edges.append((obj, name, values[name]))
            for name in record.link_lists:
                edges.extend((obj, name, item) for item in values[name])
    return edges


def check_links(session: Session, connection: Connection, groups: dict[type, list[Any]]
                ) -> None:
    """Refuse links to invisible objects and objects more visible than their targets.

    A missing or invisible target raises :class:`~common.errors.IntegrityError`, an object more
    visible than its target :class:`~common.errors.PermissionDenied`; both name the object, the
    attribute and the target. One statement per chunk of committed targets.
    """
    edges = _edges(groups)
    if not edges:
        return
    committed = sorted({target if target.__class__ is int else target.__dict__["object_id"]
                        for _, _, target in edges
                        if target.__class__ is int or target._state.committed})
    reach: dict[int, Reach] = {}
    if committed:
        catalogue = session.table(OBJECT_TABLE.name)
        for object_id, privileges, project, creator in select_in_chunks(
                connection, partial(_catalogue_rows, catalogue, visibility(session)),
                committed, session.database.backend.in_chunk):
            reach[object_id] = Reach(privileges, project, creator)
    for obj, name, target in edges:
        if target.__class__ is int or target._state.committed:
            target_id = target if target.__class__ is int else target.__dict__["object_id"]
            found = reach.get(target_id)
            if found is None:
                # One error for both, so a refusal never tells that a hidden object exists.
                raise IntegrityError(f"commit refused by the database: {_label(obj)}.{name} "
                                     f"links to object {target_id:#018x}, which does not "
                                     f"exist or is not visible to {session.user}")
        else:
            target_id, found = target.__dict__["object_id"], _reach(target.__dict__)
        own = _reach(obj.__dict__)
        if more_visible(own, found):
            raise PermissionDenied(
                f"{_label(obj)}.{name}: the object (privileges {own.privileges}, project "
                f"{own.project}) would be more visible than object {target_id:#018x} it "
                f"depends on (privileges {found.privileges}, project {found.project}); publish "
                "the dependency first or lower the object's privileges")
