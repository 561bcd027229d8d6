"""The truth of a simulated night: the instrument and the frames, in a non-FITS sidecar.

Layout, beside the raw files of night D in directory OUT::

    OUT/truth-D/night.json                    instrument model and per-frame values
    OUT/truth-D/pixel-response-CHANnn.npy     pixel-to-pixel response (trimmed, float32)

``night.json`` holds ``format``, ``version``, ``night``, ``geometry`` (a name in
``muse.layout.GEOMETRIES``), ``seed``, ``units``, ``instrument`` (the
:meth:`~muse.instrument.model.InstrumentModel.to_dict` form: per IFU the ports, hot columns
and slices), ``pixel_response`` (file per ``CHANnn``; empty when no frame is lit) and
``frames`` (one entry per raw file, :class:`FrameTruth`). :func:`render_raw` is the one
formula from truth to pixels; the simulator draws from it and
:meth:`NightTruth.expected_raw` evaluates it without noise.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from common.files import write_bytes_atomically
from muse.instrument.light import LightSources
from muse.instrument.model import IfuModel, InstrumentModel
from muse.layout import SATURATION, Geometry, extname

__all__ = [
    "TRUTH_FORMAT",
    "TRUTH_VERSION",
    "FrameTruth",
    "NightTruth",
    "digitise",
    "render_raw",
    "truth_directory",
    "write_pixel_response",
]

TRUTH_FORMAT = "MUSE-WISE simulator truth"
TRUTH_VERSION = 1
UNITS = {
    "overscan_level": "adu", "data_offset": "adu", "bias_level": "adu", "drift": "adu",
    "slope_x": "adu/pixel", "slope_y": "adu/pixel", "gain": "e-/adu", "ron": "e-",
    "header_ron": "e-", "excess": "adu", "lamp rate": "e-/s/pixel", "port_offsets": "adu",
    "exptime": "s", "positions": "trimmed 1-based FITS pixels", "polynomials":
    "ascending powers of trimmed 1-based y", "pixel_response": "relative, trimmed [y-1, x-1]",
}


def truth_directory(directory: Path, night: date) -> Path:
    """Where the truth of ``night`` lives under output directory ``directory``."""
    return Path(directory) / f"truth-{night.isoformat()}"


@dataclass(frozen=True)
class FrameTruth:
    """What went into one raw file beyond the instrument.

    ``port_offsets[ifu - 1][port - 1]`` (adu) shifts that port's whole quadrant in this frame;
    ``lamp_scale`` multiplies the lamp rate (0 for frames without light); ``saturated`` counts,
    per IFU, raw pixels above 65500 (ESO's saturation cut) after digitisation; ``lamp`` is the
    arc lamp (``ESO INS LAMPn``) of an ARC frame.
    """

    file: str
    kind: str
    dpr_type: str
    date_obs: str
    exptime: float
    lamp_scale: float
    temperature: float
    port_offsets: tuple[tuple[float, ...], ...]
    saturated: tuple[int, ...]
    lamp: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        data = asdict(self)
        data["port_offsets"] = [list(row) for row in self.port_offsets]
        data["saturated"] = list(self.saturated)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrameTruth:
        """Rebuild a frame written by :meth:`to_dict`."""
        return cls(**{**data, "port_offsets": tuple(tuple(row) for row in data["port_offsets"]),
                      "saturated": tuple(data["saturated"])})


def render_raw(model: InstrumentModel, ifu: int, frame: FrameTruth, *,
               bias_image: np.ndarray, flat_rate: np.ndarray | None,
               rng: np.random.Generator | None = None) -> np.ndarray:
    """The raw image of IFU ``ifu`` in ``frame`` before digitisation (adu, float64).

    Bias (with the frame's port offsets) plus, when the lamp is on, the lamp electrons
    divided by each port's gain. With ``rng`` the electrons are Poisson draws and Gaussian
    read noise is added to every pixel; without, the result is the expectation.
    """
    ifu_model = model.ifu(ifu)
    detector = model.geometry.detector
    raw = bias_image.astype(np.float64)
    for port in ifu_model.ports:
        raw[detector.quadrant(port.port)] += frame.port_offsets[ifu - 1][port.port - 1]
    if frame.lamp_scale > 0 and frame.exptime > 0:
        if flat_rate is None:
            raise ValueError(f"{frame.file}: a lit frame needs the flat rate of {extname(ifu)}")
        electrons = flat_rate.astype(np.float64) * (frame.exptime * frame.lamp_scale)
        if rng is not None:
            electrons = rng.poisson(electrons)
        for port in ifu_model.ports:
            raw[detector.data_window(port.port)] += (
                electrons[detector.trimmed_window(port.port)] / port.gain)
    if rng is not None:
        for port in ifu_model.ports:
            quadrant = raw[detector.quadrant(port.port)]
            quadrant += port.ron_adu * rng.standard_normal(quadrant.shape)
    return raw


def digitise(raw: np.ndarray) -> np.ndarray:
    """Round to the nearest adu and clip to the 16-bit range (saturation at 65535)."""
    rounded = np.rint(raw)
    np.clip(rounded, 0.0, float(SATURATION), out=rounded)
    return rounded.astype(np.uint16)


@dataclass(frozen=True)
class NightTruth:
    """The truth of one simulated night, as written beside its raw files."""

    night: date
    directory: Path
    model: InstrumentModel
    frames: tuple[FrameTruth, ...]

    @property
    def geometry(self) -> Geometry:
        """The geometry the night was simulated in."""
        return self.model.geometry

    @property
    def seed(self) -> int:
        """The seed of the instrument and the frames."""
        return self.model.seed

    @property
    def truth_directory(self) -> Path:
        """``OUT/truth-D``."""
        return truth_directory(self.directory, self.night)

    def ifu(self, ifu: int) -> IfuModel:
        """The instrument truth of IFU ``ifu``: ports, hot columns, slices."""
        return self.model.ifu(ifu)

    def frame(self, name: str | Path) -> FrameTruth:
        """The truth of raw file ``name`` (a file name or path)."""
        wanted = Path(name).name
        for frame in self.frames:
            if frame.file == wanted:
                return frame
        raise KeyError(f"{wanted}: not a frame of the simulated night {self.night} in "
                       f"{self.directory}")

    def files(self, kind: str) -> list[Path]:
        """Paths of the raw files of ``kind`` (``BIAS``, ``FLAT``) in time order."""
        return [self.directory / f.file for f in sorted(self.frames, key=lambda f: f.date_obs)
                if f.kind == kind]

    @property
    def lit(self) -> bool:
        """True when some frame saw the lamp (then the pixel responses are stored)."""
        return any(frame.lamp_scale > 0 for frame in self.frames)

    def pixel_response(self, ifu: int) -> np.ndarray:
        """The stored pixel-to-pixel response of IFU ``ifu`` (trimmed, memory-mapped)."""
        if not self.lit:
            raise ValueError(f"{self.truth_directory}: night {self.night} has no lit frame, "
                             "so no pixel response was stored")
        return np.load(self.truth_directory / _pixel_response_name(ifu), mmap_mode="r")

    def flat_rate(self, ifu: int) -> np.ndarray:
        """Lamp electrons per second per trimmed pixel of IFU ``ifu``, pixel response included."""
        return self.model.flat_rate(ifu, np.asarray(self.pixel_response(ifu)))

    def expected_master_bias(self, ifu: int) -> np.ndarray:
        """What an overscan-corrected master bias of IFU ``ifu`` converges to (trimmed, adu)."""
        return self.model.ifu(ifu).master_bias(self.geometry.detector)

    def expected_raw(self, name: str | Path, ifu: int) -> np.ndarray:
        """The noise-free raw image (adu, float64) of IFU ``ifu`` in raw file ``name``."""
        frame = self.frame(name)
        rate = None
        if frame.lamp_scale > 0 and frame.kind == "FLAT":
            rate = self.flat_rate(ifu)
        elif frame.lamp_scale > 0:
            light = LightSources.load(self.model, self.truth_directory)
            rate = light.rate(frame.kind, frame.lamp, ifu, np.asarray(self.pixel_response(ifu)))
        bias = self.model.ifu(ifu).bias_image(self.geometry.detector)
        return render_raw(self.model, ifu, frame, bias_image=bias, flat_rate=rate)

    def to_dict(self) -> dict[str, Any]:
        """The content of ``night.json``."""
        return {
            "format": TRUTH_FORMAT,
            "version": TRUTH_VERSION,
            "night": self.night.isoformat(),
            "geometry": self.geometry.name,
            "seed": self.seed,
            "units": UNITS,
            "instrument": self.model.to_dict(),
            "pixel_response": {extname(model.ifu): _pixel_response_name(model.ifu)
                               for model in self.model.ifus if self.lit},
            "frames": [frame.to_dict() for frame in self.frames],
        }

    def save(self) -> Path:
        """Write ``night.json`` atomically; return its path."""
        path = self.truth_directory / "night.json"
        content = json.dumps(self.to_dict(), indent=1).encode()
        write_bytes_atomically(path, content)
        return path

    @classmethod
    def load(cls, directory: Path, night: date) -> NightTruth:
        """Read the truth of ``night`` from output directory ``directory``."""
        path = truth_directory(directory, night) / "night.json"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: no simulator truth for night {night} in "
                                    f"{directory}") from None
        if data.get("format") != TRUTH_FORMAT or data.get("version") != TRUTH_VERSION:
            raise ValueError(f"{path}: expected format {TRUTH_FORMAT!r} version "
                             f"{TRUTH_VERSION}, found {data.get('format')!r} version "
                             f"{data.get('version')!r}")
        return cls(night=date.fromisoformat(data["night"]), directory=Path(directory),
                   model=InstrumentModel.from_dict(data["instrument"]),
                   frames=tuple(FrameTruth.from_dict(f) for f in data["frames"]))


def write_pixel_response(directory: Path, night: date, ifu: int, response: np.ndarray) -> Path:
    """Store the pixel response of IFU ``ifu`` for ``night`` atomically; return the path."""
    path = truth_directory(directory, night) / _pixel_response_name(ifu)
    write_bytes_atomically(path, lambda stream: np.save(
        stream, np.ascontiguousarray(response, dtype=np.float32)))
    return path


def _pixel_response_name(ifu: int) -> str:
    return f"pixel-response-{extname(ifu)}.npy"

