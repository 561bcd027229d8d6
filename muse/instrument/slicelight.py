"""Light dispersed through the slices onto one CCD: the renderer arcs and science share.

Every slice images a strip of light (a spectrum per position along the slice) between its
traced edges. :func:`render_slices` walks the slices of an IFU and, for the pixels a slice
reaches, hands the caller's ``integrate`` the position along the slice and the true wavelength
at the lower and upper boundary of every pixel row; the caller returns photons per second in
each pixel (an integral over the pixel's wavelength range). The result is weighted as the flat
lamp's light is (:meth:`muse.instrument.model.IfuModel.illumination`: the blurred slice edges,
the slice throughput and the illumination bow), so arcs, flats and science frames see the
same slices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import ndtr

from muse.instrument.dispersion import DispersionModel
from muse.instrument.model import pixel_box_profile

__all__ = ["Integrator", "integrate_lines", "render_slices"]

Integrator = Callable[[int, np.ndarray, np.ndarray], np.ndarray]
"""``integrate(slice_no, along, edges)``: ``along`` (rows × columns) is the position along the
slice in slice widths (-½ … ½ between the edges), ``edges`` (rows + 1 × columns) the true
wavelengths (Å) of the pixel boundaries; returns photons per second per pixel (rows × columns,
or ``n`` × rows × columns for ``n`` light sources at once).
"""

_REACH_SIGMA = 8.0


def render_slices(dispersion: DispersionModel, ifu: int, integrate: Integrator) -> np.ndarray:
    """Photons per second in every trimmed pixel of IFU ``ifu``.

    Float64, before the IFU throughput and the pixel response; ``n`` × rows × columns if
    ``integrate`` gives ``n`` sources.
    """
    instrument = dispersion.instrument
    geometry = instrument.geometry
    detector, layout = geometry.detector, geometry.slices
    ny, nx = detector.trimmed_ny, detector.trimmed_nx
    y = np.arange(1, ny + 1, dtype=np.float64)
    boundaries = np.arange(ny + 1, dtype=np.float64) + 0.5
    light: np.ndarray | None = None
    reach = 5 * layout.edge_sigma_px + 1
    for model in instrument.ifu(ifu).slices:
        left, right = model.left_edge(y), model.right_edge(y)
        first = max(1, int(np.floor(left.min() - reach)))
        last = min(nx, int(np.ceil(right.max() + reach)))
        x = np.arange(first, last + 1, dtype=np.float64)[None, :]
        profile = pixel_box_profile(first, last, left[:, None], right[:, None],
                                    layout.edge_sigma_px)
        centre = (left + right)[:, None] / 2
        half_width = (right - left)[:, None] / 2
        across = 1.0 - model.illumination_bow * ((x - centre) / half_width) ** 2
        along = (x - centre) / (2 * half_width)
        edges = dispersion.wavelength(ifu, model.slice_no, x, boundaries[:, None])
        photons = integrate(model.slice_no, along, edges)
        if light is None:
            light = np.zeros((*photons.shape[:-2], ny, nx))
        light[..., first - 1:last] += model.throughput * profile * across * photons
    return light


def integrate_lines(edges: np.ndarray, wavelengths: Sequence[float], fluxes: Sequence[float],
                    sigma: float) -> np.ndarray:
    """Photons per pixel of Gaussian lines (``sigma`` Å) between wavelength boundaries.

    ``edges`` (rows + 1 × columns) rise along the rows; a line of flux ``F`` gives a pixel
    ``F (Φ((hi - λ)/σ) - Φ((lo - λ)/σ))``, evaluated only within 8σ of the line.
    """
    rows = edges.shape[0] - 1
    result = np.zeros((rows, edges.shape[1]))
    wavelengths = np.asarray(wavelengths, dtype=np.float64)
    if wavelengths.size == 0:
        return result
    middle = edges[:, edges.shape[1] // 2]
    low = np.clip(np.searchsorted(middle, wavelengths - _REACH_SIGMA * sigma) - 3, 0, rows)
    high = np.clip(np.searchsorted(middle, wavelengths + _REACH_SIGMA * sigma) + 3, 0, rows)
    # every line over a window of the same height, rows beyond its own window weighted 0
    pixels = low[:, None] + np.arange(max(int((high - low).max()), 1))[None, :]
    inside = pixels < high[:, None]
    pixels = np.minimum(pixels, rows - 1)
    boundaries = np.concatenate([pixels, pixels[:, -1:] + 1], axis=1)
    cumulative = ndtr((edges[boundaries] - wavelengths[:, None, None]) / sigma)
    light = np.diff(cumulative, axis=1) * (np.asarray(fluxes)[:, None] * inside)[:, :, None]
    np.add.at(result, pixels.ravel(), light.reshape(-1, edges.shape[1]))
    return result
