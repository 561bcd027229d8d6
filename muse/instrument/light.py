"""Which light each kind of exposure sees, and the truth sidecars that record it.

:class:`LightSources` bundles the flat lamp (in the instrument model), the arc lamps and the
true dispersion, and the science scene with the slices' places on the sky. The simulator and
:meth:`muse.instrument.truth.NightTruth.expected_raw` both ask it for the electrons per second
of a frame, so truth and pixels cannot drift apart. Beside ``night.json`` it writes::

    truth-D/wavelength.json   the dispersion relation of every slice (DispersionModel.to_dict)
                              and the arc lines (LINE_CATALOG content)
    truth-D/scene.json        the science scene (Scene.to_dict) and the slices on the sky
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

import numpy as np

from muse.instrument.arcs import arc_rates
from muse.instrument.dispersion import DispersionModel
from muse.instrument.fieldmap import FieldMap
from muse.instrument.model import InstrumentModel
from muse.instrument.science import Scene, science_rate
from muse.instrument.spectra import line_catalog

__all__ = ["LIT_KINDS", "LightSources"]

LIT_KINDS = ("FLAT", "ARC", "OBJECT")
WAVELENGTH_TRUTH = "wavelength.json"
SCENE_TRUTH = "scene.json"


@dataclass(frozen=True)
class LightSources:
    """The lamps and the sky of one simulated instrument."""

    instrument: InstrumentModel
    dispersion: DispersionModel
    field: FieldMap
    scene: Scene
    # the arc lamps of the last IFU asked for: they are rendered together
    _arcs: dict[int, dict[int, np.ndarray]] = dataclass_field(default_factory=dict,
                                                              compare=False, repr=False)

    @classmethod
    def build(cls, instrument: InstrumentModel) -> LightSources:
        """Everything drawn from the instrument's seed and geometry."""
        return cls(instrument=instrument, dispersion=DispersionModel.build(instrument),
                   field=FieldMap.build(instrument),
                   scene=Scene.default(instrument.geometry))

    @classmethod
    def load(cls, instrument: InstrumentModel, truth_directory: Path) -> LightSources:
        """The light recorded in ``truth_directory`` (the dispersion read back from JSON)."""
        path = Path(truth_directory) / WAVELENGTH_TRUTH
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: no wavelength truth (the night has no arc or "
                                    "science frame)") from None
        built = cls.build(instrument)
        return cls(instrument=instrument,
                   dispersion=DispersionModel.from_dict(instrument, data["dispersion"]),
                   field=built.field, scene=built.scene)

    def rate(self, kind: str, lamp: int | None, ifu: int,
             pixel_response: np.ndarray) -> np.ndarray | None:
        """Electrons per second per trimmed pixel of IFU ``ifu`` (None for a dark frame)."""
        if kind == "FLAT":
            return self.instrument.flat_rate(ifu, pixel_response)
        if kind == "ARC":
            if lamp is None:
                raise ValueError(f"an ARC frame of {self.instrument.ifu(ifu).extname} needs a "
                                 "lamp")
            if ifu not in self._arcs:
                self._arcs.clear()
                self._arcs[ifu] = arc_rates(self.dispersion, ifu, pixel_response)
            if lamp not in self._arcs[ifu]:
                raise ValueError(f"arc lamp: expected one of {sorted(self._arcs[ifu])}, found "
                                 f"{lamp!r}")
            return self._arcs[ifu][lamp]
        if kind == "OBJECT":
            return science_rate(self.dispersion, self.field, self.scene, ifu, pixel_response)
        return None

    def save(self, truth_directory: Path, write: Callable[[Path, bytes], object]) -> list[Path]:
        """Write the sidecars with ``write(path, bytes)`` (atomic); return their paths."""
        geometry = self.instrument.geometry
        wavelength = {
            "dispersion": self.dispersion.to_dict(),
            "line_catalog": [{**asdict(line), "lamp": line.lamp}
                             for line in line_catalog(geometry)],
        }
        scene = {**self.scene.to_dict(),
                 "slices_on_sky": [[asdict(p) for p in ifu] for ifu in self.field.placements]}
        paths = []
        for name, content in ((WAVELENGTH_TRUTH, wavelength), (SCENE_TRUTH, scene)):
            path = Path(truth_directory) / name
            write(path, json.dumps(content, indent=1).encode())
            paths.append(path)
        return paths
