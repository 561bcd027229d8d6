"""Users, projects and memberships as the persistent layer sees them, and the context's checks.

The rows live in the system tables ``awe_user``, ``awe_project`` and ``awe_member`` (not in
``awe_object``; written by :mod:`common.database.accounts`). Everything here reads them in the
current session: who is a member or manager of a project, a project's default privileges.
:func:`enter_project` is what ``context.set_project`` does: a registered project needs
membership, and its default privileges apply unless ``AWE_PRIVILEGES`` (or the configuration
file) sets them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import select

from common.config import Context, load_config
from common.database.accounts import Membership
from common.database.catalogue import MEMBER_TABLE, PROJECT_TABLE, USER_TABLE
from common.errors import PermissionDenied
from common.persistent.session import Session, current_session

__all__ = ["Membership", "Project", "User", "enter_project", "is_manager", "is_member",
           "managed_projects", "project", "projects", "users"]


@dataclass(frozen=True)
class User:
    """A user: the name ``creator`` stores (the login role without ``AWE_ROLE_PREFIX``)."""

    name: str
    created: dt.datetime


@dataclass(frozen=True)
class Project:
    """A project and the privileges its new objects get by default."""

    name: str
    default_privileges: int
    created: dt.datetime


def users() -> list[User]:
    """Every user, by name."""
    session = current_session()
    table = session.table(USER_TABLE.name)
    with session.database.read() as connection:
        rows = connection.execute(select(table.c.user_name, table.c.created)
                                  .order_by(table.c.user_name)).all()
    return [User(*row) for row in rows]


def projects() -> list[Project]:
    """Every project, by name."""
    session = current_session()
    table = session.table(PROJECT_TABLE.name)
    with session.database.read() as connection:
        rows = connection.execute(select(table.c.project, table.c.default_privileges,
                                         table.c.created).order_by(table.c.project)).all()
    return [Project(*row) for row in rows]


def project(name: str, *, session: Session | None = None) -> Project | None:
    """The project called ``name`` (None when it is not registered)."""
    session = current_session() if session is None else session
    table = session.table(PROJECT_TABLE.name)
    with session.database.read() as connection:
        row = connection.execute(select(table.c.project, table.c.default_privileges,
                                        table.c.created).where(table.c.project == name)).first()
    return None if row is None else Project(*row)


def _membership(user: str, name: str, session: Session | None) -> Membership | None:
    session = current_session() if session is None else session
    table = session.table(MEMBER_TABLE.name)
    with session.database.read() as connection:
        row = connection.execute(select(table.c.manager).where(
            table.c.project == name, table.c.user_name == user)).first()
    return None if row is None else Membership(name, user, bool(row.manager))


def is_member(user: str, project: str, *, session: Session | None = None) -> bool:
    """Whether ``user`` is in ``project``."""
    return _membership(user, project, session) is not None


def is_manager(user: str, project: str, *, session: Session | None = None) -> bool:
    """Whether ``user`` manages ``project`` (may publish and force-delete its objects)."""
    found = _membership(user, project, session)
    return found is not None and found.manager


def managed_projects(user: str, *, session: Session | None = None) -> set[str]:
    """The projects ``user`` manages."""
    session = current_session() if session is None else session
    table = session.table(MEMBER_TABLE.name)
    with session.database.read() as connection:
        return set(connection.execute(select(table.c.project).where(
            table.c.user_name == user, table.c.manager.is_(True))).scalars())


def enter_project(session: Session, name: str) -> Context:
    """The session's context moved to project ``name``, checked.

    A project registered in ``awe_project`` needs the acting user to be a member
    (:class:`~common.errors.PermissionDenied` otherwise) and gives its default privileges,
    unless the configuration sets ``privileges``. An unregistered name is taken as it is (a
    private installation without projects).
    """
    moved = session.context.with_project(name)
    found = project(name, session=session)
    if found is None:
        return moved
    if not is_member(session.user, name, session=session):
        raise PermissionDenied(f"project {name}: {session.user} is not a member (a manager "
                               f"adds members with `awe project add-user {name} USER`)")
    if "privileges" in load_config().sources:
        return moved
    return replace(moved, privileges=found.default_privileges)
