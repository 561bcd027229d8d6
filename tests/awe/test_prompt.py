"""The awe prompt in a real terminal (pexpect), its namespace, its ``dpu`` and scripts."""

import os
import re
import subprocess
import sys
import types

import pexpect
import pytest

import common.persistent
import muse.datamodel
from awe.prompt import DpuHandle, build_namespace
from common.errors import ConfigError

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")
EXTRA_NAMES = {"config", "date", "datetime", "timedelta", "dpu"}


def test_the_namespace_is_the_exported_names_and_nothing_else():
    namespace = build_namespace()
    expected = {*muse.datamodel.__all__, *common.persistent.__all__, *EXTRA_NAMES}
    assert set(namespace) == expected
    assert not [name for name, value in namespace.items() if isinstance(value, types.ModuleType)]
    # what the generated module imports for itself stays out of the prompt
    assert not {"dt", "MappingProxyType", "ProcessSpec", "Input", "Calib"} & set(namespace)
    classes = [name for name in muse.datamodel.__all__ if isinstance(namespace[name], type)]
    assert {"RawBiasChip", "MasterBias", "DataCube", "BiasParameters"} <= set(classes)
    assert namespace["context"] is common.persistent.context


def test_a_target_package_without_all_is_refused(monkeypatch, tmp_path):
    (tmp_path / "loosepkg.py").write_text("import os\nclass Thing:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("AWE_TARGET", "loosepkg")
    with pytest.raises(ConfigError, match="target: loosepkg has no __all__; the prompt takes "
                                          "only the names a package exports"):
        build_namespace()


def test_dpu_says_why_it_is_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "dpu.client", None)  # as if dpu.client were not there
    dpu = DpuHandle(())
    assert dpu.unavailable.startswith("the DPU client dpu.client cannot be imported (")
    assert repr(dpu).startswith("<dpu: unavailable (the DPU client dpu.client")
    with pytest.raises(ConfigError, match=r"^dpu: the DPU client dpu.client cannot be "
                                          r"imported"):
        dpu.run("MasterBias", night="2016-03-14", ifu=5)
    with pytest.raises(ConfigError, match="^dpu: "):
        dpu.wait(1)


def test_dpu_at_the_prompt_is_the_configured_processor():
    client = pytest.importorskip("dpu.client")  # written on the dpu branch
    dpu = DpuHandle(())
    assert dpu.unavailable is None and dpu.describe() == "in-process"
    assert {"run", "status", "wait", "logs", "cancel", "jobs"} <= set(dir(dpu))
    assert isinstance(dpu._target(), client.Processor)
    assert dpu.jobs() == []


@pytest.fixture
def ingested_home(small_night, tmp_path):
    """An AWE_HOME whose database holds the small night's raw files (awe ingest --commit)."""
    env = {**os.environ, "AWE_HOME": str(tmp_path / "home"), "AWE_USER": "astronomer"}
    files = [str(path) for path in (*small_night.bias_files, *small_night.flat_files)]
    result = subprocess.run([sys.executable, "-m", "awe.cli", "ingest", "--commit", *files],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return env


def _prompt(env, tmp_path):
    env = {**env, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", "COLUMNS": "200",
           "LINES": "50"}
    child = pexpect.spawn(sys.executable, ["-m", "awe.cli"], env=env, cwd=str(tmp_path),
                          encoding="utf-8", timeout=60, dimensions=(50, 200))
    return child


def _expect_typed(child, text):
    """Wait until the terminal shows ``text``, however the line editor redrew it."""
    codes = r"(?:\x1b\[[0-9;?]*[A-Za-z])*"
    child.expect(codes.join(re.escape(char) for char in text))


def _expect_prompt(child, number):
    """Wait for IPython's ``In [number]:`` (coloured or not)."""
    codes = r"(?:\x1b\[[0-9;]*m)*"
    child.expect(rf"In {codes}\[{codes}{number}{codes}\]")


def _answer(child, number):
    """The text of ``Out[number]`` up to the next prompt, without terminal codes."""
    _expect_prompt(child, number + 1)
    text = ANSI.sub("", child.before)
    found = re.search(rf"Out\[{number}\]: (.*)", text)
    assert found, text
    return found.group(1).strip()


@pytest.mark.slow
def test_a_terminal_session(ingested_home, small_night, tmp_path):
    child = _prompt(ingested_home, tmp_path)
    try:
        _expect_prompt(child, 1)
        banner = ANSI.sub("", child.before)
        home = ingested_home["AWE_HOME"]
        assert "MUSE-WISE " in banner and "the awe prompt" in banner
        assert re.search(r"user\s+astronomer\n", banner)
        assert re.search(rf"database\s+sqlite:///{re.escape(home)}/awe.sqlite\n", banner)
        assert re.search(r"project\s+default \(new objects get privileges 1\)", banner)
        assert re.search(rf"data servers\s+none \(local store {re.escape(home)}/store\)", banner)
        assert re.search(r"DPUs\s+(in-process|unavailable \(.+\))\n", banner)
        assert "Tip:" not in banner

        # tab completion: a class name, then one of its attributes
        child.send("len((RawBiasCh\t")
        _expect_typed(child, "RawBiasChip")
        child.send(".nig\t")
        _expect_typed(child, "night")
        child.send(" == date(2016, 3, 14)) & (RawBiasChip.ifu == 5))\r")
        assert _answer(child, 1) == str(len(small_night.bias_files))

        child.send("q = (RawBiasChip.night == date(2016, 3, 14)) & (RawBiasChip.ifu == 5)\r")
        _expect_prompt(child, 3)
        child.send("q[0].raw_frame.filename == q[0].raw_frame.filename.strip() and "
                   "q[0].extname\r")
        assert _answer(child, 3) == "'CHAN05'"

        # a system error is one line, not a traceback
        child.send("MasterBias.get(5)\r")
        _expect_prompt(child, 5)
        error = ANSI.sub("", child.before)
        assert "NotFound: no MasterBias with object_id 0x0000000000000005" in error
        assert "Traceback" not in error

        child.send("context.whoami()\r")
        assert "astronomer" in _answer(child, 5)
        child.send("exit\r")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def test_a_script_shares_the_prompt_session(ingested_home, tmp_path):
    script = tmp_path / "count.py"
    script.write_text("import sys\n"
                      "q = (RawBiasChip.night == date(2016, 3, 14)) & (RawBiasChip.ifu == 5)\n"
                      "print(len(q), context.whoami().user, sys.argv[1:])\n")
    result = subprocess.run([sys.executable, "-m", "awe.cli", str(script), "x"],
                            env=ingested_home, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["5", "astronomer", "['x']"]


def test_large_transfers_show_progress(tmp_path, alice_data_server):
    from dataserver.client import LARGE_TRANSFER

    _, server_environment = alice_data_server
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(LARGE_TRANSFER + (1 << 20)))
    script = tmp_path / "transfer.py"
    script.write_text("import sys\nfrom pathlib import Path\n"
                      "from common.persistent.session import current_session\n"
                      "store = current_session().store\n"
                      "store.put(Path(sys.argv[1]), 'big.bin')\n"
                      "store.get('big.bin', Path(sys.argv[2]))\n")
    env = {**os.environ, "AWE_HOME": str(tmp_path / "home"), **server_environment}
    result = subprocess.run([sys.executable, "-m", "awe.cli", str(script), str(big),
                             str(tmp_path / "back.bin")], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "back.bin").read_bytes() == big.read_bytes()
    lines = result.stderr.splitlines()
    size = f"{big.stat().st_size / 2**20:.1f}"
    finished = [line for line in lines if re.match(rf"transfer: {size}/{size} MiB", line)]
    # hashing before the upload, the upload and the download: each ends once
    assert [re.search(r"\((hashing|big\.bin [→←])", line).group(1) for line in finished] == [
        "hashing", "big.bin →", "big.bin ←"], result.stderr
    assert len(lines) <= 3 * 11  # a line per tenth of each, not one per chunk
