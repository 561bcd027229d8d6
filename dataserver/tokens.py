"""Who is asking: bearer tokens checked against hashes, so a server never keeps a user's token.

- The users file (``--tokens FILE``) has one ``USER SHA256-HEX-OF-TOKEN`` line per user
  (blank lines and ``#`` comments allowed). It is re-read when it changes, so ``awe user
  create`` can add a user while the server runs.
- The service-token file (``--service-token FILE``) holds the sha256 hex of the site's
  service token (DPUs store products with it; only it may DELETE).
- The federation token (``--peer-token FILE``) is the token itself, one line: a server sends
  it to its peers and accepts it from them.

Every comparison is :func:`hmac.compare_digest` over all candidates, so the time taken does not
depend on which (or whether any) token matched. This module imports no web framework.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from common.config import read_token
from common.errors import ConfigError

__all__ = ["Identity", "TokenRegistry", "hash_token", "issue_token", "read_service_hash",
           "read_user_hashes", "write_new_token"]

log = logging.getLogger(__name__)

_HEX64 = re.compile(r"[0-9a-f]{64}")
_USER = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,62}")

Kind = Literal["user", "service", "peer"]


@dataclass(frozen=True)
class Identity:
    """An authenticated caller: a named user, the site service, or a peer server."""

    kind: Kind
    name: str


def hash_token(token: str) -> str:
    """The sha256 hex of a token, as the users and service-token files keep it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def read_user_hashes(path: Path) -> dict[str, str]:
    """Read a users file: ``{user: sha256 hex}``; a bad line raises :class:`ConfigError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"users token file {path}: cannot be read ({exc.strerror})") from exc
    users: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 2 or not _USER.fullmatch(fields[0]) or \
                not _HEX64.fullmatch(fields[1].lower()):
            raise ConfigError(f"users token file {path}:{number}: expected 'USER SHA256-HEX' "
                              f"(a user name and 64 hex digits), found {line!r}")
        if fields[0] in users:
            raise ConfigError(f"users token file {path}:{number}: user {fields[0]!r} appears "
                              "twice")
        users[fields[0]] = fields[1].lower()
    return users


def read_service_hash(path: Path) -> str:
    """Read a service-token file: the sha256 hex of the service token."""
    try:
        value = path.read_text(encoding="utf-8").strip().lower()
    except OSError as exc:
        raise ConfigError(f"service token file {path}: cannot be read ({exc.strerror})") from exc
    if not _HEX64.fullmatch(value):
        raise ConfigError(f"service token file {path}: expected the sha256 hex (64 digits) of "
                          "the service token, not the token itself")
    return value


class TokenRegistry:
    """The tokens a server accepts; :meth:`identify` maps a presented token to an identity."""

    def __init__(self, *, users_file: Path | None = None, service_file: Path | None = None,
                 peer_file: Path | None = None) -> None:
        self._users_file = users_file
        self._users_stamp: tuple[int, int] | None = None
        self._users: dict[str, str] = {}
        if users_file is not None:
            self._users = read_user_hashes(users_file)
            self._users_stamp = self._stamp(users_file)
        self._service = read_service_hash(service_file) if service_file else None
        self.peer_token = read_token(peer_file, what="federation token") if peer_file else None
        self._peer = hash_token(self.peer_token) if self.peer_token else None

    @property
    def accepts_writes(self) -> bool:
        """Whether any token could ever write (users or a service token configured)."""
        return bool(self._users_file or self._service)

    @staticmethod
    def _stamp(path: Path) -> tuple[int, int] | None:
        try:
            info = path.stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size)

    def _reload_users(self) -> None:
        assert self._users_file is not None
        stamp = self._stamp(self._users_file)
        if stamp == self._users_stamp:
            return
        try:
            self._users = read_user_hashes(self._users_file)
        except ConfigError as exc:
            log.warning("keeping the previous users: %s", exc)
        self._users_stamp = stamp

    def identify(self, token: str) -> Identity | None:
        """The identity ``token`` proves, or None; constant time in the token's value."""
        if self._users_file is not None:
            self._reload_users()
        presented = hash_token(token)
        found: Identity | None = None
        for user, expected in self._users.items():
            if hmac.compare_digest(presented, expected) and found is None:
                found = Identity("user", user)
        if self._service is not None and hmac.compare_digest(presented, self._service):
            found = Identity("service", "service")
        if self._peer is not None and hmac.compare_digest(presented, self._peer):
            found = Identity("peer", "peer")
        return found


def write_new_token(out: Path) -> str:
    """Make a new random token and write it to ``out`` (mode 0600, never over a file); return it.

    Raises :class:`ConfigError` when ``out`` exists.
    """
    token = secrets.token_urlsafe(32)
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"token file {out} exists; remove it first or choose another file"
                          ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(token + "\n")
    return token


def issue_token(out: Path, *, user: str | None = None, users_file: Path | None = None,
                service_file: Path | None = None) -> str:
    """Make a new random token, write it to ``out`` (mode 0600) and record its hash.

    With ``user`` and ``users_file`` the line ``USER HASH`` is appended to the users file (a
    user already listed is refused); with ``service_file`` the hash replaces its content.
    Returns the hash.
    """
    if (user is None) != (users_file is None) or (users_file is None) == (service_file is None):
        raise ConfigError("a token is either a user's (a user name and the users file) or the "
                          "service token (the service-token file)")
    if out.exists():
        raise ConfigError(f"token file {out} exists; remove it first or choose another file")
    if users_file is not None:
        if not _USER.fullmatch(user):
            raise ConfigError(f"user name {user!r}: expected letters, digits, '_', '.' or '-'")
        if users_file.exists() and user in read_user_hashes(users_file):
            raise ConfigError(f"users token file {users_file}: user {user!r} already has a token")
    digest = hash_token(write_new_token(out))
    if users_file is not None:
        with open(users_file, "a", encoding="utf-8") as stream:
            stream.write(f"{user} {digest}\n")
    else:
        assert service_file is not None
        service_file.write_text(digest + "\n", encoding="utf-8")
    return digest
