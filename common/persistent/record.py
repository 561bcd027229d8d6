"""The one record a persistent class keeps of itself (``Cls._meta``), like Django's ``_meta``.

The metaclass builds it once per class: the persistent properties, the table, the insert
plan, the kind of class (value class, stored class, abstract or concrete). The attribute
descriptors go through it to become query columns and to load links and lists, so they
import neither the query nor the loader.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from common.persistent.loading import resolve_link, resolve_list
from common.persistent.properties import persistent
from common.persistent.query import Attribute

__all__ = ["ClassRecord", "InsertPlan"]


@dataclass(frozen=True)
class InsertPlan:
    """How an object's values become a row of its class table."""

    columns: tuple[str, ...]
    """The columns of the plain (not link) scalar attributes, in table order."""
    values: Callable[[dict[str, Any]], tuple[Any, ...]]
    """The values of those attributes from an object's ``__dict__``, in the same order."""
    links: tuple[tuple[str, str], ...]
    """``(attribute, column)`` of each link (its value is written as the target's id)."""


@dataclass(frozen=True, eq=False)
class ClassRecord:
    """What a persistent class is: properties, table, insert plan and kind."""

    cls: type
    properties: Mapping[str, persistent]
    """Every persistent attribute by name, inherited ones first."""
    table: str | None
    """The class table's name (None: abstract)."""
    columns: tuple[str, ...]
    """The scalar (not list) attributes, in table column order."""
    links: tuple[str, ...]
    lists: tuple[str, ...]
    dicts: tuple[str, ...]
    """The scalar ``dict`` attributes (deep-frozen once committed)."""
    mutable: tuple[tuple[str, int], ...]
    """``(attribute, column position)`` of the fields a query refreshes."""
    list_tables: Mapping[str, str]
    """The association table of each list attribute (empty when abstract)."""
    insert: InsertPlan
    is_value: bool
    """A value class (ParameterSet): committing an equal set returns the committed one."""
    is_stored: bool
    """A stored class (DataObject): its file must be in the store before commit."""

    @property
    def is_concrete(self) -> bool:
        """Whether the class has a table (was not declared with ``abstract=True``)."""
        return self.table is not None

    @property
    def is_abstract(self) -> bool:
        """Whether the class was declared with ``abstract=True`` (no table)."""
        return self.table is None

    @cached_property
    def link_targets(self) -> tuple[tuple[str, type], ...]:
        """``(link, declared target class)`` pairs (targets named by string resolved now)."""
        return tuple((name, self.properties[name].target) for name in self.links)

    @cached_property
    def link_lists(self) -> tuple[str, ...]:
        """The list attributes whose elements are links."""
        return tuple(name for name in self.lists if self.properties[name].kind == "link")

    def column(self, name: str) -> Attribute:
        """The query column of attribute ``name`` (``Cls.name`` on the class)."""
        return Attribute(self.cls, (name,))

    def load_link(self, instance: Any, prop: persistent) -> Any:
        """The object a link of ``instance`` points to, loaded for its whole batch."""
        return resolve_link(instance, prop)

    def load_list(self, instance: Any, prop: persistent) -> tuple[Any, ...]:
        """A list of committed ``instance``, loaded for its whole batch."""
        return resolve_list(instance, prop)
