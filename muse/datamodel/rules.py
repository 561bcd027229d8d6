"""The MUSE time rules (DESIGN §4): the MuseWise night, validity ranges, observation dates.

All times are naive UTC. A night N runs from N 20:40 UT to N+1 20:40 UT, so daytime
calibrations after a night belong to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

__all__ = ["NIGHT_START", "mean_datetime", "night_of", "night_start", "validity_of"]

NIGHT_START = dt.time(20, 40)
"""UT time at which a MuseWise night begins."""


def night_of(moment: dt.datetime) -> dt.date:
    """The MuseWise night of ``moment``: its date, minus one day before 20:40 UT."""
    if moment.time() < NIGHT_START:
        return moment.date() - dt.timedelta(days=1)
    return moment.date()


def night_start(night: dt.date) -> dt.datetime:
    """The moment night ``night`` begins (``night`` 20:40 UT)."""
    return dt.datetime.combine(night, NIGHT_START)


def validity_of(night: dt.date, validity_nights: int = 0) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` of a product made from night ``night``'s raw data.

    [N 20:40, N+1 20:40), widened by ``validity_nights`` nights on each side.
    """
    widen = dt.timedelta(days=validity_nights)
    start = night_start(night)
    return start - widen, start + dt.timedelta(days=1) + widen


def mean_datetime(moments: Iterable[dt.datetime]) -> dt.datetime:
    """The mean of ``moments`` (the observation date of a product from its raw inputs)."""
    values = list(moments)
    if not values:
        raise ValueError("the mean of no dates")
    first = values[0]
    offset = sum(((moment - first) for moment in values), dt.timedelta()) / len(values)
    return first + offset
