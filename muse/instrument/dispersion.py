"""The true wavelength of every CCD pixel: one dispersion relation per slice, drawn from a seed.

Each slice ``k`` of IFU ``i`` maps trimmed 1-based ``(x, y)`` to an air wavelength (Å)::

    λ(x, y) = λ₁ + D (y - 1) + shift + D (quadratic t² + cubic t³) + D tilt (x - c(y)) / h

with ``λ₁``, ``D`` the geometry's nominal first-row wavelength and dispersion (Å/px),
``t = (2y - ny - 1)/(ny - 1)`` ∈ [-1, 1], ``c(y)`` the slice's true centre (its trace) and
``h`` half the nominal slice width. ``shift`` is in Å; ``quadratic``, ``cubic`` and ``tilt``
are in pixels (the row offset they cause at the CCD edge and at the slice edge). The terms
vary smoothly from slice to slice, as the spectrograph's optics make them, and a wavelength
solution of ESO's form (a polynomial of order 2 in ``x - c(y)`` and 6 in ``y``) can represent
them exactly. The model is drawn from its own random stream, so adding it changed nothing of
the instrument the bias and flat frames were drawn from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from muse.instrument.model import InstrumentModel, SliceModel

__all__ = ["DispersionModel", "SliceDispersion"]

_STREAM_DISPERSION = 10
SHIFT_PX = 1.2
QUADRATIC_PX = 0.8
CUBIC_PX = 0.3
TILT_PX = 0.25


@dataclass(frozen=True)
class SliceDispersion:
    """The dispersion relation of one slice (see the module text for the formula)."""

    slice_no: int
    shift: float
    quadratic: float
    cubic: float
    tilt: float


@dataclass(frozen=True)
class DispersionModel:
    """The wavelength of every pixel of every IFU of one simulated instrument."""

    instrument: InstrumentModel
    slices: tuple[tuple[SliceDispersion, ...], ...]

    @classmethod
    def build(cls, instrument: InstrumentModel) -> DispersionModel:
        """Draw the dispersion relations of ``instrument`` from its seed."""
        geometry = instrument.geometry
        n = geometry.slices.n_slices
        ifus = []
        for ifu in range(1, geometry.n_ifus + 1):
            rng = np.random.default_rng([instrument.seed, _STREAM_DISPERSION, ifu])
            smooth = rng.uniform(-0.5, 0.5, size=(4, 2))
            jitter = rng.uniform(-0.1, 0.1, size=(4, n))
            s = (np.arange(1, n + 1) - (n + 1) / 2) / ((n - 1) / 2)
            terms = (smooth[:, :1] + smooth[:, 1:] * s[None, :] + jitter)
            dispersion = geometry.spectral.dispersion
            ifus.append(tuple(
                SliceDispersion(slice_no=k + 1,
                                shift=float(2 * SHIFT_PX * dispersion * terms[0, k]),
                                quadratic=float(2 * QUADRATIC_PX * terms[1, k]),
                                cubic=float(2 * CUBIC_PX * terms[2, k]),
                                tilt=float(2 * TILT_PX * terms[3, k]))
                for k in range(n)))
        return cls(instrument=instrument, slices=tuple(ifus))

    def slice(self, ifu: int, slice_no: int) -> SliceDispersion:
        """The relation of slice ``slice_no`` (1–48) of IFU ``ifu`` (1–24)."""
        self.instrument.ifu(ifu)
        return self.slices[ifu - 1][slice_no - 1]

    def wavelength(self, ifu: int, slice_no: int, x: np.ndarray | float,
                   y: np.ndarray | float) -> np.ndarray:
        """True air wavelength (Å) at trimmed 1-based ``(x, y)`` (arrays broadcast)."""
        relation = self.slice(ifu, slice_no)
        trace = self.instrument.ifu(ifu).slice(slice_no)
        return _wavelength(self.instrument, relation, trace, np.asarray(x, dtype=np.float64),
                           np.asarray(y, dtype=np.float64))

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the truth sidecar."""
        spectral = self.instrument.geometry.spectral
        return {
            "formula": "lambda = lambda_first_row + dispersion (y - 1) + shift + dispersion "
                       "(quadratic t^2 + cubic t^3) + dispersion tilt (x - centre(y)) / "
                       "half_width; t = (2 y - ny - 1) / (ny - 1); x, y trimmed 1-based",
            "lambda_first_row": spectral.lambda_first_row,
            "dispersion": spectral.dispersion,
            "ny": self.instrument.geometry.detector.trimmed_ny,
            "half_width": self.instrument.geometry.slices.width / 2,
            "units": {"shift": "Angstrom", "quadratic": "pixel", "cubic": "pixel",
                      "tilt": "pixel", "centre": "the slice's centre polynomial in "
                                                 "instrument.ifus[].slices[].centre"},
            "ifus": [[asdict(relation) for relation in ifu] for ifu in self.slices],
        }

    @classmethod
    def from_dict(cls, instrument: InstrumentModel, data: Mapping[str, Any]) -> DispersionModel:
        """Rebuild the model written by :meth:`to_dict` for ``instrument``."""
        return cls(instrument=instrument, slices=tuple(
            tuple(SliceDispersion(**relation) for relation in ifu) for ifu in data["ifus"]))


def _wavelength(instrument: InstrumentModel, relation: SliceDispersion, trace: SliceModel,
                x: np.ndarray, y: np.ndarray) -> np.ndarray:
    geometry = instrument.geometry
    spectral = geometry.spectral
    ny = geometry.detector.trimmed_ny
    t = (2 * y - ny - 1) / (ny - 1)
    across = (x - trace.centre(y)) / (geometry.slices.width / 2)
    rows = (y - 1) + relation.quadratic * t**2 + relation.cubic * t**3 + relation.tilt * across
    return spectral.lambda_first_row + relation.shift + spectral.dispersion * rows
