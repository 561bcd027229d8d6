"""The trend PNG of ``awe monitor`` and the portal (matplotlib, Agg): one drawing for both.

One line per IFU of the per-night means, the XML threshold limits as dashed lines and the
values outside them as red crosses. Imported when a PNG is asked for: matplotlib takes a
while to import.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

__all__ = ["NightMean", "trend_png"]


class NightMean(Protocol):
    """One IFU's mean of a quantity in one night."""

    night: dt.date
    ifu: int
    mean: float


def trend_png(quantity: Any, means: Iterable[NightMean],
              marked: Sequence[tuple[dt.date, float]], marked_label: str, title: str,
              first: dt.date, last: dt.date, width: float = 10) -> bytes:
    """The trend of ``quantity`` (a ``muse.datamodel.monitor.Quantity``) as PNG bytes.

    ``marked`` are the (night, value) pairs drawn as red crosses, listed in the legend as
    ``marked_label (count)``; the x axis runs from ``first`` to ``last``.
    """
    means = list(means)
    figure = Figure(figsize=(width, 5), dpi=100)
    axes = figure.subplots()
    for ifu in sorted({point.ifu for point in means}):
        points = [point for point in means if point.ifu == ifu]
        axes.plot([point.night for point in points], [point.mean for point in points],
                  marker="o", markersize=3, linewidth=1, label=f"IFU {ifu:02d}")
    threshold = quantity.threshold
    if threshold is not None:
        for limit, name in ((threshold.minimum, "min"), (threshold.maximum, "max")):
            if limit is not None:
                axes.axhline(limit, color="black", linestyle="--", linewidth=1,
                             label=f"threshold {name} {limit:g}")
    if marked:
        axes.plot([night for night, _ in marked], [value for _, value in marked],
                  linestyle="none", marker="x", markersize=9, color="red",
                  label=f"{marked_label} ({len(marked)})")
    axes.set_title(title)
    axes.set_xlabel("night")
    axes.set_ylabel(f"{quantity.label} [{quantity.unit}]" if quantity.unit else quantity.label)
    if first != last:
        axes.set_xlim(first, last)
    axes.grid(alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize="x-small", ncol=4, loc="best")
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
