"""Writing MUSE products: headers with ESO's PRO keywords, image and table HDUs, atomic files.

**Headers.** A product's primary header is the first raw input's primary header (structural
keywords dropped) plus, for a per-IFU file, ``EXTNAME = 'CHANnn'`` and the chip keywords of
that IFU's raw extension, then ``ESO PRO …`` (``DID``, ``CATG``, ``TYPE``, ``TECH``,
``SCIENCE``, ``REC1 ID``, ``REC1 PIPE ID``, ``REC1 RAWi NAME/CATG``, ``REC1 CALi NAME/CATG``,
``REC1 PARAMi NAME/VALUE``, ``DATANCOM``), ``PIPEFILE`` and the QC and DRS keywords. In a
merged file (``--merge``) the chip, QC and DRS keywords of each IFU sit in its ``CHANnn.DATA``
(or ``CHANnn``) header instead. ``DATAMD5`` is not written: every HDU carries ``CHECKSUM`` and
``DATASUM`` and the store records a sha256 of the whole file.

**Images** are ``DATA`` (float32), ``DQ`` (int32, Euro3D bits) and ``STAT`` (float32, the
variance), with the ESO DICD ``HDUCLASS`` keywords and ``BUNIT``. **Tables** are one binary
table per IFU: the first extension of a per-IFU file, the extension ``CHANnn`` of a merged
one (where ESO's table loader looks first).

**Atomicity.** Everything is written to temporary files in the run's hidden scratch directory
inside the output directory (:class:`PendingFiles`); only when every IFU of a run has
succeeded are they fsynced renamed into place, so a failed run leaves no product, not even a
partial one (a killed run's scratch goes with the next run there). A merged file is
assembled from per-IFU fragments by copying their extension HDUs byte for byte (each HDU keeps
its own checksums).
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Protocol

import numpy as np
from astropy.io import fits

from common.files import fsync_directory, place
from muse.layout import extname
from muse.recipes.params import ParameterValue, format_value
from muse.recipes.qcdict import qc_comment
from muse.recipes.scratch import RunDirectory

__all__ = [
    "DRS_ID",
    "PIPELINE_ID",
    "PRO_DID",
    "WRITER",
    "BackgroundWriter",
    "PendingFiles",
    "RecipeOutcome",
    "RecipeResult",
    "UnitResult",
    "assemble_merged",
    "chip_keywords",
    "hierarch",
    "image_hdus",
    "merged_data_cards",
    "preview_name",
    "product_header",
    "product_name",
    "write_hdus",
]

PRO_DID = "PRO-1.16"
_STRUCTURAL = {"SIMPLE", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "NAXIS3", "EXTEND", "BZERO",
               "BSCALE", "XTENSION", "PCOUNT", "GCOUNT", "EXTNAME", "CHECKSUM", "DATASUM",
               "DATAMD5", "PIPEFILE", "BUNIT", "INHERIT", "TFIELDS"}


def _software_version() -> str:
    try:
        return importlib.metadata.version("muse-wise")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


PIPELINE_ID = f"muse-wise/{_software_version()}"
# ESO's recipes name their library (cpl-7.x) here; these run on astropy's FITS and numpy
DRS_ID = f"astropy-{importlib.metadata.version('astropy')}"


def hierarch(key: str) -> str:
    """The header key of an ESO keyword given without ``ESO ``: ``HIERARCH ESO QC …``."""
    return f"HIERARCH ESO {key}"


def product_name(catg: str, ifu: int | None) -> str:
    """Libmuse's file name: ``CATG-NN.fits`` per IFU, ``CATG.fits`` merged."""
    return f"{catg}.fits" if ifu is None else f"{catg}-{ifu:02d}.fits"


def preview_name(catg: str, ifu: int) -> str:
    """The preview of one IFU: ``CATG-NN.png``."""
    return f"{catg}-{ifu:02d}.png"


def chip_keywords(header: fits.Header) -> list[fits.Card]:
    """The non-structural cards of a raw ``CHANnn`` extension header (chip and ports)."""
    return [card for card in header.cards if card.keyword not in _STRUCTURAL]


def product_header(raw_primary: fits.Header, *, catg: str, recipe: str,
                   raw: Sequence[tuple[str, str]], calibrations: Sequence[tuple[str, str]],
                   params: Mapping[str, ParameterValue], ncombined: int,
                   pipefile: str, ifu: int | None = None,
                   chip: fits.Header | None = None,
                   keywords: Mapping[str, object] | None = None) -> fits.Header:
    """The primary header of a product.

    ``raw`` and ``calibrations`` are ``(file name, category)`` pairs; ``keywords`` are QC and
    DRS values keyed without ``ESO `` (``'QC BIAS MASTER1 RON'``), each a value or a
    ``(value, comment)`` pair; a per-IFU product passes
    ``ifu`` and the raw ``chip`` header.
    """
    skip = _STRUCTURAL | {"DATE", "COMMENT", "HISTORY"}
    cards = [card for card in raw_primary.cards if card.keyword not in skip]
    cards.append(fits.Card("DATE", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                           "Date the file was written"))
    if ifu is not None:
        cards.append(fits.Card("EXTNAME", extname(ifu), "IFU of this product"))
    if chip is not None:
        known = {card.keyword for card in cards}
        cards.extend(card for card in chip_keywords(chip) if card.keyword not in known)
    cards.append(fits.Card("PIPEFILE", pipefile, "Filename of data product"))
    pro = [("PRO DID", PRO_DID, "Data dictionary for PRO"),
           ("PRO CATG", catg, "Category of pipeline product frame"),
           ("PRO TYPE", "REDUCED", "Product type"),
           ("PRO TECH", str(raw_primary.get("HIERARCH ESO DPR TECH", "IFU")),
            "Observation technique"),
           ("PRO SCIENCE", False, "Scientific product if T"),
           ("PRO REC1 ID", recipe, "Pipeline recipe (unique) identifier"),
           ("PRO REC1 DRS ID", DRS_ID, "Data Reduction System identifier"),
           ("PRO REC1 PIPE ID", PIPELINE_ID, "Pipeline (unique) identifier")]
    for number, (name, category) in enumerate(raw, start=1):
        pro.append((f"PRO REC1 RAW{number} NAME", name, "File name of raw frame"))
        pro.append((f"PRO REC1 RAW{number} CATG", category, "Category of raw frame"))
    for number, (name, category) in enumerate(calibrations, start=1):
        pro.append((f"PRO REC1 CAL{number} NAME", name, "File name of calibration frame"))
        pro.append((f"PRO REC1 CAL{number} CATG", category, "Category of calibration frame"))
    for number, (name, value) in enumerate(params.items(), start=1):
        pro.append((f"PRO REC1 PARAM{number} NAME", name, ""))
        pro.append((f"PRO REC1 PARAM{number} VALUE", format_value(value), ""))
    pro.append(("PRO DATANCOM", ncombined, "Number of combined frames"))
    cards.extend(_card(hierarch(key), value, comment) for key, value, comment in pro)
    cards.extend(_keyword_cards(keywords or {}))
    return fits.Header(cards)


def _keyword_cards(keywords: Mapping[str, object]) -> list[fits.Card]:
    # a (value, comment) pair carries its comment; QC keywords get ESO's by default
    return [_card(hierarch(key), *value) if isinstance(value, tuple)
            else _card(hierarch(key), value, qc_comment(key[3:]) if key.startswith("QC ")
                       else "")
            for key, value in keywords.items()]


def _card(key: str, value: object, comment: str) -> fits.Card:
    # a comment is cut to what the 80 characters leave, as ESO's pipeline does (astropy
    # would warn); one shorter than 8 characters is left out
    bare = fits.Card(key, value)
    room = 80 - len(bare.image.rstrip()) - 3
    if not comment or room < min(8, len(comment)):
        return bare
    return fits.Card(key, value, comment[:room])


def merged_data_cards(chip: fits.Header, keywords: Mapping[str, object]) -> list[fits.Card]:
    """What a merged file keeps per IFU in its data header: chip, QC and DRS keywords."""
    return [*chip_keywords(chip), *_keyword_cards(keywords)]


def _dicd(header: fits.Header, role: str) -> None:
    header["HDUCLASS"] = ("ESO", "class name (ESO format)")
    header["HDUDOC"] = ("DICD", "document with class description")
    header["HDUVERS"] = ("DICD version 6", "version number (according to spec v2.5.1)")
    header["HDUCLAS1"] = ("IMAGE", "Image data format")
    if role == "DATA":
        header["HDUCLAS2"] = ("DATA", "this extension contains the data itself")
        header["ERRDATA"] = ("STAT", "pointer to the variance extension")
        header["QUALDATA"] = ("DQ", "pointer to the data quality extension")
    elif role == "DQ":
        header["HDUCLAS2"] = ("QUALITY", "this extension contains bad pixel mask")
        header["HDUCLAS3"] = ("FLAG32BIT", "Euro3D bad pixel flags")
        header["SCIDATA"] = ("DATA", "pointer to the data extension")
        header["ERRDATA"] = ("STAT", "pointer to the variance extension")
    else:
        header["HDUCLAS2"] = ("ERROR", "this extension contains the error data")
        header["HDUCLAS3"] = ("MSE", "the extension contains variances (sigma**2)")
        header["SCIDATA"] = ("DATA", "pointer to the data extension")
        header["QUALDATA"] = ("DQ", "pointer to the data quality extension")


def image_hdus(data: np.ndarray, dq: np.ndarray, stat: np.ndarray, *, bunit: str | None,
               prefix: str = "", data_cards: Iterable[fits.Card] = ()) -> list[fits.ImageHDU]:
    """The ``DATA``/``DQ``/``STAT`` extensions (``prefix`` ``'CHAN05.'`` in a merged file).

    ``data_cards`` go into the DATA header (the chip, QC and DRS keywords of a merged file).
    STAT gets ``BUNIT`` = ``bunit**2``; ``bunit`` ``""`` is a dimensionless image (both empty).
    """
    hdus = []
    for role, array, dtype in (("DATA", data, np.float32), ("DQ", dq, np.int32),
                               ("STAT", stat, np.float32)):
        hdu = fits.ImageHDU(np.asarray(array, dtype=dtype), name=f"{prefix}{role}")
        if role == "DATA":
            hdu.header.extend(list(data_cards), unique=True, update=True)
        if bunit is not None and role != "DQ":
            hdu.header["BUNIT"] = (bunit if role == "DATA" or not bunit else f"{bunit}**2",
                                   "Physical unit of the array values")
        _dicd(hdu.header, role)
        hdus.append(hdu)
    return hdus


def write_hdus(path: Path, primary: fits.Header | None,
               hdus: Sequence[fits.hdu.base.ExtensionHDU]) -> None:
    """Write a FITS file (header-only primary + ``hdus``) with checksums, flushed to disk.

    A None ``primary`` writes an empty one (the fragments of a merged file).
    """
    hdul = fits.HDUList([fits.PrimaryHDU(header=primary or fits.Header()), *hdus])
    with open(path, "wb") as stream:
        hdul.writeto(stream, checksum=True)
        stream.flush()
        os.fsync(stream.fileno())


def assemble_merged(path: Path, primary: fits.Header, fragments: Sequence[Path]) -> None:
    """Write ``primary`` then the extension HDUs of every fragment file, in order."""
    head = fits.PrimaryHDU(header=primary)
    head.header.set("EXTEND", True, "FITS dataset may contain extensions", after="NAXIS")
    head.add_checksum()
    with open(path, "wb") as stream:
        stream.write(head.header.tostring().encode("ascii"))
        for fragment in fragments:
            with fits.open(fragment, memmap=False) as hdul:
                start = hdul[1].fileinfo()["hdrLoc"]
            with open(fragment, "rb") as source:
                source.seek(start)
                shutil.copyfileobj(source, stream, length=16 << 20)
        stream.flush()
        os.fsync(stream.fileno())


class PendingFiles:
    """Temporary files of one recipe run, renamed into place together or not at all.

    Use as a context manager: leaving it by an exception removes every temporary file;
    :meth:`commit` renames them to their targets and fsyncs the directory. The temporaries
    live in the run's :class:`~muse.recipes.scratch.RunDirectory`, removed on leaving, or by
    the next run in the directory when this process is killed.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._run = RunDirectory(self.directory)
        self._targets: dict[Path, Path] = {}
        self._scratch: list[Path] = []

    def __enter__(self) -> PendingFiles:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is not None:
            self.abort()
        else:
            self._drop_scratch()
        self._run.close()

    def temporary(self, name: str) -> Path:
        """A temporary path that :meth:`commit` will rename to ``directory/name``."""
        path = self._run.file(f"{name}.tmp")
        self._targets[path] = self.directory / name
        return path

    def scratch(self, name: str) -> Path:
        """A temporary path removed at the end, never renamed (merge fragments)."""
        path = self._run.file(f"{name}.part")
        self._scratch.append(path)
        return path

    def commit(self) -> list[Path]:
        """Rename every temporary file into place; return the final paths."""
        final = []
        for temporary, target in self._targets.items():
            place(temporary, target, sync=False)
            final.append(target)
        self._targets.clear()
        fsync_directory(self.directory)
        self._drop_scratch()
        return final

    def abort(self) -> None:
        """Remove every temporary and scratch file."""
        for temporary in self._targets:
            temporary.unlink(missing_ok=True)
        self._targets.clear()
        self._drop_scratch()

    def _drop_scratch(self) -> None:
        for path in self._scratch:
            path.unlink(missing_ok=True)
        self._scratch.clear()


class BackgroundWriter:
    """Writes one IFU's products while the next IFU is computed (in-process runs only).

    At most one write is pending: :meth:`submit` first waits for the previous one, so a
    caller alternating between two sets of output images (:meth:`slot`) never overwrites
    images still being written. When not :attr:`enabled` (worker processes, whose caller
    must see finished files), :meth:`submit` writes at once.
    """

    def __init__(self) -> None:
        self.enabled = False
        self._executor: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None
        self._count = 0

    def slot(self) -> int:
        """0 or 1: which set of output images the next task may fill."""
        return self._count % 2

    def submit(self, write: Callable[[], None]) -> None:
        """Run ``write`` in the background (or now when disabled); errors surface later."""
        self._count += 1
        if not self.enabled:
            write()
            return
        self.wait()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer")
        self._pending = self._executor.submit(write)

    def wait(self) -> None:
        """Block until the pending write is done; re-raise its error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    @contextmanager
    def active(self, enabled: bool) -> Iterator[None]:
        """Enable background writes for a block; every write has ended when it exits."""
        self.enabled = enabled
        self._count = 0
        try:
            yield
            self.wait()
        finally:
            with suppress(BaseException):
                self.wait()
            self.enabled = False
            if self._executor is not None:
                self._executor.shutdown()
                self._executor = None


WRITER = BackgroundWriter()


@dataclass(frozen=True)
class UnitResult:
    """What a recipe produced for one unit: an IFU (per-IFU recipes) or an exposure (scipost).

    ``qc`` is keyed by the ESO names without ``ESO QC `` (``'BIAS MASTER1 RON'``);
    ``attributes`` are further values a data model may record (inputs, chip, measured
    gains and noise); ``files`` maps each product category (and ``PREVIEW``) to the file
    that holds this unit.
    """

    unit: int | str
    qc: dict[str, float | int]
    attributes: dict[str, object]
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def ifu(self) -> int:
        """The IFU number of a per-IFU unit."""
        if not isinstance(self.unit, int):
            raise TypeError(f"unit {self.unit!r} is an exposure, not an IFU")
        return self.unit


@dataclass(frozen=True)
class RecipeResult:
    """The outcome of a recipe run: every file written, and per unit its files, QC and attributes.

    ``unit_kind`` says what the keys of ``units`` are: ``'IFU'`` (IFU numbers) or
    ``'exposure'`` (exposure names, the ``DATE-OBS`` of the inputs).
    """

    recipe: str
    files: tuple[Path, ...]
    units: dict[int | str, UnitResult]
    unit_kind: str = "IFU"

    @property
    def ifus(self) -> dict[int | str, UnitResult]:
        """``units`` under the name the per-IFU callers (the data-model adapters) index."""
        return self.units

    @property
    def qc(self) -> dict[int | str, dict[str, float | int]]:
        """QC values per unit."""
        return {unit: result.qc for unit, result in self.units.items()}

    @property
    def attributes(self) -> dict[int | str, dict[str, object]]:
        """Attributes per unit."""
        return {unit: result.attributes for unit, result in self.units.items()}


class RecipeOutcome(Protocol):
    """What every recipe returns, per-IFU or per-exposure: files, and results keyed by unit."""

    @property
    def recipe(self) -> str:
        """ESO's recipe name (``muse_bias``)."""

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file written: products and previews."""

    @property
    def units(self) -> Mapping[int | str, UnitResult]:
        """Files, QC and attributes per IFU number or exposure name."""

    @property
    def unit_kind(self) -> str:
        """What a unit is: ``'IFU'`` or ``'exposure'``."""
