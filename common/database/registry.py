"""The tables the process declares, by name, so connect can create them without knowing classes.

The persistent layer registers the :class:`~common.database.spec.TableSpec` of every class it
defines; :func:`common.database.schema.build_metadata` turns the registry into tables.
"""

from __future__ import annotations

import threading

from common.database.spec import TableSpec
from common.errors import TableSpecError

__all__ = ["register_tables", "registered_tables"]

_TABLES: dict[str, TableSpec] = {}
_LOCK = threading.Lock()


def register_tables(*specs: TableSpec) -> None:
    """Add ``specs`` together; if any name is taken (or repeated), none is added.

    The refusal names the table and both owners.
    """
    with _LOCK:
        seen: dict[str, TableSpec] = {}
        for spec in specs:
            existing = _TABLES.get(spec.name) or seen.get(spec.name)
            if existing is not None:
                raise TableSpecError(
                    f"table {spec.name} of {spec.owner or 'a system table'} is already "
                    f"declared by {existing.owner or 'a system table'}; rename one of the classes"
                )
            seen[spec.name] = spec
        _TABLES.update(seen)


def registered_tables() -> tuple[TableSpec, ...]:
    """Every registered table spec, in registration order."""
    with _LOCK:
        return tuple(_TABLES.values())
