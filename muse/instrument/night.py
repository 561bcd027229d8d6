"""Simulate a MuseWise night: raw frames in the real layout, static tables, and their truth.

The raw frames are OBJECT, BIAS, FLAT,LAMP and ARC; the static tables those ESO ships.

The files of one template are written together, IFU by IFU: for each ``CHANnn`` the noise-free
bias and lamp images are computed once and every exposure of the template draws its pixels
from them and appends its extension. Memory stays bounded by one IFU (plus one image per
open exposure at most), so the full size (≈ 860 MB per file) runs on a laptop. Every random
number comes from a stream keyed by (seed, night, template, exposure, IFU), so the same
arguments give the same bytes whatever the order of work. A night with arc or science
frames also gets the static tables (:mod:`muse.instrument.statics`) and the wavelength and
scene truth (:mod:`muse.instrument.light`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np

from common.config import Progress
from common.files import write_bytes_atomically
from muse.instrument.exposures import Exposure, plan_night
from muse.instrument.headers import extension_header, primary_header
from muse.instrument.light import LIT_KINDS, LightSources
from muse.instrument.model import InstrumentModel
from muse.instrument.rawfile import RawFileWriter
from muse.instrument.statics import write_statics
from muse.instrument.truth import (
    FrameTruth,
    NightTruth,
    digitise,
    render_raw,
    truth_directory,
    write_pixel_response,
)
from muse.layout import SATURATION_FLAG_LEVEL, SMALL, Geometry

__all__ = ["Progress", "SimulatedNight", "simulate_night"]

"""Called as ``progress(done, total, what)`` after each extension is written."""

_STREAM_FRAME = 3
_STREAM_PIXELS = 4
PORT_OFFSET_SIGMA = 0.7
LAMP_SCALE_SIGMA = 0.0005
ARC_SCALE_SIGMA = 0.002
_NEEDS_STATICS = ("ARC", "OBJECT")


@dataclass(frozen=True)
class SimulatedNight:
    """A simulated night on disk: where it is, its raw files, and a way to its truth."""

    night: date
    directory: Path
    geometry: Geometry
    seed: int
    files: Mapping[str, tuple[Path, ...]] = field(default_factory=dict)
    statics: Mapping[str, Path] = field(default_factory=dict)

    @property
    def bias_files(self) -> list[Path]:
        """The raw BIAS files in time order."""
        return list(self.files.get("BIAS", ()))

    @property
    def flat_files(self) -> list[Path]:
        """The raw FLAT,LAMP files in time order."""
        return list(self.files.get("FLAT", ()))

    @property
    def arc_files(self) -> list[Path]:
        """The raw ARC files in time order (lamps Ne, Xe, HgCd in turn)."""
        return list(self.files.get("ARC", ()))

    @property
    def object_files(self) -> list[Path]:
        """The raw OBJECT (science) files in time order."""
        return list(self.files.get("OBJECT", ()))

    @property
    def truth_directory(self) -> Path:
        """The sidecar directory ``truth-D`` beside the raw files."""
        return truth_directory(self.directory, self.night)

    def load_truth(self) -> NightTruth:
        """Read the truth written with the files."""
        return NightTruth.load(self.directory, self.night)


def simulate_night(night: date, directory: Path, *, geometry: Geometry = SMALL, seed: int = 1,
                   counts: Mapping[str, int] | None = None,
                   progress: Progress | None = None) -> SimulatedNight:
    """Write the raw files of MuseWise night ``night`` and their truth into ``directory``.

    ``counts`` gives the number of frames per kind (``OBJECT``, ``BIAS``, ``FLAT``, ``ARC``;
    default: the geometry's ``frame_counts``). Existing files of the same names are replaced
    atomically; the truth ``night.json`` is written last, after every raw file is in place.
    The pixel-response maps are stored only when some frame is lit; the static tables and the
    wavelength and scene truth only when there is an ARC or OBJECT frame.
    """
    counts = dict(geometry.frame_counts if counts is None else counts)
    exposures = plan_night(night, counts, seed)
    model = InstrumentModel.build(geometry, seed)
    light = LightSources.build(model)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    truth_directory(directory, night).mkdir(exist_ok=True)
    lit = any(exposure.kind in LIT_KINDS for exposure in exposures)
    if lit:
        for ifu in range(1, geometry.n_ifus + 1):
            write_pixel_response(directory, night, ifu, model.pixel_response(ifu))
    frames = {exposure.filename: _draw_frame(model, exposure) for exposure in exposures}
    total = len(exposures) * geometry.n_ifus
    done = 0
    saturated: dict[str, list[int]] = {name: [] for name in frames}
    for kind in dict.fromkeys(exposure.kind for exposure in exposures):
        batch = [exposure for exposure in exposures if exposure.kind == kind]
        writers = [RawFileWriter(directory / exposure.filename) for exposure in batch]
        try:
            for exposure, writer in zip(batch, writers, strict=True):
                temperature = frames[exposure.filename].temperature
                header = primary_header(exposure, temperature=temperature)
                if exposure.kind == "OBJECT":
                    light.scene.point(header)
                writer.write_primary(header)
            for ifu_model in model.ifus:
                ifu = ifu_model.ifu
                bias = ifu_model.bias_image(geometry.detector)
                response = model.pixel_response(ifu) if kind in LIT_KINDS else None
                rates: dict[int | None, np.ndarray | None] = {}
                header = extension_header(ifu_model, geometry.detector)
                for exposure, writer in zip(batch, writers, strict=True):
                    frame = frames[exposure.filename]
                    if exposure.lamp not in rates:
                        rates[exposure.lamp] = (None if response is None else light.rate(
                            kind, exposure.lamp, ifu, response))
                    rng = np.random.default_rng(_stream(model, exposure, _STREAM_PIXELS, ifu))
                    data = digitise(render_raw(model, ifu, frame, bias_image=bias,
                                               flat_rate=rates[exposure.lamp], rng=rng))
                    saturated[exposure.filename].append(
                        int(np.count_nonzero(data > SATURATION_FLAG_LEVEL)))
                    writer.write_uint16_image(header, data)
                    done += 1
                    if progress is not None:
                        progress(done, total, f"{exposure.filename} {ifu_model.extname}")
            for writer in writers:
                writer.commit()
        finally:
            for writer in writers:
                writer.abort()
    statics: dict[str, Path] = {}
    if any(exposure.kind in _NEEDS_STATICS for exposure in exposures):
        statics = write_statics(directory, night, geometry, light.field)
        light.save(truth_directory(directory, night), write_bytes_atomically)
    truth = NightTruth(night=night, directory=directory, model=model, frames=tuple(
        replace(frame, saturated=tuple(saturated[name])) for name, frame in frames.items()))
    truth.save()
    files = {kind: tuple(directory / e.filename for e in exposures if e.kind == kind)
             for kind in dict.fromkeys(e.kind for e in exposures)}
    return SimulatedNight(night=night, directory=directory, geometry=geometry, seed=seed,
                          files=files, statics=statics)


def _stream(model: InstrumentModel, exposure: Exposure, purpose: int,
            *more: int) -> list[int]:
    return [model.seed, purpose, exposure.night.toordinal(), exposure.template.number,
            exposure.expno, *more]


def _draw_frame(model: InstrumentModel, exposure: Exposure) -> FrameTruth:
    """The per-frame values: port offsets, lamp scale, IFU temperature."""
    rng = np.random.default_rng(_stream(model, exposure, _STREAM_FRAME))
    offsets = rng.normal(0.0, PORT_OFFSET_SIGMA, size=(model.geometry.n_ifus, 4))
    lit = exposure.template.lamp_on
    if exposure.kind == "ARC":
        lamp_scale = float(1.0 + ARC_SCALE_SIGMA * rng.standard_normal())
    elif exposure.kind == "OBJECT":
        lamp_scale = 1.0
    else:
        lamp_scale = float(1.0 + LAMP_SCALE_SIGMA * rng.standard_normal()) if lit else 0.0
    return FrameTruth(
        file=exposure.filename,
        kind=exposure.kind,
        dpr_type=exposure.template.dpr_type,
        date_obs=exposure.date_obs_text,
        exptime=exposure.exptime,
        lamp_scale=lamp_scale,
        temperature=round(float(11.3 + 0.05 * rng.standard_normal()), 2),
        port_offsets=tuple(tuple(float(v) for v in row) for row in offsets),
        saturated=(),
        lamp=exposure.lamp if exposure.kind == "ARC" else None,
    )
