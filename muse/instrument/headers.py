"""Headers of simulated raw frames, with the keywords ESO's recipes read (MUSE-FORMATS §6).

The primary header carries the exposure (DATE-OBS, DPR, TPL, INS, DET READ …); each ``CHANnn``
extension carries its chip and the geometry, gain and read noise of its four ports. Nothing
depends on the clock: ``DATE`` is the end of the readout, so equal inputs give equal bytes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from astropy.io import fits

from muse.instrument.exposures import Exposure
from muse.instrument.model import IfuModel
from muse.layout import N_IFUS, N_PORTS, PORT_NAMES, DetectorGeometry

__all__ = [
    "LAMPS",
    "READOUT_SECONDS",
    "extension_header",
    "modified_julian_date",
    "primary_header",
]

PARANAL_LONGITUDE = -70.4045
PARANAL_LATITUDE = -24.6273
READOUT_SECONDS = 42.0
READ_MODE = (1, "SCI1RO")
# (lamp name, what it is); the flat-field lamp is LAMP1. ESO's recipes read LAMP3/6 as Ne,
# LAMP4 as Xe and LAMP5 as HgCd; every frame lists every lamp.
LAMPS = (("CU-LAMP1", "continuum"), ("CU-LAMP2", "continuum"), ("CU-LAMP3", "Ne"),
         ("CU-LAMP4", "Xe"), ("CU-LAMP5", "HgCd"), ("CU-LAMP6", "Ne"))
_MJD_ZERO = datetime(1858, 11, 17)


def modified_julian_date(moment: datetime) -> float:
    """MJD of a naive UTC datetime."""
    return (moment - _MJD_ZERO) / timedelta(days=1)


def _local_sidereal_seconds(moment: datetime) -> float:
    days = modified_julian_date(moment) - 51544.5
    hours = 18.697374558 + 24.06570982441908 * days + PARANAL_LONGITUDE / 15
    return (hours % 24) * 3600


def _hierarch(header: fits.Header, key: str, value: object, comment: str) -> None:
    header.append((f"HIERARCH ESO {key}", value, comment))


def primary_header(exposure: Exposure, *, temperature: float) -> fits.Header:
    """The header-only primary HDU of ``exposure`` (IFU temperature ``temperature`` °C)."""
    template = exposure.template
    moment = exposure.date_obs
    written = moment + timedelta(seconds=exposure.exptime + READOUT_SECONDS)
    lst = _local_sidereal_seconds(moment)
    header = fits.Header()
    for card in (
        ("SIMPLE", True, "Standard FITS"),
        ("BITPIX", 8, "No data in the primary HDU"),
        ("NAXIS", 0, "No data in the primary HDU"),
        ("EXTEND", True, "FITS dataset may contain extensions"),
        ("ORIGIN", "ESO-PARANAL", "European Southern Observatory"),
        ("DATE", written.strftime("%Y-%m-%dT%H:%M:%S"), "Date the file was written"),
        ("TELESCOP", "ESO-VLT-U4", "ESO Telescope Name"),
        ("INSTRUME", "MUSE", "Instrument used"),
        ("OBJECT", template.dpr_type, "Original target"),
        ("RA", round(lst / 240.0, 6), "[deg] Telescope pointing (zenith)"),
        ("DEC", PARANAL_LATITUDE, "[deg] Telescope pointing (zenith)"),
        ("EQUINOX", 2000.0, "Standard FK5"),
        ("RADESYS", "FK5", "Coordinate system"),
        ("EXPTIME", exposure.exptime, "[s] Integration time"),
        ("MJD-OBS", round(modified_julian_date(moment), 8), "Obs start"),
        ("DATE-OBS", exposure.date_obs_text, "Observing date"),
        ("UTC", round(moment.hour * 3600 + moment.minute * 60 + moment.second
                      + moment.microsecond / 1e6, 3), "[s] UTC at start"),
        ("LST", round(lst, 3), "[s] Local sidereal time at start"),
        ("PI-COI", "UNKNOWN", "PI-COI name"),
        ("OBSERVER", "UNKNOWN", "Name of observer"),
        ("ARCFILE", exposure.filename, "Archive File Name"),
        ("ORIGFILE", exposure.origfile, "Original File Name"),
    ):
        header.append(card)
    night_number = exposure.night.toordinal() % 100000
    for key, value, comment in (
        ("OBS NAME", "Calibration", "OB name"),
        ("OBS ID", 200000000 + night_number * 10 + template.number, "Observation block ID"),
        ("OBS PROG ID", "60.A-9100(G)", "ESO program identification"),
        ("OBS START", exposure.template_start.strftime("%Y-%m-%dT%H:%M:%S"), "OB start time"),
        ("TPL ID", template.tpl_id, "Template signature ID"),
        ("TPL NAME", template.tpl_name, "Template name"),
        ("TPL NEXP", exposure.nexp, "Number of exposures within template"),
        ("TPL EXPNO", exposure.expno, "Exposure number within template"),
        ("TPL START", exposure.template_start.strftime("%Y-%m-%dT%H:%M:%S"),
         "TPL start time"),
        ("DPR CATG", template.dpr_catg, "Data Product Category"),
        ("DPR TYPE", template.dpr_type, "Data Product Type"),
        ("DPR TECH", template.dpr_tech, "Data Product Technique"),
        ("INS MODE", "WFM-NOAO-N", "Instrument mode used"),
        ("INS OPTI1 NAME", "Blue", "Pupil filter wheel: nominal blue cut"),
        ("INS OPTI2 NAME", "WFM", "Field: wide field mode"),
        ("INS DROT POSANG", 0.0, "[deg] Derotator position angle"),
        ("INS TEMP7 VAL", round(temperature, 2), "[C] IFU temperature"),
        ("INS LAMPNUM", len(LAMPS), "Number of lamps"),
    ):
        _hierarch(header, key, value, comment)
    for number, (name, _) in enumerate(LAMPS, start=1):
        on = number == exposure.lamp
        _hierarch(header, f"INS LAMP{number} NAME", name, "Lamp name")
        _hierarch(header, f"INS LAMP{number} ST", on, "Lamp activated")
        _hierarch(header, f"INS SHUT{number} NAME", f"{name}-SHUT", "Lamp shutter name")
        _hierarch(header, f"INS SHUT{number} ST", on, "Lamp shutter open")
    for key, value, comment in (
        ("DET NAME", "MUSE", "Name of detector system"),
        ("DET CHIPS", N_IFUS, "Number of chips"),
        ("DET OUTPUTS", N_PORTS, "Number of outputs per chip"),
        ("DET BINX", 1, "Binning factor along X"),
        ("DET BINY", 1, "Binning factor along Y"),
        ("DET READ CLOCK", READ_MODE[1], "Readout clock pattern used"),
        ("DET READ CURID", READ_MODE[0], "Used readout mode id"),
        ("DET READ CURNAME", READ_MODE[1], "Used readout mode name"),
        ("DET DIT", exposure.exptime, "[s] Integration time"),
        ("DET NDIT", 1, "Number of integrations"),
        ("DET EXP TYPE", "Normal" if exposure.exptime > 0 else "Bias", "Exposure type"),
        ("DET SHUT TYPE", "Iris", "Type of shutter"),
    ):
        _hierarch(header, key, value, comment)
    return header


def extension_header(model: IfuModel, detector: DetectorGeometry) -> fits.Header:
    """The header of the ``CHANnn`` image of IFU ``model`` (uint16 as BITPIX 16, BZERO 32768)."""
    header = fits.Header()
    for card in (
        ("XTENSION", "IMAGE", "Image extension"),
        ("BITPIX", 16, "16-bit integers"),
        ("NAXIS", 2, "Two-dimensional image"),
        ("NAXIS1", detector.raw_nx, "Raw columns with pre- and overscans"),
        ("NAXIS2", detector.raw_ny, "Raw rows with pre- and overscans"),
        ("PCOUNT", 0, "No parameters"),
        ("GCOUNT", 1, "One group"),
        ("BSCALE", 1, "Unsigned 16-bit data"),
        ("BZERO", 32768, "Unsigned 16-bit data"),
        ("EXTNAME", model.extname, "IFU of this chip"),
    ):
        header.append(card)
    for key, value, comment in (
        ("DET CHIP INDEX", model.ifu, "Chip index"),
        ("DET CHIP NAME", model.chip_name, "Detector chip name"),
        ("DET CHIP ID", model.chip_id, "Detector chip identification"),
        ("DET CHIP DATE", "2013-06-01", "Date of installation"),
        ("DET CHIP LIVE", True, "Detector alive"),
        ("DET CHIP NX", detector.trimmed_nx, "Physical active pixels in X"),
        ("DET CHIP NY", detector.trimmed_ny, "Physical active pixels in Y"),
        ("DET CHIP PSZX", 15.0, "[um] Size of pixel in X"),
        ("DET CHIP PSZY", 15.0, "[um] Size of pixel in Y"),
    ):
        _hierarch(header, key, value, comment)
    for port in model.ports:
        n = port.port
        geometry = detector.port_keywords(n)
        for key, value, comment in (
            ("INDEX", n, "Output index"),
            ("NAME", PORT_NAMES[n], "Description of output"),
            ("ID", PORT_NAMES[n], "Output ID as from manufacturer"),
            ("X", geometry["X"], "X location of output"),
            ("Y", geometry["Y"], "Y location of output"),
            ("NX", geometry["NX"], "Valid pixels along X"),
            ("NY", geometry["NY"], "Valid pixels along Y"),
            ("PRSCX", geometry["PRSCX"], "Prescan region in X"),
            ("PRSCY", geometry["PRSCY"], "Prescan region in Y"),
            ("OVSCX", geometry["OVSCX"], "Overscan region in X"),
            ("OVSCY", geometry["OVSCY"], "Overscan region in Y"),
            ("GAIN", port.gain, "[e-/ADU] Conversion ADU to electrons"),
            ("RON", port.header_ron, "[e-] Readout noise per output"),
            ("CONAD", round(1.0 / port.gain, 6), "[ADU/e-] Conversion electrons to ADU"),
        ):
            _hierarch(header, f"DET OUT{n} {key}", value, comment)
    return header
