"""The layer's shape (issue #10): no import circles, dialects only in backends, small modules."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import common.database

PACKAGE = Path(common.database.__file__).parent
REPO_ROOT = PACKAGE.parents[1]
CHECK_CYCLES = Path(REPO_ROOT).parent / "shared" / "tools" / "check_cycles.py"
MAX_LINES = 600
DIALECT_TEST = re.compile(
    r"(dialect|backend)[\w.]*\s*[!=]=|[!=]=\s*[\"'](sqlite|postgresql|oracle)")


def _modules() -> dict[str, Path]:
    return {".".join(path.relative_to(REPO_ROOT).with_suffix("").parts): path
            for path in sorted(PACKAGE.rglob("*.py")) if path.name != "__init__.py"}


def _imported(tree: ast.Module) -> set[str]:
    """Every module name imported anywhere in ``tree``, TYPE_CHECKING blocks included."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_check_cycles_finds_no_circle() -> None:
    if not CHECK_CYCLES.is_file():
        pytest.skip(f"{CHECK_CYCLES} is not there")
    result = subprocess.run([sys.executable, str(CHECK_CYCLES), str(REPO_ROOT), "common/database"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 circles" in result.stdout


def test_no_circle_even_counting_type_checking_imports() -> None:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        imported = _imported(ast.parse(path.read_text(encoding="utf-8")))
        graph[name] = {other for other in modules if other != name and other in imported}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        pytest.fail(f"import circle: {' -> '.join(exc.args[1])}")


def test_only_backends_compare_dialect_names() -> None:
    offenders = []
    for name, path in _modules().items():
        if ".backends." in name:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if DIALECT_TEST.search(line):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []


def test_the_database_layer_does_not_name_the_layers_above() -> None:
    for path in _modules().values():
        assert "common.persistent" not in path.read_text(encoding="utf-8"), path


def test_no_module_is_over_600_lines() -> None:
    long = {path.name: length for path in PACKAGE.rglob("*.py")
            if (length := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_advisory_lock_statement_exists_once() -> None:
    texts = [path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py")]
    assert sum(text.count("pg_advisory_xact_lock(") for text in texts) == 1


def test_the_database_layer_raises_its_own_errors() -> None:
    for path in _modules().values():
        assert "PersistenceError" not in path.read_text(encoding="utf-8"), path
