"""Detector and instrument constants of MUSE (MUSE-FORMATS.md sections 2 and 6).

Two geometries share every code path: :data:`FULL` (the real 4224 × 4240 raw CCD frames) and
:data:`SMALL` (the test geometry of ``docs/small-geometry.md``). They differ only in pixels per
port, pixels per slice and pixels along the dispersion; the number of IFUs, slices and ports,
the 32-px pre- and overscans, the header keywords (``ESO DET OUTn X`` = 1 or 4096, ``Y`` = 1 or
4112 even for small frames), the 0.2″ spaxels and the 4750–9350 Å cube at 1.25 Å are the same.

Conventions used throughout:

- **Raw** pixel windows are 0-based numpy slices ``[y0:y1, x0:x1]`` of one ``CHANnn`` image.
- **Trimmed** images are the four data sections put together (``2 NX × 2 NY``); positions in
  them (traces, hot columns) are 1-based FITS coordinates, a pixel ``i`` covering
  ``[i - 0.5, i + 0.5]``, like ESO's TRACE_TABLE polynomials.
- Ports are numbered 1–4 as ESO does: OUT1 bottom-left, OUT2 bottom-right, OUT3 top-right,
  OUT4 top-left.

This module imports nothing of ours (layer map, DESIGN §2); header parsing raises
``ValueError`` naming the keyword, which callers wrap into their own error with the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

__all__ = [
    "CUBE_LAMBDA_MAX",
    "CUBE_LAMBDA_MIN",
    "CUBE_LAMBDA_STEP",
    "CUBE_PLANES",
    "FULL",
    "GEOMETRIES",
    "N_IFUS",
    "N_PORTS",
    "N_SLICES",
    "OUTPUT_X_RIGHT",
    "OUTPUT_Y_TOP",
    "PORT_NAMES",
    "SATURATION",
    "SATURATION_FLAG_LEVEL",
    "SLICES_PER_STACK",
    "SMALL",
    "SPAXEL_ARCSEC",
    "STACKS",
    "DetectorGeometry",
    "Geometry",
    "SliceLayout",
    "SpectralLayout",
    "extname",
    "geometry_for_detector",
    "ifu_from_extname",
]

N_IFUS = 24
N_SLICES = 48
N_PORTS = 4
STACKS = 4
SLICES_PER_STACK = 12
PORT_NAMES = MappingProxyType({1: "E", 2: "F", 3: "G", 4: "H"})

# ESO's kMuseOutputXRight / kMuseOutputYTop: the only values ESO DET OUTn X / Y may take
# besides 1, whatever the frame size.
OUTPUT_X_RIGHT = 4096
OUTPUT_Y_TOP = 4112

SATURATION = 65535
SATURATION_FLAG_LEVEL = 65500

SPAXEL_ARCSEC = 0.2
CUBE_LAMBDA_MIN = 4750.0
CUBE_LAMBDA_MAX = 9350.0
CUBE_LAMBDA_STEP = 1.25
CUBE_PLANES = round((CUBE_LAMBDA_MAX - CUBE_LAMBDA_MIN) / CUBE_LAMBDA_STEP) + 1

_PORT_KEYWORDS = ("X", "Y", "NX", "NY", "PRSCX", "PRSCY", "OVSCX", "OVSCY")


def extname(ifu: int) -> str:
    """The raw extension name of IFU ``ifu`` (1–24): ``CHAN01`` … ``CHAN24``."""
    if not 1 <= ifu <= N_IFUS:
        raise ValueError(f"IFU number: expected 1-{N_IFUS}, found {ifu!r}")
    return f"CHAN{ifu:02d}"


def ifu_from_extname(name: str) -> int:
    """The IFU of extension ``name`` as ESO parses it: ``CHAN`` then the number (1–24)."""
    if not (isinstance(name, str) and name.startswith("CHAN") and len(name) >= 6
            and name[4:].isdigit() and 1 <= int(name[4:]) <= N_IFUS):
        raise ValueError(f"EXTNAME: expected 'CHAN01'...'CHAN24', found {name!r}")
    return int(name[4:])


@dataclass(frozen=True)
class DetectorGeometry:
    """One CCD read through four ports: data, prescan and overscan sizes per port (unbinned).

    Raw size is ``2 (PRSCX + NX + OVSCX)`` × ``2 (PRSCY + NY + OVSCY)``; along x the raw frame
    is ``[pre][data 1/4][ovsc 1/4][ovsc 2/3][data 2/3][pre]``, along y
    ``[pre][data 1/2][ovsc 1/2][ovsc 4/3][data 4/3][pre]`` (MUSE-FORMATS §6).
    """

    nx: int
    ny: int
    prscx: int = 32
    prscy: int = 32
    ovscx: int = 32
    ovscy: int = 32

    def __post_init__(self) -> None:
        for name in ("nx", "ny", "prscx", "prscy", "ovscx", "ovscy"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"detector {name}: expected a positive integer, found {value!r}")

    @property
    def raw_nx(self) -> int:
        """NAXIS1 of a raw extension."""
        return 2 * (self.prscx + self.nx + self.ovscx)

    @property
    def raw_ny(self) -> int:
        """NAXIS2 of a raw extension."""
        return 2 * (self.prscy + self.ny + self.ovscy)

    @property
    def trimmed_nx(self) -> int:
        """Width of the trimmed image (the four data sections)."""
        return 2 * self.nx

    @property
    def trimmed_ny(self) -> int:
        """Height of the trimmed image."""
        return 2 * self.ny

    @staticmethod
    def _check_port(port: int) -> None:
        if port not in (1, 2, 3, 4):
            raise ValueError(f"port: expected 1-4, found {port!r}")

    @staticmethod
    def is_right(port: int) -> bool:
        """True for the ports on the right half (OUT2, OUT3)."""
        DetectorGeometry._check_port(port)
        return port in (2, 3)

    @staticmethod
    def is_top(port: int) -> bool:
        """True for the ports on the top half (OUT3, OUT4)."""
        DetectorGeometry._check_port(port)
        return port in (3, 4)

    def output_x(self, port: int) -> int:
        """``ESO DET OUTn X``: 1 for the left ports, 4096 for the right ones (any frame size)."""
        return OUTPUT_X_RIGHT if self.is_right(port) else 1

    def output_y(self, port: int) -> int:
        """``ESO DET OUTn Y``: 1 for the bottom ports, 4112 for the top ones."""
        return OUTPUT_Y_TOP if self.is_top(port) else 1

    def _x_data(self, port: int) -> slice:
        if self.is_right(port):
            start = self.prscx + self.nx + 2 * self.ovscx
            return slice(start, start + self.nx)
        return slice(self.prscx, self.prscx + self.nx)

    def _y_data(self, port: int) -> slice:
        if self.is_top(port):
            start = self.prscy + self.ny + 2 * self.ovscy
            return slice(start, start + self.ny)
        return slice(self.prscy, self.prscy + self.ny)

    def data_window(self, port: int) -> tuple[slice, slice]:
        """Raw ``(y, x)`` slices of the data section of ``port``."""
        return self._y_data(port), self._x_data(port)

    def quadrant(self, port: int) -> tuple[slice, slice]:
        """Raw ``(y, x)`` slices of the quarter of the frame read through ``port``.

        It holds the port's data, prescans and overscans; the frame splits in halves.
        """
        half_x, half_y = self.raw_nx // 2, self.raw_ny // 2
        x = slice(half_x, self.raw_nx) if self.is_right(port) else slice(0, half_x)
        y = slice(half_y, self.raw_ny) if self.is_top(port) else slice(0, half_y)
        return y, x

    def vertical_overscan(self, port: int) -> tuple[slice, slice]:
        """Raw ``(y, x)`` slices of the ``OVSCX`` columns between data and centre line.

        They run over all rows of the port's quarter, as ESO's overscan window does before
        ``ovscignore`` is taken off.
        """
        y, _ = self.quadrant(port)
        data_x = self._x_data(port)
        if self.is_right(port):
            x = slice(data_x.start - self.ovscx, data_x.start)
        else:
            x = slice(data_x.stop, data_x.stop + self.ovscx)
        return y, x

    def horizontal_overscan(self, port: int) -> tuple[slice, slice]:
        """Raw ``(y, x)`` slices of the ``OVSCY`` rows between data and centre line."""
        data_y = self._y_data(port)
        if self.is_top(port):
            y = slice(data_y.start - self.ovscy, data_y.start)
        else:
            y = slice(data_y.stop, data_y.stop + self.ovscy)
        return y, self._x_data(port)

    def trimmed_window(self, port: int) -> tuple[slice, slice]:
        """0-based ``(y, x)`` slices of the port's data within the trimmed image."""
        x = slice(self.nx, 2 * self.nx) if self.is_right(port) else slice(0, self.nx)
        y = slice(self.ny, 2 * self.ny) if self.is_top(port) else slice(0, self.ny)
        return y, x

    def port_at(self, x: float, y: float) -> int:
        """The port whose data holds trimmed 1-based position ``(x, y)``."""
        right = x > self.nx + 0.5
        top = y > self.ny + 0.5
        return {(False, False): 1, (True, False): 2, (True, True): 3, (False, True): 4}[
            (right, top)]

    def raw_x(self, x: int) -> int:
        """Raw 1-based column of trimmed 1-based column ``x``."""
        if not 1 <= x <= self.trimmed_nx:
            raise ValueError(f"trimmed x: expected 1-{self.trimmed_nx}, found {x!r}")
        return x + self.prscx + (2 * self.ovscx if x > self.nx else 0)

    def raw_y(self, y: int) -> int:
        """Raw 1-based row of trimmed 1-based row ``y``."""
        if not 1 <= y <= self.trimmed_ny:
            raise ValueError(f"trimmed y: expected 1-{self.trimmed_ny}, found {y!r}")
        return y + self.prscy + (2 * self.ovscy if y > self.ny else 0)

    def trim(self, raw: np.ndarray) -> np.ndarray:
        """The trimmed image (the four data sections side by side) of raw image ``raw``."""
        if raw.shape != (self.raw_ny, self.raw_nx):
            raise ValueError(f"raw image shape: expected {(self.raw_ny, self.raw_nx)}, "
                             f"found {raw.shape}")
        return np.block([[raw[self.data_window(1)], raw[self.data_window(2)]],
                         [raw[self.data_window(4)], raw[self.data_window(3)]]])

    def port_keywords(self, port: int) -> dict[str, int]:
        """The ``ESO DET OUTn …`` geometry keywords of ``port`` (without the prefix)."""
        return {"X": self.output_x(port), "Y": self.output_y(port), "NX": self.nx,
                "NY": self.ny, "PRSCX": self.prscx, "PRSCY": self.prscy,
                "OVSCX": self.ovscx, "OVSCY": self.ovscy}

    @classmethod
    def from_header(cls, header: Mapping[str, object]) -> DetectorGeometry:
        """Read the geometry from ``ESO DET OUTn …`` keywords, checking ESO's constraints.

        ``header`` is any mapping with the keywords (an astropy ``Header``, or a primary and
        extension header merged). Binning other than 1×1 is refused. Raises ``ValueError``
        naming the keyword, what was expected and what was found.
        """
        def integer(key: str) -> int:
            if key not in header:
                raise ValueError(f"keyword '{key}' is missing")
            value = header[key]
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"keyword '{key}': expected an integer, found {value!r}")
            return value

        for key in ("ESO DET BINX", "ESO DET BINY"):
            if key in header and integer(key) != 1:
                raise ValueError(f"keyword '{key}': expected 1 (only unbinned frames are "
                                 f"supported), found {header[key]!r}")
        ports = {n: {k: integer(f"ESO DET OUT{n} {k}") for k in _PORT_KEYWORDS}
                 for n in range(1, N_PORTS + 1)}
        first = ports[1]
        for n in (2, 3, 4):
            for key in _PORT_KEYWORDS[2:]:
                if ports[n][key] != first[key]:
                    raise ValueError(
                        f"keyword 'ESO DET OUT{n} {key}': expected the value of OUT1 "
                        f"({first[key]}), all ports have the same size; found {ports[n][key]}")
        for n, values in ports.items():
            if values["X"] not in (1, OUTPUT_X_RIGHT):
                raise ValueError(f"keyword 'ESO DET OUT{n} X': expected 1 or {OUTPUT_X_RIGHT}, "
                                 f"found {values['X']}")
            if values["Y"] not in (1, OUTPUT_Y_TOP):
                raise ValueError(f"keyword 'ESO DET OUT{n} Y': expected 1 or {OUTPUT_Y_TOP}, "
                                 f"found {values['Y']}")
        x = {n: ports[n]["X"] for n in ports}
        y = {n: ports[n]["Y"] for n in ports}
        if not (x[1] < x[2] and x[1] < x[3] and x[1] == x[4]
                and y[1] == y[2] and y[1] < y[3] and y[1] < y[4]):
            raise ValueError(f"keywords 'ESO DET OUTn X/Y': expected OUT1 bottom-left, OUT2 "
                             f"bottom-right, OUT3 top-right, OUT4 top-left, found X={x}, Y={y}")
        return cls(nx=first["NX"], ny=first["NY"], prscx=first["PRSCX"],
                   prscy=first["PRSCY"], ovscx=first["OVSCX"], ovscy=first["OVSCY"])


@dataclass(frozen=True)
class SliceLayout:
    """Where the 48 slices fall on the trimmed CCD, and how far their traces bend.

    Slice ``k`` (1–48) has its nominal left edge at ``first_edge + (k - 1) * pitch`` and its
    right edge ``width`` further (trimmed 1-based x). Real traces deviate from these straight
    lines by a tilt (centre shift between bottom and top row) up to ``tilt_px``, a bow (sagitta
    at mid-height) up to ``curvature_px`` and a width scatter of ``width_scatter_px``; the
    illuminated edges are blurred with a Gaussian of ``edge_sigma_px``.
    """

    pitch: float
    width: float
    first_edge: float
    edge_sigma_px: float
    tilt_px: float
    curvature_px: float
    width_scatter_px: float
    n_slices: int = N_SLICES

    @property
    def gap(self) -> float:
        """Nominal dark gap between neighbouring slices."""
        return self.pitch - self.width

    def left_edge(self, slice_no: int) -> float:
        """Nominal left edge of slice ``slice_no`` (1-based, trimmed x)."""
        self._check(slice_no)
        return self.first_edge + (slice_no - 1) * self.pitch

    def centre(self, slice_no: int) -> float:
        """Nominal centre of slice ``slice_no`` (1-based, trimmed x)."""
        return self.left_edge(slice_no) + self.width / 2

    def _check(self, slice_no: int) -> None:
        if not 1 <= slice_no <= self.n_slices:
            raise ValueError(f"slice number: expected 1-{self.n_slices}, found {slice_no!r}")


@dataclass(frozen=True)
class SpectralLayout:
    """The dispersion direction: wavelength of the first trimmed row, Å per pixel, line width.

    The nominal wavelength of trimmed 1-based row ``y`` is
    ``lambda_first_row + dispersion * (y - 1)`` (air, Å); per-slice offsets are the
    simulator's business. Arc and sky lines have a Gaussian FWHM of ``line_fwhm_px``.
    """

    lambda_first_row: float
    dispersion: float
    line_fwhm_px: float

    @property
    def line_fwhm_angstrom(self) -> float:
        """Line FWHM in Å."""
        return self.line_fwhm_px * self.dispersion

    def wavelength(self, y: float) -> float:
        """Nominal wavelength (Å) at trimmed 1-based row ``y``."""
        return self.lambda_first_row + self.dispersion * (y - 1)

    def row(self, wavelength: float) -> float:
        """Nominal trimmed 1-based row of ``wavelength`` (Å)."""
        return 1 + (wavelength - self.lambda_first_row) / self.dispersion


@dataclass(frozen=True)
class Geometry:
    """A complete instrument geometry: detector, slices, dispersion and a night's frame counts."""

    name: str
    detector: DetectorGeometry
    slices: SliceLayout
    spectral: SpectralLayout
    frame_counts: Mapping[str, int] = field(default_factory=dict)
    n_ifus: int = N_IFUS

    @property
    def slice_length_arcsec(self) -> float:
        """Length on the sky of one slice: its nominal width in pixels times 0.2″."""
        return self.slices.width * SPAXEL_ARCSEC

    @property
    def field_of_view_arcsec(self) -> tuple[float, float]:
        """Field of view (along slices, across slices): 4 stacks × slice length, 24 × 12 × 0.2″."""
        return (STACKS * self.slice_length_arcsec,
                self.n_ifus * SLICES_PER_STACK * SPAXEL_ARCSEC)

    @property
    def wavelength_range(self) -> tuple[float, float]:
        """Nominal wavelengths (Å) of the first and the last trimmed row."""
        return (self.spectral.lambda_first_row,
                self.spectral.wavelength(self.detector.trimmed_ny))


FULL = Geometry(
    name="full",
    detector=DetectorGeometry(nx=2048, ny=2056),
    slices=SliceLayout(pitch=84.0, width=77.0, first_edge=20.0, edge_sigma_px=1.0,
                       tilt_px=8.0, curvature_px=4.0, width_scatter_px=0.5),
    spectral=SpectralLayout(lambda_first_row=4600.0, dispersion=1.25, line_fwhm_px=2.088),
    frame_counts=MappingProxyType({"BIAS": 5, "FLAT": 5, "ARC": 3, "OBJECT": 1}),
)

SMALL = Geometry(
    name="small",
    detector=DetectorGeometry(nx=280, ny=256),
    slices=SliceLayout(pitch=11.0, width=8.0, first_edge=18.0, edge_sigma_px=0.45,
                       tilt_px=1.5, curvature_px=0.8, width_scatter_px=0.1),
    spectral=SpectralLayout(lambda_first_row=4600.0, dispersion=10.0, line_fwhm_px=2.2),
    frame_counts=MappingProxyType({"BIAS": 5, "FLAT": 5, "ARC": 3, "OBJECT": 1}),
)

GEOMETRIES = MappingProxyType({FULL.name: FULL, SMALL.name: SMALL})


def geometry_for_detector(detector: DetectorGeometry) -> Geometry:
    """The geometry whose detector is ``detector`` (as read from a header), full or small."""
    for geometry in GEOMETRIES.values():
        if geometry.detector == detector:
            return geometry
    known = ", ".join(f"{g.name} NX={g.detector.nx} NY={g.detector.ny}"
                      for g in GEOMETRIES.values())
    raise ValueError(f"detector geometry: expected one of ({known}) with 32-px pre- and "
                     f"overscans, found NX={detector.nx} NY={detector.ny} PRSCX={detector.prscx} "
                     f"PRSCY={detector.prscy} OVSCX={detector.ovscx} OVSCY={detector.ovscy}")
