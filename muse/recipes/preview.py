"""PNG previews of products: a quick look for people and for the data server's web pages.

An image is reduced by block means to at most :data:`PREVIEW_SIZE` pixels a side, scaled
between the 1st and 99th percentile of a sample of its good pixels, drawn in grey with bad
pixels (DQ ≠ 0) in red and lines (traced slice edges) dotted in cyan, row 1 at the bottom as
DS9 shows FITS images; with a title, in a figure with axes and a colour bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from muse.recipes import _windows

__all__ = ["PREVIEW_SIZE", "write_preview"]

PREVIEW_SIZE = 512
_BAD = (255, 40, 40)
_LINE = (0, 230, 230)


def write_preview(path: Path, image: np.ndarray, *, dq: np.ndarray | None = None,
                  lines: Sequence[tuple[np.ndarray, np.ndarray]] = (), title: str = "",
                  unit: str = "") -> None:
    """Write the preview of ``image`` (trimmed, 0-based ``[y, x]``) to ``path`` as PNG.

    ``lines`` are curves given as 1-based trimmed ``(x, y)`` arrays; every fourth preview
    row of them is drawn, so narrow slices stay visible between their edges. With a
    ``title`` (product, IFU, exposure) the image is drawn in a figure with CCD axes and a
    colour bar in ``unit``.
    """
    factor = max(1, -(-max(image.shape) // PREVIEW_SIZE))
    # the grey scale from every 8th pixel in each direction: as good as all for a preview
    sample = image[::8, ::8]
    values = sample if dq is None else sample[dq[::8, ::8] == 0]
    low, high = np.percentile(values, (1, 99)) if values.size else (0.0, 1.0)
    if not high > low:
        high = low + 1.0
    small, bad = _windows.block_means(np.asarray(image, dtype=np.float32), dq, factor)
    grey = np.round(255 * (np.clip(small, low, high) - low) / (high - low)).astype(np.uint8)
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    rgb[bad] = _BAD
    for x, y in lines:
        column = np.floor((np.asarray(x) - 0.5) / factor)
        row = np.floor((np.asarray(y) - 0.5) / factor)
        inside = ((column >= 0) & (column < rgb.shape[1]) & (row >= 0) & (row < rgb.shape[0])
                  & (row % 4 == 0))
        rgb[row[inside].astype(int), column[inside].astype(int)] = _LINE
    if title:
        _figure(path, rgb, image.shape, (low, high), title=title, unit=unit)
    else:
        Image.fromarray(rgb[::-1], mode="RGB").save(path, format="PNG", compress_level=1)


def _figure(path: Path, rgb: np.ndarray, shape: tuple[int, ...], limits: tuple[float, float],
            *, title: str, unit: str) -> None:
    """The reduced image in a figure: title, CCD x/y axes in pixels, colour bar."""
    # matplotlib only where a figure is drawn: it is slow to import
    from matplotlib import cm, colors
    from matplotlib.figure import Figure

    ny, nx = shape[:2]
    figure = Figure(figsize=(6.4, 6.4 * min(1.6, max(0.6, ny / max(nx, 1)))), dpi=100)
    axes = figure.add_subplot()
    axes.imshow(rgb, origin="lower", extent=(0.5, nx + 0.5, 0.5, ny + 0.5),
                interpolation="nearest", aspect="auto")
    axes.set_xlabel("CCD x [pix]")
    axes.set_ylabel("CCD y [pix]")
    axes.set_title(title, fontsize=10)
    scale = cm.ScalarMappable(norm=colors.Normalize(*limits), cmap="gray")
    bar = figure.colorbar(scale, ax=axes, fraction=0.046, pad=0.04)
    bar.set_label(unit or "dimensionless", fontsize=8)
    figure.savefig(path, format="png", bbox_inches="tight")
