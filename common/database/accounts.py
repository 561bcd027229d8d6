"""Users, projects and memberships: the rows of ``awe_user``, ``awe_project`` and ``awe_member``.

Creating a user also creates its login role where the backend has roles (PostgreSQL:
``<prefix>NAME``, a member of ``<prefix>awe_user`` and granted to ``<prefix>awe_service``); see
:mod:`common.database.roles`. These rows are written by an administrator (a superuser or a
member of ``awe_owner``): the policies let every user read them and nobody else write them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from common.config import MAX_PRIVILEGES, is_privilege_level
from common.database.catalogue import MEMBER_TABLE, PROJECT_TABLE, USER_TABLE
from common.database.constants import utcnow
from common.database.engine import Database
from common.database.roles import RoleNames, check_user_name
from common.errors import ConfigError, IntegrityError, NotFound

__all__ = ["Membership", "add_member", "create_project", "create_user", "memberships"]


@dataclass(frozen=True)
class Membership:
    """A user in a project (``manager``: may publish and force-delete the project's objects)."""

    project: str
    user_name: str
    manager: bool


def _exists(connection: Connection, table: str, column: str, value: str,
            database: Database) -> bool:
    found = database.table(table)
    return connection.execute(select(found.c[column]).where(found.c[column] == value)
                              ).first() is not None


def create_user(database: Database, name: str) -> str:
    """Add user ``name`` (and its login role where the backend has roles); return the role.

    Raises :class:`~common.errors.IntegrityError` when the user exists already.
    """
    check_user_name(name)
    roles = RoleNames(database.role_prefix)
    role = roles.role(name)
    with database.write() as connection:
        if _exists(connection, USER_TABLE.name, "user_name", name, database):
            raise IntegrityError(f"user {name}: exists already in {database.url}")
        database.backend.create_login_role(connection, role, roles)
        connection.execute(database.table(USER_TABLE.name).insert().values(
            user_name=name, created=utcnow()))
    return role


def create_project(database: Database, name: str, default_privileges: int) -> None:
    """Add project ``name`` whose new objects get ``default_privileges`` (1-5)."""
    check_user_name(name, what="project")
    if not is_privilege_level(default_privileges):
        raise ConfigError(f"project {name}: default privileges must be 1-{MAX_PRIVILEGES}, "
                          f"found {default_privileges!r}")
    try:
        with database.write() as connection:
            connection.execute(database.table(PROJECT_TABLE.name).insert().values(
                project=name, default_privileges=default_privileges, created=utcnow()))
    except SqlIntegrityError:
        raise IntegrityError(f"project {name}: exists already in {database.url}") from None


def add_member(database: Database, project: str, user: str, *, manager: bool = False) -> None:
    """Put ``user`` in ``project`` (again: update whether they manage it)."""
    members = database.table(MEMBER_TABLE.name)
    with database.write() as connection:
        if not _exists(connection, PROJECT_TABLE.name, "project", project, database):
            raise NotFound(f"project {project}: no such project in {database.url} (create it "
                           "with `awe project create`)")
        if not _exists(connection, USER_TABLE.name, "user_name", user, database):
            raise NotFound(f"user {user}: no such user in {database.url} (create it with "
                           "`awe user create`)")
        updated = connection.execute(members.update().where(
            members.c.project == project, members.c.user_name == user).values(manager=manager))
        if updated.rowcount == 0:
            connection.execute(members.insert().values(project=project, user_name=user,
                                                       manager=manager))


def memberships(database: Database, user: str) -> dict[str, Membership]:
    """The projects ``user`` is in: project → membership."""
    members = database.table(MEMBER_TABLE.name)
    with database.read() as connection:
        rows = connection.execute(select(members.c.project, members.c.user_name,
                                         members.c.manager)
                                  .where(members.c.user_name == user)).all()
    return {row.project: Membership(row.project, row.user_name, bool(row.manager))
            for row in rows}
