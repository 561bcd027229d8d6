"""Fixtures of the DPU tests: a fresh database per module and backend, a site of DPU daemons.

Each module gets a database of its own (a new SQLite file, or a new PostgreSQL database
dropped afterwards): raw data ingested by other tests' users would otherwise be in the
session database already, invisible to this module's user at privileges 1.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from common.config import Context
from common.database import Database, connect
from dataserver.store import LocalStore
from tests.conftest import stop_process

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site_url(module_database_url: str) -> str:
    """The URL of the site's database: this module's own."""
    return module_database_url


@pytest.fixture(scope="module")
def database(site_url: str) -> Iterator[Database]:
    """This module's database, connected (and initialised) once."""
    connected = connect(site_url, site=0)
    yield connected
    connected.dispose()


@dataclass
class DpuSite:
    """A site of DPUs on loopback: token, database, store; ``start(name)`` starts a daemon."""

    url: str
    token: str
    token_file: Path
    store_root: Path
    home: Path
    python: str
    start_server: Callable[..., Any]

    @property
    def env(self) -> dict[str, str]:
        """The environment of a daemon (and of any process of this site)."""
        # the daemon's own user differs from the submitting user's, so tests can tell them apart
        return {"AWE_DATABASE": self.url, "AWE_STORE_ROOT": str(self.store_root),
                "AWE_USER": "dpu-service",
                "AWE_TOKEN_FILE": str(self.token_file), "AWE_HOME": str(self.home),
                "PYTHONPATH": str(REPO)}

    def start(self, name: str, *options: str, port: int = 0) -> Any:
        """Start ``awe dpu serve --name NAME`` on a free (or the given) loopback port."""
        argv = [self.python, "-m", "awe.cli", "dpu", "serve", "--host", "127.0.0.1",
                "--port", str(port), "--name", name, "--workers", "1", *options]
        return self.start_server(argv, env=self.env, cwd=REPO)

    def uri(self, server: Any) -> str:
        """The Pyro URI of a started daemon."""
        return f"PYRO:awe.dpu@127.0.0.1:{server.port}"

    def store(self) -> LocalStore:
        """The site's file store."""
        return LocalStore(self.store_root)


@pytest.fixture(scope="module")
def site_store_root(site_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store of the site, one per test database (rows and files stay together)."""
    return tmp_path_factory.mktemp("dpu-store")


@pytest.fixture
def dpu_site(site_url: str, database: Database, site_store_root: Path, tmp_path: Path,
             python: str, start_server: Callable[..., Any]) -> DpuSite:
    """A token file, the site's store and the test database, for daemons started by the test."""
    token = secrets.token_hex(16)
    token_file = tmp_path / "dpu-token"
    token_file.write_text(token + "\n", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    return DpuSite(site_url, token, token_file, site_store_root, home, python,
                   start_server)


@pytest.fixture
def ingested_night(user_session: Any, small_night: Any) -> Any:
    """The simulated night's raw files and static calibrations, ingested into the site."""
    from muse.datamodel.ingest import ingest_files

    paths = sorted(small_night.directory.glob("*.fits"))
    results = ingest_files(paths, commit_it=True)
    refused = [result.message for result in results if result.status == "refused"]
    assert not refused, refused
    return small_night


@pytest.fixture
def user_session(database: Database, dpu_site: DpuSite) -> Iterator[Any]:
    """The test's own session (the submitting user) on the site's database and store."""
    from common.persistent import session

    # on PostgreSQL the login role, so that a DPU acting as the job's creator has that role
    user = database.current_user or "tester"
    with session(database, Context(user=user, project="test"),
                 store=dpu_site.store()) as opened:
        yield opened


class Watched:
    """A command run in the background with its output collected; ``stop()`` ends it."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.output: list[str] = []
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, text=True, bufsize=1,
                                        env={**os.environ, **env}, cwd=REPO)
        self._collector = threading.Thread(target=self._collect, daemon=True)
        self._collector.start()

    def _collect(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then SIGKILL after ``timeout``; the pipe is closed; the exit code."""
        return stop_process(self.process, self._collector, timeout)


@pytest.fixture
def background() -> Iterator[Callable[..., Watched]]:
    """Factory: ``background(argv, env)`` runs a command; every one is stopped afterwards."""
    started: list[Watched] = []

    def start(argv: list[str], env: dict[str, str]) -> Watched:
        started.append(Watched(argv, env))
        return started[-1]

    yield start
    for item in started:
        item.stop()


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[Any]:
    """A Dask LocalCluster of two worker processes on loopback."""
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    yield cluster
    cluster.close()
