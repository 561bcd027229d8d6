"""What the planner works on: resolved classes, coerced keys, the requests (nodes) it fills in.

The planner (:mod:`common.process.planner`) builds one :class:`Request` per node; this module
holds those records and the plain helpers it needs: finding a processable class in the
``AWE_TARGET`` package, coercing key values to the attributes' types, the order of the specs
of a request, and the selectable rule of a product row.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product as cartesian
from typing import Any

from common.config import load_config
from common.errors import ConfigError
from common.persistent.visibility import visibility
from common.process.spec import ProcessSpec

__all__ = [
    "RawInput",
    "Request",
    "coerce_keys",
    "concrete",
    "mean_moment",
    "raw_attributes",
    "resolve_class",
    "selectable",
    "spec_order",
]


def resolve_class(cls_or_name: type | str) -> type:
    """The processable class ``cls_or_name`` names, from the configured target package."""
    if isinstance(cls_or_name, type):
        cls = cls_or_name
    else:
        package = load_config().target
        module = importlib.import_module(package)
        cls = getattr(module, str(cls_or_name), None)
        if not isinstance(cls, type):
            names = sorted(name for name, value in vars(module).items()
                           if isinstance(value, type)
                           and getattr(value, "__process__", None) is not None)
            raise ConfigError(f"target class {cls_or_name!r}: not in {package}; processable "
                              f"classes are {', '.join(names)}")
    if getattr(cls, "__process__", None) is None:
        raise ConfigError(f"target class {cls.__name__}: it has no process specification "
                          "(__process__); it cannot be made")
    return cls


def coerce_key(cls: type, name: str, value: Any) -> Any:
    prop = cls._meta.properties.get(name)
    if prop is None:
        raise ConfigError(f"{cls.__name__}: key {name!r} is not an attribute; expected "
                          f"{', '.join(cls.__process__.keys)}")
    kind = prop.type
    try:
        if kind is dt.date and isinstance(value, str):
            return dt.date.fromisoformat(value)
        if kind is dt.datetime and isinstance(value, str):
            return dt.datetime.fromisoformat(value)
        if kind is int and isinstance(value, str):
            return int(value)
        if kind is float and isinstance(value, str):
            return float(value)
    except ValueError:
        expected = {dt.date: "an ISO date (2016-03-14)", dt.datetime: "an ISO datetime",
                    int: "an integer", float: "a number"}[kind]
        raise ConfigError(f"{cls.__name__}.{name}: expected {expected}, found "
                          f"{value!r}") from None
    if isinstance(kind, type) and not isinstance(value, kind):
        raise ConfigError(f"{cls.__name__}.{name}: expected {kind.__name__}, found {value!r}")
    return value


def coerce_keys(cls: type, keys: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The key sets a request names: values coerced, a list (or ``a,b``) meaning each value.

    Every key of the spec must be given; a key the spec does not have is refused.
    """
    spec: ProcessSpec = cls.__process__
    unknown = sorted(set(keys) - set(spec.keys))
    missing = [name for name in spec.keys if name not in keys]
    if unknown or missing:
        raise ConfigError(f"{cls.__name__}: expected the keys {', '.join(spec.keys)}; "
                          + (f"unknown {', '.join(unknown)}" if unknown else
                             f"missing {', '.join(missing)}"))
    choices = []
    for name in spec.keys:
        value = keys[name]
        if isinstance(value, str) and "," in value:
            value = [part.strip() for part in value.split(",") if part.strip()]
        values = value if isinstance(value, (list, tuple, set)) else [value]
        choices.append([coerce_key(cls, name, item) for item in values])
    return [dict(zip(spec.keys, combination, strict=True))
            for combination in cartesian(*choices)]


@dataclass
class RawInput:
    """One raw input: its id, observation time and the attribute values the planner reads."""

    object_id: int
    observed: dt.datetime | None
    values: dict[str, Any]


@dataclass
class Request:
    """One node being planned: a spec and its keys, what it needs, then its decision."""

    spec: ProcessSpec
    cls: type
    keys: dict[str, Any]
    node_id: str
    moments: list[dt.datetime] = field(default_factory=list)
    raw: dict[str, list[RawInput]] = field(default_factory=dict)
    unselectable: dict[str, int] = field(default_factory=dict)
    moment: dt.datetime | None = None
    setup: dict[str, Any] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    calibs: dict[str, str | int | None] = field(default_factory=dict)
    static_created: dict[str, dt.datetime] = field(default_factory=dict)
    action: str = ""
    reason: str = ""
    object_id: int | None = None
    object_ids: dict[str, int] = field(default_factory=dict)
    created: dt.datetime | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    no_raw_data: bool = False


def spec_order(root: ProcessSpec) -> list[ProcessSpec]:
    """Specs reachable from ``root``, every spec before the specs it needs."""
    order: list[ProcessSpec] = []
    marks: dict[int, str] = {}

    def needs(spec: ProcessSpec) -> list[ProcessSpec]:
        found = [item.cls.__process__ for item in spec.inputs if item.select == "products"]
        found += [calib.cls.__process__ for calib in spec.calibrations
                  if getattr(calib.cls, "__process__", None) is not None]
        return found

    def visit(spec: ProcessSpec) -> None:
        state = marks.get(id(spec))
        if state == "done":
            return
        if state == "open":
            raise ConfigError(f"process specs: recipe {spec.recipe} needs itself (a cycle)")
        marks[id(spec)] = "open"
        for needed in needs(spec):
            visit(needed)
        marks[id(spec)] = "done"
        order.append(spec)

    visit(root)
    return order[::-1]


def concrete(cls: type) -> list[type]:
    """The concrete (table-holding) classes of ``cls`` and its subclasses."""
    from common.persistent.registry import concrete_classes

    return list(concrete_classes(cls))


def selectable(row: Mapping[str, Any]) -> bool:
    """Whether a product row is selectable: valid, and unflagged or overridden."""
    return (row["is_valid"] or 0) >= 1 and (not row["quality_flags"] or bool(row["qc_override"]))


def mean_moment(moments: Sequence[dt.datetime]) -> dt.datetime | None:
    """The mean of ``moments`` (None for none): a request's observation date."""
    if not moments:
        return None
    first = moments[0]
    return first + sum((moment - first for moment in moments), dt.timedelta()) / len(moments)


def raw_attributes(order: Sequence[ProcessSpec]) -> tuple[str, ...]:
    """The attributes read from raw inputs: every key and every calibration's setup keys."""
    names: dict[str, None] = {}
    for spec in order:
        names.update(dict.fromkeys(spec.keys))
        for calib in spec.calibrations:
            names.update(dict.fromkeys(calib.match))
            sub = getattr(calib.cls, "__process__", None)
            if sub is not None:
                names.update(dict.fromkeys(sub.keys))
    return tuple(names)


def visible_only(session: Any, statement: Any, table: Any) -> Any:
    """``statement`` narrowed to the rows of ``table`` the session's user may see.

    The planner's statements are built in SQLAlchemy Core, outside the query compiler, so
    they add the compiler's visibility rule themselves (nothing where the database enforces
    row-level security): a plan never names an input the job's user cannot load.
    """
    rule = visibility(session)
    return statement if rule is None else statement.where(rule(table))
