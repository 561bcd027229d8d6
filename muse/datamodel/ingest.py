"""Ingest: raw MUSE files and static calibrations into the store and the database.

- A raw file (``INSTRUME = 'MUSE'``, ``ARCFILE``, ``DATE-OBS``, ``ESO DPR CATG/TYPE/TECH`` and
  its ``CHANnn`` extensions required; every other keyword optional) becomes one
  :class:`RawFrame` subclass object, chosen by its DO.CATG (``muse.recipes.sof`` applies the
  MUSE-FORMATS §1 table; a DO.CATG without a class of its own becomes ``RawOther`` with the
  category recorded), stored under its ARCFILE name, and one ``RawChip`` per ``CHANnn`` with
  its byte range, night, keywords and raw QC (saturated pixels, median level in one pass over
  the memory-mapped pixels; ``INS TEMP7 VAL``) flagged against the muse.xml thresholds.
- A static calibration (``ESO PRO CATG`` of a :class:`StaticCalibration` class) is stored as
  ``<PRO.CATG>.<sha256[:16]>.fits``, valid from its DATE-OBS (or the ingest time), open end.

:func:`inspect_file` checks a file without the database; :func:`ingest_file` also looks the
sha256 up (the same content again is a no-op) and, with ``commit``, stores and commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from common.errors import AweError
from common.persistent import commit
from muse.datamodel import generated
from muse.datamodel.keywords import KeywordError, header_key, read_keywords
from muse.datamodel.rules import night_of
from muse.layout import N_IFUS, SATURATION_FLAG_LEVEL, extname
from muse.recipes.frames import RawFile
from muse.recipes.sof import classify_header

__all__ = ["IngestError", "IngestResult", "Inspected", "ingest_file", "ingest_files",
           "inspect_file", "raw_class_of", "static_class_of"]

REQUIRED_RAW = ("INSTRUME", "ARCFILE", "DATE-OBS", "ESO DPR CATG", "ESO DPR TYPE", "ESO DPR TECH")
_HASH_CHUNK = 1 << 20
_QC_ROWS = 256
"""Rows of a chip histogrammed at a time (bounded memory, one pass)."""


class IngestError(AweError, ValueError):
    """A file cannot be ingested: unreadable, truncated, not MUSE, or a keyword missing."""


def _classes(base: type) -> list[type]:
    return [cls for cls in vars(generated).values()
            if isinstance(cls, type) and issubclass(cls, base) and cls is not base
            and not cls._meta.is_abstract]


def raw_class_of(do_catg: str) -> type:
    """The RawFrame class of DO.CATG ``do_catg`` (``RawOther`` when none has it)."""
    for cls in _classes(generated.RawFrame):
        if cls.do_category == do_catg:
            return cls
    return generated.RawOther


def static_class_of(pro_catg: str) -> type | None:
    """The StaticCalibration class of PRO.CATG ``pro_catg``, or None."""
    for cls in _classes(generated.StaticCalibration):
        if cls.product_category == pro_catg:
            return cls
    return None


def sha256_of(path: Path) -> str:
    """The sha256 (hex) of the whole file."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Inspected:
    """What a file will become: its class, attribute values, chips and sha256."""

    path: Path
    cls: type
    category: str
    values: dict[str, Any]
    checksum: str
    chips: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The store name: the ARCFILE of a raw file, ``<PRO.CATG>.<sha[:16]>.fits`` else."""
        if issubclass(self.cls, generated.RawFrame):
            return self.values["ARCFILE"]
        return f"{self.category}.{self.checksum[:16]}.fits"

    @property
    def quality_flags(self) -> int:
        """The raw QC flags of all chips, or-ed."""
        flags = 0
        for chip in self.chips:
            flags |= chip["quality_flags"]
        return flags


def _raw_qc(raw: RawFile, ifu: int) -> tuple[int, float]:
    """Saturated pixels and median level of one chip, in one pass over its mapped pixels."""
    location = raw.location(ifu)
    header = location.header
    where = location.where
    if header.get("BITPIX") != 16 or header.get("NAXIS") != 2:
        raise IngestError(f"{where}: keywords 'BITPIX'/'NAXIS': expected 16-bit 2-D raw data, "
                          f"found BITPIX {header.get('BITPIX')!r}, NAXIS {header.get('NAXIS')!r}")
    if header.get("BZERO") != 32768 or header.get("BSCALE", 1) != 1:
        raise IngestError(f"{where}: keywords 'BZERO'/'BSCALE': expected 32768 and 1 (unsigned "
                          f"16-bit raw data), found {header.get('BZERO')!r} and "
                          f"{header.get('BSCALE', 1)!r}")
    shape = (header["NAXIS2"], header["NAXIS1"])
    stored = np.memmap(raw.path, dtype=">u2", mode="r", offset=location.data_offset, shape=shape)
    histogram = np.zeros(1 << 16, dtype=np.int64)
    for start in range(0, shape[0], _QC_ROWS):
        # BZERO 32768 on int16 offsets the sign bit: flipping it gives the unsigned value
        block = np.asarray(stored[start:start + _QC_ROWS]).astype(np.uint16) ^ np.uint16(0x8000)
        histogram += np.bincount(block.ravel(), minlength=1 << 16)
    total = int(histogram.sum())
    cumulative = np.cumsum(histogram)
    low = int(np.searchsorted(cumulative, (total + 1) // 2))
    high = int(np.searchsorted(cumulative, total // 2 + 1))
    median = (low + high) / 2
    saturated = int(histogram[SATURATION_FLAG_LEVEL + 1:].sum())
    return saturated, float(median)


def _chip_values(raw: RawFile, ifu: int, frame_values: dict[str, Any],
                 chip_cls: type) -> dict[str, Any]:
    location = raw.location(ifu)
    header = location.header
    merged = raw.primary.copy()
    merged.extend(header, update=True)
    values = read_keywords(chip_cls, merged)
    header_bytes = len(location.header_text)
    data = abs(header["BITPIX"]) // 8 * header["NAXIS1"] * header["NAXIS2"]
    hdu_offset = location.data_offset - header_bytes
    values.update(ifu=ifu, extname=extname(ifu), night=frame_values["night"],
                  DATE_OBS=frame_values["DATE_OBS"], hdu_offset=hdu_offset,
                  hdu_size=header_bytes + data + (-data % 2880))
    values["saturated_pixels"], values["median_level"] = _raw_qc(raw, ifu)
    probe = chip_cls(**values)
    values["quality_flags"] = probe.verify()
    return values


def _inspect_raw(path: Path, raw: RawFile, category: str) -> Inspected:
    header = raw.primary
    missing = [key for key in REQUIRED_RAW if header_key(key) not in header]
    if missing:
        raise IngestError(f"{path}: keyword(s) {', '.join(repr(k) for k in missing)}: expected "
                          "in the primary header of a raw MUSE file, found none")
    cls = raw_class_of(category)
    values = read_keywords(cls, header)
    values["night"] = night_of(values["DATE_OBS"])
    values["exposure"] = values["ARCFILE"].removesuffix(".fits")
    values["do_catg"] = category
    if raw.truncated:
        raise IngestError(f"{path}: expected {N_IFUS} whole CHANnn extensions, found "
                          f"{len(raw.chips)}{raw.truncated}")
    missing_chips = [extname(ifu) for ifu in range(1, N_IFUS + 1) if ifu not in raw.chips]
    if missing_chips:
        raise IngestError(f"{path}: extensions {', '.join(missing_chips)}: expected "
                          f"CHAN01-CHAN{N_IFUS:02d}, found "
                          f"{', '.join(raw.extnames) or 'none'}")
    # every chip whole (location() refuses one the file does not hold) before any work
    locations = [raw.location(ifu) for ifu in raw.ifus()]
    values["primary_size"] = min(location.data_offset - len(location.header_text)
                                 for location in locations)
    inspected = Inspected(path=path, cls=cls, category=category, values=values,
                          checksum=sha256_of(path))
    if cls.chip_class is not None:
        inspected.chips = [_chip_values(raw, ifu, values, cls.chip_class) for ifu in raw.ifus()]
    return inspected


def _inspect_static(path: Path, header: Any, category: str, cls: type) -> Inspected:
    values = read_keywords(cls, header)
    values["timestamp_start"] = values.get("DATE_OBS") or dt.datetime.now(dt.UTC).replace(
        tzinfo=None)
    values["timestamp_end"] = None
    return Inspected(path=path, cls=cls, category=category, values=values,
                     checksum=sha256_of(path))


def inspect_file(path: Path | str) -> Inspected:
    """Read, check and classify ``path`` (no database); raise :class:`IngestError`.

    Raw files get their chips with byte ranges and raw QC; static calibrations their validity.
    """
    path = Path(path)
    try:
        raw = RawFile(path)
    except AweError as exc:
        raise IngestError(str(exc)) from None
    header = raw.primary
    pro_catg = header.get("HIERARCH ESO PRO CATG")
    instrument = str(header.get("INSTRUME", "")).strip()
    if instrument != "MUSE":
        raise IngestError(f"{path}: keyword 'INSTRUME': expected 'MUSE', found "
                          f"{header.get('INSTRUME')!r}")
    try:
        if pro_catg is not None:
            category = str(pro_catg).strip()
            cls = static_class_of(category)
            if cls is None:
                raise IngestError(f"{path}: keyword 'ESO PRO CATG': expected a static "
                                  f"calibration (GEOMETRY_TABLE, LINE_CATALOG, EXTINCT_TABLE, "
                                  f"STD_RESPONSE, FILTER_LIST), found {category!r}")
            return _inspect_static(path, header, category, cls)
        category = classify_header(header) or "OTHER"
        return _inspect_raw(path, raw, category)
    except KeywordError as exc:
        raise IngestError(f"{path}: {exc}") from None
    except AweError as exc:
        if isinstance(exc, IngestError):
            raise
        raise IngestError(str(exc)) from None


@dataclass
class IngestResult:
    """The outcome for one file: ``status`` is checked, ingested, present or refused."""

    path: Path
    status: str
    message: str
    obj: Any = None
    inspected: Inspected | None = None


def _base(inspected: Inspected) -> type:
    return (generated.RawFrame if issubclass(inspected.cls, generated.RawFrame)
            else generated.StaticCalibration)


def _existing(inspected: Inspected) -> Any:
    found = _base(inspected).checksum == inspected.checksum
    return found[0] if len(found) else None


def _summary(inspected: Inspected) -> str:
    flags = inspected.quality_flags
    chips = f", {len(inspected.chips)} chips" if inspected.chips else ""
    qc = f", raw QC flags {flags:#x}" if flags else ""
    return f"{inspected.cls.__name__} {inspected.category} as {inspected.name}{chips}{qc}"


def ingest_file(path: Path | str, *, commit_it: bool = False) -> IngestResult:
    """Check ``path`` and, with ``commit_it``, store and commit it (the current session).

    A file whose sha256 is already recorded is ``present`` (nothing done); a bad file is
    ``refused`` with the reason, nothing stored or committed for it.
    """
    path = Path(path)
    try:
        inspected = inspect_file(path)
    except IngestError as exc:
        return IngestResult(path, "refused", str(exc))
    existing = _existing(inspected)
    if existing is not None:
        return IngestResult(path, "present", f"already ingested as {existing!r} "
                            f"({existing.filename})", existing, inspected)
    same_name = _base(inspected).filename == inspected.name
    if len(same_name):
        other = same_name[0]
        return IngestResult(path, "refused", f"{path}: store name {inspected.name}: expected "
                            f"a new name or the same content, found {other!r} with sha256 "
                            f"{other.checksum}, the file has {inspected.checksum}")
    if not commit_it:
        return IngestResult(path, "checked", _summary(inspected), None, inspected)
    obj = inspected.cls(**inspected.values)
    obj.filename = inspected.name
    try:
        obj.store(path)
    except AweError as exc:
        return IngestResult(path, "refused", f"{path}: {exc}", None, inspected)
    if obj.checksum != inspected.checksum:
        return IngestResult(path, "refused", f"{path}: the file changed while it was ingested "
                            f"(sha256 {inspected.checksum}, then {obj.checksum})")
    chip_cls = getattr(inspected.cls, "chip_class", None)
    chips = [chip_cls(raw_frame=obj, **values) for values in inspected.chips] if chip_cls else []
    commit(obj, *chips)
    return IngestResult(path, "ingested", _summary(inspected), obj, inspected)


def ingest_files(paths: Sequence[Path | str], *, commit_it: bool = False,
                 progress: Callable[[int, int, str], None] | None = None) -> list[IngestResult]:
    """:func:`ingest_file` for each path in turn; bad files are reported, not fatal."""
    results = []
    for done, path in enumerate(paths, start=1):
        results.append(ingest_file(path, commit_it=commit_it))
        if progress is not None:
            progress(done, len(paths), Path(path).name)
    return results
