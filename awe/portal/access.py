"""Who is asking and what they may see: sign-in, sessions, CSRF and the visibility rule.

- Sign-in takes a data-server token (the users file, ``USER SHA256`` lines, of
  :mod:`dataserver.tokens`); a session is a random id in an HttpOnly, SameSite=Strict cookie,
  kept in memory with its own CSRF token, which every POST form must echo.
- Every request's database work runs under :func:`acting`: ``database.acting_as(user)`` where
  the database has it (``SET LOCAL ROLE`` on PostgreSQL, the compiler's visibility rule
  elsewhere), nothing where it does not yet.
- The portal's own aggregate statements (GROUP BY over nights) filter rows with
  :func:`visible_clause`, and loaded objects are checked with :func:`can_see`: the rule of
  DESIGN §3 (``privileges >= 3``, the creator, or ``privileges = 2`` and a member of the
  project), from :mod:`common.persistent.visibility` when that module exists.
"""

from __future__ import annotations

import contextlib
import hmac
import importlib
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_, or_, select

from common.database import Database
from common.persistent.session import Session

__all__ = ["PortalSession", "SessionStore", "acting", "can_see", "check_csrf",
           "projects_of", "restrict", "visible_clause"]

MEMBER_TABLE = "awe_member"
SESSION_LIFETIME = 12 * 3600.0


@dataclass(frozen=True)
class PortalSession:
    """A signed-in browser: its user, its CSRF token and when it expires (monotonic)."""

    session_id: str
    user: str
    csrf: str
    expires: float


class SessionStore:
    """Sessions in memory (a restart signs everyone out), thread-safe."""

    def __init__(self, lifetime: float = SESSION_LIFETIME) -> None:
        self._lifetime = lifetime
        self._sessions: dict[str, PortalSession] = {}
        self._lock = threading.Lock()

    def open(self, user: str) -> PortalSession:
        """A new session for ``user``."""
        opened = PortalSession(secrets.token_urlsafe(32), user, secrets.token_urlsafe(32),
                               time.monotonic() + self._lifetime)
        with self._lock:
            now = time.monotonic()
            for key in [key for key, value in self._sessions.items() if value.expires < now]:
                del self._sessions[key]
            self._sessions[opened.session_id] = opened
        return opened

    def find(self, session_id: str | None) -> PortalSession | None:
        """The live session of this cookie value, or None."""
        if not session_id:
            return None
        with self._lock:
            found = self._sessions.get(session_id)
        if found is None or found.expires < time.monotonic():
            return None
        return found

    def close(self, session_id: str) -> None:
        """Sign out."""
        with self._lock:
            self._sessions.pop(session_id, None)


def check_csrf(opened: PortalSession, presented: str | None) -> bool:
    """Whether a form's CSRF token is its session's (constant time)."""
    return bool(presented) and hmac.compare_digest(opened.csrf.encode(), presented.encode())


def _acting_as(database: Database) -> Any:
    """``database.acting_as`` when the privileges layer provides it, else None."""
    return getattr(database, "acting_as", None)


@contextlib.contextmanager
def acting(database: Database, user: str) -> Iterator[None]:
    """Run the block's statements as ``user`` where the database layer can."""
    acting_as = _acting_as(database)
    if acting_as is None:
        yield
        return
    with acting_as(user):
        yield


def _privileges_rule() -> Any:
    """``common.persistent.visibility.visibility`` when the privileges layer provides it."""
    try:
        module = importlib.import_module("common.persistent.visibility")
    except ImportError:
        return None
    return getattr(module, "visibility", None)


def projects_of(session: Session, user: str) -> frozenset[str]:
    """The projects ``user`` is a member of (none where the database has no members table)."""
    if MEMBER_TABLE not in session.database.metadata.tables:
        return frozenset()
    members = session.database.table(MEMBER_TABLE)
    with session.database.read() as connection:
        rows = connection.execute(select(members.c.project)
                                  .where(members.c.user_name == user)).scalars().all()
    return frozenset(rows)


def visible_clause(session: Session, source: FromClause) -> ColumnElement[bool] | None:
    """The condition on ``source``'s rows that ``session``'s user may see (None: all).

    None on a database that enforces row-level security itself.
    """
    rule = _privileges_rule()
    if rule is not None:
        made = rule(session)
        return None if made is None else made(source)
    user = session.context.user
    columns: Any = source.c
    projects = projects_of(session, user)
    condition = or_(columns.privileges >= 3, columns.creator == user)
    if projects:
        condition = or_(condition, and_(columns.privileges == 2,
                                        columns.project.in_(sorted(projects))))
    return condition


def restrict(session: Session, query: Any, cls: type) -> Any:
    """``query`` limited to visible objects, where the query compiler does not do it."""
    if _privileges_rule() is not None and _acting_as(session.database) is not None:
        return query
    user = session.context.user
    condition = (cls.privileges >= 3) | (cls.creator == user)
    projects = projects_of(session, user)
    if projects:
        condition = condition | ((cls.privileges == 2) & cls.project.in_(sorted(projects)))
    return query & condition


def can_see(session: Session, obj: Any, projects: frozenset[str] | None = None) -> bool:
    """Whether ``session``'s user may see ``obj`` (for objects reached through links)."""
    user = session.context.user
    level = obj.privileges or 0
    if level >= 3 or obj.creator == user:
        return True
    if level != 2:
        return False
    members = projects_of(session, user) if projects is None else projects
    return obj.project in members
