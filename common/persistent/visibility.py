"""Who sees which row, in the query compiler: DESIGN §3's rule where the database has no RLS.

On PostgreSQL the database enforces visibility itself (row-level security, see
:mod:`common.database.postgresql_security`) and :func:`visibility` returns None. On SQLite
(single user, several names) and Oracle (until VPD policies exist) every statement that reads
objects — a query's rows, its COUNT, ``Cls.get``, loading links — gets the same rule as a
condition: ``privileges >= 3``, or the user is the creator, or ``privileges = 2`` and the user
is a member of the project (``awe_member``). The user is the session's acting user
(:meth:`~common.database.engine.Database.acting_as`) or its context's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, FromClause, and_, or_, select

from common.database.catalogue import MEMBER_TABLE

if TYPE_CHECKING:
    from common.persistent.session import Session

__all__ = ["Visible", "visibility", "visible_rule"]

Visible = Callable[[FromClause], ColumnElement[bool]]


def visible_rule(source: FromClause, user: str, members: FromClause) -> ColumnElement[bool]:
    """The visibility rule over ``source`` (with creator, project, privileges) for ``user``."""
    columns: Any = source.c
    projects = select(members.c.project).where(members.c.user_name == user)
    return or_(columns.privileges >= 3, columns.creator == user,
               and_(columns.privileges == 2, columns.project.in_(projects.scalar_subquery())))


def visibility(session: Session) -> Visible | None:
    """The condition factory for ``session``'s reads, or None where the database enforces RLS."""
    if session.database.backend.row_security:
        return None
    user = session.user
    members = session.table(MEMBER_TABLE.name)
    return lambda source: visible_rule(source, user, members)
