"""Reading raw MUSE exposures and image products, memory-mapped, one IFU at a time.

The header blocks of a raw file are read once (the pixels skipped by their size) and parsed
by astropy into a :class:`RawFile` index of its ``CHANnn`` extensions; a chip whose data the
file does not hold whole is refused there, before any work. The pixels of a chip are then
memory-mapped as stored, big-endian with ``BZERO`` unapplied (scaling would copy the whole
frame), at their byte offset (:class:`ChipLocation`): a chip costs nothing until its pixels
are read, then only its pages come into memory, and a worker process handed a location
reads no other header. The geometry of every chip comes from its headers (``ESO DET OUTn
…``, ``ESO DET BINX/BINY``), never from constants.

Every defect of an input (a missing ``CHANnn``, a truncated file, a missing or malformed
keyword, setups that differ between inputs) raises :class:`RecipeError` naming the file, the
extension and the keyword.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits

from common.errors import RecipeError
from muse.layout import N_PORTS, DetectorGeometry, extname, ifu_from_extname
from muse.recipes import _decode
from muse.recipes.sof import classify_header

__all__ = [
    "ChipLocation",
    "ImageProduct",
    "MergedHeader",
    "RawChip",
    "RawFile",
    "check_chips",
    "check_same_setup",
    "index_inputs",
    "open_chips_with_bias",
    "open_fits",
    "read_image_product",
    "require",
]


def _reason(exc: BaseException) -> str:
    """An exception's message on one line (astropy's warnings span several)."""
    return " ".join(str(exc).split())


@contextmanager
def open_fits(path: Path) -> Iterator[fits.HDUList]:
    """``path`` opened memory-mapped, unscaled and lazily, for one ``with`` block.

    An unreadable file, and anything astropy would only warn about while the block reads it
    (a truncated file, a header that is not whole blocks), raise one RecipeError naming the
    file with astropy's reason folded into its line.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            hdul = fits.open(path, memmap=True, do_not_scale_image_data=True,
                             lazy_load_hdus=True, mode="readonly")
        except FileNotFoundError:
            raise RecipeError(f"{path}: no such file") from None
        except (OSError, ValueError, Warning) as exc:
            raise RecipeError(f"{path}: not a readable FITS file ({_reason(exc)})") from None
        try:
            with hdul:
                yield hdul
        except Warning as exc:
            raise RecipeError(f"{path}: not a readable FITS file, it may be truncated "
                              f"({_reason(exc)})") from None


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

    ``stored`` is the memory-mapped 16-bit data as native ``uint16`` bits, decoded with
    ``bzero`` and ``swap`` by :func:`muse.recipes._decode.decode_raw` (:meth:`values`).
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
        """The pixel values of a raw ``(y, x)`` window as float32 (a copy).

        Decoded by the kernel that decodes every raw pixel, so the rule lives in one place.
        """
        bits = self.stored[window]
        out = np.empty(bits.shape, dtype=np.float32)
        _decode.decode_raw(bits, out, self.bzero, self.swap, np.zeros(bits.shape[0]), np.inf)
        return out


@dataclass(frozen=True)
class ChipLocation:
    """Where one ``CHANnn`` of a raw file is: its headers and the byte offset of its data.

    Plain data, so worker processes get it with their task and map the pixels themselves
    without reading the file's other headers again.
    """

    path: Path
    ifu: int
    primary: fits.Header
    header_text: str
    data_offset: int
    file_size: int

    @property
    def where(self) -> str:
        """File and extension, for messages."""
        return f"{self.path}[{extname(self.ifu)}]"

    @property
    def header(self) -> fits.Header:
        """The extension header (parsed on each call)."""
        return fits.Header.fromstring(self.header_text)

    def open(self) -> RawChip:
        """Check the chip's keywords and map its pixels (read-only, nothing read yet)."""
        where = self.where
        extension = self.header
        header = MergedHeader(self.primary, extension)
        bitpix = extension.get("BITPIX")
        if bitpix != 16:
            raise RecipeError(f"{where}: keyword 'BITPIX': expected 16 (raw 16-bit data), "
                              f"found {bitpix!r}")
        bscale = extension.get("BSCALE", 1)
        if bscale != 1:
            raise RecipeError(f"{where}: keyword 'BSCALE': expected 1, found {bscale!r}")
        bzero = float(require(extension, "BZERO", float, where)) if "BZERO" in extension \
            else 0.0
        try:
            detector = DetectorGeometry.from_header(header)
        except ValueError as exc:
            raise RecipeError(f"{where}: {exc}") from None
        shape = (extension.get("NAXIS2"), extension.get("NAXIS1"))
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


_BLOCK = 2880
_CARD = 80


@dataclass(frozen=True)
class _HeaderUnit:
    """One HDU as the scan found it: its header (text and parsed) and where its data lie.

    ``end`` is where the HDU ends, after the padding of its last 2880-byte block.
    """

    text: str
    header: fits.Header
    data_offset: int
    end: int


def _parse_header(path: Path, index: int, text: str) -> fits.Header:
    """``text`` parsed by astropy (HIERARCH, CONTINUE, quotes: all the standard allows).

    What astropy would only warn about is refused, in one line naming the file and HDU.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return fits.Header.fromstring(text)
    except (ValueError, Warning) as exc:
        raise RecipeError(f"{path}: HDU {index}: malformed header ({_reason(exc)})") from None


def _structural(path: Path, index: int, header: fits.Header, key: str,
                default: int | None = None) -> int:
    value = header.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        found = "nothing" if value is None else repr(value)
        raise RecipeError(f"{path}: HDU {index}: keyword '{key}': expected an integer, found "
                          f"{found}")
    return value


def _data_size(path: Path, index: int, header: fits.Header) -> int:
    """Bytes of data after the header (FITS standard 4.4.1.1, without the padding)."""
    naxis = _structural(path, index, header, "NAXIS")
    bits = abs(_structural(path, index, header, "BITPIX"))
    pixels = 1 if naxis else 0
    for axis in range(1, naxis + 1):
        pixels *= _structural(path, index, header, f"NAXIS{axis}")
    pcount = _structural(path, index, header, "PCOUNT", 0)
    gcount = _structural(path, index, header, "GCOUNT", 1)
    return bits // 8 * gcount * (pcount + pixels)


def _scan_hdus(path: Path) -> tuple[list[_HeaderUnit], str]:
    """Every HDU's header and data position, reading only the header blocks.

    Returns the HDUs found and, when the file ends early, a note saying where.
    """
    size = os.path.getsize(path)
    hdus: list[_HeaderUnit] = []
    with open(path, "rb") as stream:
        offset = 0
        while offset < size:
            stream.seek(offset)
            blocks: list[bytes] = []
            while True:
                block = stream.read(_BLOCK)
                if offset == 0 and not blocks and not block.startswith(b"SIMPLE  ="):
                    raise RecipeError(f"{path}: not a FITS file (no SIMPLE card)")
                if len(block) < _BLOCK:
                    return hdus, (f" (the file ends inside the header of HDU {len(hdus)} at "
                                  f"byte {size}: truncated)")
                blocks.append(block)
                cards = (block[start:start + _CARD] for start in range(0, _BLOCK, _CARD))
                if any(card[:3] == b"END" and not card[3:].strip() for card in cards):
                    break
            text = b"".join(blocks).decode("ascii", errors="replace")
            header = _parse_header(path, len(hdus), text)
            data_offset = offset + len(blocks) * _BLOCK
            data_size = _data_size(path, len(hdus), header)
            offset = data_offset + data_size + (-data_size % _BLOCK)
            hdus.append(_HeaderUnit(text=text, header=header, data_offset=data_offset,
                                    end=offset))
    if hdus and hdus[-1].end > size:
        return hdus, (f" (the file ends inside the data of HDU {len(hdus) - 1} at byte {size}: "
                      "truncated)")
    return hdus, ""


class RawFile:
    """The headers of a raw MUSE exposure, read once: the primary and every ``CHANnn``.

    Only the header blocks are read (the pixels are skipped by their size) and parsed by
    astropy; extensions are found by ``EXTNAME`` (they need not be in order).
    :meth:`location` gives what :meth:`ChipLocation.open` maps.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise RecipeError(f"{self.path}: no such file")
        try:
            hdus, self.truncated = _scan_hdus(self.path)
        except OSError as exc:
            raise RecipeError(f"{self.path}: cannot read ({exc})") from None
        if not hdus:
            raise RecipeError(f"{self.path}: no readable primary header{self.truncated}")
        self.size = os.path.getsize(self.path)
        self.primary = hdus[0].header
        self.chips: dict[int, ChipLocation] = {}
        self.extnames: list[str] = []
        self._ends: dict[int, int] = {}
        for unit in hdus[1:]:
            name = str(unit.header.get("EXTNAME", ""))
            self.extnames.append(name)
            try:
                ifu = ifu_from_extname(name)
            except ValueError:
                continue
            self.chips[ifu] = ChipLocation(path=self.path, ifu=ifu, primary=self.primary,
                                           header_text=unit.text, data_offset=unit.data_offset,
                                           file_size=self.size)
            self._ends[ifu] = unit.end

    def ifus(self) -> list[int]:
        """The IFUs present (extensions named ``CHANnn``), sorted."""
        return sorted(self.chips)

    def location(self, ifu: int) -> ChipLocation:
        """Where the ``CHANnn`` of IFU ``ifu`` is; a missing or cut one raises RecipeError."""
        name = extname(ifu)
        if ifu not in self.chips:
            raise RecipeError(f"{self.path}: extension {name}: no HDU with EXTNAME = '{name}'; "
                              f"found {', '.join(self.extnames) or 'none'}{self.truncated}")
        if self._ends[ifu] > self.size:
            raise RecipeError(f"{self.path}[{name}]: keyword 'NAXIS2': the HDU with its data "
                              f"ends at byte {self._ends[ifu]}, beyond the end of the file "
                              f"({self.size} bytes): the file is truncated")
        return self.chips[ifu]


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


def index_inputs(paths: Sequence[Path], category: str, recipe: str) -> list[RawFile]:
    """Read the headers of every raw input once; check what all IFUs share.

    Refuses inputs that are not raw frames of ``category`` (by their DPR keywords) or whose
    read-out mode or binning differ; which IFUs every input must hold is
    :func:`muse.recipes.runner.select_ifus`'s rule, and the chips are checked per IFU.
    """
    files = [RawFile(path) for path in paths]
    for raw in files:
        found = classify_header(raw.primary)
        if found != category:
            raise RecipeError(f"recipe {recipe}: {raw.path}: keywords 'ESO DPR CATG/TYPE' / "
                              f"'ESO PRO CATG': expected a raw {category} frame, found "
                              f"category {found or 'unknown'}")
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


def open_chips_with_bias(raw: Sequence[ChipLocation], master_bias: Path | str,
                         ifu: int) -> tuple[list[RawChip], ImageProduct]:
    """The raw chips of one IFU and its MASTER_BIAS, checked to belong together.

    The chips must agree among themselves (:func:`check_chips`) and with the bias (setup and
    trimmed size); a mismatch is a RecipeError naming the files.
    """
    bias = read_image_product(master_bias, ifu)
    chips = [location.open() for location in raw]
    check_chips(chips)
    check_same_setup([(chips[0].where, chips[0].header), (bias.where, bias.header)])
    detector = chips[0].detector
    shape = (detector.trimmed_ny, detector.trimmed_nx)
    if bias.data.shape != shape:
        raise RecipeError(f"{bias.where}: DATA: expected the trimmed size {shape[1]} x "
                          f"{shape[0]} of {chips[0].where}, found {bias.data.shape[1]} x "
                          f"{bias.data.shape[0]}")
    return chips, bias
