"""PNG trend plots of ``awe monitor`` (matplotlib, Agg backend): one file per quantity.

Each plot shows the per-night mean of every IFU (one line and legend entry per IFU), the XML
threshold limits as dashed lines, and the alert values as red crosses. Imported only when
plots are written: matplotlib takes a while to import.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from muse.datamodel.monitor import Trend

__all__ = ["plot_trend"]


def plot_trend(trend: Trend, path: Path) -> Path:
    """Write ``trend`` as a PNG at ``path`` and return the path."""
    quantity = trend.quantity
    figure, axes = plt.subplots(figsize=(9, 5), dpi=100)
    try:
        for ifu in sorted({value.ifu for value in trend.values}):
            points = [value for value in trend.values if value.ifu == ifu]
            axes.plot([value.night for value in points], [value.mean for value in points],
                      marker="o", markersize=3, linewidth=1, label=f"IFU {ifu:02d}")
        threshold = quantity.threshold
        if threshold is not None:
            for limit, name in ((threshold.minimum, "min"), (threshold.maximum, "max")):
                if limit is not None:
                    axes.axhline(limit, color="black", linestyle="--", linewidth=1,
                                 label=f"threshold {name} {limit:g}")
        if trend.alerts:
            axes.plot([alert.night for alert in trend.alerts],
                      [alert.value for alert in trend.alerts], linestyle="none", marker="x",
                      markersize=9, color="red", label=f"alert ({len(trend.alerts)})")
        first, last = trend.nights[0], trend.nights[-1]
        axes.set_title(f"{quantity.label} of raw BIAS chips, nights {first} to {last}")
        axes.set_xlabel("night")
        axes.set_ylabel(f"{quantity.label} [{quantity.unit}]")
        if first != last:
            axes.set_xlim(first, last)
        axes.grid(alpha=0.3)
        if axes.get_legend_handles_labels()[0]:
            axes.legend(fontsize="x-small", ncol=4, loc="best")
        figure.autofmt_xdate()
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)
    return path
