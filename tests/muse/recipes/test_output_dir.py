"""The output directory: refused with one line naming it, and nothing left by a killed run."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from muse.recipes.scratch import RUN_PREFIX, RunDirectory, remove_dead_runs

AS_ROOT = os.geteuid() == 0


def awe_recipe(python: str, files, out: Path, *options: str, mount: str | None = None,
               file_size_limit: int | None = None) -> subprocess.CompletedProcess:
    """``awe recipe bias FILES --out OUT`` in a real process.

    ``mount`` (as root) puts a fresh tmpfs with these options on ``out`` first, in a mount
    namespace of the process's own; ``file_size_limit`` caps the size of files it writes.
    """
    command = [python, "-m", "awe.cli", "recipe", "bias", *map(str, files), "--out", str(out),
               *options]
    if mount is not None:
        out.mkdir(exist_ok=True)
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                   'mount -t tmpfs -o "$0" tmpfs "$1" && shift && exec "$@"', mount,
                   str(out), *command]

    def limit() -> None:
        if file_size_limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    return subprocess.run(command, capture_output=True, text=True, timeout=300,
                          preexec_fn=limit)


def error_lines(stderr: str) -> list[str]:
    """Every line of stderr but the progress lines."""
    return [line for line in stderr.splitlines() if not line.startswith("awe recipe bias:")]


def test_an_output_path_that_is_a_file(small_night, tmp_path, python):
    out = tmp_path / "products"
    out.write_text("a file, not a directory")
    for target in (out, out / "below"):
        process = awe_recipe(python, small_night.bias_files, target, "--nifu=1")
        assert process.returncode == 1
        assert error_lines(process.stderr) == [
            f"awe: RecipeError: {target}: cannot write the products there: "
            f"{'not a directory' if target == out else 'Not a directory'}"]


def test_a_read_only_output_directory(small_night, tmp_path, python):
    out = tmp_path / "out"
    if AS_ROOT:
        process = awe_recipe(python, small_night.bias_files, out, "--nifu=1", mount="ro")
        reason = "Read-only file system"
    else:
        out.mkdir()
        out.chmod(0o555)
        process = awe_recipe(python, small_night.bias_files, out, "--nifu=1")
        reason = "Permission denied"
    assert process.returncode == 1
    assert error_lines(process.stderr) == [
        f"awe: RecipeError: {out}: cannot write the products there: {reason}"]


def test_a_full_output_directory(small_night, tmp_path, python):
    out = tmp_path / "out"
    if AS_ROOT:
        process = awe_recipe(python, small_night.bias_files, out, "--nifu=2",
                             mount="size=1m")
        reason = "No space left on device"
    else:
        process = awe_recipe(python, small_night.bias_files, out, "--nifu=2",
                             file_size_limit=1 << 20)
        reason = "File too large"
    assert process.returncode == 1
    assert error_lines(process.stderr) == [
        f"awe: RecipeError: {out}: cannot write the products there: {reason}"]
    assert not out.exists() or not list(out.iterdir())


def test_a_killed_run_leaves_nothing_behind_the_next_one(small_night, tmp_path, python):
    out = tmp_path / "out"
    command = [python, "-m", "awe.cli", "recipe", "bias", *map(str, small_night.bias_files),
               "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    try:
        while not (out.is_dir() and any(path.name.endswith(".tmp") for path in out.rglob("*"))):
            assert process.poll() is None, "the run ended before writing anything"
            assert time.monotonic() < deadline, "no temporary file after 240 s"
            time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert any(path.is_file() for path in out.rglob("*")), "the killed run left nothing"
    again = subprocess.run([*command, "--nifu=1"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert sorted(path.name for path in out.iterdir()) == ["MASTER_BIAS-01.fits",
                                                          "MASTER_BIAS-01.png"]


def test_a_live_run_keeps_its_directory(tmp_path):
    live = RunDirectory(tmp_path)
    (live.file("product.tmp")).write_bytes(b"half written")
    assert remove_dead_runs(tmp_path) == []
    assert live.file("product.tmp").exists()
    live.close()
    assert not list(tmp_path.iterdir())
    dead = tmp_path / f"{RUN_PREFIX}1-dead"
    dead.mkdir()
    (dead / "lock").touch()
    (dead / "product.tmp").touch()
    assert remove_dead_runs(tmp_path) == [dead] and not dead.exists()


@pytest.fixture(autouse=True)
def _writable_again(tmp_path):
    yield
    for path in tmp_path.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)
    shutil.rmtree(tmp_path, ignore_errors=True)
