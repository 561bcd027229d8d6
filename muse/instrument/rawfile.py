"""Write a raw MUSE file extension by extension, atomically.

A full-size raw file is about 860 MB, so it is never assembled in memory: the header-only
primary HDU goes first, then one ``CHANnn`` image at a time, straight to a hidden temporary
file beside the target; :meth:`RawFileWriter.commit` fsyncs it and renames it into place, so
readers see the old file or the whole new one, never half.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np
from astropy.io import fits

from common.files import place

__all__ = ["BLOCK", "RawFileWriter"]

BLOCK = 2880


class RawFileWriter:
    """Streams the HDUs of one FITS file to ``path`` through a temporary file.

    Use as a context manager; leaving it by an exception removes the temporary file.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self._file: BinaryIO | None = open(self.temporary, "wb")  # noqa: SIM115
        self._primary_written = False

    def __enter__(self) -> RawFileWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._file is not None:
            self.abort()

    def _stream(self) -> BinaryIO:
        if self._file is None:
            raise ValueError(f"{self.path}: the file is already committed or aborted")
        return self._file

    def write_primary(self, header: fits.Header) -> None:
        """Write the header-only primary HDU (``NAXIS = 0``)."""
        if self._primary_written:
            raise ValueError(f"{self.path}: the primary HDU is already written")
        if header.get("NAXIS") != 0:
            raise ValueError(f"{self.path}: primary header: expected NAXIS = 0, found "
                             f"{header.get('NAXIS')!r}")
        self._stream().write(header.tostring().encode("ascii"))
        self._primary_written = True

    def write_uint16_image(self, header: fits.Header, data: np.ndarray) -> None:
        """Append an IMAGE extension holding ``data`` (uint16) as BITPIX 16, BZERO 32768."""
        if not self._primary_written:
            raise ValueError(f"{self.path}: write the primary HDU first")
        if data.dtype != np.uint16 or data.ndim != 2:
            raise ValueError(f"{self.path}: image data: expected a 2-d uint16 array, found "
                             f"{data.ndim}-d {data.dtype}")
        expected = {"BITPIX": 16, "BZERO": 32768, "NAXIS": 2, "NAXIS1": data.shape[1],
                    "NAXIS2": data.shape[0]}
        for key, value in expected.items():
            if header.get(key) != value:
                raise ValueError(f"{self.path}: extension {header.get('EXTNAME')!r}: expected "
                                 f"{key} = {value}, found {header.get(key)!r}")
        stream = self._stream()
        stream.write(header.tostring().encode("ascii"))
        # Stored value = uint16 - 32768 as big-endian int16, i.e. the top bit flipped.
        stored = np.bitwise_xor(data, np.uint16(0x8000)).astype(">u2")
        stream.write(stored.tobytes())
        stream.write(bytes(-stored.nbytes % BLOCK))

    def commit(self) -> Path:
        """Flush, fsync and rename the file into place; return its path."""
        stream = self._stream()
        stream.flush()
        os.fsync(stream.fileno())
        stream.close()
        self._file = None
        place(self.temporary, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the temporary file; the target is left as it was."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self.temporary.unlink(missing_ok=True)
