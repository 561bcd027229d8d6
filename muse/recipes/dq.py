"""Data-quality bits of MUSE products (Euro3D, MUSE-FORMATS §2); 0 means a good pixel."""

from __future__ import annotations

__all__ = [
    "COSMIC_RAY",
    "DARK_PIXEL",
    "DEAD_PIXEL",
    "HOT_PIXEL",
    "LOW_QE",
    "MISSING",
    "OTHER_BAD",
    "OUTSIDE_RANGE",
    "SATURATED",
    "TELLURIC_CORRECTED",
    "TELLURIC_UNCORRECTED",
]

TELLURIC_CORRECTED = 1
TELLURIC_UNCORRECTED = 2
COSMIC_RAY = 32
LOW_QE = 64
HOT_PIXEL = 256
DARK_PIXEL = 512
SATURATED = 4096
DEAD_PIXEL = 8192  # permanent camera defect; bad columns of the master bias
OTHER_BAD = 16384
MISSING = 1 << 30
# bit 31: the sign bit of the int32 DQ image
OUTSIDE_RANGE = -(1 << 31)
