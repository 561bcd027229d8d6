"""Role names: the one rule between a database login role and the user name in ``creator``.

Every PostgreSQL role this project makes carries ``AWE_ROLE_PREFIX`` (so several installations,
or several test databases, share one server without their roles colliding):

- a user NAME logs in as role ``<prefix>NAME`` and is stored as ``NAME`` in ``creator``,
  ``awe_user``, ``awe_member`` and the context (:func:`role_name`, :func:`user_name`);
- a role without the prefix (a superuser such as ``postgres``, or any role when the prefix is
  empty) is stored under its own name;
- the group roles are ``<prefix>awe_owner`` (owns the tables, runs DDL, sees every row),
  ``<prefix>awe_service`` (DPUs and daemons; granted every user role, runs each job under
  ``SET LOCAL ROLE``), ``<prefix>awe_user`` (every user role is a member: the grants and
  policies name it) and ``<prefix>awe_anonymous`` (world read-only: levels 4 and 5).

The database applies the same rule in SQL (the function ``awe_user_name()`` of
:mod:`common.database.postgresql_security`), so ``creator`` defaults to and is checked against
the same name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.errors import ConfigError

__all__ = ["GROUP_ROLES", "USER_NAME", "RoleNames", "check_user_name", "role_name", "user_name"]

# A user name: a letter first, then letters, digits and '_' (a role name that needs no quoting
# rules beyond the usual, and a valid data-server token user).
USER_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
GROUP_ROLES = ("awe_owner", "awe_service", "awe_user", "awe_anonymous")


def check_user_name(name: str, *, what: str = "user") -> str:
    """Return ``name`` if it may name a user or project; raise a one-line ConfigError if not."""
    if not isinstance(name, str) or not USER_NAME.fullmatch(name) or name in GROUP_ROLES:
        raise ConfigError(f"{what} {name!r}: expected a lower-case letter, then at most 62 "
                          "lower-case letters, digits or '_' (and not one of "
                          f"{', '.join(GROUP_ROLES)})")
    return name


def role_name(user: str, prefix: str) -> str:
    """The login role of ``user``: ``prefix + user`` (at most 63 characters)."""
    role = prefix + user
    if len(role) > 63:
        raise ConfigError(f"user {user!r}: the role name {role!r} is longer than PostgreSQL's "
                          "63 characters; choose a shorter name or role prefix")
    return role


def user_name(role: str, prefix: str) -> str:
    """The user name stored in ``creator`` for login ``role``: the prefix dropped when present."""
    if prefix and role.startswith(prefix) and len(role) > len(prefix):
        return role[len(prefix):]
    return role


@dataclass(frozen=True)
class RoleNames:
    """The group roles of one installation (one role prefix)."""

    prefix: str

    @property
    def owner(self) -> str:
        """Owns the tables, alone runs DDL, sees every row."""
        return self.prefix + "awe_owner"

    @property
    def service(self) -> str:
        """DPUs and daemons: granted every user role, acts as one with ``SET LOCAL ROLE``."""
        return self.prefix + "awe_service"

    @property
    def users(self) -> str:
        """The group of every user login role; the grants and policies name it."""
        return self.prefix + "awe_user"

    @property
    def anonymous(self) -> str:
        """World read-only (privileges 4 and 5)."""
        return self.prefix + "awe_anonymous"

    def role(self, user: str) -> str:
        """The login role of ``user``."""
        return role_name(user, self.prefix)

    def user(self, role: str) -> str:
        """The user name of login ``role``."""
        return user_name(role, self.prefix)
