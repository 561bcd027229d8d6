"""Which packages declare tables: those the upper layers register, and the ``target`` package.

This layer may not import the layers that define persistent classes, so it never names them:
a package that declares system classes registers itself with :func:`register_declaring` when
it is imported, and connect imports every registered package again (in a fresh interpreter
that has only the names, e.g. from a subprocess's configuration) plus the configured
``AWE_TARGET`` package before it checks the schema.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading

from common.errors import ConfigError

__all__ = ["datamodel_version", "declaring_packages", "import_declaring_packages",
           "register_declaring"]

# The attribute of a target package that names its data-model version (e.g. muse.xml's).
VERSION_ATTRIBUTE = "DATAMODEL_VERSION"

_PACKAGES: dict[str, None] = {}
_LOCK = threading.Lock()
_target_versions: dict[str, str] = {}


def register_declaring(package: str) -> None:
    """Have every connect import ``package`` (a module name) before it checks the schema."""
    with _LOCK:
        _PACKAGES[package] = None


def declaring_packages() -> tuple[str, ...]:
    """The registered packages, in registration order."""
    with _LOCK:
        return tuple(_PACKAGES)


def import_declaring_packages(target: str, *, required: bool) -> None:
    """Import the registered packages and the ``target`` package, so their tables are registered.

    A missing ``target`` package is an error only when it was configured explicitly
    (``required``); the default (``muse.datamodel``) may not exist yet. The package's
    ``DATAMODEL_VERSION`` (if it has one) is recorded with every schema version it writes.
    """
    for name in declaring_packages():
        importlib.import_module(name)
    try:
        found = importlib.util.find_spec(target) is not None
    except ModuleNotFoundError:
        found = False
    if found:
        module = importlib.import_module(target)
        _target_versions.clear()
        _target_versions[target] = str(getattr(module, VERSION_ATTRIBUTE, ""))
    elif required:
        raise ConfigError(f"target: the package {target!r} cannot be imported (not found)")


def datamodel_version() -> str:
    """The data-model version of the imported target package ("" when it declares none)."""
    return next(iter(_target_versions.values()), "")
