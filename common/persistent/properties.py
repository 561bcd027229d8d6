"""The two-faced ``persistent`` descriptor: a query column on the class, the value on an instance.

``persistent(doc, type, default, *, fits=None, length=None, index=False, unique=False,
renamed_from=None)``:

- ``type`` is ``int``, ``float``, ``str``, ``bool``, ``datetime``, ``date``, ``dict`` (JSON, not
  queryable) or a persistent class (a **link**; its name as a string for a class declared
  later). A default of ``[]`` makes a **list**: an ordered association table of ``type``.
- ``fits`` names the FITS keyword the value is read from; ``length`` bounds a string (default
  255, at most 4000); ``index`` asks for an index (links, ``night``, ``ifu``,
  ``timestamp_start/_end``, ``creation_date`` and ``filename`` always get one); ``unique``
  asks for a unique constraint; ``renamed_from`` names the attribute's previous name (schema
  evolution renames its column and keeps the data; not for list attributes).

On the class, ``MasterBias.ifu`` is a query column, an :class:`~common.persistent.query.Attribute`
(``MasterBias.ifu == 5`` is a query). On an instance, scalar values live in the instance
``__dict__`` (plain attribute speed); links and lists are data descriptors that load lazily,
for the whole batch the object was loaded with. Both go through the owner class's record
(``Cls._meta``), so this module imports neither the query nor the loader. Values are checked
when assigned (see :meth:`persistent.check`): a wrong kind raises
:class:`~common.errors.PersistenceError` naming class, attribute, what was expected and what
was found. Integers are signed 64-bit; strings hold no NUL character and no lone surrogate
(neither can be stored).

``del obj.attr`` on a committed object raises :class:`~common.errors.ImmutableError`, as an
assignment does; on an uncommitted object it resets the attribute to its default (a fresh
empty list for a list attribute), except for the fields commit sets (``object_id``,
``creator``, ``creation_date``), which refuse it as they refuse assignment.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import math
import numbers
from collections.abc import Mapping
from typing import Any

from common.database.spec import DEFAULT_STRING_LENGTH, MAX_STRING_LENGTH
from common.errors import PersistenceError
from common.persistent.registry import persistent_class
from common.persistent.state import Stateful

__all__ = [
    "INDEXED_NAMES",
    "INT_RANGE",
    "MUTABLE_FIELDS",
    "SYSTEM_FIELDS",
    "LinkProperty",
    "ListProperty",
    "WrongValue",
    "check_text",
    "persistent",
    "shown_value",
]

# Set by commit, identical in every class table and in awe_object (with class_name).
SYSTEM_FIELDS = ("object_id", "creator", "project", "privileges", "creation_date")
# The only fields a committed object may change, each through an audited method.
MUTABLE_FIELDS = frozenset({"is_valid", "qc_override", "timestamp_start", "timestamp_end",
                            "privileges"})
INDEXED_NAMES = frozenset({"night", "ifu", "timestamp_start", "timestamp_end",
                           "creation_date", "filename"})

# What a column of kind "int" (and an object id) holds: a signed 64-bit integer.
INT_RANGE = range(-2**63, 2**63)
_KIND_OF_TYPE: dict[type, str] = {
    int: "int", float: "float", str: "str", bool: "bool", dt.datetime: "datetime",
    dt.date: "date", dict: "dict",
}


class WrongValue(Exception):
    """Internal: a value does not fit an attribute; the text says what was expected."""


def shown_value(value: object) -> str:
    """``value`` and its type, for messages (a huge integer by its size, long text cut)."""
    if isinstance(value, int) and value.bit_length() > 128:
        return f"an integer of {value.bit_length()} bits (int)"
    text = repr(value)
    if len(text) > 80:
        text = text[:60] + "…" + text[-10:]
    return f"{text} ({type(value).__name__})"


def _check_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise WrongValue("an integer")
    number = int(value)
    if number not in INT_RANGE:
        raise WrongValue("an integer in the signed 64-bit range -2**63 to 2**63-1")
    return number


def check_text(value: str) -> str:
    """``value`` if a database can store it (no NUL, no lone surrogate), else WrongValue."""
    if "\x00" in value:
        raise WrongValue("a string without NUL characters")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise WrongValue("a string of Unicode characters (no lone surrogates)") from None
    return value


def _check_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise WrongValue("a number")
    number = float(value)
    if math.isnan(number):
        raise WrongValue("a number, not NaN (use None for a missing value)")
    return number


def _check_bool(value: Any) -> bool:
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        return bool(value)
    raise WrongValue("True or False")


def _check_datetime(value: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise WrongValue("a datetime (naive UTC)")
    if value.tzinfo is not None:
        try:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:
            raise WrongValue("a datetime that exists in UTC (years 1-9999)") from None
    return value


def _check_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise WrongValue("a date (not a datetime)")
    return value


def _check_dict(value: Any) -> dict:
    if not isinstance(value, Mapping):
        raise WrongValue("a dict of JSON values")
    try:
        return json.loads(json.dumps(dict(value), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise WrongValue(f"a dict of JSON values ({exc})") from None


_CHECKS = {"int": _check_int, "float": _check_float, "bool": _check_bool,
           "datetime": _check_datetime, "date": _check_date, "dict": _check_dict}


class persistent:
    """A persistent attribute; see the module docstring for the options.

    ``del obj.attr``: refused with :class:`~common.errors.ImmutableError` once ``obj`` is
    committed; before, it resets the attribute to its default (fields set by commit refuse
    it with :class:`~common.errors.PersistenceError`).
    """

    is_link = False
    is_list = False

    def __new__(cls, doc: str, type: Any, default: Any = None, **options: Any) -> persistent:
        """A link or list attribute is an instance of its data-descriptor subclass."""
        if cls is persistent:
            if isinstance(default, list):
                cls = ListProperty
            elif type not in _KIND_OF_TYPE:
                cls = LinkProperty
        return super().__new__(cls)

    def __init__(self, doc: str, type: Any, default: Any = None, *,
                 fits: str | None = None, length: int | None = None, index: bool = False,
                 unique: bool = False, renamed_from: str | None = None) -> None:
        if not isinstance(doc, str):
            raise PersistenceError(f"persistent(): the first argument is the documentation "
                                   f"string, found {shown_value(doc)}")
        self.doc = self.__doc__ = doc
        self.type = type
        self.fits = fits
        self.index = bool(index)
        self.unique = bool(unique)
        self.renamed_from = renamed_from
        self.name = ""
        self.owner: Any = None
        self._target: Any = None
        if type in _KIND_OF_TYPE:
            self.kind = _KIND_OF_TYPE[type]
        elif isinstance(type, str) or (isinstance(type, builtins.type)
                                       and issubclass(type, Stateful)):
            self.kind = "link"
        else:
            raise PersistenceError(
                f"persistent({doc!r}): type must be int, float, str, bool, datetime, date, "
                f"dict or a persistent class, found {shown_value(type)}")
        if length is not None and self.kind != "str":
            raise PersistenceError(f"persistent({doc!r}): length= applies to str only")
        self.length = DEFAULT_STRING_LENGTH if length is None and self.kind == "str" else length
        if self.length is not None and not 1 <= self.length <= MAX_STRING_LENGTH:
            raise PersistenceError(f"persistent({doc!r}): length must be 1-{MAX_STRING_LENGTH}, "
                                   f"found {self.length}")
        if renamed_from is not None and (self.is_list or not isinstance(renamed_from, str)):
            raise PersistenceError(f"persistent({doc!r}): renamed_from= takes the previous "
                                   f"attribute name of a scalar or link attribute, found "
                                   f"{shown_value(renamed_from)}"
                                   f"{' on a list' if self.is_list else ''}")
        if self.is_list:
            if default != []:
                raise PersistenceError(f"persistent({doc!r}): a list attribute's default must "
                                       f"be [], found {shown_value(default)}")
            self.default: Any = None
        else:
            self.default = default
            if default is not None:
                if self.kind == "link":
                    raise PersistenceError(f"persistent({doc!r}): a link's default must be "
                                           f"None, found {shown_value(default)}")
                try:
                    self.default = self.check_value(default)
                except WrongValue as exc:
                    raise PersistenceError(f"persistent({doc!r}): default: expected {exc}, "
                                           f"found {shown_value(default)}") from None

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.owner = owner

    def __repr__(self) -> str:
        where = f"{self.owner.__name__}.{self.name}" if self.owner else "unbound"
        return f"<persistent {where}: {self.kind}>"

    def __hash__(self) -> int:
        return id(self)

    @property
    def label(self) -> str:
        """``Class.attribute``, for messages."""
        return f"{self.owner.__name__}.{self.name}" if self.owner else self.name

    @property
    def target(self) -> Any:
        """The linked class (resolved from its name on first use)."""
        if self._target is None:
            if isinstance(self.type, str):
                try:
                    self._target = persistent_class(self.type)
                except LookupError:
                    raise PersistenceError(f"{self.label}: the linked class {self.type!r} is "
                                           "not declared") from None
            else:
                self._target = self.type
        return self._target

    def initial(self) -> Any:
        """The value a new object starts with (a fresh copy of a dict default)."""
        if self.kind == "dict" and self.default is not None:
            return dict(self.default)
        return self.default

    def check_value(self, value: Any) -> Any:
        """Return ``value`` as this attribute stores it, or raise :class:`WrongValue`."""
        if self.kind == "str":
            if not isinstance(value, str):
                raise WrongValue(f"a string of at most {self.length} characters")
            if len(value) > self.length:
                raise WrongValue(f"a string of at most {self.length} characters, not "
                                 f"{len(value)}")
            return check_text(value)
        if self.kind == "link":
            if not isinstance(value, self.target):
                raise WrongValue(f"a {self.target.__name__} object")
            return value
        return _CHECKS[self.kind](value)

    def check(self, value: Any) -> Any:
        """The value to store for an assignment; a wrong value raises PersistenceError."""
        if value is None:
            return None
        try:
            return self.check_value(value)
        except WrongValue as exc:
            raise PersistenceError(f"{self.label}: expected {exc}, found "
                                   f"{shown_value(value)}") from None

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return owner._meta.column(self.name)
        return instance.__dict__.get(self.name, self.default)


class LinkProperty(persistent):
    """A link to another persistent object: loaded on first access, for the whole batch."""

    is_link = True

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return super().__get__(instance, owner)
        value = instance.__dict__.get(self.name)
        if value.__class__ is int:
            value = instance._meta.load_link(instance, self)
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__setattr__(self.name, value)


class ListProperty(persistent):
    """An ordered list of values or links, in its own association table."""

    is_list = True

    def initial(self) -> list:
        """A new, empty list."""
        return []

    def check(self, value: Any) -> list:
        """A list of checked elements (None elements are refused)."""
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            raise PersistenceError(f"{self.label}: expected a list, found {shown_value(value)}")
        items = list(value)
        checked = []
        for position, item in enumerate(items):
            try:
                if item is None:
                    raise WrongValue("a value, not None")
                checked.append(self.check_value(item))
            except WrongValue as exc:
                raise PersistenceError(f"{self.label}[{position}]: expected {exc}, found "
                                       f"{shown_value(item)}") from None
        return checked

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return super().__get__(instance, owner)
        try:
            return instance.__dict__[self.name]
        except KeyError:
            return instance._meta.load_list(instance, self)

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__setattr__(self.name, value)

    def __repr__(self) -> str:
        return super().__repr__().replace(">", " list>")

