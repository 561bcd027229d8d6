"""Fixtures of the DPU tests: a connected database per backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from common.database import Database, connect


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    """The test database of the backend, connected (and initialised) once."""
    connected = connect(database_url, site=0)
    yield connected
    connected.dispose()
