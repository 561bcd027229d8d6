"""The one-pass metaclass: collect ``persistent`` attributes, check them, register the class.

For each new class the MRO is walked once to collect the persistent attributes of the bases;
then the class's own attributes are checked:

- an attribute that shadows one of a base (persistent or not) is refused, naming attribute,
  class and base;
- a name that is no identifier, starts with ``_``, or is a reserved word of SQLite, PostgreSQL
  or Oracle is refused (``file_size``, not ``size``);
- two attributes mapping to the same column (``DATE_OBS`` and ``date_obs``) are refused.

Each class gets one frozen record, ``Cls._meta`` (:class:`~common.persistent.record.ClassRecord`),
is registered by name in :mod:`common.persistent.registry` (a second class of the same name is
refused) and gets its own ``NotFound`` (a subclass of its bases' ``NotFound`` and of
:class:`common.errors.NotFound`). Class keywords: ``abstract=True`` (no table), ``value=True``
(a value class, such as ``ParameterSet``) and ``stored=True`` (a class with a file in the
store, such as ``DataObject``); the last two are inherited. A concrete class registers its
table specs with :mod:`common.database`: one table with every column, inherited ones included,
and one table per list attribute.
"""

from __future__ import annotations

from operator import itemgetter
from types import MappingProxyType
from typing import Any

from common.database import ColumnSpec, TableSpec, column_name, register_tables
from common.database.naming import is_identifier, is_reserved, list_table_name, table_name
from common.errors import NotFound, PersistenceError
from common.persistent.expressions import QUERY_METHODS
from common.persistent.properties import (
    INDEXED_NAMES,
    MUTABLE_FIELDS,
    SYSTEM_FIELDS,
    persistent,
)
from common.persistent.record import ClassRecord, InsertPlan
from common.persistent.registry import register_class

__all__ = ["PersistentMeta"]


def _collect_inherited(cls: type) -> dict[str, persistent]:
    """The persistent attributes of the bases, walking the MRO once (top first)."""
    collected: dict[str, persistent] = {}
    for klass in reversed(cls.__mro__[1:]):
        for key, value in vars(klass).items():
            if not isinstance(value, persistent):
                continue
            previous = collected.get(key)
            if previous is not None and previous is not value:
                raise PersistenceError(
                    f"{cls.__name__}: attribute {key!r} is declared by both "
                    f"{previous.owner.__name__} and {value.owner.__name__}")
            collected[key] = value
    return collected


def _check_own(cls: type, own: dict[str, persistent], inherited: dict[str, persistent]) -> None:
    name = cls.__name__
    for key in vars(cls):
        if key in inherited:
            raise PersistenceError(
                f"{name}.{key} shadows the persistent attribute {key!r} of its base "
                f"{inherited[key].owner.__name__}; give it another name")
    for key in own:
        for base in cls.__mro__[1:]:
            if key in vars(base):
                raise PersistenceError(
                    f"{name}.{key} shadows the attribute {key!r} of its base {base.__name__}; "
                    "give it another name")
        if not is_identifier(key):
            raise PersistenceError(f"{name}.{key}: an attribute name is a letter followed by "
                                   "letters, digits or '_'")
        if key in QUERY_METHODS:
            raise PersistenceError(f"{name}.{key}: {key!r} is a query method of every column; "
                                   "choose another name")
        if is_reserved(key):
            raise PersistenceError(
                f"{name}.{key}: {column_name(key)!r} is a reserved word of SQLite, PostgreSQL "
                f"or Oracle; choose another name (e.g. 'file_size', not 'size')")
    columns: dict[str, str] = {}
    for key in (*inherited, *own):
        column = column_name(key)
        if column in columns:
            raise PersistenceError(f"{name}: attributes {columns[column]!r} and {key!r} map to "
                                   f"the same column {column!r}")
        columns[column] = key


def _column_spec(prop: persistent) -> ColumnSpec:
    if prop.name == "object_id":
        return ColumnSpec("object_id", "link", nullable=False, doc=prop.doc)
    return ColumnSpec(
        column_name(prop.name), prop.kind, length=prop.length,
        nullable=prop.name not in SYSTEM_FIELDS,
        index=prop.index or prop.is_link or prop.name in INDEXED_NAMES,
        unique=prop.unique, default=prop.default, doc=prop.doc,
        renamed_from=column_name(prop.renamed_from) if prop.renamed_from else None,
    )


def _list_spec(cls: type, prop: persistent) -> TableSpec:
    return TableSpec(
        list_table_name(cls.__name__, prop.name),
        (
            ColumnSpec("object_id", "link", nullable=False, doc="the owning object"),
            ColumnSpec("position", "int", nullable=False, doc="0-based position in the list"),
            ColumnSpec("value", prop.kind, length=prop.length, nullable=False,
                       index=prop.kind == "link", doc=prop.doc),
        ),
        primary_key=("object_id", "position"),
        owner=cls.__name__,
        role="list",
        doc=f"{cls.__name__}.{prop.name}: {prop.doc}",
    )


def _not_found_class(cls: type) -> type[NotFound]:
    parents = tuple(dict.fromkeys(
        base.NotFound for base in cls.__bases__ if isinstance(base, PersistentMeta)))
    return type("NotFound", parents or (NotFound,),
                {"__module__": cls.__module__, "__qualname__": f"{cls.__qualname__}.NotFound",
                 "__doc__": f"No {cls.__name__} matches (or it is not visible)."})


def _record(cls: type, properties: dict[str, persistent], *, abstract: bool, value: bool,
            stored: bool) -> ClassRecord:
    bases = [base._meta for base in cls.__bases__ if isinstance(base, PersistentMeta)]
    scalars = tuple(key for key, prop in properties.items() if not prop.is_list)
    links = tuple(key for key, prop in properties.items() if prop.is_link)
    lists = tuple(key for key, prop in properties.items() if prop.is_list)
    plain = tuple(key for key in scalars if not properties[key].is_link)
    return ClassRecord(
        cls=cls,
        properties=MappingProxyType(properties),
        table=None if abstract else table_name(cls.__name__),
        columns=scalars,
        links=links,
        lists=lists,
        dicts=tuple(key for key in scalars if properties[key].kind == "dict"),
        mutable=tuple((key, position) for position, key in enumerate(scalars)
                      if key in MUTABLE_FIELDS),
        list_tables=MappingProxyType({} if abstract else {
            key: list_table_name(cls.__name__, key) for key in lists}),
        insert=InsertPlan(columns=tuple(column_name(key) for key in plain),
                          values=itemgetter(*plain),
                          links=tuple((key, column_name(key)) for key in links)),
        is_value=value or any(base.is_value for base in bases),
        is_stored=stored or any(base.is_stored for base in bases),
    )


class PersistentMeta(type):
    """Metaclass of :class:`~common.persistent.objects.DBObject` and every persistent class."""

    _meta: ClassRecord

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], *,
                abstract: bool = False, value: bool = False, stored: bool = False,
                **kwargs: Any) -> PersistentMeta:
        """Create, check and register the class (``abstract=True``: no table)."""
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        inherited = _collect_inherited(cls)
        own = {key: prop for key, prop in namespace.items() if isinstance(prop, persistent)}
        _check_own(cls, own, inherited)
        record = _record(cls, {**inherited, **own}, abstract=abstract, value=value,
                         stored=stored)
        cls._meta = record
        cls.NotFound = _not_found_class(cls)

        def register_tables_of_class() -> None:
            if record.is_concrete:
                register_tables(
                    TableSpec(record.table,
                              tuple(_column_spec(record.properties[key])
                                    for key in record.columns),
                              primary_key=("object_id",), owner=name,
                              doc=(cls.__doc__ or "").strip().split("\n")[0],
                              mutable=tuple(column_name(key) for key, _ in record.mutable)),
                    *(_list_spec(cls, record.properties[key]) for key in record.lists))

        register_class(cls, register_tables_of_class)
        return cls

    def __getattr__(cls, name: str) -> Any:
        """Refuse an unknown class attribute, listing the persistent ones."""
        record = cls.__dict__.get("_meta")
        if record is None or name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(f"{cls.__name__} has no attribute {name!r}; its persistent "
                             f"attributes are {', '.join(record.properties)}")
