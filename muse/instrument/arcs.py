"""Arc-lamp light: the lines of one lamp (Ne, Xe or HgCd) through every slice of an IFU.

A line of catalogue flux ``F`` gives ``F × ARC_LINE_RATE`` electrons per second to a slice
column (slice throughput 1), spread as a Gaussian of the geometry's line FWHM in wavelength and
centred where the slice's true dispersion relation (:mod:`muse.instrument.dispersion`) puts the
line's wavelength. Quality-0 lines shine like the others: the lamp does not read the catalogue.
"""

from __future__ import annotations

import numpy as np

from muse.instrument.dispersion import DispersionModel
from muse.instrument.slicelight import integrate_lines, render_slices
from muse.instrument.spectra import ARC_LAMPS, ARC_LINE_RATE, line_catalog

__all__ = ["FWHM_TO_SIGMA", "arc_rates"]

FWHM_TO_SIGMA = 1 / (2 * np.sqrt(2 * np.log(2)))


def arc_rates(dispersion: DispersionModel, ifu: int,
              pixel_response: np.ndarray) -> dict[int, np.ndarray]:
    """Electrons per second per trimmed pixel of IFU ``ifu`` for each arc lamp (float32).

    The lamps are rendered in one pass over the slices (keyed by ``ESO INS LAMPn`` number).
    """
    instrument = dispersion.instrument
    geometry = instrument.geometry
    catalog = line_catalog(geometry)
    lamps = [[line for line in catalog if line.lamp == lamp] for lamp in ARC_LAMPS]
    sigma = geometry.spectral.line_fwhm_angstrom * FWHM_TO_SIGMA

    def integrate(slice_no: int, along: np.ndarray, edges: np.ndarray) -> np.ndarray:
        return np.stack([integrate_lines(edges, [line.wavelength for line in lines],
                                         [line.flux * ARC_LINE_RATE for line in lines], sigma)
                         for lines in lamps])

    rates = render_slices(dispersion, ifu, integrate)
    rates *= instrument.ifu(ifu).throughput
    rates *= pixel_response
    np.maximum(rates, 0.0, out=rates)
    return {lamp: rate.astype(np.float32) for lamp, rate in zip(ARC_LAMPS, rates, strict=True)}
