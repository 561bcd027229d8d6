"""The spectra behind the simulated light: arc-lamp lines, atmosphere, response and filters.

These are the simulator's physics, shared by the raw frames it renders and the static
calibration tables it writes (:mod:`muse.instrument.statics`), so a recipe calibrating with
the tables undoes exactly what the frames were made with.

- :func:`line_catalog`: the arc lines of the Ne, Xe and HgCd lamps. The real catalogue comes
  with ESO's calibration kit; this one is synthetic, deterministic per geometry, and keeps lines
  at least 3.5 line FWHM apart (≈ 77 Å in the small geometry, ≈ 9 Å at full size), as
  ``docs/small-geometry.md`` asks, inside the rows every slice sees.
- :func:`extinction`: Paranal's extinction curve (mag per airmass), a smooth model.
- :func:`response`: the instrument + telescope response, ``2.5 log10`` of counts/s/Å per
  erg/s/cm²/Å, ESO's STD_RESPONSE unit.
- :data:`FILTERS`: filter curves (``white`` and three broad bands) as ``(λ, throughput)``.
- :data:`SKY_LINES`: bright night-sky emission lines (air Å, 10⁻²⁰ erg/s/cm² per spaxel).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from muse.layout import Geometry

__all__ = [
    "ARC_LAMPS",
    "ARC_LINE_RATE",
    "FILTERS",
    "SKY_LINES",
    "ArcLine",
    "extinction",
    "line_catalog",
    "response",
]

# lamp number (ESO INS LAMPn) → the ions its lines come from (LINE_CATALOG 'ion')
ARC_LAMPS: Mapping[int, tuple[str, ...]] = MappingProxyType({3: ("NeI",), 4: ("XeI",),
                                                             5: ("HgI", "CdI")})
# electrons per second that a line of catalogue flux 1 gives one slice column (throughput 1)
ARC_LINE_RATE = 5000.0
_CATALOG_SEED = 20140131
_SEPARATION_FWHM = 3.5
_EDGE_PX = 9
_LINES = {"small": 60, "full": 150}
_ION_ORDER = ("NeI", "XeI", "HgI", "NeI", "XeI", "CdI")
_CATALOGS: dict[tuple[object, ...], tuple[ArcLine, ...]] = {}


@dataclass(frozen=True)
class ArcLine:
    """One catalogue line: air wavelength (Å), relative flux, ion, ESO quality (0 unused)."""

    wavelength: float
    flux: float
    ion: str
    quality: int

    @property
    def lamp(self) -> int:
        """The lamp (``ESO INS LAMPn``) whose spectrum has this line."""
        return next(lamp for lamp, ions in ARC_LAMPS.items() if self.ion in ions)


def line_catalog(geometry: Geometry) -> tuple[ArcLine, ...]:
    """The arc lines of ``geometry``, sorted by wavelength (the same on every call).

    Wavelengths are rounded to float32 (ESO's column type) so the table is the truth. About
    one line in twelve has quality 5 (a FWHM reference), one in fifteen quality 0 (in the lamp
    but not to be used).
    """
    key = (geometry.name, geometry.wavelength_range, geometry.spectral)
    if key not in _CATALOGS:
        _CATALOGS[key] = _draw_catalog(geometry)
    return _CATALOGS[key]


def _draw_catalog(geometry: Geometry) -> tuple[ArcLine, ...]:
    low, high = geometry.wavelength_range
    margin = _EDGE_PX * geometry.spectral.dispersion
    separation = _SEPARATION_FWHM * geometry.spectral.line_fwhm_angstrom
    rng = np.random.default_rng([_CATALOG_SEED, *geometry.name.encode()])
    wanted = _LINES.get(geometry.name, 60)
    chosen: list[float] = []
    for candidate in rng.uniform(low + margin, high - margin, size=50 * wanted):
        if all(abs(candidate - other) >= separation for other in chosen):
            chosen.append(float(candidate))
            if len(chosen) == wanted:
                break
    chosen.sort()
    fluxes = np.exp(rng.uniform(np.log(0.15), 0.0, size=len(chosen)))
    lines = []
    for index, wavelength in enumerate(chosen):
        quality = 0 if index % 15 == 7 else 5 if index % 12 == 3 else 1
        lines.append(ArcLine(wavelength=float(np.float32(wavelength)),
                             flux=float(np.float32(fluxes[index])),
                             ion=_ION_ORDER[int(rng.integers(len(_ION_ORDER)))],
                             quality=quality))
    return tuple(lines)


def extinction(wavelength: np.ndarray) -> np.ndarray:
    """Atmospheric extinction (mag per airmass) at ``wavelength`` (Å): Rayleigh + aerosols."""
    micron = np.asarray(wavelength, dtype=np.float64) / 1e4
    return 0.0088 * micron**-4.05 + 0.013 * micron**-1.3 + 0.004


def response(wavelength: np.ndarray) -> np.ndarray:
    """Response (``2.5 log10`` of counts/s/Å per erg/s/cm²/Å) at ``wavelength`` (Å).

    An 8.2 m telescope times a throughput peaking at 35 % near 7000 Å, falling to the blue
    and the red.
    """
    wavelength = np.asarray(wavelength, dtype=np.float64)
    area_cm2 = np.pi * 410.0**2
    photon_erg = 6.62607015e-27 * 2.99792458e18 / wavelength
    throughput = 0.35 * np.exp(-0.5 * ((wavelength - 7000.0) / 2600.0) ** 2)
    return 2.5 * np.log10(area_cm2 * throughput / photon_erg)


def _band(low: float, high: float, edge: float, peak: float) -> tuple[np.ndarray, np.ndarray]:
    wavelength = np.arange(low - 3 * edge, high + 3 * edge + 1, 5.0)
    rise = 1 / (1 + np.exp(-(wavelength - low) / (edge / 4)))
    fall = 1 / (1 + np.exp((wavelength - high) / (edge / 4)))
    return wavelength, np.round(peak * rise * fall, 5)


FILTERS: Mapping[str, tuple[np.ndarray, np.ndarray]] = MappingProxyType({
    "white": (np.array([4650.0, 4750.0, 9350.0, 9351.0]), np.array([0.0, 1.0, 1.0, 0.0])),
    "Johnson_V": _band(4950.0, 5950.0, 120.0, 0.9),
    "Cousins_R": _band(5700.0, 7200.0, 150.0, 0.9),
    "Cousins_I": _band(7300.0, 8800.0, 150.0, 0.9),
})

SKY_LINES: tuple[tuple[float, float], ...] = (
    (5577.339, 4000.0), (5889.950, 900.0), (5895.924, 600.0), (6300.304, 1500.0),
    (6363.776, 500.0), (6863.955, 400.0), (7276.405, 300.0), (7316.282, 500.0),
    (7340.885, 500.0), (7750.640, 500.0), (7794.112, 600.0), (7913.708, 500.0),
    (7993.332, 700.0), (8344.602, 1100.0), (8399.170, 900.0), (8430.174, 900.0),
    (8761.314, 800.0), (8827.096, 1400.0), (8885.850, 1100.0), (8919.533, 700.0),
    (8958.085, 1200.0), (9001.361, 1000.0), (9313.973, 1300.0), (9375.977, 1500.0),
)
