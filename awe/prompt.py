"""The awe prompt and script runner: one Python environment with the system's public names.

``awe`` starts an IPython shell, ``awe SCRIPT.py [ARGS…]`` runs a script; both get the same
namespace and the same session:

- every name the target package (``AWE_TARGET``, default ``muse.datamodel``) and
  :mod:`common.persistent` export in ``__all__`` (the classes, ``context``, ``commit``,
  ``transaction``…), never a star import, so no helper module leaks in;
- ``config`` (the effective configuration), ``date``, ``datetime`` and ``timedelta``;
- ``dpu``: a :class:`DpuHandle` on ``dpu.client.Processor`` (the configured DPUs, or the
  in-process one), made on first use;
- a session on the configured database whose store shows a progress bar for large transfers;
  ``dpu.wait(job)`` shows one for the job's steps.

The prompt's banner names the user, database, project, data servers and DPUs. Tab completion
(IPython's) covers the classes and their attributes. A system error at the prompt prints one
line ``ErrorType: message`` (``%tb`` shows the traceback); a script's own exception prints
the script's traceback and exits 1.
"""

from __future__ import annotations

import importlib
import os
import runpy
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from awe.progress import BYTES, StepProgress
from awe.release import version
from common.config import Config, load_config
from common.errors import AweError, ConfigError

__all__ = ["DpuHandle", "banner", "build_namespace", "interact", "prompt_session",
           "run_script"]

PERSISTENT_PACKAGE = "common.persistent"
DPU_CLIENT = "dpu.client"


class DpuHandle:
    """The ``dpu`` of the prompt: a ``dpu.client.Processor`` made when first used.

    Attribute access is forwarded to the processor (``dpu.run(...)``, ``dpu.jobs()``…);
    ``dpu.wait(job)`` without a ``progress`` argument shows a progress bar. When the DPU
    client cannot be imported, every use raises a :class:`ConfigError` saying why, and the
    prompt still starts.
    """

    def __init__(self, dpus: tuple[str, ...]) -> None:
        self._dpus = dpus
        self._processor: Any = None
        self._unavailable: str | None = None
        try:
            self._client = importlib.import_module(DPU_CLIENT)
        except ImportError as exc:
            self._client = None
            self._unavailable = f"the DPU client {DPU_CLIENT} cannot be imported ({exc})"

    @property
    def unavailable(self) -> str | None:
        """Why the DPU cannot be used, or None when it can."""
        return self._unavailable

    def describe(self) -> str:
        """The DPUs for the banner: their URIs, the in-process DPU, or why none is there."""
        if self._unavailable:
            return f"unavailable ({self._unavailable})"
        return ", ".join(self._dpus) if self._dpus else "in-process"

    def _target(self) -> Any:
        if self._unavailable:
            raise ConfigError(f"dpu: {self._unavailable}")
        if self._processor is None:
            self._processor = self._client.Processor()  # the configured DPUs
        return self._processor

    def wait(self, job_id: int, progress: Any = None, timeout: float | None = None) -> dict:
        """Wait for job ``job_id`` (a progress bar on stderr unless ``progress`` is given)."""
        if progress is None:
            progress = StepProgress(sys.stderr, f"job {job_id}", "steps")
        return self._target().wait(job_id, progress=progress, timeout=timeout)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._target(), name)

    def __dir__(self) -> list[str]:
        names = {"wait", "unavailable", "describe"}
        if self._client is not None:
            processor = getattr(self._client, "Processor", None)
            names |= {name for name in dir(processor) if not name.startswith("_")}
        return sorted(names)

    def __repr__(self) -> str:
        return f"<dpu: {self.describe()}>"


def build_namespace(config: Config | None = None) -> dict[str, object]:
    """The prompt's globals: the exported names of the packages, ``config``, ``dpu``, dates."""
    config = load_config() if config is None else config
    namespace: dict[str, object] = {}
    for module_name in (PERSISTENT_PACKAGE, config.target):
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            source = config.sources.get("target", "default")
            raise ConfigError(f"target ({source}): cannot import {module_name}: {exc}") from exc
        exported = getattr(module, "__all__", None)
        if exported is None:
            raise ConfigError(f"target: {module_name} has no __all__; the prompt takes only "
                              "the names a package exports")
        namespace.update({name: getattr(module, name) for name in exported})
    namespace.update(config=config, date=date, datetime=datetime, timedelta=timedelta,
                     dpu=DpuHandle(config.dpu))
    return namespace


def banner(config: Config, namespace: dict[str, object], user: str) -> str:
    """The text the prompt starts with: who, where, and what is at hand."""
    from sqlalchemy.engine import make_url

    dpu = namespace["dpu"]
    database = make_url(config.database).render_as_string(hide_password=True)
    servers = ", ".join(config.dataservers) or f"none (local store {config.store_root})"
    classes = sorted(name for name, value in namespace.items() if isinstance(value, type))
    return (f"MUSE-WISE {version()} — the awe prompt\n"
            f"  user          {user}\n"
            f"  database      {database}\n"
            f"  project       {config.project} (new objects get privileges "
            f"{config.privileges})\n"
            f"  data servers  {servers}\n"
            f"  DPUs          {dpu.describe() if isinstance(dpu, DpuHandle) else dpu}\n"
            f"At hand: {len(classes)} classes of {config.target} and {PERSISTENT_PACKAGE} "
            f"(tab completes them), context, dpu, config, commit, transaction, date, datetime.\n"
            f"Try: context.whoami(), len(RawBiasChip.ifu == 5), MasterBias.select_all()[:3]\n")


@contextmanager
def prompt_session(config: Config) -> Iterator[Any]:
    """The session of the prompt and of scripts: the configured database and context.

    Its store shows a progress bar on stderr for large transfers.
    """
    # The persistent layer (SQLAlchemy) loads only when the prompt or a script starts.
    from common.persistent import session
    from dataserver.factory import open_store

    store = open_store(config, progress=StepProgress(sys.stderr, "transfer", BYTES))
    with session(store=store) as opened:
        yield opened


def _show_error(shell: Any, etype: type, value: BaseException, tb: Any,
                tb_offset: int | None = None) -> None:
    """One line for a system error at the prompt, as ``awe`` prints it; ``%tb`` for more."""
    print(f"{value.error_type}: {value}", file=sys.stderr)


def interact() -> int:
    """Start the interactive prompt (IPython); return the exit status."""
    # IPython loads only for the prompt: `awe --help` and the other commands never need it.
    from IPython import start_ipython
    from traitlets.config import Config as IPythonConfig

    config = load_config()
    namespace = build_namespace(config)
    os.environ.setdefault("IPYTHONDIR", str(config.home / "ipython"))
    with prompt_session(config) as opened:
        settings = IPythonConfig()
        settings.TerminalIPythonApp.display_banner = True
        settings.TerminalInteractiveShell.banner1 = banner(config, namespace,
                                                           opened.context.user)
        settings.TerminalInteractiveShell.confirm_exit = False
        settings.TerminalInteractiveShell.enable_tip = False
        settings.InteractiveShellApp.exec_lines = [
            "get_ipython().set_custom_exc((AweError,), _awe_show_error)",
            "del AweError, _awe_show_error"]
        user_ns = {**namespace, "AweError": AweError, "_awe_show_error": _show_error}
        start_ipython(argv=[], user_ns=user_ns, config=settings)
    return 0


def run_script(path: str, args: list[str]) -> int:
    """Run the script at ``path`` with ``args`` in the prompt's namespace and session.

    An exception that escapes the script is the script's own: its traceback is printed from
    the script's first frame on (awe's frames above it are left out) and the status is 1.
    """
    script = Path(path)
    if not script.is_file():
        raise ConfigError(f"script {path}: no such file")
    config = load_config()
    namespace = build_namespace(config)
    saved = sys.argv
    sys.argv = [str(script), *args]
    try:
        with prompt_session(config):
            runpy.run_path(str(script), init_globals=namespace, run_name="__main__")
    except Exception as exc:
        _print_script_traceback(exc, script)
        return 1
    finally:
        sys.argv = saved
    return 0


def _print_script_traceback(exc: BaseException, script: Path) -> None:
    """Print ``exc``'s traceback to stderr, starting at the first frame inside ``script``."""
    tb = exc.__traceback__
    target = str(script.resolve())
    while tb is not None and str(Path(tb.tb_frame.f_code.co_filename).resolve()) != target:
        tb = tb.tb_next
    if tb is None:  # raised before the script ran a line (the session could not open)
        raise exc
    traceback.print_exception(type(exc), exc, tb, file=sys.stderr)
