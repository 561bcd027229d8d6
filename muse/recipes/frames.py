"""Reading raw MUSE exposures and image products, memory-mapped, one IFU at a time.

The headers of a raw file are read once (astropy, ``do_not_scale_image_data=True``: BZERO
scaling would copy a whole frame) into a :class:`RawFile` index of its ``CHANnn`` extensions;
the pixels of one chip are then memory-mapped at their byte offset (:class:`ChipLocation`), so
a chip costs nothing until its pixels are read, and then only its pages come into memory; a
worker process handed a location reads no other header. The geometry of every chip comes
from its headers (``ESO DET OUTn …``, ``ESO DET BINX/BINY``), never from constants.

Every defect of an input (a missing ``CHANnn``, a truncated file, a missing or malformed
keyword, setups that differ between inputs) raises :class:`RecipeError` naming the file, the
extension and the keyword.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyUserWarning

from common.errors import RecipeError
from muse.layout import N_PORTS, DetectorGeometry, extname, ifu_from_extname

__all__ = [
    "ChipLocation",
    "ImageProduct",
    "MergedHeader",
    "RawChip",
    "RawFile",
    "check_chips",
    "check_same_setup",
    "index_inputs",
    "open_fits",
    "read_image_product",
    "require",
]


def open_fits(path: Path) -> fits.HDUList:
    """Open ``path`` memory-mapped, unscaled and lazily; unreadable files raise RecipeError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", AstropyUserWarning)
            return fits.open(path, memmap=True, do_not_scale_image_data=True,
                             lazy_load_hdus=True, mode="readonly")
    except FileNotFoundError:
        raise RecipeError(f"{path}: no such file") from None
    except (OSError, ValueError, AstropyUserWarning) as exc:
        raise RecipeError(f"{path}: not a readable FITS file ({exc})") from None


class MergedHeader(Mapping[str, object]):
    """The primary header and one extension header seen as one; the extension wins.

    ESO's recipes merge the two, so a keyword may live in either.
    """

    def __init__(self, primary: fits.Header, extension: fits.Header) -> None:
        self.primary = primary
        self.extension = extension

    def __getitem__(self, key: str) -> object:
        if key in self.extension:
            return self.extension[key]
        return self.primary[key]

    def __contains__(self, key: object) -> bool:
        return key in self.extension or key in self.primary

    def __iter__(self) -> Iterator[str]:
        seen = set()
        for header in (self.extension, self.primary):
            for key in header:
                if key not in seen:
                    seen.add(key)
                    yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)


def require(header: Mapping[str, object], key: str, kind: type, where: str) -> object:
    """The value of ``key`` in ``header`` as ``kind`` (int, float, str or bool).

    ``where`` names the file and extension for the message. Integers are accepted as floats.
    """
    if key not in header:
        raise RecipeError(f"{where}: keyword '{key}' is missing")
    value = header[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is not bool and isinstance(value, bool):
        raise RecipeError(f"{where}: keyword '{key}': expected {kind.__name__}, found {value!r}")
    if not isinstance(value, kind):
        raise RecipeError(f"{where}: keyword '{key}': expected {kind.__name__}, found {value!r}")
    return value


@dataclass
class RawChip:
    """One ``CHANnn`` extension of a raw exposure: headers, geometry and the stored pixels.

    ``stored`` is the memory-mapped 16-bit data as native ``uint16`` bits; the value of a pixel
    is ``int16(bits, byte-swapped if swap) + bzero`` (what the kernels compute).
    """

    path: Path
    ifu: int
    header: MergedHeader
    detector: DetectorGeometry
    gains: tuple[float, ...]
    header_ron: tuple[float, ...]
    stored: np.ndarray
    bzero: float
    swap: bool

    @property
    def extname(self) -> str:
        """``CHANnn``."""
        return extname(self.ifu)

    @property
    def where(self) -> str:
        """File and extension, for messages."""
        return f"{self.path}[{self.extname}]"

    def values(self, window: tuple[slice, slice]) -> np.ndarray:
        """The pixel values of a raw ``(y, x)`` window as float32 (a copy)."""
        bits = self.stored[window]
        if self.swap:
            bits = bits.byteswap()
        return bits.view(np.int16).astype(np.float32) + np.float32(self.bzero)


@dataclass(frozen=True)
class ChipLocation:
    """Where one ``CHANnn`` of a raw file is: its headers and the byte offset of its data.

    Plain data, so worker processes get it with their task and map the pixels themselves
    without reading the file's other headers again.
    """

    path: Path
    ifu: int
    primary: fits.Header
    header: fits.Header
    data_offset: int
    file_size: int

    @property
    def where(self) -> str:
        """File and extension, for messages."""
        return f"{self.path}[{extname(self.ifu)}]"

    def open(self) -> RawChip:
        """Check the chip's keywords and map its pixels (read-only, nothing read yet)."""
        where = self.where
        header = MergedHeader(self.primary, self.header)
        bitpix = self.header.get("BITPIX")
        if bitpix != 16:
            raise RecipeError(f"{where}: keyword 'BITPIX': expected 16 (raw 16-bit data), "
                              f"found {bitpix!r}")
        bscale = self.header.get("BSCALE", 1)
        if bscale != 1:
            raise RecipeError(f"{where}: keyword 'BSCALE': expected 1, found {bscale!r}")
        bzero = float(require(self.header, "BZERO", float, where)) if "BZERO" in self.header \
            else 0.0
        try:
            detector = DetectorGeometry.from_header(header)
        except ValueError as exc:
            raise RecipeError(f"{where}: {exc}") from None
        shape = (self.header.get("NAXIS2"), self.header.get("NAXIS1"))
        if shape != (detector.raw_ny, detector.raw_nx):
            raise RecipeError(
                f"{where}: keywords 'NAXIS1'/'NAXIS2': expected {detector.raw_nx} x "
                f"{detector.raw_ny} from the ESO DET OUTn geometry, found {shape[1]} x {shape[0]}")
        end = self.data_offset + detector.raw_nx * detector.raw_ny * 2
        if end > self.file_size:
            raise RecipeError(
                f"{where}: keyword 'NAXIS2': the data of {shape[1]} x {shape[0]} 16-bit pixels "
                f"end at byte {end}, beyond the end of the file ({self.file_size} bytes): the "
                "file is truncated")
        gains = tuple(float(require(header, f"ESO DET OUT{n} GAIN", float, where))
                      for n in range(1, N_PORTS + 1))
        for n, gain in enumerate(gains, start=1):
            if not gain > 0:
                raise RecipeError(f"{where}: keyword 'ESO DET OUT{n} GAIN': expected a "
                                  f"positive gain (e-/adu), found {gain}")
        ron = tuple(float(header.get(f"ESO DET OUT{n} RON", float("nan")))
                    for n in range(1, N_PORTS + 1))
        # FITS data are big-endian: map them as such and hand the kernels native uint16 bits
        data = np.memmap(self.path, dtype=">i2", mode="r", offset=self.data_offset,
                         shape=(detector.raw_ny, detector.raw_nx))
        return RawChip(path=self.path, ifu=self.ifu, header=header, detector=detector,
                       gains=gains, header_ron=ron, stored=data.view(np.uint16), bzero=bzero,
                       swap=not data.dtype.isnative)


class RawFile:
    """The headers of a raw MUSE exposure, read once: the primary and every ``CHANnn``.

    Extensions are found by ``EXTNAME`` (they need not be in order); pixels are not read
    here: :meth:`location` gives what :meth:`ChipLocation.open` maps.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.size = os.path.getsize(self.path) if self.path.exists() else 0
        self.chips: dict[int, ChipLocation] = {}
        self.extnames: list[str] = []
        self.truncated = ""
        with open_fits(self.path) as hdul:
            try:
                self.primary = hdul[0].header.copy()
            except (OSError, IndexError, ValueError) as exc:
                raise RecipeError(f"{self.path}: no readable primary header ({exc})") from None
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AstropyUserWarning)
                try:
                    for hdu in hdul[1:]:
                        name = str(hdu.header.get("EXTNAME", ""))
                        self.extnames.append(name)
                        try:
                            ifu = ifu_from_extname(name)
                        except ValueError:
                            continue
                        self.chips[ifu] = ChipLocation(
                            path=self.path, ifu=ifu, primary=self.primary,
                            header=hdu.header.copy(), data_offset=hdu.fileinfo()["datLoc"],
                            file_size=self.size)
                except (OSError, ValueError) as exc:
                    self.truncated = f" (reading stopped: {exc}; the file may be truncated)"

    def ifus(self) -> list[int]:
        """The IFUs present (extensions named ``CHANnn``), sorted."""
        return sorted(self.chips)

    def location(self, ifu: int) -> ChipLocation:
        """Where the ``CHANnn`` of IFU ``ifu`` is; a missing one raises RecipeError."""
        if ifu in self.chips:
            return self.chips[ifu]
        name = extname(ifu)
        hint = self.truncated or (" (the file may be truncated)"
                                  if self.chips and max(self.chips) < ifu else "")
        raise RecipeError(f"{self.path}: extension {name}: no HDU with EXTNAME = '{name}'; "
                          f"found {', '.join(self.extnames) or 'none'}{hint}")


_SETUP_KEYWORDS = (("ESO DET READ CURID", int), ("ESO DET BINX", int), ("ESO DET BINY", int),
                   ("ESO DET CHIP NAME", str), ("ESO DET CHIP ID", str))


def check_same_setup(headers: Sequence[tuple[str, Mapping[str, object]]],
                     keywords: Sequence[str] = tuple(k for k, _ in _SETUP_KEYWORDS)) -> None:
    """Refuse inputs whose read-out mode, binning or chip differ (ESO's setup checks).

    ``headers`` are ``(where, header)`` pairs, the first being the reference; the message names
    the file and extension, the keyword and both values.
    """
    kinds = dict(_SETUP_KEYWORDS)
    reference_where, reference = headers[0]
    for key in keywords:
        expected = require(reference, key, kinds[key], reference_where)
        for where, header in headers[1:]:
            found = require(header, key, kinds[key], where)
            if found != expected:
                raise RecipeError(f"{where}: keyword '{key}': expected {expected!r} as in "
                                  f"{reference_where}, found {found!r}")


def check_chips(chips: Sequence[RawChip]) -> None:
    """Refuse chips of one IFU whose setup (read-out, binning, chip) or geometry differ."""
    check_same_setup([(chip.where, chip.header) for chip in chips])
    reference = chips[0]
    for chip in chips[1:]:
        if chip.detector != reference.detector:
            raise RecipeError(f"{chip.where}: keywords 'ESO DET OUTn NX/NY/PRSCX/PRSCY/OVSCX/"
                              f"OVSCY': expected the geometry of {reference.where} "
                              f"({reference.detector}), found {chip.detector}")


def index_inputs(paths: Sequence[Path]) -> list[RawFile]:
    """Read the headers of every raw input once; check what all IFUs share.

    Refuses inputs that lack an extension the first one has (naming it) and inputs whose
    read-out mode or binning differ; the chips themselves are checked per IFU.
    """
    files = [RawFile(path) for path in paths]
    reference = files[0]
    for raw in files[1:]:
        missing = sorted(set(reference.ifus()) - set(raw.ifus()))
        if missing:
            raw.location(missing[0])
    check_same_setup([(str(raw.path), raw.primary) for raw in files],
                     ("ESO DET READ CURID", "ESO DET BINX", "ESO DET BINY"))
    return files


@dataclass
class ImageProduct:
    """One IFU of a MUSE image product (MASTER_BIAS, ...): DATA, DQ, STAT and the headers.

    ``header`` merges the primary header and the ``DATA`` header (where a merged file keeps
    the QC of each IFU).
    """

    path: Path
    ifu: int
    header: MergedHeader
    data: np.ndarray
    dq: np.ndarray
    stat: np.ndarray

    @property
    def where(self) -> str:
        """File and IFU, for messages."""
        return f"{self.path}[{extname(self.ifu)}]"


def read_image_product(path: Path | str, ifu: int) -> ImageProduct:
    """Read IFU ``ifu`` of an image product, per-IFU or merged.

    A per-IFU file has ``EXTNAME='CHANnn'`` in its primary header and ``DATA``/``DQ``/
    ``STAT`` extensions; a merged one ``CHANnn.DATA``/``CHANnn.DQ``/``CHANnn.STAT``.
    """
    path = Path(path)
    name = extname(ifu)
    with open_fits(path) as hdul:
        primary = hdul[0].header
        own = primary.get("EXTNAME")
        if own is not None and str(own).startswith("CHAN"):
            if own != name:
                raise RecipeError(f"{path}: keyword 'EXTNAME': expected '{name}' (the IFU "
                                  f"being processed), found {own!r}")
            names = ("DATA", "DQ", "STAT")
        else:
            names = (f"{name}.DATA", f"{name}.DQ", f"{name}.STAT")
        arrays = []
        headers = []
        for extension in names:
            try:
                hdu = hdul[extension]
            except KeyError:
                raise RecipeError(f"{path}: extension {extension}: no HDU with EXTNAME = "
                                  f"'{extension}'") from None
            except (OSError, ValueError) as exc:
                raise RecipeError(f"{path}: extension {extension}: unreadable, the file may "
                                  f"be truncated ({exc})") from None
            try:
                arrays.append(np.array(hdu.data, dtype=np.int32 if extension.endswith("DQ")
                                       else np.float32))
            except (OSError, ValueError, TypeError) as exc:
                raise RecipeError(f"{path}: extension {extension}: data unreadable, the file "
                                  f"may be truncated ({exc})") from None
            headers.append(hdu.header)
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1 or arrays[0].ndim != 2:
        raise RecipeError(f"{path}: extensions {', '.join(names)}: expected three images of one "
                          f"shape, found {[a.shape for a in arrays]}")
    return ImageProduct(path=path, ifu=ifu, header=MergedHeader(primary, headers[0]),
                        data=arrays[0], dq=arrays[1], stat=arrays[2])
