"""The registry of persistent classes by name: the bottom of ``common.persistent``.

The metaclass registers each class here (a second class of the same name is refused); the
loader, the query compiler and link attributes declared by name look classes up here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from common.errors import PersistenceError

__all__ = ["concrete_classes", "persistent_class", "register_class"]

_CLASSES: dict[str, Any] = {}
_CONCRETE: dict[type, tuple[Any, ...]] = {}
_LOCK = threading.RLock()


def register_class(cls: type, on_register: Callable[[], None] | None = None) -> None:
    """Register ``cls`` under its name; ``on_register()`` runs first, under the same lock.

    A second class of the same name is refused with :class:`PersistenceError` (before
    ``on_register`` runs, so a refused class registers no tables).
    """
    name = cls.__name__
    with _LOCK:
        existing = _CLASSES.get(name)
        if existing is not None:
            raise PersistenceError(
                f"persistent class {name} ({cls.__module__}) is already declared in "
                f"{existing.__module__}; class names are unique")
        if on_register is not None:
            on_register()
        _CLASSES[name] = cls
        _CONCRETE.clear()


def persistent_class(name: str) -> Any:
    """The registered persistent class called ``name`` (LookupError when there is none)."""
    try:
        return _CLASSES[name]
    except KeyError:
        raise LookupError(f"no persistent class {name!r} is declared") from None


def concrete_classes(cls: type) -> tuple[Any, ...]:
    """``cls`` and its registered subclasses that have a table, in registration order."""
    found = _CONCRETE.get(cls)
    if found is None:
        with _LOCK:
            found = tuple(klass for klass in _CLASSES.values()
                          if issubclass(klass, cls) and klass._meta.is_concrete)
            _CONCRETE[cls] = found
    return found
