"""Fixtures for data-server tests: tokens, real server processes on loopback, raw HTTP."""

from __future__ import annotations

import http.client
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dataserver.client import HttpStore
from dataserver.store import LocalStore
from dataserver.tokens import hash_token


@dataclass
class Tokens:
    """A users file (alice, bob), a service-token hash file and a federation token file."""

    alice: str
    bob: str
    service: str
    peer: str
    users_file: Path
    service_file: Path
    peer_file: Path
    service_token_file: Path

    def args(self) -> list[str]:
        return ["--tokens", str(self.users_file), "--service-token", str(self.service_file),
                "--peer-token", str(self.peer_file)]


@pytest.fixture
def tokens(tmp_path: Path) -> Tokens:
    directory = tmp_path / "tokens"
    directory.mkdir()
    alice, bob, service, peer = "alice-token-1", "bob-token-2", "service-token-3", "peer-token-4"
    users = directory / "users"
    users.write_text(f"# site users\nalice {hash_token(alice)}\n\nbob {hash_token(bob)}\n")
    service_file = directory / "service.sha256"
    service_file.write_text(hash_token(service) + "\n")
    peer_file = directory / "peer-token"
    peer_file.write_text(peer + "\n")
    service_token_file = directory / "service-token"
    service_token_file.write_text(service + "\n")
    return Tokens(alice, bob, service, peer, users, service_file, peer_file, service_token_file)


@dataclass
class Node:
    """A running data server process and its store directory."""

    process: object
    root: Path
    tokens: Tokens

    @property
    def port(self) -> int:
        return self.process.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, token: str | None = "alice", **options: object) -> HttpStore:
        """An HttpStore on this server alone; token by name (alice, bob, service, peer)."""
        value = getattr(self.tokens, token) if token else None
        options.setdefault("retries", 0)
        return HttpStore([self.url], token=value, **options)

    def disk(self) -> LocalStore:
        return LocalStore(self.root)

    def health(self) -> dict:
        return self.client("service").health()

    def temp_files(self) -> list[Path]:
        return list((self.root / "tmp").iterdir())

    def output(self) -> str:
        return "".join(self.process.output)


class Cluster:
    """Start data servers: ``start(name, peers=[...], args=[...])``; ports can be reserved."""

    def __init__(self, start_server, python: str, tmp_path: Path, tokens: Tokens) -> None:
        self._start_server = start_server
        self.python = python
        self.tmp_path = tmp_path
        self.tokens = tokens

    @staticmethod
    def free_port() -> int:
        """A port free right now (for servers that must know each other's URL in advance)."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    def start(self, name: str, *, peers: list[str] = (), port: int = 0, args: list[str] = (),
              env: dict[str, str] | None = None, command: list[str] | None = None,
              auth: bool = True) -> Node:
        root = self.tmp_path / name
        argv = (command or [self.python, "-m", "dataserver"]) + [
            "--root", str(root), "--port", str(port), "--min-free", "0", "--peer-timeout", "1",
            *(self.tokens.args() if auth else []),
            *[item for url in peers for item in ("--peer", url)], *args]
        return Node(self._start_server(argv, env=env), root, self.tokens)


@pytest.fixture
def cluster(start_server, python, tmp_path, tokens) -> Cluster:
    return Cluster(start_server, python, tmp_path, tokens)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage  # case-insensitive
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def request(url: str, method: str, path: str, headers: dict[str, str] | None = None,
            body: bytes | None = None) -> Reply:
    """One raw HTTP request (no client-side checks), for testing what the server refuses."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


@pytest.fixture
def raw():
    """``raw(url, method, path, headers=None, body=None) -> Reply``."""
    return request


@pytest.fixture
def make_file(tmp_path: Path):
    """``make_file(name, size)``: a file of random bytes under tmp_path/src."""
    directory = tmp_path / "src"
    directory.mkdir(exist_ok=True)

    def make(name: str, size: int) -> Path:
        path = directory / name
        with open(path, "wb") as stream:
            remaining = size
            while remaining:
                block = os.urandom(min(remaining, 8 << 20))
                stream.write(block)
                remaining -= len(block)
        return path

    return make
