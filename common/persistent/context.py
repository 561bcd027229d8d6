"""``context``: who acts, in which project, with which default privileges (DESIGN §3).

The object wraps the :class:`~common.config.Context` of the current session, so
``context.set_project('GTO')`` changes where the new objects of this session land.
"""

from __future__ import annotations

from common.config import Context
from common.persistent.projects import enter_project
from common.persistent.session import current_session

__all__ = ["SessionContext", "context"]


class SessionContext:
    """The acting context of the current session."""

    def whoami(self) -> Context:
        """The current :class:`~common.config.Context` (user, project, privileges, site)."""
        return current_session().context

    def set_project(self, project: str) -> None:
        """New objects land in ``project``.

        A registered project needs membership and gives its default privileges, unless
        ``AWE_PRIVILEGES`` sets them (:func:`~common.persistent.projects.enter_project`).
        """
        current = current_session()
        current.context = enter_project(current, project)

    def set_privileges(self, privileges: int) -> None:
        """New objects get ``privileges`` (1 creator, 2 project, 3 all users, 4-5 published)."""
        current = current_session()
        current.context = current.context.with_privileges(privileges)

    @property
    def user(self) -> str:
        """Who creates new objects."""
        return current_session().context.user

    @property
    def project(self) -> str:
        """The project new objects land in."""
        return current_session().context.project

    @property
    def privileges(self) -> int:
        """The privileges new objects get."""
        return current_session().context.privileges

    def __repr__(self) -> str:
        current = current_session().context
        return (f"context: user {current.user}, project {current.project}, privileges "
                f"{current.privileges}, site {current.site}")


context = SessionContext()
