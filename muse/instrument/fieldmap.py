"""Where each slice looks on the sky: the truth behind the GEOMETRY_TABLE.

Field positions are in spaxels of 0.2″ from the centre of the field, ``x`` along the slices,
``y`` across them. IFU ``i`` sees a strip of 12 slices (``y`` rows ``12 (i - 1)`` … ``+ 11``
from the bottom of the field); its 48 slices form 4 stacks of 12 side by side along ``x``, each
stack one nominal slice length long. CCD slice ``k`` shows sky slice :data:`SLICE_SKY`
``[k - 1]`` (stack ``(sky - 1) // 12``, row ``(sky - 1) % 12``): the CCD order zig-zags
through each stack, as the slicer's mirrors send the light. Each slice is turned by a small
angle drawn from the seed (the GEOMETRY_TABLE ``angle``, degrees).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from muse.instrument.model import InstrumentModel
from muse.layout import SLICES_PER_STACK, STACKS

__all__ = ["SLICE_SKY", "FieldMap", "SlicePlacement"]

SLICE_SKY = (9, 8, 1, 10, 7, 2, 11, 6, 3, 12, 5, 4,
             21, 20, 13, 22, 19, 14, 23, 18, 15, 24, 17, 16,
             33, 32, 25, 34, 31, 26, 35, 30, 27, 36, 29, 28,
             45, 44, 37, 46, 43, 38, 47, 42, 39, 48, 41, 40)
_STREAM_FIELD = 11
ANGLE_DEG = 0.3


@dataclass(frozen=True)
class SlicePlacement:
    """One slice on the sky: centre ``(x, y)`` and length in spaxels, angle in degrees."""

    ifu: int
    slice_ccd: int
    slice_sky: int
    x: float
    y: float
    angle: float
    length: float

    def position(self, along: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Field ``(x, y)`` of positions ``along`` the slice (slice lengths, -½ … ½)."""
        angle = np.radians(self.angle)
        offset = np.asarray(along) * self.length
        return self.x + offset * np.cos(angle), self.y + offset * np.sin(angle)


@dataclass(frozen=True)
class FieldMap:
    """The placement of every slice of one simulated instrument."""

    placements: tuple[tuple[SlicePlacement, ...], ...]

    @classmethod
    def build(cls, instrument: InstrumentModel) -> FieldMap:
        """Place the slices of ``instrument`` (angles drawn from its seed)."""
        geometry = instrument.geometry
        length = geometry.slices.width
        rows = geometry.n_ifus * SLICES_PER_STACK
        ifus = []
        for ifu in range(1, geometry.n_ifus + 1):
            rng = np.random.default_rng([instrument.seed, _STREAM_FIELD, ifu])
            angles = rng.uniform(-ANGLE_DEG, ANGLE_DEG, size=len(SLICE_SKY))
            placements = []
            for ccd, sky in enumerate(SLICE_SKY, start=1):
                stack, row = divmod(sky - 1, SLICES_PER_STACK)
                placements.append(SlicePlacement(
                    ifu=ifu, slice_ccd=ccd, slice_sky=sky,
                    x=(stack - (STACKS - 1) / 2) * length,
                    y=(ifu - 1) * SLICES_PER_STACK + row - (rows - 1) / 2,
                    angle=round(float(angles[ccd - 1]), 4), length=length))
            ifus.append(tuple(placements))
        return cls(placements=tuple(ifus))

    def placement(self, ifu: int, slice_ccd: int) -> SlicePlacement:
        """Where CCD slice ``slice_ccd`` of IFU ``ifu`` looks."""
        return self.placements[ifu - 1][slice_ccd - 1]
