"""What ``muse_wavecal`` reads and draws besides raw frames: LINE_CATALOG, TRACE_TABLE, preview.

The LINE_CATALOG follows ESO's rules (MUSE-FORMATS §8): a binary table with ``lambda``,
``flux``, ``ion`` and ``quality``, ``VERSION = 3`` in the primary header, sorted by
``lambda``; lines with quality < 1 and both lines of a pair closer than 1.5 Å are dropped.
A TRACE_TABLE is a per-IFU file (``EXTNAME = 'CHANnn'`` in the primary header, the table in
the first extension) or a merged one (the table in extension ``CHANnn``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits
from matplotlib.figure import Figure

from common.errors import RecipeError
from muse.layout import extname
from muse.recipes.frames import open_fits
from muse.recipes.trace import MAX_ORDER, SliceTrace

__all__ = ["CATALOG_VERSION", "MIN_SEPARATION", "ifu_table", "read_line_catalog",
           "read_trace_table", "read_wavecal_table", "write_residual_preview"]

CATALOG_VERSION = 3
MIN_SEPARATION = 1.5


def read_line_catalog(path: Path) -> tuple[tuple[float, str], ...]:
    """The usable lines ``(lambda, ion)`` of a LINE_CATALOG, sorted by wavelength."""
    with open_fits(path) as hdul:
        version = hdul[0].header.get("VERSION")
        if version != CATALOG_VERSION:
            raise RecipeError(f"{path}: keyword 'VERSION': expected {CATALOG_VERSION} in the "
                              f"primary header of a LINE_CATALOG, found {version!r}")
        if len(hdul) < 2 or not isinstance(hdul[1], fits.BinTableHDU):
            raise RecipeError(f"{path}: HDU 1: expected the LINE_CATALOG binary table")
        table = hdul[1].data
        names = set(table.columns.names)
        for column in ("lambda", "flux", "ion", "quality"):
            if column not in names:
                raise RecipeError(f"{path}: column '{column}': expected in the LINE_CATALOG "
                                  f"table, found columns {', '.join(sorted(names))}")
        wavelengths = np.asarray(table["lambda"], dtype=np.float64)
        ions = [str(ion).strip() for ion in table["ion"]]
        quality = np.asarray(table["quality"])
    if np.any(np.diff(wavelengths) < 0):
        raise RecipeError(f"{path}: column 'lambda': expected the lines sorted by wavelength")
    close = np.zeros(wavelengths.size, dtype=bool)
    gaps = np.diff(wavelengths) < MIN_SEPARATION
    close[:-1] |= gaps
    close[1:] |= gaps
    return tuple((float(wl), ion) for wl, ion, q, c in zip(wavelengths, ions, quality, close,
                                                             strict=True) if q >= 1 and not c)


def ifu_table(path: Path, ifu: int, catg: str) -> fits.FITS_rec:
    """The table of IFU ``ifu`` in a per-IFU or merged table product of category ``catg``."""
    name = extname(ifu)
    with open_fits(path) as hdul:
        own = hdul[0].header.get("EXTNAME")
        if own is not None and str(own).startswith("CHAN"):
            if own != name:
                raise RecipeError(f"{path}: keyword 'EXTNAME': expected '{name}' (the IFU "
                                  f"being processed), found {own!r}")
            hdu = hdul[1] if len(hdul) > 1 else None
        else:
            hdu = next((h for h in hdul[1:] if h.header.get("EXTNAME") == name), None)
        if not isinstance(hdu, fits.BinTableHDU):
            raise RecipeError(f"{path}: extension {name}: no {catg} for this IFU")
        return hdu.data.copy()


def read_trace_table(path: Path, ifu: int) -> list[SliceTrace]:
    """The 48 slice traces of IFU ``ifu`` from a per-IFU or merged TRACE_TABLE."""
    table = ifu_table(path, ifu, "TRACE_TABLE")
    try:
        traces = [SliceTrace(
            slice_no=int(row["SliceNo"]), width=float(row["Width"]),
            centre=tuple(float(row[f"tc0_{p:02d}"]) for p in range(MAX_ORDER + 1)),
            left=tuple(float(row[f"tc1_{p:02d}"]) for p in range(MAX_ORDER + 1)),
            right=tuple(float(row[f"tc2_{p:02d}"]) for p in range(MAX_ORDER + 1)),
            mse=(float(row["MSE0"]), float(row["MSE1"]), float(row["MSE2"])))
            for row in table]
    except KeyError as exc:
        raise RecipeError(f"{path}: extension {extname(ifu)}: column {exc}: expected ESO's "
                          "TRACE_TABLE columns SliceNo, Width, tc0_00..tc2_05, MSE0..2") from None
    return sorted(traces, key=lambda trace: trace.slice_no)


def read_wavecal_table(path: Path, ifu: int) -> dict[int, np.ndarray]:
    """Per slice number the ``wlc[i, j]`` coefficients of a WAVECAL_TABLE (per-IFU or merged)."""
    table = ifu_table(path, ifu, "WAVECAL_TABLE")
    names = [n for n in table.columns.names if n.startswith("wlc") and len(n) == 5]
    if "SliceNo" not in table.columns.names or not names:
        raise RecipeError(f"{path}: extension {extname(ifu)}: expected the WAVECAL_TABLE "
                          f"columns SliceNo and wlc<i><j>, found {', '.join(table.columns.names)}")
    xorder = max(int(n[3]) for n in names)
    yorder = max(int(n[4]) for n in names)
    solutions = {}
    for row in table:
        coefficients = np.zeros((xorder + 1, yorder + 1))
        for n in names:
            coefficients[int(n[3]), int(n[4])] = row[n]
        solutions[int(row["SliceNo"])] = coefficients
    return solutions


def write_residual_preview(path: Path, points: np.ndarray, *, title: str,
                           shape: tuple[int, int]) -> None:
    """A PNG of the fit residuals (Å) at the line positions on the CCD, with a colour bar.

    ``points`` rows are x, y (trimmed 1-based), residual and kept (1) or rejected (0).
    """
    x, y, residual, kept = points
    figure = Figure(figsize=(6.4, 5.6), dpi=100)
    axes = figure.add_subplot()
    good = kept > 0
    limit = float(np.percentile(np.abs(residual[good]), 99)) if good.any() else 1.0
    scatter = axes.scatter(x[good], y[good], c=residual[good], s=2, cmap="coolwarm",
                           vmin=-limit, vmax=limit, linewidths=0)
    axes.scatter(x[~good], y[~good], s=6, marker="x", color="black", linewidths=0.5,
                 label="rejected")
    axes.set_xlim(0.5, shape[1] + 0.5)
    axes.set_ylim(0.5, shape[0] + 0.5)
    axes.set_xlabel("CCD x, trimmed [pix]")
    axes.set_ylabel("CCD y, trimmed [pix]")
    axes.set_title(title, fontsize=10)
    figure.colorbar(scatter, ax=axes, label="fit - catalogue wavelength [Angstrom]")
    if (~good).any():
        axes.legend(loc="upper right", fontsize=8)
    figure.savefig(path, format="png")
