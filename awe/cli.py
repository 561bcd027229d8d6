"""The ``awe`` command: dispatch to one module per subcommand under :mod:`awe.commands`.

A subcommand module ``awe/commands/NAME.py`` (``_`` in NAME becomes ``-`` on the command line)
provides ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int`` and is found
automatically, so adding a command edits no shared file. Modules whose name starts with ``_``
are helpers, not commands. ``awe`` alone starts the prompt and ``awe SCRIPT.py [ARGS…]`` runs a
script in the prompt's namespace.

Errors print one line ``awe: ErrorType: message`` and exit 1 (2 for bad usage); ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

import awe.commands
from common.errors import AweError

__all__ = ["build_parser", "discover_commands", "main"]


def discover_commands() -> dict[str, ModuleType]:
    """Import every subcommand module; return them by command name, sorted."""
    commands = {}
    for info in pkgutil.iter_modules(awe.commands.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"awe.commands.{info.name}")
        for needed in ("HELP", "add_arguments", "run"):
            if not hasattr(module, needed):
                raise TypeError(f"awe/commands/{info.name}.py lacks {needed}; a subcommand "
                                "module defines HELP, add_arguments(parser) and run(args)")
        commands[info.name.replace("_", "-")] = module
    return dict(sorted(commands.items()))


def build_parser() -> argparse.ArgumentParser:
    """The full parser: global options and one sub-parser per discovered command."""
    parser = argparse.ArgumentParser(
        prog="awe",
        description="MUSE-WISE: the MUSE information system. Without a command, start the "
                    "awe prompt; with SCRIPT.py, run that script in the prompt's namespace.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in discover_commands().items():
        command = sub.add_parser(name, help=module.HELP, description=module.__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def _dispatch(argv: list[str]) -> int:
    if argv and not argv[0].startswith("-") and argv[0].endswith(".py"):
        from awe.prompt import run_script

        return run_script(argv[0], argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from awe.prompt import interact

        return interact()
    return int(args.run(args) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``awe`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv[:1]
    if debug:
        argv = argv[1:]
    try:
        return _dispatch(argv)
    except AweError as exc:
        if debug:
            raise
        print(f"awe: {exc.error_type}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("awe: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            raise
        print(f"awe: internal error: {type(exc).__name__}: {exc} (run with --debug for the "
              "traceback and report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
