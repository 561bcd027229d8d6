"""The simulated instrument: what each CCD adds to the light, drawn once from a seed.

An :class:`InstrumentModel` holds, per IFU, the four read-out ports (bias level, data-to-overscan
offset, readout drift, gradient, gain, read noise), hot columns and the 48 slices (edge
polynomials, throughput, illumination slope), plus the flat-field lamp. The same seed gives
the same instrument, whichever night is simulated, as on the real telescope; nights differ in
their noise. The model is plain data (:meth:`InstrumentModel.to_dict` round-trips through JSON
exactly) and computes the noise-free images the simulator draws from, so the truth a test
compares with is the one the pixels were made from.

Units: adu for levels, e⁻/adu for gains, e⁻ for read noise, e⁻/s for the lamp. Positions are
trimmed 1-based FITS coordinates (``muse.layout``); traces are polynomials in trimmed y,
coefficients in ascending powers, as in ESO's TRACE_TABLE.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.polynomial import polynomial as P
from scipy.special import ndtr

from muse.layout import (
    GEOMETRIES,
    N_IFUS,
    N_PORTS,
    DetectorGeometry,
    Geometry,
    extname,
)

__all__ = [
    "PIXEL_RESPONSE_SIGMA",
    "HotColumn",
    "IfuModel",
    "InstrumentModel",
    "LampModel",
    "PortModel",
    "SliceModel",
    "amplified_noise",
    "pixel_box_profile",
]

PIXEL_RESPONSE_SIGMA = 0.01
_STREAM_MODEL = 0
_STREAM_PIXEL_RESPONSE = 1


@dataclass(frozen=True)
class PortModel:
    """One read-out port: its bias, its conversion and its noise.

    The raw value of a data pixel without light is ``overscan_level + data_offset + drift +
    gradient`` (plus a hot column); pre- and overscan pixels carry ``overscan_level + drift``.
    ``drift`` is ``drift[0] (τ - m1) + drift[1] (τ² - m2)`` with τ the readout-row fraction
    (0 at the row next to the port's output, 1 at the centre line) and ``m1``, ``m2`` the means
    of τ and τ² over the data rows, so it averages to zero over the data. The gradient is
    ``slope_x (x - x̄) + slope_y (y - ȳ)`` over the port's data (trimmed coordinates), also of
    mean zero. ``header_ron`` is the nominal value written to ``ESO DET OUTn RON``; the noise
    drawn is ``ron``.
    """

    port: int
    overscan_level: float
    data_offset: float
    gain: float
    ron: float
    header_ron: float
    drift: tuple[float, float]
    slope_x: float
    slope_y: float

    @property
    def bias_level(self) -> float:
        """Mean raw level (adu) of the port's data section without light and hot columns."""
        return self.overscan_level + self.data_offset

    @property
    def ron_adu(self) -> float:
        """Read noise in adu."""
        return self.ron / self.gain


@dataclass(frozen=True)
class HotColumn:
    """A hot column: ``excess`` adu added to trimmed column ``x`` over rows ``y_first..y_last``.

    The defect sits at the row nearest the port's output and charge picks up its excess on
    the way, so the affected rows run from the defect to the port's edge at the CCD centre line.
    """

    port: int
    x: int
    y_first: int
    y_last: int
    excess: float


@dataclass(frozen=True)
class SliceModel:
    """One slice on the CCD: edge polynomials in trimmed y and its relative light.

    ``left`` and ``right`` are the edges of the light (coefficients in ascending powers of
    trimmed 1-based y); the centre is their mean. ``throughput`` scales the whole slice;
    across the slice the light falls symmetrically by ``illumination_bow`` towards the edges
    (``1 - bow ((x - centre) / half width)²``), so the centre is where the light is centred.
    """

    slice_no: int
    left: tuple[float, ...]
    right: tuple[float, ...]
    throughput: float
    illumination_bow: float

    def left_edge(self, y: np.ndarray | float) -> np.ndarray:
        """Left edge x at trimmed row(s) ``y``."""
        return P.polyval(y, self.left)

    def right_edge(self, y: np.ndarray | float) -> np.ndarray:
        """Right edge x at trimmed row(s) ``y``."""
        return P.polyval(y, self.right)

    def centre(self, y: np.ndarray | float) -> np.ndarray:
        """Centre x (mean of the edges) at trimmed row(s) ``y``."""
        return P.polyval(y, self.centre_coefficients)

    def width(self, y: np.ndarray | float) -> np.ndarray:
        """Width (right minus left edge) at trimmed row(s) ``y``."""
        return self.right_edge(y) - self.left_edge(y)

    @property
    def centre_coefficients(self) -> tuple[float, ...]:
        """Coefficients of the centre polynomial, ascending powers of trimmed y."""
        return tuple(float(c) for c in P.polyadd(self.left, self.right) / 2)


@dataclass(frozen=True)
class LampModel:
    """The continuum (flat-field) lamp as seen through the instrument.

    Electrons per second per pixel at the peak of the spectrum, slice throughput 1, before the
    pixel response; the spectral shape is ``floor + (1 - floor) exp(-((λ - centre)/sigma)²/2)``
    times the fall-off toward both ends of the CCD that real MUSE flats show,
    ``Φ((λ - blue_edge)/blue_width) Φ((red_edge - λ)/red_width)`` (Φ the normal CDF; the
    defaults, for truths recorded without it, leave the shape as it is).
    """

    rate: float
    floor: float
    centre: float
    sigma: float
    blue_edge: float = -1e6
    blue_width: float = 1.0
    red_edge: float = 1e6
    red_width: float = 1.0

    def spectrum(self, wavelength: np.ndarray) -> np.ndarray:
        """Relative lamp spectrum (peak 1 before the fall-off) at ``wavelength`` (Å)."""
        shape = np.exp(-0.5 * ((wavelength - self.centre) / self.sigma) ** 2)
        falloff = (ndtr((wavelength - self.blue_edge) / self.blue_width)
                   * ndtr((self.red_edge - wavelength) / self.red_width))
        return (self.floor + (1.0 - self.floor) * shape) * falloff


@dataclass(frozen=True)
class IfuModel:
    """One IFU: its CCD's ports and hot columns, and the 48 slices imaged on it."""

    ifu: int
    chip_name: str
    chip_id: str
    throughput: float
    ports: tuple[PortModel, ...]
    hot_columns: tuple[HotColumn, ...]
    slices: tuple[SliceModel, ...]

    @property
    def extname(self) -> str:
        """``CHANnn`` of this IFU."""
        return extname(self.ifu)

    def port(self, port: int) -> PortModel:
        """The model of port ``port`` (1–4)."""
        return self.ports[port - 1]

    def slice(self, slice_no: int) -> SliceModel:
        """The model of slice ``slice_no`` (1–48)."""
        return self.slices[slice_no - 1]

    def master_bias(self, detector: DetectorGeometry) -> np.ndarray:
        """The noise-free bias left after overscan subtraction (trimmed, adu, float32).

        Per port ``data_offset`` plus the gradient plus hot columns: the overscan carries the
        level and the readout drift, so an overscan-corrected master bias converges to this.
        """
        trimmed = np.zeros((detector.trimmed_ny, detector.trimmed_nx), dtype=np.float32)
        for model in self.ports:
            window = detector.trimmed_window(model.port)
            trimmed[window] = model.data_offset + _gradient(detector, model)
        for column in self.hot_columns:
            trimmed[column.y_first - 1:column.y_last, column.x - 1] += column.excess
        return trimmed

    def bias_image(self, detector: DetectorGeometry) -> np.ndarray:
        """The noise-free raw bias image of this IFU (adu, float32, raw shape)."""
        raw = np.empty((detector.raw_ny, detector.raw_nx), dtype=np.float32)
        for model in self.ports:
            y, x = detector.quadrant(model.port)
            raw[y, x] = model.overscan_level + _drift(detector, model)[:, None]
        master = self.master_bias(detector)
        for model in self.ports:
            raw[detector.data_window(model.port)] += master[detector.trimmed_window(model.port)]
        return raw

    def illumination(self, geometry: Geometry) -> np.ndarray:
        """Relative light of the 48 slices on the trimmed CCD (float64, 1 on a plateau).

        The sum over slices of the blurred, pixel-integrated top hat between the edges, times
        slice throughput and the illumination bow across the slice; without lamp spectrum,
        IFU throughput and pixel response.
        """
        detector, layout = geometry.detector, geometry.slices
        ny, nx = detector.trimmed_ny, detector.trimmed_nx
        y = np.arange(1, ny + 1, dtype=np.float64)
        light = np.zeros((ny, nx))
        reach = 5 * layout.edge_sigma_px + 1
        for model in self.slices:
            left, right = model.left_edge(y), model.right_edge(y)
            first = max(1, int(np.floor(left.min() - reach)))
            last = min(nx, int(np.ceil(right.max() + reach)))
            profile = pixel_box_profile(first, last, left[:, None], right[:, None],
                                        layout.edge_sigma_px)
            x = np.arange(first, last + 1, dtype=np.float64)[None, :]
            centre = (left + right)[:, None] / 2
            half_width = (right - left)[:, None] / 2
            across = 1.0 - model.illumination_bow * ((x - centre) / half_width) ** 2
            light[:, first - 1:last] += model.throughput * profile * across
        return light


def amplified_noise(data: np.ndarray, factor: float) -> np.ndarray:
    """A raw chip as a noisier detector reads it (engineering frames, QC tests).

    Deviations from the median are ``factor`` times larger; the median stays; the result is
    clipped to the 16-bit range.
    """
    values = np.asarray(data, dtype=np.float64)
    level = np.median(values)
    return np.clip(level + factor * (values - level), 0, 65535).astype(np.uint16)


def pixel_box_profile(first: int, last: int, left: np.ndarray | float,
                      right: np.ndarray | float, sigma: float) -> np.ndarray:
    """Mean over each pixel ``first..last`` of a unit top hat ``[left, right]`` blurred by σ.

    Pixel ``x`` covers ``[x - ½, x + ½]``; ``left`` and ``right`` broadcast against the pixel
    axis (the last one). At an isolated edge the value is ½ where the pixel centre sits on the
    edge, so half-light edges are the truth for edge finders.
    """
    return _pixel_step(first, last, left, sigma) - _pixel_step(first, last, right, sigma)


def _pixel_step(first: int, last: int, edge: np.ndarray | float, sigma: float) -> np.ndarray:
    """Mean over each pixel of the blurred step ``Φ((u - edge)/σ)``.

    Exact: its integral up to ``u`` is ``σ G((u - edge)/σ)`` with ``G(t) = t Φ(t) + φ(t)``,
    evaluated once per pixel boundary, and only within 8σ of the edge: beyond, the pixel
    mean is 0 or 1 to double precision.
    """
    edge = np.asarray(edge, dtype=np.float64)
    step = np.zeros(np.broadcast_shapes(edge.shape, (last - first + 1,)))
    reach = 8 * sigma + 1
    low = max(first, int(np.floor(edge.min() - reach)))
    high = min(last, int(np.ceil(edge.max() + reach)))
    step[..., max(high + 1, first) - first:] = 1.0
    if low <= high:
        boundaries = np.arange(low, high + 2, dtype=np.float64) - 0.5
        step[..., low - first:high - first + 1] = sigma * np.diff(
            _g((boundaries - edge) / sigma), axis=-1)
    return step


def _g(t: np.ndarray) -> np.ndarray:
    return t * ndtr(t) + np.exp(-0.5 * t * t) / np.sqrt(2 * np.pi)


def _readout_fraction(detector: DetectorGeometry, port: int) -> tuple[np.ndarray, slice]:
    """τ for every row of the port's quadrant (bottom to top) and the data rows within it."""
    rows = detector.raw_ny // 2
    tau = np.arange(rows, dtype=np.float64) / (rows - 1)
    if detector.is_top(port):
        tau = tau[::-1]
        data = slice(detector.ovscy, detector.ovscy + detector.ny)
    else:
        data = slice(detector.prscy, detector.prscy + detector.ny)
    return tau, data


def _drift(detector: DetectorGeometry, model: PortModel) -> np.ndarray:
    tau, data = _readout_fraction(detector, model.port)
    linear = tau - tau[data].mean()
    square = tau**2 - (tau[data] ** 2).mean()
    return model.drift[0] * linear + model.drift[1] * square


def _gradient(detector: DetectorGeometry, model: PortModel) -> np.ndarray:
    x = np.arange(detector.nx) - (detector.nx - 1) / 2
    y = np.arange(detector.ny) - (detector.ny - 1) / 2
    return model.slope_y * y[:, None] + model.slope_x * x[None, :]


@dataclass(frozen=True)
class InstrumentModel:
    """The whole simulated instrument of one geometry and seed."""

    geometry: Geometry
    seed: int
    lamp: LampModel
    ifus: tuple[IfuModel, ...]

    def ifu(self, ifu: int) -> IfuModel:
        """The model of IFU ``ifu`` (1–24)."""
        if not 1 <= ifu <= len(self.ifus):
            raise ValueError(f"IFU number: expected 1-{len(self.ifus)}, found {ifu!r}")
        return self.ifus[ifu - 1]

    @classmethod
    def build(cls, geometry: Geometry, seed: int) -> InstrumentModel:
        """Draw the instrument of ``geometry`` from ``seed`` (a non-negative integer)."""
        _check_seed(seed)
        lamp = LampModel(rate=2500.0, floor=0.35, centre=6800.0, sigma=1700.0,
                         blue_edge=4550.0, blue_width=100.0, red_edge=9760.0, red_width=100.0)
        ifus = tuple(_draw_ifu(geometry, seed, ifu) for ifu in range(1, geometry.n_ifus + 1))
        return cls(geometry=geometry, seed=seed, lamp=lamp, ifus=ifus)

    def pixel_response(self, ifu: int) -> np.ndarray:
        """The pixel-to-pixel response of IFU ``ifu`` (trimmed, float32, mean ≈ 1)."""
        self.ifu(ifu)
        detector = self.geometry.detector
        rng = np.random.default_rng([self.seed, _STREAM_PIXEL_RESPONSE, ifu])
        response = rng.standard_normal((detector.trimmed_ny, detector.trimmed_nx),
                                       dtype=np.float32)
        response *= PIXEL_RESPONSE_SIGMA
        response += 1.0
        return response

    def flat_rate(self, ifu: int, pixel_response: np.ndarray | None = None) -> np.ndarray:
        """Electrons per second the flat lamp gives each trimmed pixel of IFU ``ifu`` (float32).

        ``pixel_response`` defaults to :meth:`pixel_response`; the truth passes the stored map.
        """
        model = self.ifu(ifu)
        geometry = self.geometry
        if pixel_response is None:
            pixel_response = self.pixel_response(ifu)
        y = np.arange(1, geometry.detector.trimmed_ny + 1, dtype=np.float64)
        wavelength = geometry.spectral.lambda_first_row + geometry.spectral.dispersion * (y - 1)
        rate = model.illumination(geometry)
        rate *= (self.lamp.rate * model.throughput * self.lamp.spectrum(wavelength))[:, None]
        rate *= pixel_response
        np.maximum(rate, 0.0, out=rate)
        return rate.astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready); :meth:`from_dict` rebuilds an equal model."""
        return {
            "geometry": self.geometry.name,
            "seed": self.seed,
            "lamp": asdict(self.lamp),
            "ifus": [
                {
                    "ifu": model.ifu,
                    "extname": model.extname,
                    "chip_name": model.chip_name,
                    "chip_id": model.chip_id,
                    "throughput": model.throughput,
                    "ports": [{**asdict(port), "bias_level": port.bias_level}
                              for port in model.ports],
                    "hot_columns": [asdict(column) for column in model.hot_columns],
                    "slices": [{**asdict(s), "centre": list(s.centre_coefficients)}
                               for s in model.slices],
                }
                for model in self.ifus
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InstrumentModel:
        """Rebuild the model written by :meth:`to_dict` (derived entries are ignored)."""
        geometry = GEOMETRIES[data["geometry"]]
        ifus = tuple(
            IfuModel(
                ifu=item["ifu"], chip_name=item["chip_name"], chip_id=item["chip_id"],
                throughput=item["throughput"],
                ports=tuple(PortModel(**{**_without(port, "bias_level"),
                                         "drift": tuple(port["drift"])})
                            for port in item["ports"]),
                hot_columns=tuple(HotColumn(**column) for column in item["hot_columns"]),
                slices=tuple(SliceModel(**{**_without(s, "centre"), "left": tuple(s["left"]),
                                           "right": tuple(s["right"])})
                             for s in item["slices"]),
            )
            for item in data["ifus"]
        )
        return cls(geometry=geometry, seed=data["seed"], lamp=LampModel(**data["lamp"]),
                   ifus=ifus)


def _without(mapping: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if key not in keys}


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, found {seed!r}")


def _draw_ifu(geometry: Geometry, seed: int, ifu: int) -> IfuModel:
    if not 1 <= ifu <= N_IFUS:
        raise ValueError(f"IFU number: expected 1-{N_IFUS}, found {ifu!r}")
    rng = np.random.default_rng([seed, _STREAM_MODEL, ifu])
    detector = geometry.detector
    ports = tuple(_draw_port(rng, detector, port) for port in range(1, N_PORTS + 1))
    hot_columns = tuple(_draw_hot_column(rng, detector) for _ in range(rng.integers(1, 4)))
    return IfuModel(
        ifu=ifu,
        chip_name=f"MUSE-CCD{ifu:02d}",
        chip_id=f"ESO-CCD-#{230 + ifu}",
        throughput=float(rng.uniform(0.9, 1.1)),
        ports=ports,
        hot_columns=tuple(sorted(hot_columns, key=lambda column: column.x)),
        slices=_draw_slices(rng, geometry),
    )


def _draw_port(rng: np.random.Generator, detector: DetectorGeometry, port: int) -> PortModel:
    ron = float(rng.uniform(2.6, 3.3))
    return PortModel(
        port=port,
        overscan_level=float(rng.uniform(980.0, 1120.0)),
        data_offset=float(rng.uniform(-2.0, 3.0)),
        gain=round(float(rng.uniform(1.0, 1.25)), 4),
        ron=ron,
        header_ron=round(ron * float(rng.uniform(0.92, 1.08)), 2),
        drift=(float(rng.uniform(-2.0, 2.0)), float(rng.uniform(-1.0, 1.0))),
        slope_x=float(rng.uniform(-1.0, 1.0)) / detector.nx,
        slope_y=float(rng.uniform(-1.0, 1.0)) / detector.ny,
    )


def _draw_hot_column(rng: np.random.Generator, detector: DetectorGeometry) -> HotColumn:
    port = int(rng.integers(1, N_PORTS + 1))
    y_window, x_window = detector.trimmed_window(port)
    x = int(rng.integers(x_window.start + 1, x_window.stop + 1))
    # The defect's distance from the output, as a fraction of the port height.
    defect = round(float(rng.uniform(0.2, 0.8)) * detector.ny)
    if detector.is_top(port):
        y_first, y_last = y_window.start + 1, y_window.stop - defect
    else:
        y_first, y_last = y_window.start + 1 + defect, y_window.stop
    return HotColumn(port=port, x=x, y_first=y_first, y_last=y_last,
                     excess=float(rng.uniform(15.0, 150.0)))


def _draw_slices(rng: np.random.Generator, geometry: Geometry) -> tuple[SliceModel, ...]:
    """Edges that tilt, bow and widen smoothly across the CCD, so neighbours bend alike."""
    layout, ny = geometry.slices, geometry.detector.trimmed_ny
    offset = float(rng.uniform(-0.05, 0.05)) * layout.pitch
    tilt = rng.uniform(-0.5, 0.5, size=2)
    bow = rng.uniform(-0.5, 0.5, size=2)
    slices = []
    for slice_no in range(1, layout.n_slices + 1):
        s = (slice_no - (layout.n_slices + 1) / 2) / ((layout.n_slices - 1) / 2)
        half_tilt = layout.tilt_px / 2 * (tilt[0] + tilt[1] * s + rng.uniform(-0.05, 0.05))
        sagitta = layout.curvature_px * (bow[0] + bow[1] * s + rng.uniform(-0.05, 0.05))
        centre = np.array([layout.centre(slice_no) + offset, half_tilt, sagitta])
        width = layout.width + layout.width_scatter_px * float(rng.standard_normal())
        widening = layout.width_scatter_px / 2 * float(rng.uniform(-1.0, 1.0))
        half = np.array([width / 2, widening / 2, 0.0])
        slices.append(SliceModel(
            slice_no=slice_no,
            left=_in_trimmed_y(centre - half, ny),
            right=_in_trimmed_y(centre + half, ny),
            throughput=float(np.clip(1.0 + 0.05 * rng.standard_normal(), 0.8, 1.2)),
            illumination_bow=float(rng.uniform(0.0, 0.02)),
        ))
    return tuple(slices)


def _in_trimmed_y(coefficients: np.ndarray, ny: int) -> tuple[float, ...]:
    """Quadratic in t = (2y - ny - 1)/(ny - 1) ∈ [-1, 1] → the same in trimmed y."""
    c0, c1, c2 = coefficients
    alpha, beta = -(ny + 1) / (ny - 1), 2 / (ny - 1)
    return (float(c0 + c1 * alpha + c2 * alpha**2), float((c1 + 2 * c2 * alpha) * beta),
            float(c2 * beta**2))
