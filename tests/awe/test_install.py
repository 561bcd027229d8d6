"""The install footprint: the demo needs the base install only; extras stay optional.

setup.cfg names what each use installs, the Makefile installs it, and the package code never
needs an extra's module to import (an extra's module is imported inside the function that
uses it, test tools never).
"""

import ast
import configparser
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("awe", "common", "dataserver", "dpu", "muse")
DRIVERS = {"postgresql": "psycopg", "oracle": "oracledb"}
# Module names of the extras' distributions: drivers and Dask, and the test tools.
EXTRA_MODULES = {"psycopg", "oracledb", "distributed", "dask"}
TEST_TOOLS = {"pytest", "hypothesis", "pexpect", "playwright", "mpdaf", "psutil", "ruff",
              "ccdproc"}


def _requirements(text: str) -> list[str]:
    return [re.split(r"[<>=\[ ;]", line.strip(), maxsplit=1)[0].lower()
            for line in text.strip().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def setup_cfg():
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    return parser


def test_base_install_has_no_driver_test_tool_or_dask(setup_cfg):
    base = set(_requirements(setup_cfg["options"]["install_requires"]))
    assert {"ipython", "jinja2", "sqlalchemy", "numpy", "astropy", "matplotlib"} <= base
    assert not base & {"psycopg", "oracledb", "distributed", "dask", *TEST_TOOLS}


def test_extras_name_the_drivers_and_make_test_installs_them(setup_cfg):
    extras = setup_cfg["options.extras_require"]
    for extra, module in DRIVERS.items():
        assert _requirements(extras[extra]) == [module]
    test = _requirements(extras["test"])
    assert {"muse-wise", "pytest", "pexpect", "ruff", "playwright"} <= set(test)
    assert "postgresql,oracle" in extras["test"].replace(" ", "")
    makefile = (ROOT / "Makefile").read_text()
    assert '-e ".[test]"' in makefile and '-e ".[bench]"' in makefile
    demo = re.search(r"^demo: (.*)$", makefile, re.MULTILINE).group(1).split()
    assert demo == ["build"]  # the demo installs the base only


def _imports(tree: ast.AST) -> set[str]:
    """The top-level package names ``tree`` imports (absolute imports)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def _module_level_imports(tree: ast.Module) -> set[str]:
    """What importing the module imports: its imports outside function bodies."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.body = []  # what a function imports loads only when it runs
    return _imports(tree)


@pytest.mark.parametrize("package", PACKAGES)
def test_package_code_imports_extras_only_where_used(package):
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        every = _imports(tree)
        if every & TEST_TOOLS:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(every & TEST_TOOLS)}")
        top = _module_level_imports(tree)
        if top & EXTRA_MODULES:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(top & EXTRA_MODULES)} "
                             "when imported")
    assert offenders == []
