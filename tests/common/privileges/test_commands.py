"""``awe user/project/publish/delete`` as real processes, the service role, gc (PostgreSQL)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from awe.commands.dataserver import referenced_names
from common.database import connect
from common.errors import PermissionDenied
from common.persistent import context
from common.persistent import session as persistent_session
from tests.common.privileges.conftest import Installation
from tests.common.privileges.model import PrivFile, PrivSample

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[3]


def _url_of(installation: Installation, user: str) -> str:
    host, name = installation.url.split("@", 1)[1].rsplit("/", 1)
    return f"postgresql+psycopg://{installation.prefix}{user}@{host}/{name}"


def awe(installation: Installation, home: Path, url: str, *args: str
        ) -> subprocess.CompletedProcess[str]:
    """Run ``awe ARGS`` against ``url`` with the test model as the target."""
    environment = {**os.environ, "AWE_HOME": str(home), "AWE_DATABASE": url,
                   "AWE_ROLE_PREFIX": installation.prefix,
                   "AWE_TARGET": "tests.common.privileges.model",
                   "AWE_STORE_USERS_FILE": str(home / "server-users"), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "awe.cli", *args], capture_output=True,
                          text=True, timeout=120, env=environment, cwd=ROOT)


def test_user_project_publish_and_delete_commands(pg_installation: Installation,
                                                  tmp_path: Path) -> None:
    admin_url = pg_installation.url
    created = awe(pg_installation, tmp_path, admin_url, "user", "create", "dave")
    assert created.returncode == 0, created.stderr
    assert f"login role {pg_installation.prefix}dave" in created.stdout
    token_file = tmp_path / "tokens" / "dave"
    token = token_file.read_text().strip()
    assert f"data-server token: {token}" in created.stdout
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert (tmp_path / "server-users").read_text().startswith("dave ")
    again = awe(pg_installation, tmp_path / "other", admin_url, "user", "create", "dave")
    assert again.returncode == 1 and "exists already" in again.stderr
    for args in (("project", "create", "gamma", "--default-privileges", "2"),
                 ("project", "add-user", "gamma", "dave", "--manager")):
        done = awe(pg_installation, tmp_path, admin_url, *args)
        assert done.returncode == 0, done.stderr

    dave = connect(_url_of(pg_installation, "dave"), site=0)
    try:
        assert dave.user_name == "dave", "the login role without the prefix"
        with persistent_session(dave, pg_installation.context("dave", "default", 1)):
            with pytest.raises(PermissionDenied, match="dave is not a member"):
                context.set_project("alpha")
            context.set_project("gamma")
            assert context.privileges == 2, "the project's default privileges"
            sample = PrivSample(tag=uuid.uuid4().hex[:12], label="cli").commit()
            assert (sample.creator, sample.project, sample.privileges) == ("dave", "gamma", 2)
    finally:
        dave.dispose()

    dave_url = _url_of(pg_installation, "dave")
    object_id = f"{sample.object_id:#x}"
    dry = awe(pg_installation, tmp_path, dave_url, "publish", object_id, "--level", "3",
              "--dry-run")
    assert dry.returncode == 0 and "would raise PrivSample" in dry.stdout, dry.stderr
    done = awe(pg_installation, tmp_path, dave_url, "publish", object_id, "--level", "3")
    assert done.returncode == 0 and "1 object(s) raised to level 3" in done.stdout, done.stderr
    refused = awe(pg_installation, tmp_path, dave_url, "delete", object_id)
    assert refused.returncode == 1
    assert "awe: PermissionDenied:" in refused.stderr and "use force" in refused.stderr
    forced = awe(pg_installation, tmp_path, dave_url, "delete", object_id, "--force")
    assert forced.returncode == 0 and "1 object(s) deleted" in forced.stdout, forced.stderr


def test_the_service_acts_as_the_job_creator(pg_installation: Installation) -> None:
    service = connect(_url_of(pg_installation, "awe_service"), site=0)
    tag = uuid.uuid4().hex[:12]
    try:
        with persistent_session(service, pg_installation.context("service", "alpha", 1)):
            with service.acting_as("alice"):
                made = PrivSample(tag=tag, label="by the dpu").commit()
                assert made.creator == "alice"
                assert len(PrivSample.tag == tag) == 1
            with service.acting_as("carol"):
                assert len(PrivSample.tag == tag) == 0, "level 1: alice only"
            assert len(PrivSample.tag == tag) == 0, "the service itself sees no user's rows"
    finally:
        service.dispose()


def test_gc_sees_every_row_or_refuses(pg_installation: Installation, tmp_path: Path,
                                      local_store) -> None:
    source = tmp_path / "data.bin"
    source.write_bytes(b"alice's private bytes")
    with persistent_session(pg_installation.users["alice"],
                            pg_installation.context("alice", "alpha", 1), store=local_store):
        private = PrivFile(tag=uuid.uuid4().hex[:12])
        name = private.store(source)
        private.commit()
    assert name in referenced_names(pg_installation.url), "the admin sees alice's row"
    with pytest.raises(PermissionDenied, match="does not see every row"):
        referenced_names(_url_of(pg_installation, "carol"))


def test_a_later_table_gets_policies_from_its_columns(pg_installation: Installation) -> None:
    from tests.common.privileges.test_visibility import _raw

    with _raw(pg_installation, "alice") as raw:
        raw.execute("INSERT INTO awe_priv_job (job_id, target, state) VALUES (1, 'x', 'queued')")
        assert raw.execute("SELECT creator FROM awe_priv_job").fetchall() == [("alice",)]
        raw.execute("UPDATE awe_priv_job SET state = 'running' WHERE job_id = 1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute("UPDATE awe_priv_job SET target = 'y' WHERE job_id = 1")
    with _raw(pg_installation, "carol") as raw:
        assert raw.execute("SELECT count(*) FROM awe_priv_job").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute("INSERT INTO awe_priv_job (job_id, creator, state) "
                        "VALUES (2, 'alice', 'queued')")
    with _raw(pg_installation, "awe_service") as raw:
        assert raw.execute("SELECT creator, state FROM awe_priv_job").fetchall() == \
            [("alice", "running")], "the DPU scheduler sees every job"
