"""Who is asking and what they may see: sign-in, sessions, CSRF and the visibility rule.

- Sign-in takes a data-server token (the users file, ``USER SHA256`` lines, of
  :mod:`dataserver.tokens`); a session is a random id in an HttpOnly, SameSite=Strict cookie,
  kept in memory with its own CSRF token, which every POST form must echo.
- Every request's database work runs under ``database.acting_as(user)``: ``SET LOCAL ROLE``
  on PostgreSQL, so row-level security decides; the query compiler's visibility rule
  elsewhere.
- The portal's own aggregate statements (GROUP BY over nights) add the compiler's rule with
  :func:`visible_clause` (nothing on PostgreSQL), and objects reached through links are
  checked with :func:`can_see`.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause

from common.database.accounts import memberships
from common.database.catalogue import MEMBER_TABLE
from common.persistent.session import Session
from common.persistent.visibility import visibility

__all__ = ["PortalSession", "SessionStore", "can_see", "check_csrf", "projects_of",
           "visible_clause"]

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


def projects_of(session: Session, user: str) -> frozenset[str]:
    """The projects ``user`` is a member of (none where the database has no members table)."""
    if MEMBER_TABLE.name not in session.database.metadata.tables:
        return frozenset()
    return frozenset(memberships(session.database, user))


def visible_clause(session: Session, source: FromClause) -> ColumnElement[bool] | None:
    """The condition on ``source``'s rows that ``session``'s user may see (None: all).

    None on a database that enforces row-level security itself.
    """
    rule = visibility(session)
    return None if rule is None else rule(source)


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
