"""Every ``--help`` text of awe, read as a user reads it: no markup, no design documents.

Walks the whole parser tree (every command, every nested action, every recipe), so a command
added later is checked without editing this file.
"""

import re
import subprocess
import sys

import pytest

from awe.cli import build_parser, walk_parsers
from muse.recipes.registry import recipes

# What a user cannot read: reStructuredText/Markdown markup, references to the design pages,
# to source files or to issues.
UNREADABLE = {
    "markup": re.compile(r"`|\*\*|:(mod|class|func|meth|attr|data):"),
    "design documents": re.compile(r"DESIGN|STYLE\.md|MUSE-FORMATS|\.md\b|§"),
    "issue numbers": re.compile(r"(issue|#)\s*\d+", re.IGNORECASE),
    "notes to developers": re.compile(r"\bTODO\b|\bFIXME\b|\bXXX\b"),
}

PARSERS = list(walk_parsers(build_parser()))


def _command(path):
    return " ".join(path)


def test_the_walk_finds_commands_and_their_actions():
    names = {_command(path) for path, _ in PARSERS}
    assert {"awe", "awe db", "awe db history", "awe recipe bias", "awe dataserver serve",
            "awe simulate night"} <= names
    assert all(f"awe recipe {name}" in names for name in recipes())


@pytest.mark.parametrize(("path", "parser"), PARSERS, ids=[_command(p) for p, _ in PARSERS])
def test_help_is_written_for_users(path, parser):
    text = parser.format_help()
    assert text.startswith(f"usage: {_command(path)}")
    description = (parser.description or "").strip()
    assert description, f"{_command(path)} has no description"
    assert description[0].isupper() or description[0].isdigit() or description.startswith(
        ("awe", "muse_")), f"{_command(path)}: description starts {description[:20]!r}"
    for what, pattern in UNREADABLE.items():
        found = pattern.search(text)
        context = found and text[max(found.start() - 40, 0):found.end() + 40]
        assert found is None, f"{_command(path)} --help has {what}: …{context}…"
    for action in parser._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, f"{_command(path)} {action.option_strings[0]} has no help"


@pytest.mark.parametrize(("path", "parser"), PARSERS, ids=[_command(p) for p, _ in PARSERS])
def test_no_parser_takes_abbreviations(path, parser):
    assert parser.allow_abbrev is False, _command(path)


@pytest.mark.parametrize("name", sorted(recipes()))
def test_each_recipe_has_its_own_help(name):
    spec = recipes()[name]
    parser = dict((_command(path), parser) for path, parser in PARSERS)[f"awe recipe {name}"]
    text = parser.format_help()
    assert spec.eso_name in text and spec.summary in text
    lines = text.splitlines()
    for item in spec.inputs:
        assert any(line.split()[:1] == [item.tag] and item.what in line for line in lines), \
            f"input {item.tag} of {name} is not listed with its tag"
    sof = " ".join(text.split()).split("the tag being one of the input names above (")[1]
    assert sof.split(")")[0].split() == [item.tag for item in spec.inputs]
    for product in spec.products:
        assert any(line.split()[:1] == [product.tag] for line in lines), product.tag
    for parameter in spec.parameters.values():
        assert f"--{parameter.name} " in text
    others = [recipes()[other] for other in recipes() if other != name]
    assert all(other.summary not in text for other in others if other.summary != spec.summary)


def test_awe_help_loads_no_heavy_library():
    probe = ("import sys\nfrom awe.cli import main\n"
             "for argv in (['--help'], ['db', 'history', '--help'],\n"
             "             ['recipe', 'bias', '--help'], ['monitor', '--help']):\n"
             "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & "
             "{'numpy', 'astropy', 'sqlalchemy', 'matplotlib', 'IPython', 'Pyro5'}))")
    process = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             timeout=120)
    assert process.returncode == 0, process.stderr
    assert process.stdout.splitlines()[-1] == "[]"
