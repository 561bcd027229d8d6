"""The static calibrations of ``muse_scipost``: response, extinction and filter curves.

- STD_RESPONSE: a binary table with ``lambda`` (Å) and ``response``, ESO's
  ``2.5 log10((count/s/Angstrom)/(erg/s/cm**2/Angstrom))``;
- EXTINCT_TABLE: ``LAMBDA`` (Å) and ``EXTINCTION`` (mag per airmass);
- FILTER_LIST: one binary table per filter, named by EXTNAME, with ``lambda`` (Å) and
  ``throughput``. Without a FILTER_LIST only the built-in ``white`` filter exists
  (throughput 1 over the whole cube), as in ESO's pipeline.

Column names are matched without regard to case. Each reader raises :class:`RecipeError`
naming the file and the column or extension.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits

from common.errors import RecipeError

__all__ = [
    "FLUX_UNIT",
    "FLUX_UNIT_SQUARED",
    "WHITE",
    "airmass",
    "calibration_factor",
    "read_curve",
    "read_filters",
]

# ESO writes 10**(-20)*erg/s/cm**2/Angstrom; its several slashes make astropy's generic
# parser (which mpdaf uses) warn, so the same unit is spelt with one slash
FLUX_UNIT = "10**(-20)*erg/(s*cm**2*Angstrom)"
FLUX_UNIT_SQUARED = "10**(-40)*erg**2/(s**2*cm**4*Angstrom**2)"
FLUX_SCALE = 1e20
WHITE = "white"
_WHITE_CURVE = (np.array([0.0, 1e5]), np.array([1.0, 1.0]))


def _columns(path: Path, hdu: fits.BinTableHDU, names: tuple[str, str]) -> tuple[np.ndarray,
                                                                                 np.ndarray]:
    known = {name.lower(): name for name in hdu.columns.names}
    result = []
    for wanted in names:
        if wanted.lower() not in known:
            raise RecipeError(f"{path}: extension {hdu.name or 1}: expected a column "
                              f"'{wanted}', found {', '.join(hdu.columns.names) or 'none'}")
        result.append(np.asarray(hdu.data[known[wanted.lower()]], dtype=np.float64).ravel())
    wave, value = result
    good = np.isfinite(wave) & np.isfinite(value)
    if np.count_nonzero(good) < 2:
        raise RecipeError(f"{path}: extension {hdu.name or 1}: expected at least 2 finite "
                          f"rows of {names[0]}/{names[1]}, found {np.count_nonzero(good)}")
    order = np.argsort(wave[good])
    return wave[good][order], value[good][order]


def read_curve(path: Path | str, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """The ``(wavelength, value)`` columns ``names`` of the first table of ``path``."""
    path = Path(path)
    try:
        with fits.open(path) as hdul:
            tables = [hdu for hdu in hdul if isinstance(hdu, fits.BinTableHDU)]
            if not tables:
                raise RecipeError(f"{path}: expected a binary table, found none")
            return _columns(path, tables[0], names)
    except OSError as error:
        raise RecipeError(f"{path}: cannot read the table ({error})") from None


def read_filters(path: Path | str | None, names: list[str]) -> dict[str, tuple[np.ndarray,
                                                                              np.ndarray]]:
    """The curves of the filters ``names`` from FILTER_LIST ``path`` (``white`` built in)."""
    curves = {}
    hdul = None
    try:
        if path is not None:
            try:
                hdul = fits.open(path)
            except OSError as error:
                raise RecipeError(f"{path}: cannot read the filter list ({error})") from None
        for name in names:
            if hdul is not None and name in hdul:
                curves[name] = _columns(Path(path), hdul[name], ("lambda", "throughput"))
            elif name == WHITE:
                curves[name] = _WHITE_CURVE
            else:
                where = f"FILTER_LIST {path}" if path is not None else "no FILTER_LIST given"
                known = [hdu.name for hdu in hdul[1:]] if hdul is not None else [WHITE]
                raise RecipeError(f"filter '{name}': not found ({where}); expected one of "
                                  f"{', '.join(known[:20])}")
    finally:
        if hdul is not None:
            hdul.close()
    return curves


def airmass(header: fits.Header, path: Path) -> float:
    """The mean of ``ESO TEL AIRM START`` and ``END`` of a pixel-table header."""
    values = []
    for key in ("HIERARCH ESO TEL AIRM START", "HIERARCH ESO TEL AIRM END"):
        value = header.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 1.0:
            raise RecipeError(f"{path}: keyword '{key[9:]}': expected an airmass >= 1 for the "
                              f"extinction correction, found {value!r}")
        values.append(float(value))
    return sum(values) / 2


def calibration_factor(wavelengths: np.ndarray, *, exptime: float, dispersion: float,
                       response: tuple[np.ndarray, np.ndarray] | None,
                       extinction: tuple[np.ndarray, np.ndarray] | None,
                       airmass_value: float) -> np.ndarray:
    """The factor from count per pixel to 10⁻²⁰ erg/s/cm²/Å at ``wavelengths`` (Å).

    ``10²⁰ · 10^(0.4 (k X − r)) / (EXPTIME · Δλ)``; without a response the factor is 1
    (the cube stays in count).
    """
    if response is None:
        return np.ones_like(wavelengths, dtype=np.float64)
    magnitudes = -np.interp(wavelengths, *response)
    if extinction is not None:
        magnitudes = magnitudes + airmass_value * np.interp(wavelengths, *extinction)
    return FLUX_SCALE * 10.0 ** (0.4 * magnitudes) / (exptime * dispersion)
