"""Raw-data simulator of the MUSE instrument with a recorded truth; imports no recipe code.

- :mod:`muse.instrument.model`: the instrument drawn from a seed (ports, hot columns, slices,
  lamp) and the noise-free images it produces.
- :mod:`muse.instrument.exposures`, :mod:`~muse.instrument.headers`: when frames are taken and
  the ESO keywords they carry.
- :mod:`muse.instrument.rawfile`: the streaming, atomic raw-file writer.
- :mod:`muse.instrument.truth`: the non-FITS truth sidecar and the one truth-to-pixels formula.
- :mod:`muse.instrument.night`: :func:`simulate_night`, used by ``awe simulate night``.

Only BIAS and FLAT,LAMP frames exist so far; arcs, science frames and the static calibrations
ESO ships come with the wavelength-calibration and science issues.
"""

from muse.instrument.model import InstrumentModel
from muse.instrument.night import SimulatedNight, simulate_night
from muse.instrument.truth import FrameTruth, NightTruth

__all__ = ["FrameTruth", "InstrumentModel", "NightTruth", "SimulatedNight", "simulate_night"]
