"""PNG trend plots for print (matplotlib, Agg): per-IFU means, thresholds, outliers.

Imported when a PNG is asked for: matplotlib takes a while to import.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

from awe.portal.queries import TrendData

__all__ = ["trend_png"]


def trend_png(data: TrendData) -> bytes:
    """The trend as PNG bytes: one line per IFU, dashed thresholds, outliers as red crosses."""
    quantity = data.quantity
    figure = Figure(figsize=(10, 5), dpi=100)
    axes = figure.subplots()
    for ifu in sorted({point.ifu for point in data.points}):
        points = [point for point in data.points if point.ifu == ifu]
        axes.plot([point.night for point in points], [point.mean for point in points],
                  marker="o", markersize=3, linewidth=1, label=f"IFU {ifu:02d}")
    threshold = quantity.threshold
    if threshold is not None:
        for limit, name in ((threshold.minimum, "min"), (threshold.maximum, "max")):
            if limit is not None:
                axes.axhline(limit, color="black", linestyle="--", linewidth=1,
                             label=f"threshold {name} {limit:g}")
    if data.outliers:
        axes.plot([point.night for point, _ in data.outliers],
                  [value for _, value in data.outliers], linestyle="none", marker="x",
                  markersize=9, color="red", label=f"outside threshold ({len(data.outliers)})")
    axes.set_title(f"{quantity.label}, nights {data.first} to {data.last}")
    axes.set_xlabel("night")
    axes.set_ylabel(f"{quantity.label} [{quantity.unit}]" if quantity.unit else quantity.label)
    if data.first != data.last:
        axes.set_xlim(data.first, data.last)
    axes.grid(alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize="x-small", ncol=4, loc="best")
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
