"""One IFU of a raw MUSE file as a small FITS file: primary header + one ``CHANnn`` extension.

A raw file is a header-only primary HDU and 24 image extensions. The data model records each
extension's byte range (``hdu_offset``/``hdu_size``: from the start of its header to the end
of its padded data); a worker fetches that range and the primary header (two range reads) and
writes them back to back, which is a valid FITS file the recipes accept as the raw input of
that IFU. No pixel is decoded or rewritten.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from astropy.io import fits

from common.errors import RecipeError
from muse.layout import ifu_from_extname

__all__ = ["HduRange", "fetch_single_ifu", "hdu_ranges", "read_range", "write_single_ifu"]

BLOCK = 2880
"""FITS block size: every header and data section is padded to a multiple of it."""


@dataclass(frozen=True)
class HduRange:
    """Bytes ``[offset, offset + size)`` of one HDU (header and padded data)."""

    offset: int
    size: int


def hdu_ranges(path: Path | str) -> tuple[HduRange, dict[int, HduRange]]:
    """The primary HDU's range and each ``CHANnn`` extension's range by IFU (headers only).

    Raises :class:`RecipeError` naming the file when it is no FITS file or its primary HDU
    holds data (a raw MUSE primary is header-only).
    """
    path = Path(path)
    chips: dict[int, HduRange] = {}
    try:
        with fits.open(path, memmap=True, lazy_load_hdus=True) as hdus:
            primary = None
            for index, hdu in enumerate(hdus):
                info = hdu.fileinfo()
                span = HduRange(info["hdrLoc"], info["datLoc"] + info["datSpan"] - info["hdrLoc"])
                if index == 0:
                    if info["datSpan"]:
                        raise RecipeError(f"{path}: primary HDU: expected no data (a raw MUSE "
                                          f"file), found {info['datSpan']} bytes")
                    primary = span
                    continue
                try:
                    chips[ifu_from_extname(hdu.header.get("EXTNAME", ""))] = span
                except ValueError:
                    continue
    except OSError as exc:
        raise RecipeError(f"{path}: expected a FITS file, found {exc}") from None
    if primary is None:
        raise RecipeError(f"{path}: expected a primary HDU, found none")
    return primary, chips


def read_range(path: Path | str, span: HduRange) -> bytes:
    """The bytes of ``span`` of the local file ``path`` (the local twin of an HTTP Range)."""
    with open(path, "rb") as stream:
        stream.seek(span.offset)
        data = stream.read(span.size)
    if len(data) != span.size:
        raise RecipeError(f"{path}: expected {span.size} bytes at offset {span.offset}, found "
                          f"{len(data)} (truncated file?)")
    return data


def write_single_ifu(primary: bytes, extension: bytes, destination: Path | str) -> Path:
    """Write the primary HDU bytes and one extension's bytes as one FITS file.

    Both parts must be whole FITS blocks, the primary starting with ``SIMPLE`` and the
    extension with ``XTENSION``; the file appears complete or not at all.
    """
    destination = Path(destination)
    for name, part, start in (("primary", primary, b"SIMPLE  "),
                              ("extension", extension, b"XTENSION")):
        if not part.startswith(start) or len(part) % BLOCK:
            raise RecipeError(f"{destination}: {name} bytes: expected whole {BLOCK}-byte FITS "
                              f"blocks starting with {start.decode().strip()}, found "
                              f"{len(part)} bytes starting with {part[:8]!r}")
    temporary = destination.with_name(f".{destination.name}.part")
    with open(temporary, "wb") as stream:
        stream.write(primary)
        stream.write(extension)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, destination)
    return destination


def fetch_single_ifu(read: Callable[[str, int, int], bytes], name: str, primary_size: int,
                     chip: HduRange, destination: Path | str) -> Path:
    """Fetch one IFU of stored raw file ``name`` with two range reads; write it locally.

    ``read(name, offset, size)`` is a store's ``read_range``; ``primary_size`` and ``chip``
    come from the raw frame and chip records.
    """
    return write_single_ifu(read(name, 0, primary_size), read(name, chip.offset, chip.size),
                            destination)
