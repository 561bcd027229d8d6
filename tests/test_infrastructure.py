"""The test infrastructure itself: databases, server processes, the layer check."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYER_CHECK = ROOT.parent / "shared" / "tools" / "check_layers.py"


def test_awe_home_is_isolated(awe_home):
    assert os.environ["AWE_HOME"] == str(awe_home)
    assert Path.home() / ".awe" != awe_home


def test_database_urls(sqlite_url, database_url):
    assert sqlite_url.startswith("sqlite:///")
    assert database_url.startswith(("sqlite:///", "postgresql+psycopg://"))


@pytest.mark.postgres
def test_postgres_database_is_a_private_writable_database(postgres_url):
    import psycopg

    name = postgres_url.rsplit("/", 1)[1]
    assert name.startswith("awe_test_")
    with psycopg.connect(postgres_url.replace("+psycopg", "")) as connection:
        assert connection.execute("SELECT current_database()").fetchone() == (name,)
        connection.execute("CREATE TEMPORARY TABLE probe (x int)")
        connection.execute("INSERT INTO probe VALUES (1)")
        assert connection.execute("SELECT x FROM probe").fetchall() == [(1,)]


def test_start_server_reads_the_port(start_server, python):
    server = start_server([python, "-c", textwrap.dedent("""
        import socket
        s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
        print("listening on", s.getsockname()[1], flush=True)
        conn, _ = s.accept(); conn.sendall(b"hello"); conn.close()
    """)])
    import socket
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        assert conn.recv(5) == b"hello"


def test_start_server_reports_an_early_exit(start_server, python):
    with pytest.raises(RuntimeError, match="exited with 3 before listening; output: boom"):
        start_server([python, "-c", "print('boom'); raise SystemExit(3)"])


def test_layers_follow_the_design():
    if not LAYER_CHECK.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{LAYER_CHECK} is missing")
        pytest.skip(f"{LAYER_CHECK} is not beside this checkout")
    result = subprocess.run([sys.executable, str(LAYER_CHECK), str(ROOT)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout
    assert "layers: 0 forbidden imports" in result.stdout
    assert "not on the layer map" not in result.stdout


CYCLE_CHECK = ROOT.parent / "shared" / "tools" / "check_cycles.py"
PACKAGES = sorted(str(path.parent.relative_to(ROOT))
                  for path in ROOT.glob("*/**/__init__.py")
                  if not path.relative_to(ROOT).parts[0].startswith((".", "build", "tests")))


@pytest.mark.parametrize("package", PACKAGES)
def test_package_modules_form_a_chain(package):
    if not CYCLE_CHECK.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CYCLE_CHECK} is missing")
        pytest.skip(f"{CYCLE_CHECK} is not beside this checkout")
    result = subprocess.run([sys.executable, str(CYCLE_CHECK), str(ROOT), package],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "circle of" not in result.stdout, result.stdout


def test_no_module_is_over_600_lines():
    sources = [path for pattern in ("*.py", "*.pyx", "*.pxd") for path in ROOT.rglob(pattern)
               if path.relative_to(ROOT).parts[0] not in {".venv", "build", "tests", "bench"}
               and path.name != "generated.py"]
    long = {str(path.relative_to(ROOT)): count for path in sources
            if (count := len(path.read_text(encoding="utf-8").splitlines())) > 600}
    assert not long, f"modules over 600 lines: {long}"
