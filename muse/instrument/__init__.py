"""Raw-data simulator of the MUSE instrument with a recorded truth; imports no recipe code.

- :mod:`muse.instrument.model`: the instrument drawn from a seed (ports, hot columns, slices,
  lamp) and the noise-free images it produces.
- :mod:`muse.instrument.exposures`, :mod:`~muse.instrument.headers`: when frames are taken and
  the ESO keywords they carry.
- :mod:`muse.instrument.rawfile`: the streaming, atomic raw-file writer.
- :mod:`muse.instrument.truth`: the non-FITS truth sidecar and the one truth-to-pixels formula.
- :mod:`muse.instrument.night`: :func:`simulate_night`, used by ``awe simulate night``.

- :mod:`muse.instrument.dispersion`, :mod:`~muse.instrument.arcs`,
  :mod:`~muse.instrument.science`, :mod:`~muse.instrument.light`: the true wavelength of every
  pixel, the arc lamps, the science scene, and which light each frame sees.
- :mod:`muse.instrument.statics`: the static calibration tables ESO ships.

Left out: dark, twilight, pinhole-mask and standard-star exposures.
"""

from muse.instrument.model import InstrumentModel, amplified_noise
from muse.instrument.night import SimulatedNight, simulate_night
from muse.instrument.truth import FrameTruth, NightTruth

__all__ = ["FrameTruth", "InstrumentModel", "NightTruth", "SimulatedNight", "amplified_noise",
           "simulate_night"]
