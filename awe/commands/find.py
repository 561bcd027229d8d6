"""List objects of a class: ``awe find CLASS [ATTR=VALUE…]``.

``CLASS`` is a persistent class (``RawBiasChip``, ``MasterBias``, ``RawFrame`` for all raw
files); each ``ATTR=VALUE`` is an equality on an attribute, the value read as the attribute's
type (``night=2016-03-14``, ``ifu=5``; ``*`` in a string is a wildcard). One line per object:
its id, class, file name, key attributes and QC flags.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from common.errors import QueryError

HELP = "list the objects of a class, filtered by ATTR=VALUE"
KEY_ATTRIBUTES = ("night", "ifu", "extname", "do_catg", "DATE_OBS", "timestamp_start",
                  "is_valid", "quality_flags", "qc_override", "privileges")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The class and the conditions."""
    parser.add_argument("cls", metavar="CLASS", help="a persistent class, e.g. RawBiasChip")
    parser.add_argument("conditions", nargs="*", metavar="ATTR=VALUE",
                        help="equality conditions, ANDed")
    parser.add_argument("--limit", type=int, default=1000, metavar="N",
                        help="show at most N objects (default 1000)")


def _value(cls: type, name: str, text: str) -> Any:
    prop = cls._meta.properties[name]
    kind = prop.kind
    try:
        if kind == "int":
            return int(text, 0)
        if kind == "float":
            return float(text)
        if kind == "bool":
            return {"true": True, "1": True, "false": False, "0": False}[text.lower()]
        if kind == "date":
            return dt.date.fromisoformat(text)
        if kind == "datetime":
            return dt.datetime.fromisoformat(text)
    except (ValueError, KeyError):
        raise QueryError(f"{cls.__name__}.{name}: expected a {kind}, found {text!r}") from None
    if kind == "str":
        return text
    raise QueryError(f"{cls.__name__}.{name}: cannot filter on a {kind} attribute from the "
                     "command line")


def build_query(cls_name: str, conditions: list[str]) -> Any:
    """The query of ``awe find``: ``cls_name`` with each ``ATTR=VALUE`` as an equality."""
    # lazy for start-up speed: `awe --help` imports every command module
    import muse.datamodel  # noqa: F401 - registers the MUSE classes
    from common.persistent.registry import persistent_class

    try:
        cls = persistent_class(cls_name)
    except LookupError as exc:
        raise QueryError(f"CLASS {cls_name!r}: {exc}") from None
    query = cls.select_all()
    for condition in conditions:
        name, sep, text = condition.partition("=")
        if not sep or name not in cls._meta.properties:
            raise QueryError(f"condition {condition!r}: expected ATTR=VALUE with ATTR one of "
                             f"{', '.join(cls._meta.properties)}")
        column = getattr(cls, name)
        value = _value(cls, name, text)
        query = query & (column.like(value) if isinstance(value, str) and "*" in value
                         else column == value)
    return query


def describe(obj: Any) -> str:
    """One line: id, class, file name and the key attributes it has."""
    values = obj._meta.properties
    parts = [f"{obj.object_id:#018x}", type(obj).__name__]
    if "filename" in values:
        parts.append(str(obj.filename))
    for name in KEY_ATTRIBUTES:
        if name in values and getattr(obj, name) is not None:
            value = getattr(obj, name)
            shown = f"{value:#x}" if name == "quality_flags" else value
            parts.append(f"{name}={shown}")
    return "  ".join(str(part) for part in parts)


def run(args: argparse.Namespace) -> int:
    """Print one line per object (ordered by id), then the count."""
    query = build_query(args.cls, args.conditions)
    total = len(query)
    for obj in query[:args.limit]:
        print(describe(obj))
    print(f"{total} object(s)" + (f", {args.limit} shown" if total > args.limit else ""))
    return 0
