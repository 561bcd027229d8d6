"""Typed configuration, so every part of the system reads its settings the same way.

Precedence: built-in defaults < the TOML file < the ``AWE_*`` environment variables.
The file is ``$AWE_CONFIG`` or ``$AWE_HOME/awe.toml`` (``AWE_HOME`` defaults to ``~/.awe`` and
only the environment may set it, because the file lives there). With no configuration at all,
MUSE-WISE runs on an SQLite file and a local store under ``AWE_HOME`` with an in-process DPU.

A bad value raises :class:`~common.errors.ConfigError` naming the key, where the value came
from (file and line, or variable) and what was expected.

This base module also holds the two contracts every layer shares: the session
:class:`Context` and the one progress callback type :class:`Progress`.
"""

from __future__ import annotations

import getpass
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from common.errors import ConfigError

__all__ = ["SETTINGS", "Config", "Context", "Progress", "Setting", "is_privilege_level",
           "load_config", "read_token"]

DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg", "oracle", "oracle+oracledb")
MAX_PRIVILEGES = 5
MAX_SITE = 32767


class Progress(Protocol):
    """The one progress callback every layer accepts: ``progress(done, total, what)``.

    Long work (a recipe over 24 IFUs, a simulated night, a 1 GB transfer, a scrub) calls it
    with how much of ``total`` is ``done`` (steps or bytes, as the caller documents) and what it
    is doing. It never decides how progress is shown: ``awe`` renders it as a bar on a terminal
    and a few lines in a log (:mod:`awe.progress`).
    """

    def __call__(self, done: int, total: int, what: str) -> None:
        """Report that ``done`` of ``total`` units are finished, the last being ``what``."""
        ...

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,62}")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_ROLE_PREFIX = re.compile(r"[a-z0-9_]{0,30}")


@dataclass(frozen=True)
class Context:
    """Who acts, in which project, with which default privileges, at which site.

    ``privileges`` is the level new objects get: 1 the creator only, 2 the project,
    3 every user of the system, 4 and 5 published beyond it.
    """

    user: str
    project: str
    privileges: int = 1
    site: int = 0

    def with_project(self, project: str) -> Context:
        """Return a copy acting in ``project``."""
        return replace(self, project=_check_name("project", project))

    def with_privileges(self, privileges: int) -> Context:
        """Return a copy whose new objects get ``privileges``."""
        return replace(self, privileges=_check_privileges(privileges))


def _check_name(key: str, value: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise ConfigError(
            f"{key}: expected a name of letters, digits, '_', '.' or '-' (at most 63 "
            f"characters, not starting with a digit), found {value!r}"
        )
    return value


def is_privilege_level(value: object) -> bool:
    """Whether ``value`` is a privilege level: an integer 1 to :data:`MAX_PRIVILEGES`."""
    return (isinstance(value, int) and not isinstance(value, bool)
            and 1 <= value <= MAX_PRIVILEGES)


def _check_privileges(value: int) -> int:
    if not is_privilege_level(value):
        raise ConfigError(f"privileges: expected an integer 1-{MAX_PRIVILEGES}, found {value!r}")
    return value


# -- parsers: value from TOML (native type) or from the environment (a string) -> typed value.
# Each raises ValueError with the text of what it expected.


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("a string")
    return value.strip()


def _name(value: object) -> str:
    text = _text(value)
    if not _NAME.fullmatch(text):
        raise ValueError("a name of letters, digits, '_', '.' or '-', not starting with a digit")
    return text


def _integer(lo: int, hi: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ValueError(f"an integer from {lo} to {hi}")
        return value

    return parse


def _path(value: object) -> Path:
    text = _text(value)
    if not text:
        raise ValueError("a file or directory path")
    return Path(text).expanduser()


def _database_url(value: object) -> str:
    text = _text(value)
    scheme = text.split("://", 1)[0] if "://" in text else ""
    if scheme not in DATABASE_SCHEMES:
        raise ValueError(
            "a database URL starting with " + ", ".join(f"{s}://" for s in DATABASE_SCHEMES)
        )
    return text


def _url_list(schemes: tuple[str, ...], what: str) -> Callable[[object], tuple[str, ...]]:
    def parse(value: object) -> tuple[str, ...]:
        if isinstance(value, str):
            items = [item.strip() for item in value.split(",")]
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            items = [item.strip() for item in value]
        else:
            raise ValueError(f"a list of {what}")
        items = [item for item in items if item]
        for item in items:
            if not item.startswith(schemes):
                raise ValueError(f"a list of {what}; {item!r} does not start with " +
                                 " or ".join(schemes))
        return tuple(items)

    return parse


def _module(value: object) -> str:
    text = _text(value)
    if not _MODULE.fullmatch(text):
        raise ValueError("a dotted Python package name such as muse.datamodel")
    return text


def _role_prefix(value: object) -> str:
    text = _text(value)
    if not _ROLE_PREFIX.fullmatch(text):
        raise ValueError("at most 30 lower-case letters, digits or '_'")
    return text


@dataclass(frozen=True)
class Setting:
    """One configuration key: its variable, type, default and help text."""

    key: str
    help: str
    parse: Callable[[object], object]
    default: Callable[[Path], object]

    @property
    def variable(self) -> str:
        """The environment variable that overrides this key."""
        return "AWE_" + self.key.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("database", "database URL: sqlite:///FILE, postgresql://…, oracle://…",
            _database_url, lambda home: f"sqlite:///{home / 'awe.sqlite'}"),
    Setting("dataservers", "data server URLs, nearest first (empty: the local store)",
            _url_list(("http://", "https://"), "http(s) URLs"), lambda home: ()),
    Setting("store_root", "directory of the local file store (used when no data servers)",
            _path, lambda home: home / "store"),
    Setting("dpu", "Pyro URIs of the DPUs (empty: an in-process DPU)",
            _url_list(("PYRO:", "PYRONAME:", "PYROMETA:"), "Pyro URIs"), lambda home: ()),
    Setting("user", "user name new objects are created by", _name,
            lambda home: getpass.getuser()),
    Setting("project", "project new objects land in", _name, lambda home: "default"),
    Setting("privileges", "privileges of new objects: 1 creator, 2 project, 3 all users, "
            "4-5 published", _integer(1, MAX_PRIVILEGES), lambda home: 1),
    Setting("site", "site id, 0 for a private installation, 1-32767 registered",
            _integer(0, MAX_SITE), lambda home: 0),
    Setting("target", "package that holds the processable classes", _module,
            lambda home: "muse.datamodel"),
    Setting("token_file", "file holding the DPU handshake token", _path,
            lambda home: home / "dpu-token"),
    Setting("store_token_file", "file holding the user's data-server token", _path,
            lambda home: home / "store-token"),
    Setting("role_prefix", "prefix of PostgreSQL role names", _role_prefix, lambda home: ""),
    Setting("store_users_file", "the data server's users token file `awe user create` adds "
            "new users to (unset: none)", _path, lambda home: None),
    Setting("workers", "worker processes of in-process processing and of a DPU's jobs "
            "(unset: the usable cores)", _integer(1, 4096), lambda home: None),
)
_BY_KEY = {setting.key: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Config:
    """The effective configuration and, per key, where its value came from."""

    home: Path
    database: str
    dataservers: tuple[str, ...]
    store_root: Path
    dpu: tuple[str, ...]
    user: str
    project: str
    privileges: int
    site: int
    target: str
    token_file: Path
    store_token_file: Path
    role_prefix: str
    store_users_file: Path | None
    workers: int | None
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    def context(self) -> Context:
        """The acting :class:`Context` this configuration describes."""
        return Context(self.user, self.project, self.privileges, self.site)

    def describe(self) -> list[tuple[str, str, str]]:
        """Return ``(key, value, source)`` rows for every key, for ``awe config``."""
        rows = [("home", str(self.home), self.sources.get("home", "default"))]
        for setting in SETTINGS:
            value = getattr(self, setting.key)
            shown = ",".join(value) if isinstance(value, tuple) else \
                "" if value is None else str(value)
            rows.append((setting.key, shown, self.sources.get(setting.key, "default")))
        return rows


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _read_file(path: Path) -> tuple[dict[str, object], dict[str, str]]:
    """Read the TOML file; return its values and a source label (``file:line``) per key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"configuration file {path}: cannot be read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"configuration file {path}: expected UTF-8 text, found byte "
                          f"0x{exc.object[exc.start]:02x} at offset {exc.start}; save the file "
                          "as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path}: not valid TOML: {exc}") from exc
    sources = {}
    for key in data:
        line = _line_of(text, key)
        sources[key] = f"{path}:{line}" if line else str(path)
        if key == "home":
            raise ConfigError(f"home ({sources[key]}): the home directory can only be set by "
                              "the AWE_HOME variable, because the file lives there")
        if key not in _BY_KEY:
            raise ConfigError(f"{key} ({sources[key]}): unknown key; expected one of "
                              + ", ".join(sorted(_BY_KEY)))
    return data, sources


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Build the effective configuration from defaults, the file and the environment."""
    env = os.environ if environ is None else environ
    sources: dict[str, str] = {}
    if env.get("AWE_HOME", "").strip():
        home = Path(env["AWE_HOME"].strip()).expanduser()
        sources["home"] = "AWE_HOME"
    else:
        home = Path("~/.awe").expanduser()
    if env.get("AWE_CONFIG", "").strip():
        path = Path(env["AWE_CONFIG"].strip()).expanduser()
        if not path.is_file():
            raise ConfigError(f"AWE_CONFIG names {path}, which is not a file")
    else:
        path = home / "awe.toml"
    file_values, file_sources = _read_file(path) if path.is_file() else ({}, {})

    values: dict[str, object] = {}
    for setting in SETTINGS:
        if env.get(setting.variable, "").strip():
            raw, source = env[setting.variable], setting.variable
        elif setting.key in file_values:
            raw, source = file_values[setting.key], file_sources[setting.key]
        else:
            values[setting.key] = setting.default(home)
            continue
        try:
            values[setting.key] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(
                f"{setting.key} ({source}): expected {exc}, found {raw!r}"
            ) from None
        sources[setting.key] = source
    return Config(home=home, sources=sources, **values)


def read_token(path: Path, *, what: str) -> str:
    """Read a token file (one token, whitespace stripped); ``what`` names it in errors."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigError(f"{what}: token file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"{what}: token file {path} cannot be read ({exc.strerror})") from exc
    if not token or any(ch.isspace() for ch in token):
        raise ConfigError(f"{what}: token file {path} must hold exactly one token")
    return token
