"""A FITS data cube written slab by slab: DATA and STAT extensions of known shape.

The file is laid out once (primary header with room for the QC cards, DATA header and data,
STAT header and data); slabs of planes are written at their offsets with plain writes, so no
page of the cube is mapped into the process. ``DATASUM`` is summed as slabs arrive and the
headers (with ``CHECKSUM``) are written last, in the space reserved for them. The checksum
is the FITS one (32-bit ones' complement sum, ASCII-encoded; FITS standard, appendix J).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from astropy.io import fits

__all__ = ["BLOCK", "CubeFile", "checksum_encode", "ones_complement_sum"]

BLOCK = 2880
_CARD = 80
_EXCLUDED = frozenset(b":;<=>?@[\\]^_`")


def ones_complement_sum(buffer: bytes | np.ndarray, total: int = 0) -> int:
    """``total`` plus the 32-bit ones' complement sum of ``buffer`` (big-endian words)."""
    words = np.frombuffer(memoryview(buffer).cast("B"), dtype=">u4")
    total += int(words.sum(dtype=np.uint64))
    while total >> 32:
        total = (total & 0xFFFFFFFF) + (total >> 32)
    return total


def checksum_encode(value: int) -> str:
    """The 16-character ASCII encoding of a 32-bit checksum (FITS appendix J)."""
    characters = [0] * 16
    for index in range(4):
        byte = (value >> (24 - 8 * index)) & 0xFF
        quotient, remainder = byte // 4 + 0x30, byte % 4
        four = [quotient + remainder, quotient, quotient, quotient]
        changed = True
        while changed:
            changed = False
            for j in (0, 2):
                while four[j] in _EXCLUDED or four[j + 1] in _EXCLUDED:
                    four[j] += 1
                    four[j + 1] -= 1
                    changed = True
        for j in range(4):
            characters[4 * j + index] = four[j]
    rotated = characters[-1:] + characters[:-1]
    return bytes(rotated).decode("ascii")


def _header_bytes(header: fits.Header, size: int | None = None) -> bytes:
    text = header.tostring(endcard=False, padding=False)
    cards = len(text) // _CARD + 1
    length = -(-cards * _CARD // BLOCK) * BLOCK
    if size is not None:
        if length > size:
            raise ValueError(f"header of {length} bytes does not fit the {size} reserved")
        length = size
    blanks = (length - len(text) - _CARD) // _CARD
    return (text + " " * _CARD * blanks + "END".ljust(_CARD)).encode("ascii")


def _with_checksum(header: fits.Header, datasum: int, size: int) -> bytes:
    header = header.copy()
    header["CHECKSUM"] = ("0" * 16, "HDU checksum")
    header["DATASUM"] = (str(datasum), "data unit checksum")
    total = ones_complement_sum(_header_bytes(header, size), datasum)
    header["CHECKSUM"] = (checksum_encode(~total & 0xFFFFFFFF), "HDU checksum")
    return _header_bytes(header, size)


class CubeFile:
    """DATA and STAT cubes of ``shape`` (nz, ny, nx), float32, written plane slab by slab.

    ``primary`` is reserved ``spare_cards`` more cards than it has now, for what is known only
    at the end (QC). Call :meth:`write` for every slab, then :meth:`close` with the final
    primary header.
    """

    def __init__(self, path: Path, shape: tuple[int, int, int], primary: fits.Header,
                 data_header: fits.Header, stat_header: fits.Header, *,
                 spare_cards: int = 360) -> None:
        self.path = Path(path)
        self.shape = shape
        self._extensions = [self._extension(data_header), self._extension(stat_header)]
        primary_hdu = fits.PrimaryHDU(header=primary)
        primary_hdu.header["EXTEND"] = (True, "FITS dataset may contain extensions")
        self._primary_size = len(_header_bytes(primary_hdu.header)) + (
            -(-spare_cards * _CARD // BLOCK) * BLOCK)
        nbytes = 4 * shape[0] * shape[1] * shape[2]
        self._data_size = -(-nbytes // BLOCK) * BLOCK
        self._header_sizes = [len(_header_bytes(h)) + BLOCK for h in self._extensions]
        self._offsets = []
        position = self._primary_size
        for size in self._header_sizes:
            self._offsets.append(position + size)
            position += size + self._data_size
        self._sums = [0, 0]
        self._plane = shape[1] * shape[2] * 4
        # open for the object's life: written slab by slab, closed by close() or abort()
        self._stream = open(self.path, "w+b")  # noqa: SIM115
        self._stream.truncate(position)

    def _extension(self, header: fits.Header) -> fits.Header:
        nz, ny, nx = self.shape
        cards = fits.Header([("XTENSION", "IMAGE", "IMAGE extension"),
                             ("BITPIX", -32, "number of bits per data pixel"),
                             ("NAXIS", 3, "number of data axes"),
                             ("NAXIS1", nx, "length of data axis 1"),
                             ("NAXIS2", ny, "length of data axis 2"),
                             ("NAXIS3", nz, "length of data axis 3"),
                             ("PCOUNT", 0, "required keyword; must = 0"),
                             ("GCOUNT", 1, "required keyword; must = 1")])
        cards.extend(header, unique=True)
        return cards

    def write(self, first_plane: int, data: np.ndarray, stat: np.ndarray) -> None:
        """Write planes ``first_plane …`` of DATA and STAT (slabs must arrive once each)."""
        for index, slab in enumerate((data, stat)):
            raw = np.ascontiguousarray(slab, dtype=">f4")
            self._sums[index] = ones_complement_sum(raw, self._sums[index])
            os.pwrite(self._stream.fileno(), raw.data,
                      self._offsets[index] + first_plane * self._plane)

    def read(self, first_plane: int, planes: int) -> tuple[np.ndarray, np.ndarray]:
        """Planes ``first_plane … + planes`` of DATA and STAT as written (native float32)."""
        count = planes * self._plane
        result = []
        for index in range(2):
            raw = os.pread(self._stream.fileno(), count,
                           self._offsets[index] + first_plane * self._plane)
            slab = np.frombuffer(raw, dtype=">f4").reshape(planes, *self.shape[1:])
            result.append(slab.astype(np.float32))
        return result[0], result[1]

    def restart_sums(self) -> None:
        """Start the data checksums anew before every slab is written once more."""
        self._sums = [0, 0]

    def close(self, primary: fits.Header) -> None:
        """Write the final headers with their checksums and flush the file to disk."""
        descriptor = self._stream.fileno()
        head = fits.PrimaryHDU(header=primary).header
        head["EXTEND"] = (True, "FITS dataset may contain extensions")
        os.pwrite(descriptor, _with_checksum(head, 0, self._primary_size), 0)
        position = self._primary_size
        for header, size, datasum in zip(self._extensions, self._header_sizes, self._sums,
                                         strict=True):
            os.pwrite(descriptor, _with_checksum(header, datasum, size), position)
            position += size + self._data_size
        self._stream.flush()
        os.fsync(descriptor)
        self._stream.close()

    def abort(self) -> None:
        """Close without finishing (the caller removes the file)."""
        self._stream.close()
