"""The static calibrations ESO ships, as the simulated instrument would have them.

Written beside the raw files of a night that has arc or science frames, each a FITS file with
``ESO PRO CATG`` and a ``DATE-OBS`` before any night it serves (MUSE-FORMATS §1–2):

===========================  ===============  ==============================================
file                         PRO CATG         content
===========================  ===============  ==============================================
``line_catalog.fits``        LINE_CATALOG     ``lambda`` (float32), ``flux``, ``ion``,
                                              ``quality``; ``VERSION = 3`` in the primary
``geometry_table_wfm.fits``  GEOMETRY_TABLE   1152 rows: ``SubField``, ``SliceCCD``,
                                              ``SliceSky``, ``x``, ``y``, ``angle``,
                                              ``width`` and their ``*err``
``extinct_table.fits``       EXTINCT_TABLE    ``lambda``, ``extinction`` (mag/airmass)
``std_response_wfm-n.fits``  STD_RESPONSE     ``lambda``, ``response``, ``resperr``
``filter_list.fits``         FILTER_LIST      one table per filter (EXTNAME = its name):
                                              ``lambda``, ``throughput``
===========================  ===============  ==============================================

The content is the simulator's own physics (:mod:`muse.instrument.spectra`,
:mod:`muse.instrument.fieldmap`), so calibrating with these tables undoes the simulation.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from astropy.io import fits

from common.files import write_bytes_atomically
from muse.instrument.exposures import format_date_obs
from muse.instrument.fieldmap import FieldMap
from muse.instrument.headers import modified_julian_date
from muse.instrument.spectra import FILTERS, extinction, line_catalog, response
from muse.layout import Geometry

__all__ = ["STATIC_FILES", "static_date", "write_statics"]

STATIC_FILES = {"LINE_CATALOG": "line_catalog.fits",
                "GEOMETRY_TABLE": "geometry_table_wfm.fits",
                "EXTINCT_TABLE": "extinct_table.fits",
                "STD_RESPONSE": "std_response_wfm-n.fits",
                "FILTER_LIST": "filter_list.fits"}
_RELEASE = datetime(2014, 1, 1)
_TABLE_WAVELENGTHS = np.arange(4500.0, 10001.0, 10.0)


def static_date(night: date) -> datetime:
    """The DATE-OBS of the static tables: 2014-01-01, or a year before an earlier night."""
    start = datetime.combine(night, datetime.min.time())
    return min(_RELEASE, start - timedelta(days=365))


def _primary(catg: str, name: str, moment: datetime, extra: dict[str, object]) -> fits.Header:
    header = fits.Header()
    for key, value, comment in (
        ("ORIGIN", "ESO", "European Southern Observatory"),
        ("TELESCOP", "ESO-VLT-U4", "ESO Telescope Name"),
        ("INSTRUME", "MUSE", "Instrument used"),
        ("DATE-OBS", format_date_obs(moment), "Valid from"),
        ("MJD-OBS", round(modified_julian_date(moment), 8), "Valid from (MJD)"),
        ("ORIGFILE", name, "Original file name"),
        ("HIERARCH ESO PRO CATG", catg, "Category of pipeline product frame"),
        ("HIERARCH ESO PRO TYPE", "STATIC", "Static calibration"),
        *((key, value, "") for key, value in extra.items()),
    ):
        header[key] = (value, comment)
    return header


def _table(columns: list[fits.Column], name: str | None = None) -> fits.BinTableHDU:
    return fits.BinTableHDU.from_columns(columns, name=name)


def _write(path: Path, primary: fits.Header, tables: list[fits.BinTableHDU]) -> Path:
    hdul = fits.HDUList([fits.PrimaryHDU(header=primary), *tables])
    # checksums without astropy's time stamp in their comments: equal inputs, equal bytes
    for hdu in hdul:
        hdu.add_checksum(when="HDU checksum")
    buffer = io.BytesIO()
    hdul.writeto(buffer)
    return write_bytes_atomically(path, buffer.getvalue())


def write_statics(directory: Path, night: date, geometry: Geometry,
                  field: FieldMap) -> dict[str, Path]:
    """Write the five static tables into ``directory``; return their paths by category."""
    moment = static_date(night)
    directory = Path(directory)
    lines = line_catalog(geometry)
    written = {}
    catalog = _table([
        fits.Column("lambda", "E", unit="Angstrom",
                    array=np.array([line.wavelength for line in lines], dtype=np.float32)),
        fits.Column("flux", "E", array=np.array([line.flux for line in lines], np.float32)),
        fits.Column("ion", "8A", array=[line.ion for line in lines]),
        fits.Column("quality", "J", array=[line.quality for line in lines]),
    ])
    placements = [p for ifu in field.placements for p in ifu]
    zeros = np.zeros(len(placements))
    geometry_table = _table([
        fits.Column("SubField", "J", array=[p.ifu for p in placements]),
        fits.Column("SliceCCD", "J", array=[p.slice_ccd for p in placements]),
        fits.Column("SliceSky", "J", array=[p.slice_sky for p in placements]),
        fits.Column("x", "D", unit="pix", array=[p.x for p in placements]),
        fits.Column("xerr", "D", unit="pix", array=zeros),
        fits.Column("y", "D", unit="pix", array=[p.y for p in placements]),
        fits.Column("yerr", "D", unit="pix", array=zeros),
        fits.Column("angle", "D", unit="deg", array=[p.angle for p in placements]),
        fits.Column("angleerr", "D", unit="deg", array=zeros),
        fits.Column("width", "D", unit="pix", array=[p.length for p in placements]),
        fits.Column("widtherr", "D", unit="pix", array=zeros),
    ])
    wavelengths = _TABLE_WAVELENGTHS
    extinct = _table([fits.Column("lambda", "D", unit="Angstrom", array=wavelengths),
                      fits.Column("extinction", "D", unit="mag/airmass",
                                  array=extinction(wavelengths))])
    unit = "2.5*log10((count/s/Angstrom)/(erg/s/cm**2/Angstrom))"
    std = _table([fits.Column("lambda", "D", unit="Angstrom", array=wavelengths),
                  fits.Column("response", "D", unit=unit, array=response(wavelengths)),
                  fits.Column("resperr", "D", unit=unit, array=np.full(wavelengths.size, 0.01))])
    filters = [_table([fits.Column("lambda", "D", unit="Angstrom", array=curve[0]),
                       fits.Column("throughput", "D", array=curve[1])], name=name)
               for name, curve in FILTERS.items()]
    contents = {"LINE_CATALOG": ([catalog], {"VERSION": 3}),
                "GEOMETRY_TABLE": ([geometry_table], {}),
                "EXTINCT_TABLE": ([extinct], {}),
                "STD_RESPONSE": ([std], {"HIERARCH ESO INS MODE": "WFM-NOAO-N"}),
                "FILTER_LIST": (filters, {})}
    for catg, (tables, extra) in contents.items():
        name = STATIC_FILES[catg]
        written[catg] = _write(directory / name, _primary(catg, name, moment, extra), tables)
    return written

