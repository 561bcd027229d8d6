import os
import re
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


def test_version():
    result = run_awe("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"awe \(MUSE-WISE\) \d+\.\d+\.\d+\S*", result.stdout.strip())


def test_abbreviated_options_are_refused(tmp_path):
    result = run_awe("demo", "--di", str(tmp_path / "demo"))
    assert result.returncode == 2
    assert "unrecognized arguments: --di" in result.stderr


def test_an_unknown_option_prints_the_subcommands_usage():
    result = run_awe("config", "--frobnicate")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: awe config")
    assert "awe config: error: unrecognized arguments: --frobnicate" in result.stderr
    nested = run_awe("db", "history", "--frobnicate")
    assert nested.returncode == 2 and nested.stderr.startswith("usage: awe db history")


def test_a_closed_pipe_ends_quietly():
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, "-m", "awe.cli", "config"], stdout=write_end,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode == 141


def test_a_failing_script_shows_its_own_traceback(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("def helper():\n    return 1 / 0\n\nhelper()\n")
    result = run_awe(str(script))
    assert result.returncode == 1
    assert "internal error" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert f'File "{script}", line 4, in <module>' in lines[1]
    assert "awe/" not in result.stderr.replace(str(tmp_path), "")
    assert lines[-1] == "ZeroDivisionError: division by zero"


def test_db_history_on_a_fresh_install_shows_the_initialised_schema(tmp_path):
    env = {**os.environ, "AWE_HOME": str(tmp_path / "home")}
    env.pop("AWE_DATABASE", None)
    result = run_awe("db", "history", env=env)
    assert result.returncode == 0, result.stderr
    assert "awe db init" not in result.stdout
    assert re.match(r"version 1  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC  release ", result.stdout)
    assert "  create table awe_master_bias\n" in result.stdout
    again = run_awe("db", "history", env=env)
    assert again.stdout.count("\nversion ") + again.stdout.startswith("version ") == 1


@pytest.mark.parametrize(("url", "module", "extra"), [
    ("postgresql://someone:secret@127.0.0.1/nowhere", "psycopg", "postgresql"),
    ("oracle://someone:secret@127.0.0.1/nowhere", "oracledb", "oracle")])
def test_a_missing_database_driver_names_the_extra(url, module, extra):
    # None in sys.modules is Python's own way to make an import fail as if not installed.
    program = (f"import sys; sys.modules[{module!r}] = None; from awe.cli import main; "
               f"sys.exit(main(['db', 'history', '--database', {url!r}]))")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("awe: ConfigError: database ")
    assert f"the driver module {module!r} is not installed" in line
    assert line.endswith(f"pip install 'muse-wise[{extra}]'")
    assert "secret" not in line


def test_a_real_pipe_into_head_ends_quietly(tmp_path):
    # 80 kB of schema history: more than a pipe holds, so awe writes after head has left.
    env = {**os.environ, "AWE_HOME": str(tmp_path / "home")}
    result = subprocess.run(["bash", "-c", f'"{sys.executable}" -m awe.cli db history '
                             '--statements | head -1; exit "${PIPESTATUS[0]}"'],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.stdout.startswith("version 1  ")
    assert result.stderr == "" and result.returncode == 141


def test_a_bad_value_prints_the_subcommands_usage():
    result = run_awe("monitor", "--night", "yesterday")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "usage: awe monitor [-h] --night D [--nights N] [--out DIR]",
        "awe monitor: error: argument --night: expected a night YYYY-MM-DD, found 'yesterday'"]
    missing = run_awe("recipe", "bias", "--combine")
    assert missing.returncode == 2 and missing.stderr.startswith("usage: awe recipe bias")
    assert "argument --combine: expected one argument" in missing.stderr
