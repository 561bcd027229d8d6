"""Lineage: what an object was made from, what was made from it, and the tree down to raw data.

Generic over persistent classes (it reads their link and list attributes), mixed into the MUSE
classes by :mod:`muse.datamodel.bases`:

- ``obj.dependencies()``: the objects it links to (links, then list items), in declaration
  order, each once;
- ``obj.dependents()``: the visible objects that link to it (audit records are history, not
  lineage, and are left out);
- ``obj.lineage(depth)``: a :class:`LineageNode` tree down to the raw chips and frames, with
  the parameter sets; ``str()`` prints it, :func:`to_prov` makes a W3C PROV document of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from common.persistent.objects import AuditRecord, DBObject
from common.persistent.registry import concrete_classes
from common.persistent.session import current_session

if TYPE_CHECKING:
    from prov.model import ProvDocument

__all__ = ["Lineage", "LineageNode", "to_prov"]

PROV_NAMESPACE = "https://muse-wise.example/awe#"
"""The namespace of object identifiers in PROV exports (``awe:<object id hex>``)."""


@dataclass
class LineageNode:
    """One object of a lineage tree and the nodes of its dependencies (empty at the depth)."""

    obj: Any
    children: list[LineageNode] = field(default_factory=list)
    truncated: bool = False

    def walk(self) -> Iterator[LineageNode]:
        """Every node of the tree from here, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def _lines(self, indent: str) -> Iterator[str]:
        more = " …" if self.truncated else ""
        yield f"{indent}{label(self.obj)}{more}"
        for child in self.children:
            yield from child._lines(indent + "  ")

    def __str__(self) -> str:
        return "\n".join(self._lines(""))


def label(obj: Any) -> str:
    """``Class 0x… file (ifu=…, night=…)`` for listings."""
    values = obj._meta.properties
    parts = [type(obj).__name__, f"{obj.object_id:#018x}"]
    if "filename" in values and obj.filename:
        parts.append(obj.filename)
    keys = [f"{name}={getattr(obj, name)}" for name in ("ifu", "night", "params_hash")
            if name in values and getattr(obj, name) is not None]
    if keys:
        parts.append(f"({', '.join(keys)})")
    return " ".join(parts)


def _links_to(cls: type, target: type) -> Iterator[Any]:
    """The link and list attributes of ``cls`` that may hold a ``target``."""
    for prop in cls._meta.properties.values():
        if (prop.is_link or (prop.is_list and prop.kind == "link")) and \
                issubclass(target, prop.target):
            yield prop


class Lineage:
    """Navigation along links: dependencies, dependents and the lineage tree."""

    def dependencies(self) -> list[Any]:
        """The objects this one links to (links, then list items), each once."""
        found: dict[int, Any] = {}
        for prop in self._meta.properties.values():
            if prop.is_list and prop.kind == "link":
                values = getattr(self, prop.name)
            elif prop.is_link:
                values = [getattr(self, prop.name)]
            else:
                continue
            for value in values:
                if value is not None:
                    found.setdefault(value.object_id, value)
        return list(found.values())

    def dependents(self) -> list[Any]:
        """The visible objects that link to this one (audit records left out), by id."""
        session = current_session()
        found: dict[int, Any] = {}
        for cls in concrete_classes(DBObject):
            if issubclass(cls, AuditRecord):
                continue
            for prop in _links_to(cls, type(self)):
                if prop.is_link:
                    query = getattr(cls, prop.name) == self
                else:
                    table = session.table(cls._meta.list_tables[prop.name])
                    with session.database.read() as connection:
                        owners = connection.execute(
                            select(table.c.object_id).where(table.c.value == self.object_id)
                        ).scalars().all()
                    if not owners:
                        continue
                    query = cls.object_id.in_(sorted(set(owners)))
                for obj in query:
                    if type(obj) is cls:
                        found.setdefault(obj.object_id, obj)
        return [found[key] for key in sorted(found)]

    def lineage(self, depth: int | None = None) -> LineageNode:
        """The tree of dependencies down to raw data; ``depth`` levels at most (None: all)."""
        node = LineageNode(self)
        dependencies = self.dependencies()
        if depth is not None and depth <= 0:
            node.truncated = bool(dependencies)
            return node
        node.children = [dependency.lineage(None if depth is None else depth - 1)
                         for dependency in dependencies]
        return node


def _prov_id(obj: Any) -> str:
    return f"awe:{obj.object_id:016x}"


def to_prov(tree: LineageNode) -> ProvDocument:
    """The lineage tree as a W3C PROV document (serialise with ``.serialize(format='json')``).

    Every object is an entity (class, file name, sha256); an object with dependencies was
    generated by an activity ``awe:make-<id>`` that used them, and derived from each.
    """
    # lazy for start-up speed: every connect imports the data model, few export PROV
    from prov.model import ProvDocument

    document = ProvDocument()
    document.add_namespace("awe", PROV_NAMESPACE)
    done: set[int] = set()
    for node in tree.walk():
        obj = node.obj
        if obj.object_id in done:
            continue
        done.add(obj.object_id)
        attributes = {"awe:class": type(obj).__name__}
        for name in ("filename", "checksum", "params_hash"):
            if name in obj._meta.properties and getattr(obj, name) is not None:
                attributes[f"awe:{name}"] = getattr(obj, name)
        entity = document.entity(_prov_id(obj), attributes)
        if not node.children:
            continue
        activity = document.activity(f"awe:make-{obj.object_id:016x}")
        document.wasGeneratedBy(entity, activity)
        for child in node.children:
            document.used(activity, _prov_id(child.obj))
            document.wasDerivedFrom(entity, _prov_id(child.obj))
    return document
