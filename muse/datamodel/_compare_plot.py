"""The difference-image PNG of :func:`muse.datamodel.compare.compare_products` (matplotlib).

Three panels — A, B (one grey scale, the 1st to 99th percentile of A) and B − A (a diverging
scale symmetric about 0 at the 99th percentile of |B − A|) — row 1 at the bottom as DS9
shows FITS images. Imported only when a PNG is asked for: matplotlib takes a while to import.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the non-interactive backend

from common.files import write_bytes_atomically

__all__ = ["write_difference_png"]


def _limits(values: np.ndarray, low: float, high: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if not finite.size:
        return 0.0, 1.0
    bottom, top = np.percentile(finite, (low, high))
    return (float(bottom), float(top)) if top > bottom else (float(bottom), float(bottom) + 1)


def write_difference_png(path: Path, a: np.ndarray, b: np.ndarray, difference: np.ndarray, *,
                         title: str) -> Path:
    """Write A, B and B − A side by side to ``path`` (atomically); return the path."""
    grey = _limits(a, 1, 99)
    finite = np.abs(difference[np.isfinite(difference)])
    span = float(np.percentile(finite, 99)) if finite.size else 0.0
    span = span if span > 0 else (float(finite.max()) if finite.size and finite.max() > 0
                                  else 1.0)
    figure, axes = plt.subplots(1, 3, figsize=(13, 4.6), dpi=100, constrained_layout=True)
    try:
        for axis, image, label in ((axes[0], a, "A"), (axes[1], b, "B")):
            shown = axis.imshow(image, origin="lower", cmap="gray", vmin=grey[0],
                                vmax=grey[1], interpolation="nearest")
            axis.set_title(label)
        figure.colorbar(shown, ax=axes[:2], shrink=0.8)
        shown = axes[2].imshow(difference, origin="lower", cmap="RdBu_r", vmin=-span,
                               vmax=span, interpolation="nearest")
        axes[2].set_title("B - A")
        figure.colorbar(shown, ax=axes[2], shrink=0.8)
        figure.suptitle(title)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        plt.close(figure)
    return write_bytes_atomically(Path(path), buffer.getvalue())
