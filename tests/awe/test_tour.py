"""The README's five-minute tour, run word by word as a new user would type it.

The tour is the README section that carries the marker below: its ``$`` lines run in a shell
(``awe`` is this checkout's; ``$ export NAME=VALUE`` holds for the lines after it), ``$ awe``
alone starts the prompt, which gets the ``>>>`` lines that follow; a line under a ``>>>``
line is the output it must print. Every other statement must run without an error.
"""

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- tour: run by tests/awe/test_tour.py -->"
BLOCK = re.compile(r"```(sh|python)\n(.*?)```", re.DOTALL)
COMMENT = re.compile(r"\s+#\s.*$")


def tour_steps(readme: str) -> list[tuple[str, str, str]]:
    """``(kind, line, expected output)`` for each line of the tour, in order."""
    section = readme.split(MARKER, 1)[1].split("\n## ", 1)[0]
    steps = []
    for kind, body in BLOCK.findall(section):
        for line in body.splitlines():
            if kind == "sh" and line.startswith("$ "):
                steps.append(("sh", COMMENT.sub("", line[2:]).strip(), ""))
            elif kind == "python" and line.startswith(">>> "):
                steps.append(("python", line[4:], ""))
            elif kind == "python" and line.startswith("... "):
                raise AssertionError(f"the tour runner takes one-line statements: {line!r}")
            elif kind == "python" and line.strip():
                step_kind, statement, output = steps[-1]
                steps[-1] = (step_kind, statement, f"{output}\n{line}".strip())
    return steps


def _run_prompt(statements, env, cwd):
    """Feed the statements to ``awe`` (IPython reading a pipe); return each one's output."""
    result = subprocess.run([sys.executable, "-m", "awe.cli"], input="\n".join(statements)
                            + "\n", env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    parts = re.split(r"^In \[(\d+)\]: ", result.stdout, flags=re.MULTILINE)
    outputs = {int(number): text for number, text in zip(parts[1::2], parts[2::2], strict=True)}
    answers = []
    for number in range(1, len(statements) + 1):
        text = re.sub(rf"^Out\[{number}\]: ", "", outputs.get(number, "").strip())
        answers.append(text.strip())
    return answers, result.stderr


@pytest.mark.slow
def test_the_readme_tour_works_as_written(tmp_path):
    readme = README.read_text()
    if MARKER not in readme:
        pytest.skip("the README has no tour section marked for this test yet")
    steps = tour_steps(readme)
    assert ("sh", "awe", "") in steps, "the tour starts the prompt"
    shims = tmp_path / "bin"
    shims.mkdir()
    awe = shims / "awe"
    awe.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m awe.cli "$@"\n')
    awe.chmod(awe.stat().st_mode | stat.S_IXUSR)
    env = {**os.environ, "AWE_HOME": str(tmp_path / "home"),
           "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(README.parent)}
    work = tmp_path / "tour"
    work.mkdir()
    index = 0
    while index < len(steps):
        kind, line, _ = steps[index]
        index += 1
        if kind == "sh" and line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            env[name] = os.path.expandvars(value.replace("$PWD", str(work)))
            continue
        if kind == "sh" and line != "awe":
            result = subprocess.run(["bash", "-c", line], env=env, cwd=work,
                                    capture_output=True, text=True, timeout=600)
            assert result.returncode == 0, f"$ {line}\n{result.stderr}"
            continue
        if kind == "sh":
            session = []
            while index < len(steps) and steps[index][0] == "python":
                session.append(steps[index])
                index += 1
            answers, stderr = _run_prompt([statement for _, statement, _ in session], env,
                                          work)
            for (_, statement, expected), answer in zip(session, answers, strict=True):
                problem = re.search(r"^(Traceback|[A-Z]\w*(Error|NotFound)\b)", answer,
                                    re.MULTILINE)
                assert problem is None, f">>> {statement}\n{answer}\n{stderr}"
                if expected:
                    assert answer == expected, f">>> {statement}"
