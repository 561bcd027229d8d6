"""Shared fixtures: isolated configuration, fresh databases, a temporary store, real servers.

- Every test session runs with ``AWE_HOME`` in a temporary directory and no other ``AWE_*``
  variable, so no test reads or writes ``~/.awe``.
- ``sqlite_url`` and ``postgres_url`` are fresh databases for the session; ``database_url`` is
  parametrised over both, for the backend-neutral suites; ``module_database_url`` is a fresh
  database of that backend for one module. A PostgreSQL database (and every role whose name
  starts with its name) is dropped afterwards (:func:`new_postgres_database`). Without a
  server the PostgreSQL tests skip, except under ``CI=true``, where they fail.
- ``local_store`` is a fresh :class:`dataserver.store.LocalStore`.
- ``start_server(argv)`` starts a real server process that binds port 0 and prints
  ``listening on PORT``; it is stopped after the test. ``alice_data_server`` is one such
  data server with user alice, and the environment that points awe at it.
- ``small_night`` is one night simulated once per session in the small geometry
  (``docs/small-geometry.md``): a :class:`muse.instrument.SimulatedNight`.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from dataserver.store import LocalStore

ON_CI = os.environ.get("CI") == "true"
POSTGRES_ADMIN_URL = os.environ.get("AWE_TEST_POSTGRES",
                                    "postgresql://postgres@127.0.0.1:5432/postgres")
SERVER_START_TIMEOUT = 60.0


@pytest.fixture(scope="session", autouse=True)
def awe_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An empty AWE_HOME for the whole session; every other AWE_* variable removed."""
    home = tmp_path_factory.mktemp("awe-home")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("AWE_") and name != "AWE_TEST_POSTGRES":
                patch.delenv(name)
        patch.setenv("AWE_HOME", str(home))
        patch.setenv("AWE_USER", "tester")
        yield home


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a fresh SQLite database file for this test session."""
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'awe-test.sqlite'}"


def _postgres_admin():
    import psycopg

    try:
        return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = (f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable ({exc}); start it "
                   "with: bash .ci/ensure-postgres")
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)


POSTGRES_BASE = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://",
                                                              "postgresql+psycopg://")
"""The SQLAlchemy URL of the test server without a database name."""


@contextmanager
def new_postgres_database(name: str, *role_prefixes: str) -> Iterator[str]:
    """A new PostgreSQL database ``name``, as a SQLAlchemy URL; dropped afterwards.

    Also dropped: every database whose name starts with ``name`` (copies a test made) and
    every role whose name starts with ``name`` or one of ``role_prefixes``.
    """
    with _postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_BASE}/{name}"
    finally:
        with _postgres_admin() as admin:
            for (found,) in admin.execute("SELECT datname FROM pg_database "
                                          "WHERE starts_with(datname, %s)", (name,)).fetchall():
                admin.execute(f'DROP DATABASE IF EXISTS "{found}" WITH (FORCE)')
            for prefix in (name, *role_prefixes):
                roles = admin.execute("SELECT rolname FROM pg_roles WHERE starts_with(rolname, "
                                      "%s) ORDER BY length(rolname) DESC", (prefix,)).fetchall()
                for (role,) in roles:
                    admin.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test session, dropped afterwards."""
    with new_postgres_database(f"awe_test_{os.getpid()}_{secrets.token_hex(3)}") as url:
        yield url


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres",
                                                                 marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """The same tests on a fresh SQLite file and a fresh PostgreSQL database."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(scope="module")
def module_database_url(database_url: str,
                        tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database of the backend of ``database_url`` for one module, dropped afterwards.

    For modules whose rows must not meet the session database's: the same raw file ingested
    by another test answers 'present', and other users' rows are invisible at privileges 1.
    """
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path_factory.mktemp('module-db') / 'awe.sqlite'}"
        return
    with new_postgres_database(f"{database_url.rsplit('/', 1)[1]}_m{secrets.token_hex(3)}") \
            as url:
        yield url


@pytest.fixture
def local_store(tmp_path: Path) -> LocalStore:
    """A fresh local file store."""
    return LocalStore(tmp_path / "store")


@dataclass
class ServerProcess:
    """A server started by :func:`start_server`: its process, port and captured output."""

    process: subprocess.Popen[str]
    port: int
    output: list[str]
    collector: threading.Thread

    @property
    def url(self) -> str:
        """Base URL of an HTTP server on loopback."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 10.0) -> int:
        """Terminate the process (kill it if it does not stop); return its exit code.

        The output pipe is drained and closed, so no open pipe is left for the garbage
        collector to report as a ResourceWarning during some later test.
        """
        return stop_process(self.process, self.collector, timeout)


def stop_process(process: subprocess.Popen[str], collector: threading.Thread,
                 timeout: float) -> int:
    """SIGTERM, then SIGKILL after ``timeout``; the output pipe drained and closed; the code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    _close_output(process, collector, timeout)
    return process.returncode


def _close_output(process: subprocess.Popen[str], collector: threading.Thread,
                  timeout: float) -> None:
    collector.join(timeout)
    if process.stdout is not None and not collector.is_alive():
        process.stdout.close()


def launch_server(argv: list[str], *, env: dict[str, str] | None = None,
                  cwd: Path | None = None,
                  timeout: float = SERVER_START_TIMEOUT) -> ServerProcess:
    """Start ``argv`` and wait for its ``listening on PORT`` line.

    The process's output (stdout and stderr merged) keeps being collected into
    ``ServerProcess.output`` so a failing test can show it.
    """
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, text=True, bufsize=1,
                               env={**os.environ, **(env or {})}, cwd=cwd)
    output: list[str] = []
    port: list[int] = []
    ready = threading.Event()

    def collect() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if not port and line.startswith("listening on "):
                port.append(int(line.split()[2]))
                ready.set()
        ready.set()

    collector = threading.Thread(target=collect, daemon=True)
    collector.start()
    deadline = time.monotonic() + timeout
    while not ready.wait(0.1):
        if time.monotonic() > deadline:
            process.kill()
            process.wait(5)
            _close_output(process, collector, 5)
            raise RuntimeError(f"{argv}: no 'listening on PORT' within {timeout} s; "
                               f"output: {''.join(output)}")
    if not port:
        process.wait(5)
        _close_output(process, collector, 5)
        raise RuntimeError(f"{argv}: exited with {process.returncode} before listening; "
                           f"output: {''.join(output)}")
    return ServerProcess(process, port[0], output, collector)


@pytest.fixture
def start_server() -> Iterator[Callable[..., ServerProcess]]:
    """Factory fixture: ``start_server(argv, env=None)``; every server is stopped afterwards."""
    started: list[ServerProcess] = []

    def start(argv: list[str], **options: object) -> ServerProcess:
        server = launch_server(argv, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def alice_data_server(tmp_path: Path, start_server: Callable[..., ServerProcess],
                      python: str) -> tuple[ServerProcess, dict[str, str]]:
    """A data server (root ``tmp_path/'server'``) that knows user alice, and the environment
    that makes awe use it as alice (``AWE_DATASERVERS``, ``AWE_STORE_TOKEN_FILE``)."""
    from dataserver.tokens import hash_token

    users = tmp_path / "users"
    users.write_text(f"alice {hash_token('alice-token')}\n")
    server = start_server([python, "-m", "dataserver", "--root", str(tmp_path / "server"),
                           "--port", "0", "--min-free", "0", "--tokens", str(users)])
    token_file = tmp_path / "alice-token"
    token_file.write_text("alice-token\n")
    return server, {"AWE_DATASERVERS": server.url, "AWE_STORE_TOKEN_FILE": str(token_file)}


@pytest.fixture(scope="session")
def python() -> str:
    """The interpreter running the tests, for starting server processes."""
    return sys.executable


@pytest.fixture(scope="session")
def small_night(tmp_path_factory: pytest.TempPathFactory):
    """Night 2016-03-14 (5 BIAS, 5 FLAT,LAMP; small geometry, seed 1), simulated once.

    A :class:`muse.instrument.SimulatedNight`: ``night`` (a date), ``directory``,
    ``bias_files`` and ``flat_files`` (paths in time order), ``geometry``, ``seed`` and
    ``load_truth()`` (a :class:`muse.instrument.NightTruth`). Treat the files as read-only.
    """
    from datetime import date

    from muse.instrument import simulate_night

    return simulate_night(date(2016, 3, 14), tmp_path_factory.mktemp("small-night"), seed=1)
