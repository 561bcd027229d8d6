"""The statements behind the pages: set-based, a few per page, never one per night or object.

- :func:`nights_overview`: per night of a window, raw-QC alerts, calibrations made, flagged
  and missing (one GROUP BY statement per class);
- :func:`night_products`: the calibrations of one night (one query per class) and
  :func:`trend` for its raw QC;
- :func:`trend`: one quantity per (night, IFU) over a window, one GROUP BY statement, with
  the XML threshold and the values outside it (alerts);
- :func:`alerts`: raw-QC values outside the thresholds and flagged products of a window;
- :func:`search`: by object id, file name (ARCFILE) or class and attribute.

Every statement sees only what the session's user may see (:mod:`awe.portal.access`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, false, func, or_, select

from awe.portal.access import can_see, visible_clause
from common.database import column_name as column_of
from common.database import table_name
from common.errors import NotFound, QueryError
from common.persistent.objects import DataObject, DBObject
from common.persistent.registry import persistent_class
from common.persistent.session import Session
from muse.datamodel.bases import QcThreshold
from muse.datamodel.generated import (
    MasterBias,
    MasterFlat,
    RawBiasChip,
    RawFrame,
    TraceTable,
    WavecalTable,
)

__all__ = ["CALIBRATIONS", "IFUS", "QUANTITIES", "NightSummary", "Point", "Quantity",
           "TrendData", "alerts", "collect_alerts", "night_products", "nights_overview",
           "product_status", "search", "trend"]

CALIBRATIONS: tuple[type, ...] = (MasterBias, MasterFlat, TraceTable, WavecalTable)
"""The per-IFU calibrations a night page shows, in column order."""
IFUS = tuple(range(1, 25))
MAX_NIGHTS = 3660
HEADLINE = {
    "MasterBias": ("QC_BIAS_MASTER1_RON", "QC_BIAS_MASTER1_MEDIAN"),
    "MasterFlat": ("QC_FLAT_MASTER_MEDIAN", "QC_FLAT_MASTER_INTFLUX"),
    "TraceTable": ("QC_TRACE_WIDTHS_STDEV",),
    "WavecalTable": ("QC_WAVECAL_SLICE1_LINES_NID",),
}
"""The QC values a night page shows in each cell (every violated one is listed too)."""


@dataclass(frozen=True)
class Quantity:
    """A trend quantity: an attribute of a class per (night, IFU), its unit and threshold."""

    key: str
    cls: type
    attribute: str
    label: str
    unit: str
    threshold: QcThreshold | None


def _quantity(key: str, cls: type, attribute: str, label: str) -> Quantity:
    doc = cls._meta.properties[attribute].doc or ""
    unit = re.search(r"\[([^\]]+)\]$", doc)  # muse.xml's unit, as the generator writes it
    thresholds = [threshold for threshold in cls.qc_thresholds if threshold.attribute == attribute]
    return Quantity(key, cls, attribute, label, unit.group(1) if unit else "",
                    thresholds[0] if thresholds else None)


QUANTITIES: dict[str, Quantity] = {quantity.key: quantity for quantity in (
    _quantity("ron", MasterBias, "QC_BIAS_MASTER1_RON", "MASTER_BIAS read-out noise, port 1"),
    _quantity("bias", MasterBias, "QC_BIAS_MASTER1_MEDIAN", "MASTER_BIAS level, port 1"),
    _quantity("flat", MasterFlat, "QC_FLAT_MASTER_MEDIAN", "MASTER_FLAT level"),
    _quantity("temp7", RawBiasChip, "INS_TEMP7_VAL", "IFU temperature INS.TEMP7"),
    _quantity("saturated", RawBiasChip, "saturated_pixels", "saturated pixels (raw BIAS)"),
    _quantity("rawbias", RawBiasChip, "median_level", "raw BIAS median level"),
)}
RAW_QUANTITIES = tuple(q for q in QUANTITIES.values() if q.cls is RawBiasChip)


@dataclass(frozen=True)
class Point:
    """One quantity of one IFU in one night: count, mean, smallest and largest value."""

    night: dt.date
    ifu: int
    count: int
    mean: float
    minimum: float
    maximum: float


@dataclass(frozen=True)
class TrendData:
    """A quantity over a window of nights: its points and the values outside the threshold."""

    quantity: Quantity
    first: dt.date
    last: dt.date
    points: tuple[Point, ...]
    outliers: tuple[tuple[Point, float], ...]

    def to_json(self) -> dict[str, Any]:
        """Lean JSON for the browser: one array of means per IFU over the nights with data."""
        nights = sorted({point.night for point in self.points})
        index = {night: position for position, night in enumerate(nights)}
        series: dict[str, list[float | None]] = {}
        for point in self.points:
            values = series.setdefault(str(point.ifu), [None] * len(nights))
            values[index[point.night]] = round(point.mean, 6)
        threshold = self.quantity.threshold
        return {
            "key": self.quantity.key, "label": self.quantity.label, "unit": self.quantity.unit,
            "first": self.first.isoformat(), "last": self.last.isoformat(),
            "nights": [night.isoformat() for night in nights], "series": series,
            "threshold": None if threshold is None else
            {"min": threshold.minimum, "max": threshold.maximum, "flag": threshold.flag},
            "outliers": [[point.night.isoformat(), point.ifu, value]
                         for point, value in self.outliers],
        }


def window(last: dt.date, nights: int) -> tuple[dt.date, dt.date]:
    """``(first, last)`` of ``nights`` nights ending with ``last``; a bad count is refused."""
    if not 1 <= nights <= MAX_NIGHTS:
        raise QueryError(f"nights: expected 1 to {MAX_NIGHTS}, found {nights}")
    return last - dt.timedelta(days=nights - 1), last


def _where(session: Session, table: Any, *conditions: Any) -> list[Any]:
    rule = visible_clause(session, table)
    return [*conditions, *(() if rule is None else (rule,))]


def _table(session: Session, cls: type) -> Any:
    return session.table(table_name(cls.__name__))


def trend(session: Session, quantity: Quantity, last: dt.date, nights: int) -> TrendData:
    """``quantity`` per (night, IFU) over the ``nights`` nights ending ``last``: one statement."""
    first, last = window(last, nights)
    table = _table(session, quantity.cls)
    column = table.c[column_of(quantity.attribute)]
    statement = (select(table.c.night, table.c.ifu, func.count(column), func.avg(column),
                        func.min(column), func.max(column))
                 .where(*_where(session, table, table.c.night >= first, table.c.night <= last,
                                column.is_not(None)))
                 .group_by(table.c.night, table.c.ifu)
                 .order_by(table.c.night, table.c.ifu))
    with session.database.read() as connection:
        rows = connection.execute(statement).all()
    points = tuple(Point(row[0], row[1], row[2], float(row[3]), float(row[4]), float(row[5]))
                   for row in rows)
    threshold = quantity.threshold
    outliers = tuple((point, value) for point in points
                     for value in sorted({point.minimum, point.maximum})
                     if threshold is not None and threshold.violated_by(value))
    return TrendData(quantity, first, last, points, outliers)


def _flagged(table: Any) -> Any:
    """Flagged and not overridden, as SQL."""
    return and_(table.c.quality_flags != 0,
                or_(table.c.qc_override.is_(None), table.c.qc_override == false()))


def _violates(table: Any, thresholds: Sequence[QcThreshold]) -> Any:
    parts = []
    for threshold in thresholds:
        column = table.c[column_of(threshold.attribute)]
        if threshold.minimum is not None:
            parts.append(column < threshold.minimum)
        if threshold.maximum is not None:
            parts.append(column > threshold.maximum)
    return or_(*parts)


@dataclass
class NightSummary:
    """The traffic light of one night: raw alerts, calibrations made, flagged and missing."""

    night: dt.date
    raw_chips: int = 0
    raw_alerts: int = 0
    made: int = 0
    flagged: int = 0
    missing: int = 0
    expected: int = 0

    @property
    def light(self) -> str:
        """``red`` (alerts or flagged), ``amber`` (missing), ``green`` or ``grey`` (no data)."""
        if self.raw_alerts or self.flagged:
            return "red"
        if self.missing:
            return "amber"
        return "green" if self.made or self.raw_chips else "grey"


def _raw_input(cls: type) -> type | None:
    spec = cls.__process__
    for item in spec.inputs if spec else ():
        if item.name == "raw_chips":
            return item.cls
    return None


def nights_overview(session: Session, last: dt.date, nights: int) -> list[NightSummary]:
    """The nights of the window that have raw chips or calibrations, newest first."""
    first, last = window(last, nights)
    summaries: dict[dt.date, NightSummary] = {}

    def summary(night: dt.date) -> NightSummary:
        return summaries.setdefault(night, NightSummary(night))

    raw_ifus: dict[tuple[str, dt.date], int] = {}
    with session.database.read() as connection:
        for raw in dict.fromkeys(filter(None, map(_raw_input, CALIBRATIONS))):
            table = _table(session, raw)
            alert = _violates(table, raw.qc_thresholds) if raw.qc_thresholds else false()
            rows = connection.execute(
                select(table.c.night, func.count(), func.count(table.c.ifu.distinct()),
                       func.sum(case((alert, 1), else_=0)))
                .where(*_where(session, table, table.c.night >= first, table.c.night <= last))
                .group_by(table.c.night))
            for night, chips, ifus, alerts_found in rows:
                found = summary(night)
                found.raw_chips += chips
                found.raw_alerts += int(alerts_found or 0)
                raw_ifus[(raw.__name__, night)] = ifus
        for cls in CALIBRATIONS:
            table = _table(session, cls)
            made = case((table.c.is_valid >= 1, table.c.ifu), else_=None)
            rows = connection.execute(
                select(table.c.night, func.count(made.distinct()),
                       func.sum(case((_flagged(table), 1), else_=0)))
                .where(*_where(session, table, table.c.night >= first, table.c.night <= last))
                .group_by(table.c.night))
            made_by_night = {}
            for night, ifus, flagged in rows:
                found = summary(night)
                found.made += ifus
                found.flagged += int(flagged or 0)
                made_by_night[night] = ifus
            raw = _raw_input(cls)
            for (name, night), ifus in raw_ifus.items():
                if raw is not None and name == raw.__name__:
                    found = summary(night)
                    found.expected += ifus
                    found.missing += max(0, ifus - made_by_night.get(night, 0))
    return [summaries[night] for night in sorted(summaries, reverse=True)]


def product_status(obj: Any) -> str:
    """``invalid``, ``flagged``, ``overridden`` or ``ok``."""
    if (obj.is_valid or 0) < 1:
        return "invalid"
    if obj.__dict__.get("quality_flags"):
        return "overridden" if obj.__dict__.get("qc_override") else "flagged"
    return "ok"


def night_products(session: Session, night: dt.date) -> dict[str, dict[int, list[Any]]]:
    """Class name → IFU → the visible calibrations of ``night`` (newest first): one query each."""
    found: dict[str, dict[int, list[Any]]] = {}
    for cls in CALIBRATIONS:
        query = (cls.night == night).order_by(cls.creation_date, desc=True)
        by_ifu: dict[int, list[Any]] = {}
        for obj in query:
            by_ifu.setdefault(obj.ifu, []).append(obj)
        found[cls.__name__] = by_ifu
    return found


@dataclass(frozen=True)
class Alert:
    """A value outside its threshold, or a flagged product, for the feed."""

    night: dt.date
    ifu: int | None
    what: str
    message: str
    object_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON."""
        return {"night": self.night.isoformat(), "ifu": self.ifu, "what": self.what,
                "message": self.message,
                "object_id": None if self.object_id is None else f"{self.object_id:#018x}"}


def alerts(session: Session, last: dt.date, nights: int) -> list[Alert]:
    """Raw-QC values outside the XML thresholds and flagged products in the window."""
    first, last = window(last, nights)
    trends = [trend(session, quantity, last, nights) for quantity in RAW_QUANTITIES
              if quantity.threshold is not None]
    flagged = [obj for cls in CALIBRATIONS
               for obj in ((cls.night >= first) & (cls.night <= last)
                           & (cls.quality_flags != 0) & (cls.qc_override != True))]  # noqa: E712
    return collect_alerts(trends, flagged)


def collect_alerts(trends: Iterable[TrendData], flagged: Iterable[Any]) -> list[Alert]:
    """The alerts of the trends' outliers and of flagged, not accepted products, newest first."""
    found = [Alert(point.night, point.ifu, data.quantity.key,
                   data.quantity.threshold.describe(value))
             for data in trends for point, value in data.outliers]
    found.extend(Alert(obj.night, obj.ifu, type(obj).product_category,
                       "; ".join(obj.qc_failures()) or "flagged", obj.object_id)
                 for obj in flagged)
    found.sort(key=lambda alert: (alert.night, alert.ifu or 0, alert.what), reverse=True)
    return found


SEARCH_LIMIT = 200


def _object_id(text: str) -> int | None:
    try:
        return int(text, 0)
    except ValueError:
        return None


def parse_value(cls: type, attribute: str, text: str) -> Any:
    """``text`` as the type of ``cls.attribute``; a bad value raises QueryError naming both."""
    prop = cls._meta.properties.get(attribute)
    if prop is None or prop.is_list:
        raise QueryError(f"{cls.__name__}: no attribute {attribute!r} to search by")
    kind = "link" if prop.is_link else prop.kind
    try:
        if kind in ("int", "link"):
            return int(text, 0)
        if kind == "float":
            return float(text)
        if kind == "bool":
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return text.lower() in ("true", "1")
        if kind == "date":
            return dt.date.fromisoformat(text)
        if kind == "datetime":
            return dt.datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(f"{cls.__name__}.{attribute}: expected a {kind} value, found "
                         f"{text!r}") from None
    return text


def search(session: Session, text: str = "", class_name: str = "", attribute: str = "",
           value: str = "") -> list[Any]:
    """Objects by id or file name (``text``), or by class and attribute value (at most 200)."""
    text = text.strip()
    if class_name:
        try:
            cls = persistent_class(class_name)
        except (KeyError, LookupError, NotFound):
            raise QueryError(f"search: no class {class_name!r}") from None
        if not (isinstance(cls, type) and issubclass(cls, DBObject)):
            raise QueryError(f"search: {class_name!r} is not a persistent class")
        query = cls.select_all()
        if attribute:
            parsed = parse_value(cls, attribute, value)
            query = getattr(cls, attribute) == parsed
        return list(query.order_by(cls.object_id)[:SEARCH_LIMIT])
    if not text:
        return []
    object_id = _object_id(text)
    if object_id is not None:
        try:
            obj = DBObject.get(object_id)
        except (NotFound, QueryError):
            return []
        return [obj] if can_see(session, obj) else []
    found = list((DataObject.filename == text)[:SEARCH_LIMIT])
    if not found:
        pattern = f"%{text.removesuffix('.fits')}%"
        found = list(RawFrame.filename.like(pattern)
                     .order_by(RawFrame.filename)[:SEARCH_LIMIT])
    return found
