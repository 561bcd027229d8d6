"""The awe prompt and script runner: a Python namespace with the system's public names.

The namespace holds ``config`` plus the ``__all__`` of :mod:`common.persistent` and of the
configured target package (``AWE_TARGET``, default ``muse.datamodel``), so every class and
helper those packages export is at hand without imports.
"""

from __future__ import annotations

import code
import importlib
import runpy
import sys
import traceback
from pathlib import Path

from common.config import load_config
from common.errors import ConfigError

__all__ = ["build_namespace", "interact", "run_script"]

BANNER = """MUSE-WISE awe prompt ({target}) — user {user}, project {project}, database {database}
Names: {names}
"""


def build_namespace() -> dict[str, object]:
    """Return the prompt's globals: ``config`` and the exported names of the packages."""
    config = load_config()
    namespace: dict[str, object] = {"config": config}
    for module_name in ("common.persistent", config.target):
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            source = config.sources.get("target", "default")
            raise ConfigError(f"target ({source}): cannot import {module_name}: {exc}") from exc
        namespace.update({name: getattr(module, name) for name in getattr(module, "__all__", ())})
    return namespace


def interact() -> int:
    """Start the interactive prompt; return the exit status."""
    namespace = build_namespace()
    config = namespace["config"]
    try:
        import readline
        import rlcompleter

        readline.set_completer(rlcompleter.Completer(namespace).complete)
        readline.parse_and_bind("tab: complete")
    except ImportError:  # no readline on this platform: the prompt works without completion
        pass
    names = ", ".join(sorted(namespace)) or "(none)"
    code.interact(banner=BANNER.format(target=config.target, user=config.user,
                                       project=config.project, database=config.database,
                                       names=names),
                  local=namespace, exitmsg="")
    return 0


def run_script(path: str, args: list[str]) -> int:
    """Run the script at ``path`` with ``args`` in the prompt's namespace.

    An exception that escapes the script is the script's own: its traceback is printed from
    the script's first frame on (awe's frames above it are left out) and the status is 1.
    """
    script = Path(path)
    if not script.is_file():
        raise ConfigError(f"script {path}: no such file")
    namespace = build_namespace()
    saved = sys.argv
    sys.argv = [str(script), *args]
    try:
        runpy.run_path(str(script), init_globals=namespace, run_name="__main__")
    except Exception as exc:
        print_script_traceback(exc, script)
        return 1
    finally:
        sys.argv = saved
    return 0


def print_script_traceback(exc: BaseException, script: Path) -> None:
    """Print ``exc``'s traceback to stderr, starting at the first frame inside ``script``."""
    tb = exc.__traceback__
    target = str(script.resolve())
    while tb is not None and str(Path(tb.tb_frame.f_code.co_filename).resolve()) != target:
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb or exc.__traceback__, file=sys.stderr)
