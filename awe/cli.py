"""The ``awe`` command: dispatch to one module per subcommand under :mod:`awe.commands`.

A subcommand module ``awe/commands/NAME.py`` (``_`` in NAME becomes ``-`` on the command line)
provides ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int`` and is found
automatically, so adding a command edits no shared file. Modules whose name starts with ``_``
are helpers, not commands. ``awe`` alone starts the prompt and ``awe SCRIPT.py [ARGS…]`` runs a
script in the prompt's namespace.

Errors print one line ``awe: ErrorType: message`` and exit 1; bad usage prints the usage of the
(sub)command it concerns and exits 2; ``--debug`` shows the traceback instead. Options are never
abbreviated (``--out`` is not ``--o``). Output into a pipe that closes early (``awe … | head``)
ends quietly.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import sys
from collections.abc import Iterator, Sequence
from types import ModuleType

import awe.commands
from awe.release import version
from common.errors import AweError

__all__ = ["CommandParser", "build_parser", "discover_commands", "for_users", "main",
           "version", "walk_parsers"]

# Exit status of a process ended by SIGPIPE, as shells report it.
CLOSED_PIPE_STATUS = 141
# reStructuredText in module docstrings: ``literal``, :role:`target` and `text`.
_MARKUP = re.compile(r"``(.+?)``|:[a-z]+:`~?(.+?)`|`([^`\n]+)`")


class CommandParser(argparse.ArgumentParser):
    """An argument parser that takes no abbreviations and blames the (sub)command at fault.

    argparse hands the arguments a sub-command does not know back to the top-level parser, which
    would print the top-level usage; this parser remembers the deepest parser that ran, so
    :meth:`parse_command_line` reports them with that sub-command's usage.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)
        self.set_defaults(_parser=self)

    def parse_command_line(self, argv: list[str]) -> argparse.Namespace:
        """Parse ``argv``; an unknown argument is a usage error of the sub-command it follows."""
        args, unknown = self.parse_known_args(argv)
        if unknown:
            args._parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        return args


def for_users(text: str | None) -> str | None:
    """A command module's docstring as help text: its reStructuredText markup taken off."""
    if text is None:
        return None
    return _MARKUP.sub(lambda match: next(group for group in match.groups() if group), text)


def walk_parsers(parser: argparse.ArgumentParser,
                 path: tuple[str, ...] = ("awe",)) -> Iterator[tuple[tuple[str, ...],
                                                                   argparse.ArgumentParser]]:
    """Yield ``(command words, parser)`` for ``parser`` and every sub-command under it."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from walk_parsers(child, (*path, name))


def _describe_subcommands(parser: argparse.ArgumentParser) -> None:
    """Give every nested sub-command its help as description if it has none; take off markup."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, child in action.choices.items():
                if child.description is None and helps.get(name):
                    child.description = helps[name][0].upper() + helps[name][1:] + "."
                child.description = for_users(child.description)
                _describe_subcommands(child)


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
    parser = CommandParser(
        prog="awe",
        description="MUSE-WISE: the MUSE information system. Without a command, start the "
                    "awe prompt; with SCRIPT.py, run that script in the prompt's namespace.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    parser.add_argument("--version", action="version", version=f"awe (MUSE-WISE) {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in discover_commands().items():
        command = sub.add_parser(name, help=module.HELP, description=for_users(module.__doc__),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    _describe_subcommands(parser)
    return parser


def _dispatch(argv: list[str]) -> int:
    if argv and not argv[0].startswith("-") and argv[0].endswith(".py"):
        from awe.prompt import run_script

        return run_script(argv[0], argv[1:])
    parser = build_parser()
    args = parser.parse_command_line(argv)
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
        status = _dispatch(argv)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers below
        return status
    except AweError as exc:
        if debug:
            raise
        print(f"awe: {exc.error_type}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("awe: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``awe … | head``): nothing is wrong, and nothing more can be
        # written; point stdout at /dev/null so the interpreter's final flush stays quiet too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return CLOSED_PIPE_STATUS
    except Exception as exc:
        if debug:
            raise
        print(f"awe: internal error: {type(exc).__name__}: {exc} (run with --debug for the "
              "traceback and report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
