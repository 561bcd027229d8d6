import os
import subprocess
import sys

import pytest

from awe.cli import discover_commands, main


def run_awe(*args, env=None):
    return subprocess.run([sys.executable, "-m", "awe.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_commands_are_discovered():
    commands = discover_commands()
    assert {"config", "demo"} <= set(commands)
    for module in commands.values():
        assert module.HELP and callable(module.run)


def test_help_everywhere(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for name in discover_commands():
        assert name in out
        with pytest.raises(SystemExit):
            main([name, "--help"])
        assert "usage: awe " + name in capsys.readouterr().out


def test_config_prints_values_and_sources(capsys, monkeypatch):
    monkeypatch.setenv("AWE_PROJECT", "GTO")
    assert main(["config"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["project"].split()[1:] == ["GTO", "AWE_PROJECT"]
    assert lines["site"].split()[1:] == ["0", "default"]


def test_error_is_one_line_and_non_zero():
    env = {**os.environ, "AWE_PRIVILEGES": "9"}
    result = run_awe("config", env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "awe: ConfigError: privileges (AWE_PRIVILEGES): expected an integer from 1 to 5, "
        "found '9'"]
    debug = run_awe("--debug", "config", env=env)
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_unknown_command_is_a_usage_error():
    result = run_awe("frobnicate")
    assert result.returncode == 2 and "invalid choice: 'frobnicate'" in result.stderr


def test_script_runs_in_the_prompt_namespace(tmp_path):
    script = tmp_path / "hello.py"
    script.write_text("import sys\nprint(config.user, sys.argv[1:])\n")
    result = run_awe(str(script), "a", "b")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "tester ['a', 'b']"


def test_demo_round_trips_a_file(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AWE_HOME", os.environ["AWE_HOME"])  # demo --dir changes it
    assert main(["demo", "--dir", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "retrieved and verified: INSTRUME=MUSE, CHAN01 64x64" in out
    assert "checksum matches=True" in out
    assert main(["demo", "--dir", str(tmp_path / "demo")]) == 0
