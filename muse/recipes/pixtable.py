"""MUSE pixel tables (PIXTABLE_*) in ESO's layout: writing them and reading them memory-mapped.

A pixel table file is a header-only primary HDU and one N × 1 IMAGE extension per column
(``xpos ypos lambda data dq stat origin``; MUSE-FORMATS §"PIXTABLE"), the state in
``ESO DRS MUSE PIXTABLE …`` keywords of the primary header. ``origin`` packs where a pixel came
from: slice ``o & 0x3f``, IFU ``(o >> 6) & 0x1f``, CCD y ``((o >> 11) & 0x1fff) - 1``, x within
the slice ``((o >> 24) & 0x7f) - 1`` plus ``EXP0 IFUnn SLICEnn XOFFSET``.

:class:`PixTable` maps a file once (``mmap``, read-only) and hands out raw big-endian column
views; :meth:`PixTable.release` drops the pages read so far from this process (they stay in
the page cache), so streaming a 10 GB exposure keeps the resident set at one wavelength slab.
"""

from __future__ import annotations

import contextlib
import mmap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits

from common.errors import RecipeError
from muse.recipes.products import hierarch

__all__ = [
    "COLUMNS",
    "FLAT_FIELD_EXTNAME",
    "FLAT_LEVEL_KEY",
    "PIXTABLE_PREFIX",
    "PixTable",
    "decode_origin",
    "encode_origin",
    "write_pixtable",
]

PIXTABLE_PREFIX = "DRS MUSE PIXTABLE"
FLAT_FIELD_EXTNAME = "PIXTABLE_FLAT_FIELD"
FLAT_LEVEL_KEY = "DRS MUSE FLAT FLUX LAMP"
COLUMNS = {"xpos": ">f4", "ypos": ">f4", "lambda": ">f4", "data": ">f4", "dq": ">i4",
           "stat": ">f4", "origin": ">i4"}
_UNITS = {"xpos": "pix", "ypos": "pix", "lambda": "Angstrom", "dq": None, "origin": None}


def encode_origin(ifu: np.ndarray | int, slice_no: np.ndarray | int, ccd_y: np.ndarray | int,
                  x_in_slice: np.ndarray | int) -> np.ndarray:
    """The ``origin`` value of pixels: IFU 1–24, slice 1–48, 0-based CCD y and x in slice."""
    return ((np.asarray(slice_no, dtype=np.int64) & 0x3f)
            | ((np.asarray(ifu, dtype=np.int64) & 0x1f) << 6)
            | (((np.asarray(ccd_y, dtype=np.int64) + 1) & 0x1fff) << 11)
            | (((np.asarray(x_in_slice, dtype=np.int64) + 1) & 0x7f) << 24)).astype(np.int32)


def decode_origin(origin: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(ifu, slice, ccd_y, x_in_slice)`` of packed ``origin`` values (the inverse above)."""
    o = np.asarray(origin, dtype=np.int64)
    return (o >> 6) & 0x1f, o & 0x3f, ((o >> 11) & 0x1fff) - 1, ((o >> 24) & 0x7f) - 1


def write_pixtable(path: Path, primary: fits.Header, columns: Mapping[str, np.ndarray], *,
                   data_unit: str = "count") -> None:
    """Write a pixel table: ``primary`` then the seven columns as N × 1 images.

    The ``LIMITS`` keywords are set from the columns; ``data_unit`` is the BUNIT of ``data``
    (``stat`` gets its square).
    """
    missing = [name for name in COLUMNS if name not in columns]
    if missing:
        raise ValueError(f"pixel table columns missing: {', '.join(missing)}")
    header = primary.copy()
    for name, key in (("xpos", "X"), ("ypos", "Y"), ("lambda", "LAMBDA"), ("data", "DATA")):
        values = np.asarray(columns[name])
        header[hierarch(f"{PIXTABLE_PREFIX} LIMITS {key} LOW")] = float(np.nanmin(values))
        header[hierarch(f"{PIXTABLE_PREFIX} LIMITS {key} HIGH")] = float(np.nanmax(values))
    hdus: list[fits.hdu.base.ExtensionHDU] = []
    for name, dtype in COLUMNS.items():
        values = np.asarray(columns[name], dtype=np.dtype(dtype).newbyteorder("="))
        hdu = fits.ImageHDU(values.reshape(-1, 1), name=name)
        unit = {"data": data_unit, "stat": f"({data_unit})**2"}.get(name, _UNITS.get(name))
        if unit:
            hdu.header["BUNIT"] = (unit, "Physical unit of the column")
        hdus.append(hdu)
    fits.HDUList([fits.PrimaryHDU(header=header), *hdus]).writeto(path, checksum=True)


@dataclass
class PixTable:
    """One pixel table file, validated and mapped read-only.

    ``columns[name]`` is the raw column as stored (big-endian); ``ifu`` comes from the
    primary ``EXTNAME`` (``CHANnn``) or, without it, from the first row's origin;
    ``flat_field`` is the ``PIXTABLE_FLAT_FIELD`` spectrum ``(lambda, data)`` if there is one.
    """

    path: Path
    header: fits.Header
    nrows: int
    columns: dict[str, np.ndarray]
    units: dict[str, str]
    ifu: int
    _map: mmap.mmap
    flat_field: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def open(cls, path: Path | str) -> PixTable:
        """Open and check a pixel table; :class:`RecipeError` names the file and what is wrong."""
        path = Path(path)
        try:
            with fits.open(path, memmap=True, lazy_load_hdus=False) as hdul:
                header = hdul[0].header.copy()
                layout = {}
                flat_field = None
                for hdu in hdul[1:]:
                    name = hdu.name.lower()
                    if hdu.name == FLAT_FIELD_EXTNAME:
                        flat_field = cls._flat_field(path, hdu)
                    elif name in COLUMNS:
                        info = hdu.fileinfo()
                        layout[name] = (hdu.header.copy(), info["datLoc"])
        except (OSError, ValueError) as error:
            raise RecipeError(f"{path}: not a readable FITS pixel table ({error})") from None
        missing = [name for name in COLUMNS if name not in layout]
        if missing:
            raise RecipeError(f"{path}: expected pixel table extensions "
                              f"{', '.join(COLUMNS)}, missing {', '.join(missing)}")
        nrows = None
        for name, (column_header, _) in layout.items():
            shape = (column_header.get("NAXIS"), column_header.get("NAXIS1"))
            bitpix = -32 if COLUMNS[name].endswith("f4") else 32
            if shape != (2, 1) or column_header.get("BITPIX") != bitpix:
                raise RecipeError(f"{path}: extension {name}: expected an N x 1 image with "
                                  f"BITPIX {bitpix}, found NAXIS {shape[0]}, NAXIS1 "
                                  f"{shape[1]}, BITPIX {column_header.get('BITPIX')}")
            rows = int(column_header["NAXIS2"])
            if nrows is not None and rows != nrows:
                raise RecipeError(f"{path}: extension {name} has {rows} rows, expected "
                                  f"{nrows} as the other columns")
            nrows = rows
        assert nrows is not None
        with open(path, "rb") as stream:
            mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        columns = {name: np.frombuffer(mapped, dtype=COLUMNS[name], count=nrows, offset=offset)
                   for name, (_, offset) in layout.items()}
        units = {name: str(column_header.get("BUNIT", "")) for name, (column_header, _)
                 in layout.items()}
        if nrows == 0:
            raise RecipeError(f"{path}: expected pixel table rows, found none")
        ifu = cls._ifu(path, header, int(columns["origin"][0]))
        return cls(path=path, header=header, nrows=nrows, columns=columns, units=units,
                   ifu=ifu, _map=mapped, flat_field=flat_field)

    @staticmethod
    def _flat_field(path: Path, hdu: fits.hdu.base.ExtensionHDU
                    ) -> tuple[np.ndarray, np.ndarray]:
        names = getattr(getattr(hdu, "columns", None), "names", None) or []
        if "lambda" not in names or "data" not in names:
            raise RecipeError(f"{path}: extension {FLAT_FIELD_EXTNAME}: expected a table with "
                              f"columns lambda and data, found {', '.join(names) or 'none'}")
        wave = np.asarray(hdu.data["lambda"], dtype=np.float64)
        values = np.asarray(hdu.data["data"], dtype=np.float64)
        good = np.isfinite(wave) & np.isfinite(values) & (values > 0)
        if np.count_nonzero(good) < 2:
            raise RecipeError(f"{path}: extension {FLAT_FIELD_EXTNAME}: expected at least 2 "
                              f"rows with a positive flat value, found {np.count_nonzero(good)}")
        order = np.argsort(wave[good])
        return wave[good][order], values[good][order]

    @staticmethod
    def _ifu(path: Path, header: fits.Header, origin: int) -> int:
        name = header.get("EXTNAME")
        if isinstance(name, str) and name.startswith("CHAN") and name[4:].isdigit():
            return int(name[4:])
        ifu = int(decode_origin(np.array([origin]))[0][0])
        if not 1 <= ifu <= 24:
            raise RecipeError(f"{path}: no EXTNAME 'CHANnn' and origin of row 1 gives IFU "
                              f"{ifu}, expected 1-24")
        return ifu

    def keyword(self, key: str, default: object = None) -> object:
        """A ``ESO DRS MUSE PIXTABLE <key>`` value of the primary header."""
        return self.header.get(hierarch(f"{PIXTABLE_PREFIX} {key}"), default)

    def native(self, name: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Rows ``start:stop`` of a column in native byte order (a copy)."""
        raw = self.columns[name][start:stop]
        return raw.astype(raw.dtype.newbyteorder("="))

    def words(self, name: str) -> np.ndarray:
        """A column as raw 32-bit words (big-endian bit patterns) for the resampling kernel."""
        return self.columns[name].view(np.uint32)

    def release(self) -> None:
        """Drop the pages read so far from this process's resident set."""
        self._map.madvise(mmap.MADV_DONTNEED)

    def close(self) -> None:
        """Unmap the file (the column views must no longer be used)."""
        self.columns.clear()
        # a view still referenced somewhere keeps the map; it goes with the view
        with contextlib.suppress(BufferError):
            self._map.close()
