"""Raw-QC monitoring: per-IFU, per-night figures of raw BIAS chips and their alerts.

``awe monitor`` shows the raw QC of a night and its trend over the nights before. This module
only queries and aggregates (no plotting): one set-based statement per quantity over all the
nights of the window (``GROUP BY night, ifu``), never one per night. Values are judged against
the XML thresholds of :class:`muse.datamodel.RawChip` (``qc_thresholds``); a night and IFU whose
smallest or largest value violates one is an :class:`Alert`. Every chip counts, flagged or not:
the flagged ones are what monitoring is for.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from common.config import Progress
from common.database import column_name, table_name
from common.errors import ConfigError
from common.persistent.session import current_session
from muse.datamodel.bases import QcThreshold
from muse.datamodel.generated import RawBiasChip

__all__ = ["QUANTITIES", "Alert", "NightValue", "Quantity", "Trend", "raw_qc_trends"]

@dataclass(frozen=True)
class Quantity:
    """A raw-QC attribute of the chips: its label, unit (from muse.xml) and threshold."""

    attribute: str
    label: str
    unit: str
    threshold: QcThreshold | None


def _quantity(attribute: str, label: str, unit: str | None = None) -> Quantity:
    doc = RawBiasChip._meta.properties[attribute].doc
    declared = re.search(r"\[([^\]]+)\]$", doc)  # muse.xml's unit, as the generator writes it
    thresholds = [threshold for threshold in RawBiasChip.qc_thresholds
                  if threshold.attribute == attribute]
    return Quantity(attribute, label, declared.group(1) if declared else unit or "",
                    thresholds[0] if thresholds else None)


QUANTITIES = (
    _quantity("INS_TEMP7_VAL", "IFU temperature INS.TEMP7"),
    _quantity("saturated_pixels", "saturated pixels", "pixels"),
    _quantity("median_level", "bias median level"),
)


@dataclass(frozen=True)
class NightValue:
    """One quantity of one IFU in one night: chips measured, mean, smallest, largest."""

    night: dt.date
    ifu: int
    chips: int
    mean: float
    minimum: float
    maximum: float


@dataclass(frozen=True)
class Alert:
    """A value of one IFU in one night outside the XML threshold."""

    quantity: Quantity
    night: dt.date
    ifu: int
    value: float

    def describe(self) -> str:
        """``2016-03-14 IFU 05: QC INS TEMP7 VAL = 31.0, expected >= 0 and <= 25 (…)``."""
        assert self.quantity.threshold is not None
        return (f"{self.night.isoformat()} IFU {self.ifu:02d}: "
                f"{self.quantity.threshold.describe(self.value)}")


@dataclass(frozen=True)
class Trend:
    """One quantity over the nights of the window: per (night, IFU) values and alerts."""

    quantity: Quantity
    nights: tuple[dt.date, ...]
    values: tuple[NightValue, ...]
    alerts: tuple[Alert, ...]

    def of_night(self, night: dt.date) -> list[NightValue]:
        """The values of ``night``, by IFU."""
        return [value for value in self.values if value.night == night]


def _alerts(quantity: Quantity, value: NightValue) -> list[Alert]:
    threshold = quantity.threshold
    if threshold is None:
        return []
    extremes = sorted({value.minimum, value.maximum})
    return [Alert(quantity, value.night, value.ifu, extreme) for extreme in extremes
            if threshold.violated_by(extreme)]


def raw_qc_trends(night: dt.date, nights: int = 30, *,
                  quantities: Sequence[Quantity] = QUANTITIES,
                  progress: Progress | None = None) -> list[Trend]:
    """The raw QC of BIAS chips in the ``nights`` nights ending with ``night``, per IFU.

    One statement per quantity; chips without the value are not counted.
    """
    if nights < 1:
        raise ConfigError(f"monitor: expected --nights >= 1, found {nights}")
    first = night - dt.timedelta(days=nights - 1)
    window = tuple(first + dt.timedelta(days=day) for day in range(nights))
    session = current_session()
    table = session.table(table_name(RawBiasChip.__name__))
    trends = []
    for done, quantity in enumerate(quantities):
        column = table.c[column_name(quantity.attribute)]
        statement = (select(table.c.night, table.c.ifu, func.count(column), func.avg(column),
                            func.min(column), func.max(column))
                     .where(table.c.night >= first, table.c.night <= night,
                            column.is_not(None))
                     .group_by(table.c.night, table.c.ifu)
                     .order_by(table.c.night, table.c.ifu))
        with session.database.read() as connection:
            rows = connection.execute(statement).all()
        values = tuple(NightValue(row[0], row[1], row[2], float(row[3]), float(row[4]),
                                  float(row[5])) for row in rows)
        alerts = tuple(alert for value in values for alert in _alerts(quantity, value))
        trends.append(Trend(quantity, window, values, alerts))
        if progress is not None:
            progress(done + 1, len(quantities), quantity.label)
    return trends
