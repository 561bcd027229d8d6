"""What a data server is told on its command line, checked once before it starts."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from common.errors import ConfigError
from dataserver.protocol import parse_age, parse_size

__all__ = ["DEFAULT_MIN_FREE", "ServerSettings", "add_peer_arguments", "add_release_arguments",
           "add_scrub_arguments", "add_serve_arguments", "peer_url", "settings_from_args"]

DEFAULT_MIN_FREE = 1 << 30


@dataclass(frozen=True)
class ServerSettings:
    """One data server: its store directory, address, peers, tokens and limits.

    ``space_limit`` is the most the store may hold (bytes, None: no limit) and ``min_free``
    the free disk space an upload must leave; either refusal is a 507 before the disk fills.
    ``miss_ttl`` is how long a name no peer had is remembered as missing; ``peer_timeout``
    bounds how long a peer may take to say whether it has a file. ``scrub_interval`` is how
    often the server re-hashes all its files in the background (seconds; 0: never).
    """

    root: Path
    host: str = "127.0.0.1"
    port: int = 0
    peers: tuple[str, ...] = ()
    public_read: bool = False
    tokens: Path | None = None
    service_token: Path | None = None
    peer_token: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    space_limit: int | None = None
    min_free: int = DEFAULT_MIN_FREE
    miss_ttl: float = 5.0
    peer_timeout: float = 2.0
    access_log: bool = False
    scrub_interval: float = 0.0

    def __post_init__(self) -> None:
        if (self.cert is None) != (self.key is None):
            raise ConfigError("--cert and --key go together (TLS needs the certificate and "
                              f"its private key); found cert={self.cert} key={self.key}")
        for path in (self.tokens, self.service_token, self.peer_token, self.cert, self.key):
            if path is not None and not path.is_file():
                raise ConfigError(f"{path}: no such file")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"--port: expected 0-65535, found {self.port}")
        if self.scrub_interval < 0:
            raise ConfigError(f"--scrub-interval must be >= 0 (0: never), found "
                              f"{self.scrub_interval}")
        if self.miss_ttl < 0 or self.peer_timeout <= 0:
            raise ConfigError(f"--miss-ttl must be >= 0 and --peer-timeout > 0, found "
                              f"{self.miss_ttl} and {self.peer_timeout}")

    @property
    def scheme(self) -> str:
        """``https`` with a certificate, else ``http``."""
        return "https" if self.cert else "http"


def peer_url(text: str) -> str:
    """A peer's base URL (``http://host:port`` or ``https://…``) without a trailing slash."""
    if not text.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"expected an http:// or https:// URL, found {text!r}")
    return text.rstrip("/")


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _age(text: str) -> float:
    try:
        return parse_age(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_peer_arguments(parser: argparse.ArgumentParser) -> None:
    """``--peer URL…`` and ``--peer-token FILE``, shared by ``serve`` and ``scrub``."""
    parser.add_argument("--peer", action="append", type=peer_url, default=[], metavar="URL",
                        help="another data server of the logical store, nearest first "
                             "(repeat the option)")
    parser.add_argument("--peer-token", type=Path, metavar="FILE",
                        help="file with the federation token servers send to each other")


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``awe dataserver serve`` (also ``python -m dataserver``)."""
    parser.add_argument("--root", type=Path, required=True, metavar="DIR",
                        help="directory of this server's store (created if missing)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; 0.0.0.0 for every "
                             "interface, then use --cert/--key)")
    parser.add_argument("--port", type=int, default=0,
                        help="port to bind (0: a free port); printed as 'listening on PORT'")
    add_peer_arguments(parser)
    parser.add_argument("--public-read", action="store_true",
                        help="serve GET/HEAD without a token")
    parser.add_argument("--tokens", type=Path, metavar="FILE",
                        help="users file: one 'USER SHA256-HEX-OF-TOKEN' line per user")
    parser.add_argument("--service-token", type=Path, metavar="FILE",
                        help="file with the sha256 hex of the site service token")
    parser.add_argument("--cert", type=Path, metavar="FILE", help="TLS certificate (PEM)")
    parser.add_argument("--key", type=Path, metavar="FILE", help="TLS private key (PEM)")
    parser.add_argument("--space-limit", type=_size, metavar="BYTES",
                        help="most the store may hold, e.g. 20T; uploads beyond it get 507")
    parser.add_argument("--min-free", type=_size, default=DEFAULT_MIN_FREE, metavar="BYTES",
                        help="free disk space every upload must leave (default 1G)")
    parser.add_argument("--miss-ttl", type=float, default=5.0, metavar="SECONDS",
                        help="how long a name no peer has is remembered as missing (default 5)")
    parser.add_argument("--peer-timeout", type=float, default=2.0, metavar="SECONDS",
                        help="how long a peer may take to answer whether it has a file "
                             "(default 2)")
    parser.add_argument("--access-log", action="store_true",
                        help="log every request on stderr")
    parser.add_argument("--scrub-interval", type=_age, default=0.0, metavar="AGE",
                        help="re-hash every file this often in the background, quarantining "
                             "and healing bad ones (e.g. 1d, 12h; default 0: never)")


def settings_from_args(args: argparse.Namespace) -> ServerSettings:
    """Build and check :class:`ServerSettings` from parsed ``serve`` options."""
    return ServerSettings(
        root=args.root, host=args.host, port=args.port, peers=tuple(args.peer),
        public_read=args.public_read, tokens=args.tokens, service_token=args.service_token,
        peer_token=args.peer_token, cert=args.cert, key=args.key, space_limit=args.space_limit,
        min_free=args.min_free, miss_ttl=args.miss_ttl, peer_timeout=args.peer_timeout,
        access_log=args.access_log, scrub_interval=args.scrub_interval,
    )


def add_scrub_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``awe dataserver scrub``."""
    parser.add_argument("--root", type=Path, required=True, metavar="DIR",
                        help="the server's store directory (scrub may run while it serves)")
    add_peer_arguments(parser)
    parser.add_argument("--peer-timeout", type=float, default=2.0, metavar="SECONDS",
                        help="how long a peer may take to answer whether it has a file")
    parser.add_argument("--name", action="append", default=None, metavar="NAME",
                        help="check only this file (repeat the option); default: every file, "
                             "and apply the peers' deletes")


def add_release_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``awe dataserver release``."""
    parser.add_argument("--root", type=Path, required=True, metavar="DIR",
                        help="the server's store directory (release may run while it serves)")
    parser.add_argument("name", nargs="+", metavar="NAME",
                        help="quarantined name to free for other content")
