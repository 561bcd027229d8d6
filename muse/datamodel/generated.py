"""MUSE classes generated from muse.xml (data model 1.0.0).

Do not edit: change muse/datamodel/muse.xml and run
``python -m muse.datamodel.generate``. The behaviour lives in
:mod:`muse.datamodel.bases`; the process specifications follow the classes.
"""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

from common.persistent import DataObject, DBObject, ParameterSet, persistent
from common.process.spec import Calib, Input, ProcessSpec
from muse.datamodel.bases import (
    CalibrationBehaviour,
    ProductBehaviour,
    QcThreshold,
    RawChipBehaviour,
    RawFrameBehaviour,
    RecipeParameters,
)

__all__ = [
    "DATAMODEL_VERSION",
    "BiasParameters",
    "CalibrationProduct",
    "DataCube",
    "ExtinctTable",
    "FilterList",
    "FlatParameters",
    "GeometryTable",
    "ImageFov",
    "LineCatalog",
    "MasterBias",
    "MasterFlat",
    "NightlyCalibration",
    "PixTable",
    "RawArc",
    "RawArcChip",
    "RawBias",
    "RawBiasChip",
    "RawChip",
    "RawDark",
    "RawFlat",
    "RawFlatChip",
    "RawFrame",
    "RawIllum",
    "RawMask",
    "RawOther",
    "RawScience",
    "RawScienceChip",
    "RawSky",
    "RawStd",
    "RawStdChip",
    "RawTwilight",
    "RawTwilightChip",
    "ScibasicParameters",
    "ScienceProduct",
    "ScipostParameters",
    "StaticCalibration",
    "StdResponse",
    "TraceTable",
    "WavecalParameters",
    "WavecalTable",
]

DATAMODEL_VERSION = "1.0.0"
"""The version of muse.xml these classes were generated from."""


class RawFrame(RawFrameBehaviour, DataObject, abstract=True):
    """One raw MUSE file as ESO delivers it (its ARCFILE name is its store name)."""

    ARCFILE = persistent("ESO archive file name", str, fits="ARCFILE", length=80, index=True)
    ORIGFILE = persistent("original file name at the telescope", str, fits="ORIGFILE", length=80)
    INSTRUME = persistent("instrument name", str, fits="INSTRUME", length=16)
    DATE_OBS = persistent("start of the exposure (UTC)", dt.datetime, fits="DATE-OBS", index=True)
    MJD_OBS = persistent("modified Julian date of the start", float, fits="MJD-OBS")
    EXPTIME = persistent("exposure time [s]", float, fits="EXPTIME")
    RA = persistent("right ascension of the pointing [deg]", float, fits="RA")
    DEC = persistent("declination of the pointing [deg]", float, fits="DEC")
    night = persistent("MuseWise night: date of DATE-OBS, minus one day before 20:40 UT", dt.date)
    exposure = persistent(
        "ARCFILE without .fits, names the exposure in requests", str, length=80, index=True
    )
    do_catg = persistent("ESO DO.CATG the frame was classified as", str, length=32)
    DPR_CATG = persistent("data product category", str, fits="ESO DPR CATG", length=32)
    DPR_TYPE = persistent("data product type", str, fits="ESO DPR TYPE", length=32)
    DPR_TECH = persistent("data product technique", str, fits="ESO DPR TECH", length=32)
    TPL_ID = persistent("template id", str, fits="ESO TPL ID", length=64)
    TPL_START = persistent(
        "template start (groups a template's frames)",
        str,
        fits="ESO TPL START",
        length=32,
        index=True,
    )
    TPL_EXPNO = persistent("exposure number within the template", int, fits="ESO TPL EXPNO")
    OBS_ID = persistent("observation block id", int, fits="ESO OBS ID")
    OBS_NAME = persistent("observation block name", str, fits="ESO OBS NAME", length=64)
    OBS_TARG_NAME = persistent("target name", str, fits="ESO OBS TARG NAME", length=64)
    INS_MODE = persistent("instrument mode (WFM-NOAO-N, ...)", str, fits="ESO INS MODE", length=16)
    INS_OPTI1_NAME = persistent(
        "pupil filter wheel (Blue* = nominal)", str, fits="ESO INS OPTI1 NAME", length=32
    )
    INS_OPTI2_NAME = persistent(
        "field of view (WFM or NFM)", str, fits="ESO INS OPTI2 NAME", length=32
    )
    INS_DROT_POSANG = persistent(
        "derotator position angle [deg]", float, fits="ESO INS DROT POSANG"
    )
    INS_TEMP7_VAL = persistent("IFU temperature [C]", float, fits="ESO INS TEMP7 VAL")
    DET_READ_CURID = persistent("read-out mode id", int, fits="ESO DET READ CURID")
    DET_READ_CURNAME = persistent("read-out mode name", str, fits="ESO DET READ CURNAME", length=32)
    DET_BINX = persistent("binning along x", int, fits="ESO DET BINX")
    DET_BINY = persistent("binning along y", int, fits="ESO DET BINY")
    TEL_AIRM_START = persistent("airmass at start", float, fits="ESO TEL AIRM START")
    TEL_AIRM_END = persistent("airmass at end", float, fits="ESO TEL AIRM END")
    TEL_AMBI_FWHM_START = persistent(
        "seeing at start [arcsec]", float, fits="ESO TEL AMBI FWHM START"
    )
    TEL_AMBI_FWHM_END = persistent("seeing at end [arcsec]", float, fits="ESO TEL AMBI FWHM END")
    primary_size = persistent("bytes of the header-only primary HDU (read with each chip)", int)
    is_valid = persistent("0 invalid, 1 valid, 2 proposed for promotion", int, 1)


class RawChip(RawChipBehaviour, DBObject, abstract=True):
    """One CHANnn extension (one IFU) of a raw frame: a byte range of the frame's file."""

    quality_bits = MappingProxyType({"temperature": 0, "saturated": 1})
    qc_keys = MappingProxyType(
        {
            "INS TEMP7 VAL": "INS_TEMP7_VAL",
            "RAW NSATURATED": "saturated_pixels",
            "RAW MEDIAN": "median_level",
        }
    )
    qc_thresholds = (
        QcThreshold("INS TEMP7 VAL", "INS_TEMP7_VAL", "temperature", 0, minimum=0.0, maximum=25.0),
        QcThreshold("RAW NSATURATED", "saturated_pixels", "saturated", 1, maximum=10000.0),
    )

    raw_frame = persistent("the raw file this extension is in", RawFrame)
    ifu = persistent("IFU 1-24", int)
    extname = persistent("extension name CHANnn", str, fits="EXTNAME", length=16)
    night = persistent("MuseWise night, as on the frame", dt.date)
    DATE_OBS = persistent(
        "start of the exposure (UTC), as on the frame", dt.datetime, fits="DATE-OBS", index=True
    )
    hdu_offset = persistent("bytes from the start of the file to the extension header", int)
    hdu_size = persistent("bytes of header plus padded data", int)
    DET_CHIP_NAME = persistent("CCD name", str, fits="ESO DET CHIP NAME", length=32)
    DET_CHIP_ID = persistent("CCD id", str, fits="ESO DET CHIP ID", length=32)
    DET_OUT1_GAIN = persistent("gain of port 1 [e-/adu]", float, fits="ESO DET OUT1 GAIN")
    DET_OUT2_GAIN = persistent("gain of port 2 [e-/adu]", float, fits="ESO DET OUT2 GAIN")
    DET_OUT3_GAIN = persistent("gain of port 3 [e-/adu]", float, fits="ESO DET OUT3 GAIN")
    DET_OUT4_GAIN = persistent("gain of port 4 [e-/adu]", float, fits="ESO DET OUT4 GAIN")
    DET_OUT1_RON = persistent("read-out noise of port 1 [e-]", float, fits="ESO DET OUT1 RON")
    DET_OUT2_RON = persistent("read-out noise of port 2 [e-]", float, fits="ESO DET OUT2 RON")
    DET_OUT3_RON = persistent("read-out noise of port 3 [e-]", float, fits="ESO DET OUT3 RON")
    DET_OUT4_RON = persistent("read-out noise of port 4 [e-]", float, fits="ESO DET OUT4 RON")
    is_valid = persistent("0 invalid, 1 valid, 2 proposed for promotion", int, 1)
    quality_flags = persistent("raw QC flag bits, written once", int, 0)
    qc_override = persistent("accepted despite its QC flags", bool, False)
    INS_TEMP7_VAL = persistent("IFU temperature (raw QC) [C]", float, fits="ESO INS TEMP7 VAL")
    saturated_pixels = persistent("pixels above the saturation flag level 65500 adu (raw QC)", int)
    median_level = persistent("median of the raw pixels (raw QC) [adu]", float)


class RawBiasChip(RawChip):
    """One IFU of a raw BIAS frame."""

    do_category = "BIAS"


class RawBias(RawFrame):
    """A raw BIAS frame."""

    chip_class = RawBiasChip
    do_category = "BIAS"


class RawFlatChip(RawChip):
    """One IFU of a raw lamp flat."""

    do_category = "FLAT"


class RawFlat(RawFrame):
    """A raw lamp flat (FLAT,LAMP)."""

    chip_class = RawFlatChip
    do_category = "FLAT"


class RawArcChip(RawChip):
    """One IFU of a raw arc frame."""

    do_category = "ARC"


class RawArc(RawFrame):
    """A raw arc frame (DPR.TYPE WAVE): one lamp of a Ne, Xe, HgCd triplet."""

    chip_class = RawArcChip
    do_category = "ARC"


class RawTwilightChip(RawChip):
    """One IFU of a raw twilight sky flat."""

    do_category = "SKYFLAT"


class RawTwilight(RawFrame):
    """A raw twilight sky flat (FLAT,SKY)."""

    chip_class = RawTwilightChip
    do_category = "SKYFLAT"


class RawScienceChip(RawChip):
    """One IFU of a raw science exposure."""

    do_category = "OBJECT"


class RawScience(RawFrame):
    """A raw science exposure (SCIENCE, OBJECT)."""

    chip_class = RawScienceChip
    do_category = "OBJECT"


class RawStdChip(RawChip):
    """One IFU of a raw standard-star exposure."""

    do_category = "STD"


class RawStd(RawFrame):
    """A raw standard-star exposure (CALIB, STD)."""

    chip_class = RawStdChip
    do_category = "STD"


class RawIllum(RawFrame):
    """A raw attached illumination flat (stored, not processed)."""

    do_category = "ILLUMFLAT"


class RawDark(RawFrame):
    """A raw dark (stored, not processed)."""

    do_category = "DARK"


class RawSky(RawFrame):
    """A raw sky exposure (stored, not processed)."""

    do_category = "SKY"


class RawMask(RawFrame):
    """A raw pinhole-mask frame for the geometry (stored, not processed)."""

    do_category = "MASK"


class RawOther(RawFrame):
    """Any other raw MUSE frame (stored, not processed; its DO.CATG is recorded)."""


class BiasParameters(RecipeParameters, ParameterSet):
    """Parameters of muse_bias that change the MASTER_BIAS."""

    recipe = "muse_bias"
    eso_names = MappingProxyType(
        {
            "overscan": "overscan",
            "ovscreject": "ovscreject",
            "ovscsigma": "ovscsigma",
            "ovscignore": "ovscignore",
            "combine": "combine",
            "nlow": "nlow",
            "nhigh": "nhigh",
            "nkeep": "nkeep",
            "lsigma": "lsigma",
            "hsigma": "hsigma",
            "losigmabadpix": "losigmabadpix",
            "hisigmabadpix": "hisigmabadpix",
        }
    )

    overscan = persistent("overscan correction: none, offset or vpoly", str, "vpoly", length=16)
    ovscreject = persistent("overscan rejection: none, dcr or fit", str, "dcr", length=16)
    ovscsigma = persistent("rejection level of the vpoly fit [sigma]", float, 30.0)
    ovscignore = persistent("overscan columns/rows next to the data left out", int, 3)
    combine = persistent(
        "combination: average, median, minmax or sigclip", str, "sigclip", length=16
    )
    nlow = persistent("minmax: lowest values rejected per pixel", int, 1)
    nhigh = persistent("minmax: highest values rejected per pixel", int, 1)
    nkeep = persistent("minmax: values kept at least", int, 1)
    lsigma = persistent("sigclip: low rejection", float, 3.0)
    hsigma = persistent("sigclip: high rejection", float, 3.0)
    losigmabadpix = persistent("dark-column search: low cut", float, 30.0)
    hisigmabadpix = persistent("bright-column search: high cut", float, 3.0)


class FlatParameters(RecipeParameters, ParameterSet):
    """Parameters of muse_flat that change the MASTER_FLAT and TRACE_TABLE."""

    recipe = "muse_flat"
    eso_names = MappingProxyType(
        {
            "overscan": "overscan",
            "ovscreject": "ovscreject",
            "ovscsigma": "ovscsigma",
            "ovscignore": "ovscignore",
            "combine": "combine",
            "nlow": "nlow",
            "nhigh": "nhigh",
            "nkeep": "nkeep",
            "lsigma": "lsigma",
            "hsigma": "hsigma",
            "normalize": "normalize",
            "trace": "trace",
            "nsum": "nsum",
            "trace_order": "order",
            "edgefrac": "edgefrac",
            "losigmabadpix": "losigmabadpix",
            "hisigmabadpix": "hisigmabadpix",
            "scale": "scale",
        }
    )

    overscan = persistent("overscan correction: none, offset or vpoly", str, "vpoly", length=16)
    ovscreject = persistent("overscan rejection: none, dcr or fit", str, "dcr", length=16)
    ovscsigma = persistent("rejection level of the vpoly fit [sigma]", float, 30.0)
    ovscignore = persistent("overscan columns/rows next to the data left out", int, 3)
    combine = persistent(
        "combination: average, median, minmax or sigclip", str, "sigclip", length=16
    )
    nlow = persistent("minmax: lowest values rejected per pixel", int, 1)
    nhigh = persistent("minmax: highest values rejected per pixel", int, 1)
    nkeep = persistent("minmax: values kept at least", int, 1)
    lsigma = persistent("sigclip: low rejection", float, 3.0)
    hsigma = persistent("sigclip: high rejection", float, 3.0)
    normalize = persistent("divide the master flat by its mean within the slices", bool, True)
    trace = persistent("trace the slices and write the TRACE_TABLE", bool, True)
    nsum = persistent("rows averaged per trace point", int, 32)
    trace_order = persistent(
        "order of the trace polynomials (ESO 'order', a SQL reserved word)", int, 5
    )
    edgefrac = persistent("fraction of the slice level that marks an edge", float, 0.5)
    losigmabadpix = persistent("dark-pixel search in the master flat [sigma]", float, 5.0)
    hisigmabadpix = persistent("bright-pixel search in the master flat [sigma]", float, 5.0)
    scale = persistent("scale the inputs to the exposure time of the first", bool, True)


class WavecalParameters(RecipeParameters, ParameterSet):
    """Parameters of muse_wavecal that change the WAVECAL_TABLE."""

    recipe = "muse_wavecal"
    eso_names = MappingProxyType(
        {
            "overscan": "overscan",
            "ovscreject": "ovscreject",
            "ovscsigma": "ovscsigma",
            "ovscignore": "ovscignore",
            "combine": "combine",
            "lampwise": "lampwise",
            "line_sigma": "sigma",
            "dres": "dres",
            "tolerance": "tolerance",
            "xorder": "xorder",
            "yorder": "yorder",
            "linesigma": "linesigma",
            "fitsigma": "fitsigma",
            "fitweighting": "fitweighting",
        }
    )

    overscan = persistent("overscan correction: none, offset or vpoly", str, "vpoly", length=16)
    ovscreject = persistent("overscan rejection: none, dcr or fit", str, "dcr", length=16)
    ovscsigma = persistent("rejection level of the vpoly fit [sigma]", float, 30.0)
    ovscignore = persistent("overscan columns/rows next to the data left out", int, 3)
    combine = persistent("combination of the arcs of one lamp", str, "sigclip", length=16)
    lampwise = persistent("identify lines per lamp", bool, True)
    line_sigma = persistent("line detection threshold [sigma] (ESO 'sigma')", float, 1.0)
    dres = persistent("allowed deviation of the dispersion [Angstrom/pixel]", float, 0.05)
    tolerance = persistent("line identification tolerance [Angstrom]", float, 0.1)
    xorder = persistent("polynomial order across the slice", int, 2)
    yorder = persistent("polynomial order along the dispersion", int, 6)
    linesigma = persistent("rejection in the line fits (-1: default)", float, -1.0)
    fitsigma = persistent("rejection in the polynomial fit (-1: default)", float, -1.0)
    fitweighting = persistent(
        "weighting of the fit: uniform, cerr, scatter or cerrscatter", str, "cerrscatter", length=16
    )


class ScibasicParameters(RecipeParameters, ParameterSet):
    """Parameters of muse_scibasic that change the PIXTABLE."""

    recipe = "muse_scibasic"
    eso_names = MappingProxyType(
        {
            "overscan": "overscan",
            "ovscreject": "ovscreject",
            "ovscsigma": "ovscsigma",
            "ovscignore": "ovscignore",
            "crop": "crop",
            "skylines": "skylines",
        }
    )

    overscan = persistent("overscan correction: none, offset or vpoly", str, "vpoly", length=16)
    ovscreject = persistent("overscan rejection: none, dcr or fit", str, "dcr", length=16)
    ovscsigma = persistent("rejection level of the vpoly fit [sigma]", float, 30.0)
    ovscignore = persistent("overscan columns/rows next to the data left out", int, 3)
    crop = persistent("crop the pixel table to the useful wavelength range", bool, True)
    skylines = persistent(
        "sky lines for the wavelength shift [Angstrom]", str, "5577.339,6300.304", length=64
    )


class ScipostParameters(RecipeParameters, ParameterSet):
    """Parameters of muse_scipost that change the DATACUBE_FINAL and IMAGE_FOV."""

    recipe = "muse_scipost"
    eso_names = MappingProxyType(
        {
            "save_products": "save",
            "resample": "resample",
            "dx": "dx",
            "dy": "dy",
            "dlambda": "dlambda",
            "crtype": "crtype",
            "crsigma": "crsigma",
            "rc": "rc",
            "pixfrac": "pixfrac",
            "ld": "ld",
            "cube_format": "format",
            "weighting": "weight",
            "filters": "filter",
            "autocalib": "autocalib",
            "skymethod": "skymethod",
            "lambdamin": "lambdamin",
            "lambdamax": "lambdamax",
            "lambdaref": "lambdaref",
            "darcheck": "darcheck",
            "skymodel_fraction": "skymodel_fraction",
            "skymodel_ignore": "skymodel_ignore",
            "skymodel_sampling": "skymodel_sampling",
            "skymodel_csampling": "skymodel_csampling",
            "sky_crsigma": "sky_crsigma",
            "rvcorr": "rvcorr",
            "astrometry": "astrometry",
            "raman_width": "raman_width",
        }
    )

    save_products = persistent("products to save (ESO 'save')", str, "cube,skymodel", length=128)
    resample = persistent(
        "resampling: nearest, linear, quadratic, renka, drizzle or lanczos",
        str,
        "drizzle",
        length=16,
    )
    dx = persistent("spaxel size in x (0: 0.2 arcsec WFM)", float, 0.0)
    dy = persistent("spaxel size in y (0: 0.2 arcsec WFM)", float, 0.0)
    dlambda = persistent("wavelength step (0: 1.25 Angstrom)", float, 0.0)
    crtype = persistent("cosmic-ray rejection: iraf, mean or median", str, "median", length=16)
    crsigma = persistent("cosmic-ray rejection level (<= 0: off)", float, 15.0)
    rc = persistent("critical radius for renka", float, 1.25)
    pixfrac = persistent("drizzle pixel fractions", str, "0.8,0.8", length=32)
    ld = persistent("loop distance", int, 1)
    cube_format = persistent("cube format (ESO 'format')", str, "Cube", length=16)
    weighting = persistent(
        "exposure weighting: exptime, fwhm or none (ESO 'weight')", str, "exptime", length=16
    )
    filters = persistent("filters for IMAGE_FOV (ESO 'filter')", str, "white", length=255)
    autocalib = persistent("auto-calibration: none, deepfield or user", str, "none", length=16)
    skymethod = persistent(
        "sky subtraction: none (the reference setting, as ESO runs it on-line) or simple",
        str,
        "none",
        length=16,
    )
    lambdamin = persistent("lower wavelength cut [Angstrom]", float, 4000.0)
    lambdamax = persistent("upper wavelength cut [Angstrom]", float, 10000.0)
    lambdaref = persistent("DAR reference wavelength (< 0: off)", float, 7000.0)
    darcheck = persistent("DAR check: none, check or correct", str, "none", length=16)
    skymodel_fraction = persistent("fraction of the image taken as sky", float, 0.1)
    skymodel_ignore = persistent("fraction of the darkest pixels ignored", float, 0.05)
    skymodel_sampling = persistent("sky spectrum sampling [Angstrom]", float, 0.3125)
    skymodel_csampling = persistent("sky continuum sampling [Angstrom]", float, 0.3125)
    sky_crsigma = persistent("cosmic-ray rejection of the sky", str, "15.,15.", length=32)
    rvcorr = persistent(
        "radial-velocity correction: bary, helio, geo or none", str, "bary", length=16
    )
    astrometry = persistent("apply the astrometric solution", bool, True)
    raman_width = persistent("Raman line width [Angstrom]", float, 20.0)


class CalibrationProduct(CalibrationBehaviour, DataObject, abstract=True):
    """A calibration product: valid over [timestamp_start, timestamp_end), QC-verified once."""

    timestamp_start = persistent("start of validity (inclusive, UTC)", dt.datetime)
    timestamp_end = persistent("end of validity (exclusive, UTC; None: open)", dt.datetime)
    is_valid = persistent("0 invalid, 1 valid, 2 proposed for promotion", int, 1)
    quality_flags = persistent("QC flag bits set by verify(), written once", int, 0)
    qc_override = persistent("accepted despite its QC flags", bool, False)
    parameters = persistent("the parameter set the recipe ran with", ParameterSet)
    software_release = persistent("MUSE-WISE release that made it", str, length=32)
    DATE_OBS = persistent(
        "observation date: mean DATE-OBS of the raw inputs (static: start of use)",
        dt.datetime,
        fits="DATE-OBS",
    )


class NightlyCalibration(CalibrationProduct, abstract=True):
    """A calibration made per IFU from one night's raw data."""

    night = persistent("the MuseWise night of the raw inputs", dt.date)
    ifu = persistent("IFU 1-24", int)
    DET_READ_CURID = persistent("read-out mode id", int, fits="ESO DET READ CURID")
    DET_CHIP_NAME = persistent("CCD name", str, fits="ESO DET CHIP NAME", length=32)
    DET_CHIP_ID = persistent("CCD id", str, fits="ESO DET CHIP ID", length=32)
    INS_MODE = persistent("instrument mode", str, fits="ESO INS MODE", length=16)
    INS_OPTI2_NAME = persistent(
        "field of view (WFM or NFM)", str, fits="ESO INS OPTI2 NAME", length=32
    )
    ncombined = persistent("number of raw inputs combined", int)


class MasterBias(NightlyCalibration):
    """MASTER_BIAS of one IFU: the combined, overscan-corrected bias [adu]."""

    product_category = "MASTER_BIAS"
    quality_bits = MappingProxyType({"ron_high": 0, "bad_columns": 1})
    qc_keys = MappingProxyType(
        {
            "BIAS INPUT1 NSATURATED": "QC_BIAS_INPUT1_NSATURATED",
            "BIAS INPUT2 NSATURATED": "QC_BIAS_INPUT2_NSATURATED",
            "BIAS INPUT3 NSATURATED": "QC_BIAS_INPUT3_NSATURATED",
            "BIAS INPUT4 NSATURATED": "QC_BIAS_INPUT4_NSATURATED",
            "BIAS INPUT5 NSATURATED": "QC_BIAS_INPUT5_NSATURATED",
            "BIAS INPUT6 NSATURATED": "QC_BIAS_INPUT6_NSATURATED",
            "BIAS INPUT7 NSATURATED": "QC_BIAS_INPUT7_NSATURATED",
            "BIAS INPUT8 NSATURATED": "QC_BIAS_INPUT8_NSATURATED",
            "BIAS INPUT9 NSATURATED": "QC_BIAS_INPUT9_NSATURATED",
            "BIAS INPUT10 NSATURATED": "QC_BIAS_INPUT10_NSATURATED",
            "BIAS INPUT11 NSATURATED": "QC_BIAS_INPUT11_NSATURATED",
            "BIAS INPUT12 NSATURATED": "QC_BIAS_INPUT12_NSATURATED",
            "BIAS INPUT13 NSATURATED": "QC_BIAS_INPUT13_NSATURATED",
            "BIAS INPUT14 NSATURATED": "QC_BIAS_INPUT14_NSATURATED",
            "BIAS INPUT15 NSATURATED": "QC_BIAS_INPUT15_NSATURATED",
            "BIAS INPUT16 NSATURATED": "QC_BIAS_INPUT16_NSATURATED",
            "BIAS INPUT17 NSATURATED": "QC_BIAS_INPUT17_NSATURATED",
            "BIAS INPUT18 NSATURATED": "QC_BIAS_INPUT18_NSATURATED",
            "BIAS INPUT19 NSATURATED": "QC_BIAS_INPUT19_NSATURATED",
            "BIAS INPUT20 NSATURATED": "QC_BIAS_INPUT20_NSATURATED",
            "BIAS INPUT21 NSATURATED": "QC_BIAS_INPUT21_NSATURATED",
            "BIAS INPUT22 NSATURATED": "QC_BIAS_INPUT22_NSATURATED",
            "BIAS INPUT23 NSATURATED": "QC_BIAS_INPUT23_NSATURATED",
            "BIAS INPUT24 NSATURATED": "QC_BIAS_INPUT24_NSATURATED",
            "BIAS INPUT25 NSATURATED": "QC_BIAS_INPUT25_NSATURATED",
            "BIAS INPUT26 NSATURATED": "QC_BIAS_INPUT26_NSATURATED",
            "BIAS INPUT27 NSATURATED": "QC_BIAS_INPUT27_NSATURATED",
            "BIAS INPUT28 NSATURATED": "QC_BIAS_INPUT28_NSATURATED",
            "BIAS INPUT29 NSATURATED": "QC_BIAS_INPUT29_NSATURATED",
            "BIAS INPUT30 NSATURATED": "QC_BIAS_INPUT30_NSATURATED",
            "BIAS INPUT31 NSATURATED": "QC_BIAS_INPUT31_NSATURATED",
            "BIAS INPUT32 NSATURATED": "QC_BIAS_INPUT32_NSATURATED",
            "BIAS MASTER1 MEDIAN": "QC_BIAS_MASTER1_MEDIAN",
            "BIAS MASTER2 MEDIAN": "QC_BIAS_MASTER2_MEDIAN",
            "BIAS MASTER3 MEDIAN": "QC_BIAS_MASTER3_MEDIAN",
            "BIAS MASTER4 MEDIAN": "QC_BIAS_MASTER4_MEDIAN",
            "BIAS MASTER1 MEAN": "QC_BIAS_MASTER1_MEAN",
            "BIAS MASTER2 MEAN": "QC_BIAS_MASTER2_MEAN",
            "BIAS MASTER3 MEAN": "QC_BIAS_MASTER3_MEAN",
            "BIAS MASTER4 MEAN": "QC_BIAS_MASTER4_MEAN",
            "BIAS MASTER1 STDEV": "QC_BIAS_MASTER1_STDEV",
            "BIAS MASTER2 STDEV": "QC_BIAS_MASTER2_STDEV",
            "BIAS MASTER3 STDEV": "QC_BIAS_MASTER3_STDEV",
            "BIAS MASTER4 STDEV": "QC_BIAS_MASTER4_STDEV",
            "BIAS MASTER1 MIN": "QC_BIAS_MASTER1_MIN",
            "BIAS MASTER2 MIN": "QC_BIAS_MASTER2_MIN",
            "BIAS MASTER3 MIN": "QC_BIAS_MASTER3_MIN",
            "BIAS MASTER4 MIN": "QC_BIAS_MASTER4_MIN",
            "BIAS MASTER1 MAX": "QC_BIAS_MASTER1_MAX",
            "BIAS MASTER2 MAX": "QC_BIAS_MASTER2_MAX",
            "BIAS MASTER3 MAX": "QC_BIAS_MASTER3_MAX",
            "BIAS MASTER4 MAX": "QC_BIAS_MASTER4_MAX",
            "BIAS MASTER1 RON": "QC_BIAS_MASTER1_RON",
            "BIAS MASTER2 RON": "QC_BIAS_MASTER2_RON",
            "BIAS MASTER3 RON": "QC_BIAS_MASTER3_RON",
            "BIAS MASTER4 RON": "QC_BIAS_MASTER4_RON",
            "BIAS MASTER1 RONERR": "QC_BIAS_MASTER1_RONERR",
            "BIAS MASTER2 RONERR": "QC_BIAS_MASTER2_RONERR",
            "BIAS MASTER3 RONERR": "QC_BIAS_MASTER3_RONERR",
            "BIAS MASTER4 RONERR": "QC_BIAS_MASTER4_RONERR",
            "BIAS MASTER1 SLOPE X": "QC_BIAS_MASTER1_SLOPE_X",
            "BIAS MASTER2 SLOPE X": "QC_BIAS_MASTER2_SLOPE_X",
            "BIAS MASTER3 SLOPE X": "QC_BIAS_MASTER3_SLOPE_X",
            "BIAS MASTER4 SLOPE X": "QC_BIAS_MASTER4_SLOPE_X",
            "BIAS MASTER1 SLOPE Y": "QC_BIAS_MASTER1_SLOPE_Y",
            "BIAS MASTER2 SLOPE Y": "QC_BIAS_MASTER2_SLOPE_Y",
            "BIAS MASTER3 SLOPE Y": "QC_BIAS_MASTER3_SLOPE_Y",
            "BIAS MASTER4 SLOPE Y": "QC_BIAS_MASTER4_SLOPE_Y",
            "BIAS LEVEL1 MEAN": "QC_BIAS_LEVEL1_MEAN",
            "BIAS LEVEL2 MEAN": "QC_BIAS_LEVEL2_MEAN",
            "BIAS LEVEL3 MEAN": "QC_BIAS_LEVEL3_MEAN",
            "BIAS LEVEL4 MEAN": "QC_BIAS_LEVEL4_MEAN",
            "BIAS LEVEL1 STDEV": "QC_BIAS_LEVEL1_STDEV",
            "BIAS LEVEL2 STDEV": "QC_BIAS_LEVEL2_STDEV",
            "BIAS LEVEL3 STDEV": "QC_BIAS_LEVEL3_STDEV",
            "BIAS LEVEL4 STDEV": "QC_BIAS_LEVEL4_STDEV",
            "BIAS LEVEL1 MEDIAN": "QC_BIAS_LEVEL1_MEDIAN",
            "BIAS LEVEL2 MEDIAN": "QC_BIAS_LEVEL2_MEDIAN",
            "BIAS LEVEL3 MEDIAN": "QC_BIAS_LEVEL3_MEDIAN",
            "BIAS LEVEL4 MEDIAN": "QC_BIAS_LEVEL4_MEDIAN",
            "BIAS MASTER NBADPIX": "QC_BIAS_MASTER_NBADPIX",
            "BIAS MASTER NSATURATED": "QC_BIAS_MASTER_NSATURATED",
        }
    )
    qc_thresholds = (
        QcThreshold("BIAS MASTER1 RON", "QC_BIAS_MASTER1_RON", "ron_high", 0, maximum=3.5),
        QcThreshold("BIAS MASTER2 RON", "QC_BIAS_MASTER2_RON", "ron_high", 0, maximum=3.5),
        QcThreshold("BIAS MASTER3 RON", "QC_BIAS_MASTER3_RON", "ron_high", 0, maximum=3.5),
        QcThreshold("BIAS MASTER4 RON", "QC_BIAS_MASTER4_RON", "ron_high", 0, maximum=3.5),
        QcThreshold(
            "BIAS MASTER NBADPIX", "QC_BIAS_MASTER_NBADPIX", "bad_columns", 1, maximum=200000.0
        ),
    )

    raw_chips = persistent("the raw bias extensions combined", RawBiasChip, [])
    QC_BIAS_INPUT1_NSATURATED = persistent(
        "saturated pixels of 1nput 1", int, fits="ESO QC BIAS INPUT1 NSATURATED"
    )
    QC_BIAS_INPUT2_NSATURATED = persistent(
        "saturated pixels of 2nput 2", int, fits="ESO QC BIAS INPUT2 NSATURATED"
    )
    QC_BIAS_INPUT3_NSATURATED = persistent(
        "saturated pixels of 3nput 3", int, fits="ESO QC BIAS INPUT3 NSATURATED"
    )
    QC_BIAS_INPUT4_NSATURATED = persistent(
        "saturated pixels of 4nput 4", int, fits="ESO QC BIAS INPUT4 NSATURATED"
    )
    QC_BIAS_INPUT5_NSATURATED = persistent(
        "saturated pixels of 5nput 5", int, fits="ESO QC BIAS INPUT5 NSATURATED"
    )
    QC_BIAS_INPUT6_NSATURATED = persistent(
        "saturated pixels of 6nput 6", int, fits="ESO QC BIAS INPUT6 NSATURATED"
    )
    QC_BIAS_INPUT7_NSATURATED = persistent(
        "saturated pixels of 7nput 7", int, fits="ESO QC BIAS INPUT7 NSATURATED"
    )
    QC_BIAS_INPUT8_NSATURATED = persistent(
        "saturated pixels of 8nput 8", int, fits="ESO QC BIAS INPUT8 NSATURATED"
    )
    QC_BIAS_INPUT9_NSATURATED = persistent(
        "saturated pixels of 9nput 9", int, fits="ESO QC BIAS INPUT9 NSATURATED"
    )
    QC_BIAS_INPUT10_NSATURATED = persistent(
        "saturated pixels of 10nput 10", int, fits="ESO QC BIAS INPUT10 NSATURATED"
    )
    QC_BIAS_INPUT11_NSATURATED = persistent(
        "saturated pixels of 11nput 11", int, fits="ESO QC BIAS INPUT11 NSATURATED"
    )
    QC_BIAS_INPUT12_NSATURATED = persistent(
        "saturated pixels of 12nput 12", int, fits="ESO QC BIAS INPUT12 NSATURATED"
    )
    QC_BIAS_INPUT13_NSATURATED = persistent(
        "saturated pixels of 13nput 13", int, fits="ESO QC BIAS INPUT13 NSATURATED"
    )
    QC_BIAS_INPUT14_NSATURATED = persistent(
        "saturated pixels of 14nput 14", int, fits="ESO QC BIAS INPUT14 NSATURATED"
    )
    QC_BIAS_INPUT15_NSATURATED = persistent(
        "saturated pixels of 15nput 15", int, fits="ESO QC BIAS INPUT15 NSATURATED"
    )
    QC_BIAS_INPUT16_NSATURATED = persistent(
        "saturated pixels of 16nput 16", int, fits="ESO QC BIAS INPUT16 NSATURATED"
    )
    QC_BIAS_INPUT17_NSATURATED = persistent(
        "saturated pixels of 17nput 17", int, fits="ESO QC BIAS INPUT17 NSATURATED"
    )
    QC_BIAS_INPUT18_NSATURATED = persistent(
        "saturated pixels of 18nput 18", int, fits="ESO QC BIAS INPUT18 NSATURATED"
    )
    QC_BIAS_INPUT19_NSATURATED = persistent(
        "saturated pixels of 19nput 19", int, fits="ESO QC BIAS INPUT19 NSATURATED"
    )
    QC_BIAS_INPUT20_NSATURATED = persistent(
        "saturated pixels of 20nput 20", int, fits="ESO QC BIAS INPUT20 NSATURATED"
    )
    QC_BIAS_INPUT21_NSATURATED = persistent(
        "saturated pixels of 21nput 21", int, fits="ESO QC BIAS INPUT21 NSATURATED"
    )
    QC_BIAS_INPUT22_NSATURATED = persistent(
        "saturated pixels of 22nput 22", int, fits="ESO QC BIAS INPUT22 NSATURATED"
    )
    QC_BIAS_INPUT23_NSATURATED = persistent(
        "saturated pixels of 23nput 23", int, fits="ESO QC BIAS INPUT23 NSATURATED"
    )
    QC_BIAS_INPUT24_NSATURATED = persistent(
        "saturated pixels of 24nput 24", int, fits="ESO QC BIAS INPUT24 NSATURATED"
    )
    QC_BIAS_INPUT25_NSATURATED = persistent(
        "saturated pixels of 25nput 25", int, fits="ESO QC BIAS INPUT25 NSATURATED"
    )
    QC_BIAS_INPUT26_NSATURATED = persistent(
        "saturated pixels of 26nput 26", int, fits="ESO QC BIAS INPUT26 NSATURATED"
    )
    QC_BIAS_INPUT27_NSATURATED = persistent(
        "saturated pixels of 27nput 27", int, fits="ESO QC BIAS INPUT27 NSATURATED"
    )
    QC_BIAS_INPUT28_NSATURATED = persistent(
        "saturated pixels of 28nput 28", int, fits="ESO QC BIAS INPUT28 NSATURATED"
    )
    QC_BIAS_INPUT29_NSATURATED = persistent(
        "saturated pixels of 29nput 29", int, fits="ESO QC BIAS INPUT29 NSATURATED"
    )
    QC_BIAS_INPUT30_NSATURATED = persistent(
        "saturated pixels of 30nput 30", int, fits="ESO QC BIAS INPUT30 NSATURATED"
    )
    QC_BIAS_INPUT31_NSATURATED = persistent(
        "saturated pixels of 31nput 31", int, fits="ESO QC BIAS INPUT31 NSATURATED"
    )
    QC_BIAS_INPUT32_NSATURATED = persistent(
        "saturated pixels of 32nput 32", int, fits="ESO QC BIAS INPUT32 NSATURATED"
    )
    QC_BIAS_MASTER1_MEDIAN = persistent(
        "median of port 1 [adu]", float, fits="ESO QC BIAS MASTER1 MEDIAN"
    )
    QC_BIAS_MASTER2_MEDIAN = persistent(
        "median of port 2 [adu]", float, fits="ESO QC BIAS MASTER2 MEDIAN"
    )
    QC_BIAS_MASTER3_MEDIAN = persistent(
        "median of port 3 [adu]", float, fits="ESO QC BIAS MASTER3 MEDIAN"
    )
    QC_BIAS_MASTER4_MEDIAN = persistent(
        "median of port 4 [adu]", float, fits="ESO QC BIAS MASTER4 MEDIAN"
    )
    QC_BIAS_MASTER1_MEAN = persistent(
        "mean of port 1 [adu]", float, fits="ESO QC BIAS MASTER1 MEAN"
    )
    QC_BIAS_MASTER2_MEAN = persistent(
        "mean of port 2 [adu]", float, fits="ESO QC BIAS MASTER2 MEAN"
    )
    QC_BIAS_MASTER3_MEAN = persistent(
        "mean of port 3 [adu]", float, fits="ESO QC BIAS MASTER3 MEAN"
    )
    QC_BIAS_MASTER4_MEAN = persistent(
        "mean of port 4 [adu]", float, fits="ESO QC BIAS MASTER4 MEAN"
    )
    QC_BIAS_MASTER1_STDEV = persistent(
        "standard deviation of port 1 [adu]", float, fits="ESO QC BIAS MASTER1 STDEV"
    )
    QC_BIAS_MASTER2_STDEV = persistent(
        "standard deviation of port 2 [adu]", float, fits="ESO QC BIAS MASTER2 STDEV"
    )
    QC_BIAS_MASTER3_STDEV = persistent(
        "standard deviation of port 3 [adu]", float, fits="ESO QC BIAS MASTER3 STDEV"
    )
    QC_BIAS_MASTER4_STDEV = persistent(
        "standard deviation of port 4 [adu]", float, fits="ESO QC BIAS MASTER4 STDEV"
    )
    QC_BIAS_MASTER1_MIN = persistent(
        "minimum of port 1 [adu]", float, fits="ESO QC BIAS MASTER1 MIN"
    )
    QC_BIAS_MASTER2_MIN = persistent(
        "minimum of port 2 [adu]", float, fits="ESO QC BIAS MASTER2 MIN"
    )
    QC_BIAS_MASTER3_MIN = persistent(
        "minimum of port 3 [adu]", float, fits="ESO QC BIAS MASTER3 MIN"
    )
    QC_BIAS_MASTER4_MIN = persistent(
        "minimum of port 4 [adu]", float, fits="ESO QC BIAS MASTER4 MIN"
    )
    QC_BIAS_MASTER1_MAX = persistent(
        "maximum of port 1 [adu]", float, fits="ESO QC BIAS MASTER1 MAX"
    )
    QC_BIAS_MASTER2_MAX = persistent(
        "maximum of port 2 [adu]", float, fits="ESO QC BIAS MASTER2 MAX"
    )
    QC_BIAS_MASTER3_MAX = persistent(
        "maximum of port 3 [adu]", float, fits="ESO QC BIAS MASTER3 MAX"
    )
    QC_BIAS_MASTER4_MAX = persistent(
        "maximum of port 4 [adu]", float, fits="ESO QC BIAS MASTER4 MAX"
    )
    QC_BIAS_MASTER1_RON = persistent(
        "read-out noise of port 1 [count]", float, fits="ESO QC BIAS MASTER1 RON"
    )
    QC_BIAS_MASTER2_RON = persistent(
        "read-out noise of port 2 [count]", float, fits="ESO QC BIAS MASTER2 RON"
    )
    QC_BIAS_MASTER3_RON = persistent(
        "read-out noise of port 3 [count]", float, fits="ESO QC BIAS MASTER3 RON"
    )
    QC_BIAS_MASTER4_RON = persistent(
        "read-out noise of port 4 [count]", float, fits="ESO QC BIAS MASTER4 RON"
    )
    QC_BIAS_MASTER1_RONERR = persistent(
        "error of the read-out noise of port 1 [count]", float, fits="ESO QC BIAS MASTER1 RONERR"
    )
    QC_BIAS_MASTER2_RONERR = persistent(
        "error of the read-out noise of port 2 [count]", float, fits="ESO QC BIAS MASTER2 RONERR"
    )
    QC_BIAS_MASTER3_RONERR = persistent(
        "error of the read-out noise of port 3 [count]", float, fits="ESO QC BIAS MASTER3 RONERR"
    )
    QC_BIAS_MASTER4_RONERR = persistent(
        "error of the read-out noise of port 4 [count]", float, fits="ESO QC BIAS MASTER4 RONERR"
    )
    QC_BIAS_MASTER1_SLOPE_X = persistent(
        "slope along x of port 1 [adu/pix]", float, fits="ESO QC BIAS MASTER1 SLOPE X"
    )
    QC_BIAS_MASTER2_SLOPE_X = persistent(
        "slope along x of port 2 [adu/pix]", float, fits="ESO QC BIAS MASTER2 SLOPE X"
    )
    QC_BIAS_MASTER3_SLOPE_X = persistent(
        "slope along x of port 3 [adu/pix]", float, fits="ESO QC BIAS MASTER3 SLOPE X"
    )
    QC_BIAS_MASTER4_SLOPE_X = persistent(
        "slope along x of port 4 [adu/pix]", float, fits="ESO QC BIAS MASTER4 SLOPE X"
    )
    QC_BIAS_MASTER1_SLOPE_Y = persistent(
        "slope along y of port 1 [adu/pix]", float, fits="ESO QC BIAS MASTER1 SLOPE Y"
    )
    QC_BIAS_MASTER2_SLOPE_Y = persistent(
        "slope along y of port 2 [adu/pix]", float, fits="ESO QC BIAS MASTER2 SLOPE Y"
    )
    QC_BIAS_MASTER3_SLOPE_Y = persistent(
        "slope along y of port 3 [adu/pix]", float, fits="ESO QC BIAS MASTER3 SLOPE Y"
    )
    QC_BIAS_MASTER4_SLOPE_Y = persistent(
        "slope along y of port 4 [adu/pix]", float, fits="ESO QC BIAS MASTER4 SLOPE Y"
    )
    QC_BIAS_LEVEL1_MEAN = persistent(
        "mean raw level of port 1 [adu]", float, fits="ESO QC BIAS LEVEL1 MEAN"
    )
    QC_BIAS_LEVEL2_MEAN = persistent(
        "mean raw level of port 2 [adu]", float, fits="ESO QC BIAS LEVEL2 MEAN"
    )
    QC_BIAS_LEVEL3_MEAN = persistent(
        "mean raw level of port 3 [adu]", float, fits="ESO QC BIAS LEVEL3 MEAN"
    )
    QC_BIAS_LEVEL4_MEAN = persistent(
        "mean raw level of port 4 [adu]", float, fits="ESO QC BIAS LEVEL4 MEAN"
    )
    QC_BIAS_LEVEL1_STDEV = persistent(
        "scatter of the raw levels of port 1 [adu]", float, fits="ESO QC BIAS LEVEL1 STDEV"
    )
    QC_BIAS_LEVEL2_STDEV = persistent(
        "scatter of the raw levels of port 2 [adu]", float, fits="ESO QC BIAS LEVEL2 STDEV"
    )
    QC_BIAS_LEVEL3_STDEV = persistent(
        "scatter of the raw levels of port 3 [adu]", float, fits="ESO QC BIAS LEVEL3 STDEV"
    )
    QC_BIAS_LEVEL4_STDEV = persistent(
        "scatter of the raw levels of port 4 [adu]", float, fits="ESO QC BIAS LEVEL4 STDEV"
    )
    QC_BIAS_LEVEL1_MEDIAN = persistent(
        "median raw level of port 1 [adu]", float, fits="ESO QC BIAS LEVEL1 MEDIAN"
    )
    QC_BIAS_LEVEL2_MEDIAN = persistent(
        "median raw level of port 2 [adu]", float, fits="ESO QC BIAS LEVEL2 MEDIAN"
    )
    QC_BIAS_LEVEL3_MEDIAN = persistent(
        "median raw level of port 3 [adu]", float, fits="ESO QC BIAS LEVEL3 MEDIAN"
    )
    QC_BIAS_LEVEL4_MEDIAN = persistent(
        "median raw level of port 4 [adu]", float, fits="ESO QC BIAS LEVEL4 MEDIAN"
    )
    QC_BIAS_MASTER_NBADPIX = persistent(
        "bad pixels of the master bias", int, fits="ESO QC BIAS MASTER NBADPIX"
    )
    QC_BIAS_MASTER_NSATURATED = persistent(
        "saturated pixels of the master bias", int, fits="ESO QC BIAS MASTER NSATURATED"
    )


class MasterFlat(NightlyCalibration):
    """MASTER_FLAT of one IFU: the combined lamp flat, normalised by its mean."""

    product_category = "MASTER_FLAT"
    quality_bits = MappingProxyType({"saturated": 0, "lamp_low": 1})
    qc_keys = MappingProxyType(
        {
            "FLAT INPUT1 MEDIAN": "QC_FLAT_INPUT1_MEDIAN",
            "FLAT INPUT2 MEDIAN": "QC_FLAT_INPUT2_MEDIAN",
            "FLAT INPUT3 MEDIAN": "QC_FLAT_INPUT3_MEDIAN",
            "FLAT INPUT4 MEDIAN": "QC_FLAT_INPUT4_MEDIAN",
            "FLAT INPUT5 MEDIAN": "QC_FLAT_INPUT5_MEDIAN",
            "FLAT INPUT6 MEDIAN": "QC_FLAT_INPUT6_MEDIAN",
            "FLAT INPUT7 MEDIAN": "QC_FLAT_INPUT7_MEDIAN",
            "FLAT INPUT8 MEDIAN": "QC_FLAT_INPUT8_MEDIAN",
            "FLAT INPUT9 MEDIAN": "QC_FLAT_INPUT9_MEDIAN",
            "FLAT INPUT10 MEDIAN": "QC_FLAT_INPUT10_MEDIAN",
            "FLAT INPUT11 MEDIAN": "QC_FLAT_INPUT11_MEDIAN",
            "FLAT INPUT12 MEDIAN": "QC_FLAT_INPUT12_MEDIAN",
            "FLAT INPUT13 MEDIAN": "QC_FLAT_INPUT13_MEDIAN",
            "FLAT INPUT14 MEDIAN": "QC_FLAT_INPUT14_MEDIAN",
            "FLAT INPUT15 MEDIAN": "QC_FLAT_INPUT15_MEDIAN",
            "FLAT INPUT16 MEDIAN": "QC_FLAT_INPUT16_MEDIAN",
            "FLAT INPUT17 MEDIAN": "QC_FLAT_INPUT17_MEDIAN",
            "FLAT INPUT18 MEDIAN": "QC_FLAT_INPUT18_MEDIAN",
            "FLAT INPUT19 MEDIAN": "QC_FLAT_INPUT19_MEDIAN",
            "FLAT INPUT20 MEDIAN": "QC_FLAT_INPUT20_MEDIAN",
            "FLAT INPUT21 MEDIAN": "QC_FLAT_INPUT21_MEDIAN",
            "FLAT INPUT22 MEDIAN": "QC_FLAT_INPUT22_MEDIAN",
            "FLAT INPUT23 MEDIAN": "QC_FLAT_INPUT23_MEDIAN",
            "FLAT INPUT24 MEDIAN": "QC_FLAT_INPUT24_MEDIAN",
            "FLAT INPUT25 MEDIAN": "QC_FLAT_INPUT25_MEDIAN",
            "FLAT INPUT26 MEDIAN": "QC_FLAT_INPUT26_MEDIAN",
            "FLAT INPUT27 MEDIAN": "QC_FLAT_INPUT27_MEDIAN",
            "FLAT INPUT28 MEDIAN": "QC_FLAT_INPUT28_MEDIAN",
            "FLAT INPUT29 MEDIAN": "QC_FLAT_INPUT29_MEDIAN",
            "FLAT INPUT30 MEDIAN": "QC_FLAT_INPUT30_MEDIAN",
            "FLAT INPUT31 MEDIAN": "QC_FLAT_INPUT31_MEDIAN",
            "FLAT INPUT32 MEDIAN": "QC_FLAT_INPUT32_MEDIAN",
            "FLAT INPUT1 MEAN": "QC_FLAT_INPUT1_MEAN",
            "FLAT INPUT2 MEAN": "QC_FLAT_INPUT2_MEAN",
            "FLAT INPUT3 MEAN": "QC_FLAT_INPUT3_MEAN",
            "FLAT INPUT4 MEAN": "QC_FLAT_INPUT4_MEAN",
            "FLAT INPUT5 MEAN": "QC_FLAT_INPUT5_MEAN",
            "FLAT INPUT6 MEAN": "QC_FLAT_INPUT6_MEAN",
            "FLAT INPUT7 MEAN": "QC_FLAT_INPUT7_MEAN",
            "FLAT INPUT8 MEAN": "QC_FLAT_INPUT8_MEAN",
            "FLAT INPUT9 MEAN": "QC_FLAT_INPUT9_MEAN",
            "FLAT INPUT10 MEAN": "QC_FLAT_INPUT10_MEAN",
            "FLAT INPUT11 MEAN": "QC_FLAT_INPUT11_MEAN",
            "FLAT INPUT12 MEAN": "QC_FLAT_INPUT12_MEAN",
            "FLAT INPUT13 MEAN": "QC_FLAT_INPUT13_MEAN",
            "FLAT INPUT14 MEAN": "QC_FLAT_INPUT14_MEAN",
            "FLAT INPUT15 MEAN": "QC_FLAT_INPUT15_MEAN",
            "FLAT INPUT16 MEAN": "QC_FLAT_INPUT16_MEAN",
            "FLAT INPUT17 MEAN": "QC_FLAT_INPUT17_MEAN",
            "FLAT INPUT18 MEAN": "QC_FLAT_INPUT18_MEAN",
            "FLAT INPUT19 MEAN": "QC_FLAT_INPUT19_MEAN",
            "FLAT INPUT20 MEAN": "QC_FLAT_INPUT20_MEAN",
            "FLAT INPUT21 MEAN": "QC_FLAT_INPUT21_MEAN",
            "FLAT INPUT22 MEAN": "QC_FLAT_INPUT22_MEAN",
            "FLAT INPUT23 MEAN": "QC_FLAT_INPUT23_MEAN",
            "FLAT INPUT24 MEAN": "QC_FLAT_INPUT24_MEAN",
            "FLAT INPUT25 MEAN": "QC_FLAT_INPUT25_MEAN",
            "FLAT INPUT26 MEAN": "QC_FLAT_INPUT26_MEAN",
            "FLAT INPUT27 MEAN": "QC_FLAT_INPUT27_MEAN",
            "FLAT INPUT28 MEAN": "QC_FLAT_INPUT28_MEAN",
            "FLAT INPUT29 MEAN": "QC_FLAT_INPUT29_MEAN",
            "FLAT INPUT30 MEAN": "QC_FLAT_INPUT30_MEAN",
            "FLAT INPUT31 MEAN": "QC_FLAT_INPUT31_MEAN",
            "FLAT INPUT32 MEAN": "QC_FLAT_INPUT32_MEAN",
            "FLAT INPUT1 STDEV": "QC_FLAT_INPUT1_STDEV",
            "FLAT INPUT2 STDEV": "QC_FLAT_INPUT2_STDEV",
            "FLAT INPUT3 STDEV": "QC_FLAT_INPUT3_STDEV",
            "FLAT INPUT4 STDEV": "QC_FLAT_INPUT4_STDEV",
            "FLAT INPUT5 STDEV": "QC_FLAT_INPUT5_STDEV",
            "FLAT INPUT6 STDEV": "QC_FLAT_INPUT6_STDEV",
            "FLAT INPUT7 STDEV": "QC_FLAT_INPUT7_STDEV",
            "FLAT INPUT8 STDEV": "QC_FLAT_INPUT8_STDEV",
            "FLAT INPUT9 STDEV": "QC_FLAT_INPUT9_STDEV",
            "FLAT INPUT10 STDEV": "QC_FLAT_INPUT10_STDEV",
            "FLAT INPUT11 STDEV": "QC_FLAT_INPUT11_STDEV",
            "FLAT INPUT12 STDEV": "QC_FLAT_INPUT12_STDEV",
            "FLAT INPUT13 STDEV": "QC_FLAT_INPUT13_STDEV",
            "FLAT INPUT14 STDEV": "QC_FLAT_INPUT14_STDEV",
            "FLAT INPUT15 STDEV": "QC_FLAT_INPUT15_STDEV",
            "FLAT INPUT16 STDEV": "QC_FLAT_INPUT16_STDEV",
            "FLAT INPUT17 STDEV": "QC_FLAT_INPUT17_STDEV",
            "FLAT INPUT18 STDEV": "QC_FLAT_INPUT18_STDEV",
            "FLAT INPUT19 STDEV": "QC_FLAT_INPUT19_STDEV",
            "FLAT INPUT20 STDEV": "QC_FLAT_INPUT20_STDEV",
            "FLAT INPUT21 STDEV": "QC_FLAT_INPUT21_STDEV",
            "FLAT INPUT22 STDEV": "QC_FLAT_INPUT22_STDEV",
            "FLAT INPUT23 STDEV": "QC_FLAT_INPUT23_STDEV",
            "FLAT INPUT24 STDEV": "QC_FLAT_INPUT24_STDEV",
            "FLAT INPUT25 STDEV": "QC_FLAT_INPUT25_STDEV",
            "FLAT INPUT26 STDEV": "QC_FLAT_INPUT26_STDEV",
            "FLAT INPUT27 STDEV": "QC_FLAT_INPUT27_STDEV",
            "FLAT INPUT28 STDEV": "QC_FLAT_INPUT28_STDEV",
            "FLAT INPUT29 STDEV": "QC_FLAT_INPUT29_STDEV",
            "FLAT INPUT30 STDEV": "QC_FLAT_INPUT30_STDEV",
            "FLAT INPUT31 STDEV": "QC_FLAT_INPUT31_STDEV",
            "FLAT INPUT32 STDEV": "QC_FLAT_INPUT32_STDEV",
            "FLAT INPUT1 MIN": "QC_FLAT_INPUT1_MIN",
            "FLAT INPUT2 MIN": "QC_FLAT_INPUT2_MIN",
            "FLAT INPUT3 MIN": "QC_FLAT_INPUT3_MIN",
            "FLAT INPUT4 MIN": "QC_FLAT_INPUT4_MIN",
            "FLAT INPUT5 MIN": "QC_FLAT_INPUT5_MIN",
            "FLAT INPUT6 MIN": "QC_FLAT_INPUT6_MIN",
            "FLAT INPUT7 MIN": "QC_FLAT_INPUT7_MIN",
            "FLAT INPUT8 MIN": "QC_FLAT_INPUT8_MIN",
            "FLAT INPUT9 MIN": "QC_FLAT_INPUT9_MIN",
            "FLAT INPUT10 MIN": "QC_FLAT_INPUT10_MIN",
            "FLAT INPUT11 MIN": "QC_FLAT_INPUT11_MIN",
            "FLAT INPUT12 MIN": "QC_FLAT_INPUT12_MIN",
            "FLAT INPUT13 MIN": "QC_FLAT_INPUT13_MIN",
            "FLAT INPUT14 MIN": "QC_FLAT_INPUT14_MIN",
            "FLAT INPUT15 MIN": "QC_FLAT_INPUT15_MIN",
            "FLAT INPUT16 MIN": "QC_FLAT_INPUT16_MIN",
            "FLAT INPUT17 MIN": "QC_FLAT_INPUT17_MIN",
            "FLAT INPUT18 MIN": "QC_FLAT_INPUT18_MIN",
            "FLAT INPUT19 MIN": "QC_FLAT_INPUT19_MIN",
            "FLAT INPUT20 MIN": "QC_FLAT_INPUT20_MIN",
            "FLAT INPUT21 MIN": "QC_FLAT_INPUT21_MIN",
            "FLAT INPUT22 MIN": "QC_FLAT_INPUT22_MIN",
            "FLAT INPUT23 MIN": "QC_FLAT_INPUT23_MIN",
            "FLAT INPUT24 MIN": "QC_FLAT_INPUT24_MIN",
            "FLAT INPUT25 MIN": "QC_FLAT_INPUT25_MIN",
            "FLAT INPUT26 MIN": "QC_FLAT_INPUT26_MIN",
            "FLAT INPUT27 MIN": "QC_FLAT_INPUT27_MIN",
            "FLAT INPUT28 MIN": "QC_FLAT_INPUT28_MIN",
            "FLAT INPUT29 MIN": "QC_FLAT_INPUT29_MIN",
            "FLAT INPUT30 MIN": "QC_FLAT_INPUT30_MIN",
            "FLAT INPUT31 MIN": "QC_FLAT_INPUT31_MIN",
            "FLAT INPUT32 MIN": "QC_FLAT_INPUT32_MIN",
            "FLAT INPUT1 MAX": "QC_FLAT_INPUT1_MAX",
            "FLAT INPUT2 MAX": "QC_FLAT_INPUT2_MAX",
            "FLAT INPUT3 MAX": "QC_FLAT_INPUT3_MAX",
            "FLAT INPUT4 MAX": "QC_FLAT_INPUT4_MAX",
            "FLAT INPUT5 MAX": "QC_FLAT_INPUT5_MAX",
            "FLAT INPUT6 MAX": "QC_FLAT_INPUT6_MAX",
            "FLAT INPUT7 MAX": "QC_FLAT_INPUT7_MAX",
            "FLAT INPUT8 MAX": "QC_FLAT_INPUT8_MAX",
            "FLAT INPUT9 MAX": "QC_FLAT_INPUT9_MAX",
            "FLAT INPUT10 MAX": "QC_FLAT_INPUT10_MAX",
            "FLAT INPUT11 MAX": "QC_FLAT_INPUT11_MAX",
            "FLAT INPUT12 MAX": "QC_FLAT_INPUT12_MAX",
            "FLAT INPUT13 MAX": "QC_FLAT_INPUT13_MAX",
            "FLAT INPUT14 MAX": "QC_FLAT_INPUT14_MAX",
            "FLAT INPUT15 MAX": "QC_FLAT_INPUT15_MAX",
            "FLAT INPUT16 MAX": "QC_FLAT_INPUT16_MAX",
            "FLAT INPUT17 MAX": "QC_FLAT_INPUT17_MAX",
            "FLAT INPUT18 MAX": "QC_FLAT_INPUT18_MAX",
            "FLAT INPUT19 MAX": "QC_FLAT_INPUT19_MAX",
            "FLAT INPUT20 MAX": "QC_FLAT_INPUT20_MAX",
            "FLAT INPUT21 MAX": "QC_FLAT_INPUT21_MAX",
            "FLAT INPUT22 MAX": "QC_FLAT_INPUT22_MAX",
            "FLAT INPUT23 MAX": "QC_FLAT_INPUT23_MAX",
            "FLAT INPUT24 MAX": "QC_FLAT_INPUT24_MAX",
            "FLAT INPUT25 MAX": "QC_FLAT_INPUT25_MAX",
            "FLAT INPUT26 MAX": "QC_FLAT_INPUT26_MAX",
            "FLAT INPUT27 MAX": "QC_FLAT_INPUT27_MAX",
            "FLAT INPUT28 MAX": "QC_FLAT_INPUT28_MAX",
            "FLAT INPUT29 MAX": "QC_FLAT_INPUT29_MAX",
            "FLAT INPUT30 MAX": "QC_FLAT_INPUT30_MAX",
            "FLAT INPUT31 MAX": "QC_FLAT_INPUT31_MAX",
            "FLAT INPUT32 MAX": "QC_FLAT_INPUT32_MAX",
            "FLAT INPUT1 NSATURATED": "QC_FLAT_INPUT1_NSATURATED",
            "FLAT INPUT2 NSATURATED": "QC_FLAT_INPUT2_NSATURATED",
            "FLAT INPUT3 NSATURATED": "QC_FLAT_INPUT3_NSATURATED",
            "FLAT INPUT4 NSATURATED": "QC_FLAT_INPUT4_NSATURATED",
            "FLAT INPUT5 NSATURATED": "QC_FLAT_INPUT5_NSATURATED",
            "FLAT INPUT6 NSATURATED": "QC_FLAT_INPUT6_NSATURATED",
            "FLAT INPUT7 NSATURATED": "QC_FLAT_INPUT7_NSATURATED",
            "FLAT INPUT8 NSATURATED": "QC_FLAT_INPUT8_NSATURATED",
            "FLAT INPUT9 NSATURATED": "QC_FLAT_INPUT9_NSATURATED",
            "FLAT INPUT10 NSATURATED": "QC_FLAT_INPUT10_NSATURATED",
            "FLAT INPUT11 NSATURATED": "QC_FLAT_INPUT11_NSATURATED",
            "FLAT INPUT12 NSATURATED": "QC_FLAT_INPUT12_NSATURATED",
            "FLAT INPUT13 NSATURATED": "QC_FLAT_INPUT13_NSATURATED",
            "FLAT INPUT14 NSATURATED": "QC_FLAT_INPUT14_NSATURATED",
            "FLAT INPUT15 NSATURATED": "QC_FLAT_INPUT15_NSATURATED",
            "FLAT INPUT16 NSATURATED": "QC_FLAT_INPUT16_NSATURATED",
            "FLAT INPUT17 NSATURATED": "QC_FLAT_INPUT17_NSATURATED",
            "FLAT INPUT18 NSATURATED": "QC_FLAT_INPUT18_NSATURATED",
            "FLAT INPUT19 NSATURATED": "QC_FLAT_INPUT19_NSATURATED",
            "FLAT INPUT20 NSATURATED": "QC_FLAT_INPUT20_NSATURATED",
            "FLAT INPUT21 NSATURATED": "QC_FLAT_INPUT21_NSATURATED",
            "FLAT INPUT22 NSATURATED": "QC_FLAT_INPUT22_NSATURATED",
            "FLAT INPUT23 NSATURATED": "QC_FLAT_INPUT23_NSATURATED",
            "FLAT INPUT24 NSATURATED": "QC_FLAT_INPUT24_NSATURATED",
            "FLAT INPUT25 NSATURATED": "QC_FLAT_INPUT25_NSATURATED",
            "FLAT INPUT26 NSATURATED": "QC_FLAT_INPUT26_NSATURATED",
            "FLAT INPUT27 NSATURATED": "QC_FLAT_INPUT27_NSATURATED",
            "FLAT INPUT28 NSATURATED": "QC_FLAT_INPUT28_NSATURATED",
            "FLAT INPUT29 NSATURATED": "QC_FLAT_INPUT29_NSATURATED",
            "FLAT INPUT30 NSATURATED": "QC_FLAT_INPUT30_NSATURATED",
            "FLAT INPUT31 NSATURATED": "QC_FLAT_INPUT31_NSATURATED",
            "FLAT INPUT32 NSATURATED": "QC_FLAT_INPUT32_NSATURATED",
            "FLAT MASTER MEDIAN": "QC_FLAT_MASTER_MEDIAN",
            "FLAT MASTER MEAN": "QC_FLAT_MASTER_MEAN",
            "FLAT MASTER STDEV": "QC_FLAT_MASTER_STDEV",
            "FLAT MASTER MIN": "QC_FLAT_MASTER_MIN",
            "FLAT MASTER MAX": "QC_FLAT_MASTER_MAX",
            "FLAT MASTER INTFLUX": "QC_FLAT_MASTER_INTFLUX",
            "FLAT MASTER SLICE1 MEAN": "QC_FLAT_MASTER_SLICE1_MEAN",
            "FLAT MASTER SLICE2 MEAN": "QC_FLAT_MASTER_SLICE2_MEAN",
            "FLAT MASTER SLICE3 MEAN": "QC_FLAT_MASTER_SLICE3_MEAN",
            "FLAT MASTER SLICE4 MEAN": "QC_FLAT_MASTER_SLICE4_MEAN",
            "FLAT MASTER SLICE5 MEAN": "QC_FLAT_MASTER_SLICE5_MEAN",
            "FLAT MASTER SLICE6 MEAN": "QC_FLAT_MASTER_SLICE6_MEAN",
            "FLAT MASTER SLICE7 MEAN": "QC_FLAT_MASTER_SLICE7_MEAN",
            "FLAT MASTER SLICE8 MEAN": "QC_FLAT_MASTER_SLICE8_MEAN",
            "FLAT MASTER SLICE9 MEAN": "QC_FLAT_MASTER_SLICE9_MEAN",
            "FLAT MASTER SLICE10 MEAN": "QC_FLAT_MASTER_SLICE10_MEAN",
            "FLAT MASTER SLICE11 MEAN": "QC_FLAT_MASTER_SLICE11_MEAN",
            "FLAT MASTER SLICE12 MEAN": "QC_FLAT_MASTER_SLICE12_MEAN",
            "FLAT MASTER SLICE13 MEAN": "QC_FLAT_MASTER_SLICE13_MEAN",
            "FLAT MASTER SLICE14 MEAN": "QC_FLAT_MASTER_SLICE14_MEAN",
            "FLAT MASTER SLICE15 MEAN": "QC_FLAT_MASTER_SLICE15_MEAN",
            "FLAT MASTER SLICE16 MEAN": "QC_FLAT_MASTER_SLICE16_MEAN",
            "FLAT MASTER SLICE17 MEAN": "QC_FLAT_MASTER_SLICE17_MEAN",
            "FLAT MASTER SLICE18 MEAN": "QC_FLAT_MASTER_SLICE18_MEAN",
            "FLAT MASTER SLICE19 MEAN": "QC_FLAT_MASTER_SLICE19_MEAN",
            "FLAT MASTER SLICE20 MEAN": "QC_FLAT_MASTER_SLICE20_MEAN",
            "FLAT MASTER SLICE21 MEAN": "QC_FLAT_MASTER_SLICE21_MEAN",
            "FLAT MASTER SLICE22 MEAN": "QC_FLAT_MASTER_SLICE22_MEAN",
            "FLAT MASTER SLICE23 MEAN": "QC_FLAT_MASTER_SLICE23_MEAN",
            "FLAT MASTER SLICE24 MEAN": "QC_FLAT_MASTER_SLICE24_MEAN",
            "FLAT MASTER SLICE25 MEAN": "QC_FLAT_MASTER_SLICE25_MEAN",
            "FLAT MASTER SLICE26 MEAN": "QC_FLAT_MASTER_SLICE26_MEAN",
            "FLAT MASTER SLICE27 MEAN": "QC_FLAT_MASTER_SLICE27_MEAN",
            "FLAT MASTER SLICE28 MEAN": "QC_FLAT_MASTER_SLICE28_MEAN",
            "FLAT MASTER SLICE29 MEAN": "QC_FLAT_MASTER_SLICE29_MEAN",
            "FLAT MASTER SLICE30 MEAN": "QC_FLAT_MASTER_SLICE30_MEAN",
            "FLAT MASTER SLICE31 MEAN": "QC_FLAT_MASTER_SLICE31_MEAN",
            "FLAT MASTER SLICE32 MEAN": "QC_FLAT_MASTER_SLICE32_MEAN",
            "FLAT MASTER SLICE33 MEAN": "QC_FLAT_MASTER_SLICE33_MEAN",
            "FLAT MASTER SLICE34 MEAN": "QC_FLAT_MASTER_SLICE34_MEAN",
            "FLAT MASTER SLICE35 MEAN": "QC_FLAT_MASTER_SLICE35_MEAN",
            "FLAT MASTER SLICE36 MEAN": "QC_FLAT_MASTER_SLICE36_MEAN",
            "FLAT MASTER SLICE37 MEAN": "QC_FLAT_MASTER_SLICE37_MEAN",
            "FLAT MASTER SLICE38 MEAN": "QC_FLAT_MASTER_SLICE38_MEAN",
            "FLAT MASTER SLICE39 MEAN": "QC_FLAT_MASTER_SLICE39_MEAN",
            "FLAT MASTER SLICE40 MEAN": "QC_FLAT_MASTER_SLICE40_MEAN",
            "FLAT MASTER SLICE41 MEAN": "QC_FLAT_MASTER_SLICE41_MEAN",
            "FLAT MASTER SLICE42 MEAN": "QC_FLAT_MASTER_SLICE42_MEAN",
            "FLAT MASTER SLICE43 MEAN": "QC_FLAT_MASTER_SLICE43_MEAN",
            "FLAT MASTER SLICE44 MEAN": "QC_FLAT_MASTER_SLICE44_MEAN",
            "FLAT MASTER SLICE45 MEAN": "QC_FLAT_MASTER_SLICE45_MEAN",
            "FLAT MASTER SLICE46 MEAN": "QC_FLAT_MASTER_SLICE46_MEAN",
            "FLAT MASTER SLICE47 MEAN": "QC_FLAT_MASTER_SLICE47_MEAN",
            "FLAT MASTER SLICE48 MEAN": "QC_FLAT_MASTER_SLICE48_MEAN",
            "FLAT MASTER SLICE1 STDEV": "QC_FLAT_MASTER_SLICE1_STDEV",
            "FLAT MASTER SLICE2 STDEV": "QC_FLAT_MASTER_SLICE2_STDEV",
            "FLAT MASTER SLICE3 STDEV": "QC_FLAT_MASTER_SLICE3_STDEV",
            "FLAT MASTER SLICE4 STDEV": "QC_FLAT_MASTER_SLICE4_STDEV",
            "FLAT MASTER SLICE5 STDEV": "QC_FLAT_MASTER_SLICE5_STDEV",
            "FLAT MASTER SLICE6 STDEV": "QC_FLAT_MASTER_SLICE6_STDEV",
            "FLAT MASTER SLICE7 STDEV": "QC_FLAT_MASTER_SLICE7_STDEV",
            "FLAT MASTER SLICE8 STDEV": "QC_FLAT_MASTER_SLICE8_STDEV",
            "FLAT MASTER SLICE9 STDEV": "QC_FLAT_MASTER_SLICE9_STDEV",
            "FLAT MASTER SLICE10 STDEV": "QC_FLAT_MASTER_SLICE10_STDEV",
            "FLAT MASTER SLICE11 STDEV": "QC_FLAT_MASTER_SLICE11_STDEV",
            "FLAT MASTER SLICE12 STDEV": "QC_FLAT_MASTER_SLICE12_STDEV",
            "FLAT MASTER SLICE13 STDEV": "QC_FLAT_MASTER_SLICE13_STDEV",
            "FLAT MASTER SLICE14 STDEV": "QC_FLAT_MASTER_SLICE14_STDEV",
            "FLAT MASTER SLICE15 STDEV": "QC_FLAT_MASTER_SLICE15_STDEV",
            "FLAT MASTER SLICE16 STDEV": "QC_FLAT_MASTER_SLICE16_STDEV",
            "FLAT MASTER SLICE17 STDEV": "QC_FLAT_MASTER_SLICE17_STDEV",
            "FLAT MASTER SLICE18 STDEV": "QC_FLAT_MASTER_SLICE18_STDEV",
            "FLAT MASTER SLICE19 STDEV": "QC_FLAT_MASTER_SLICE19_STDEV",
            "FLAT MASTER SLICE20 STDEV": "QC_FLAT_MASTER_SLICE20_STDEV",
            "FLAT MASTER SLICE21 STDEV": "QC_FLAT_MASTER_SLICE21_STDEV",
            "FLAT MASTER SLICE22 STDEV": "QC_FLAT_MASTER_SLICE22_STDEV",
            "FLAT MASTER SLICE23 STDEV": "QC_FLAT_MASTER_SLICE23_STDEV",
            "FLAT MASTER SLICE24 STDEV": "QC_FLAT_MASTER_SLICE24_STDEV",
            "FLAT MASTER SLICE25 STDEV": "QC_FLAT_MASTER_SLICE25_STDEV",
            "FLAT MASTER SLICE26 STDEV": "QC_FLAT_MASTER_SLICE26_STDEV",
            "FLAT MASTER SLICE27 STDEV": "QC_FLAT_MASTER_SLICE27_STDEV",
            "FLAT MASTER SLICE28 STDEV": "QC_FLAT_MASTER_SLICE28_STDEV",
            "FLAT MASTER SLICE29 STDEV": "QC_FLAT_MASTER_SLICE29_STDEV",
            "FLAT MASTER SLICE30 STDEV": "QC_FLAT_MASTER_SLICE30_STDEV",
            "FLAT MASTER SLICE31 STDEV": "QC_FLAT_MASTER_SLICE31_STDEV",
            "FLAT MASTER SLICE32 STDEV": "QC_FLAT_MASTER_SLICE32_STDEV",
            "FLAT MASTER SLICE33 STDEV": "QC_FLAT_MASTER_SLICE33_STDEV",
            "FLAT MASTER SLICE34 STDEV": "QC_FLAT_MASTER_SLICE34_STDEV",
            "FLAT MASTER SLICE35 STDEV": "QC_FLAT_MASTER_SLICE35_STDEV",
            "FLAT MASTER SLICE36 STDEV": "QC_FLAT_MASTER_SLICE36_STDEV",
            "FLAT MASTER SLICE37 STDEV": "QC_FLAT_MASTER_SLICE37_STDEV",
            "FLAT MASTER SLICE38 STDEV": "QC_FLAT_MASTER_SLICE38_STDEV",
            "FLAT MASTER SLICE39 STDEV": "QC_FLAT_MASTER_SLICE39_STDEV",
            "FLAT MASTER SLICE40 STDEV": "QC_FLAT_MASTER_SLICE40_STDEV",
            "FLAT MASTER SLICE41 STDEV": "QC_FLAT_MASTER_SLICE41_STDEV",
            "FLAT MASTER SLICE42 STDEV": "QC_FLAT_MASTER_SLICE42_STDEV",
            "FLAT MASTER SLICE43 STDEV": "QC_FLAT_MASTER_SLICE43_STDEV",
            "FLAT MASTER SLICE44 STDEV": "QC_FLAT_MASTER_SLICE44_STDEV",
            "FLAT MASTER SLICE45 STDEV": "QC_FLAT_MASTER_SLICE45_STDEV",
            "FLAT MASTER SLICE46 STDEV": "QC_FLAT_MASTER_SLICE46_STDEV",
            "FLAT MASTER SLICE47 STDEV": "QC_FLAT_MASTER_SLICE47_STDEV",
            "FLAT MASTER SLICE48 STDEV": "QC_FLAT_MASTER_SLICE48_STDEV",
        }
    )
    qc_thresholds = (
        QcThreshold(
            "FLAT INPUT1 NSATURATED", "QC_FLAT_INPUT1_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT2 NSATURATED", "QC_FLAT_INPUT2_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT3 NSATURATED", "QC_FLAT_INPUT3_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT4 NSATURATED", "QC_FLAT_INPUT4_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT5 NSATURATED", "QC_FLAT_INPUT5_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT6 NSATURATED", "QC_FLAT_INPUT6_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT7 NSATURATED", "QC_FLAT_INPUT7_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT8 NSATURATED", "QC_FLAT_INPUT8_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT9 NSATURATED", "QC_FLAT_INPUT9_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT10 NSATURATED", "QC_FLAT_INPUT10_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT11 NSATURATED", "QC_FLAT_INPUT11_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT12 NSATURATED", "QC_FLAT_INPUT12_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT13 NSATURATED", "QC_FLAT_INPUT13_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT14 NSATURATED", "QC_FLAT_INPUT14_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT15 NSATURATED", "QC_FLAT_INPUT15_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT16 NSATURATED", "QC_FLAT_INPUT16_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT17 NSATURATED", "QC_FLAT_INPUT17_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT18 NSATURATED", "QC_FLAT_INPUT18_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT19 NSATURATED", "QC_FLAT_INPUT19_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT20 NSATURATED", "QC_FLAT_INPUT20_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT21 NSATURATED", "QC_FLAT_INPUT21_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT22 NSATURATED", "QC_FLAT_INPUT22_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT23 NSATURATED", "QC_FLAT_INPUT23_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT24 NSATURATED", "QC_FLAT_INPUT24_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT25 NSATURATED", "QC_FLAT_INPUT25_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT26 NSATURATED", "QC_FLAT_INPUT26_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT27 NSATURATED", "QC_FLAT_INPUT27_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT28 NSATURATED", "QC_FLAT_INPUT28_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT29 NSATURATED", "QC_FLAT_INPUT29_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT30 NSATURATED", "QC_FLAT_INPUT30_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT31 NSATURATED", "QC_FLAT_INPUT31_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold(
            "FLAT INPUT32 NSATURATED", "QC_FLAT_INPUT32_NSATURATED", "saturated", 0, maximum=10000.0
        ),
        QcThreshold("FLAT MASTER MEAN", "QC_FLAT_MASTER_MEAN", "lamp_low", 1, minimum=100.0),
    )

    raw_chips = persistent("the raw flat extensions combined", RawFlatChip, [])
    master_bias = persistent("the master bias subtracted", MasterBias)
    QC_FLAT_INPUT1_MEDIAN = persistent(
        "median of 1nput 1 [count]", float, fits="ESO QC FLAT INPUT1 MEDIAN"
    )
    QC_FLAT_INPUT2_MEDIAN = persistent(
        "median of 2nput 2 [count]", float, fits="ESO QC FLAT INPUT2 MEDIAN"
    )
    QC_FLAT_INPUT3_MEDIAN = persistent(
        "median of 3nput 3 [count]", float, fits="ESO QC FLAT INPUT3 MEDIAN"
    )
    QC_FLAT_INPUT4_MEDIAN = persistent(
        "median of 4nput 4 [count]", float, fits="ESO QC FLAT INPUT4 MEDIAN"
    )
    QC_FLAT_INPUT5_MEDIAN = persistent(
        "median of 5nput 5 [count]", float, fits="ESO QC FLAT INPUT5 MEDIAN"
    )
    QC_FLAT_INPUT6_MEDIAN = persistent(
        "median of 6nput 6 [count]", float, fits="ESO QC FLAT INPUT6 MEDIAN"
    )
    QC_FLAT_INPUT7_MEDIAN = persistent(
        "median of 7nput 7 [count]", float, fits="ESO QC FLAT INPUT7 MEDIAN"
    )
    QC_FLAT_INPUT8_MEDIAN = persistent(
        "median of 8nput 8 [count]", float, fits="ESO QC FLAT INPUT8 MEDIAN"
    )
    QC_FLAT_INPUT9_MEDIAN = persistent(
        "median of 9nput 9 [count]", float, fits="ESO QC FLAT INPUT9 MEDIAN"
    )
    QC_FLAT_INPUT10_MEDIAN = persistent(
        "median of 10nput 10 [count]", float, fits="ESO QC FLAT INPUT10 MEDIAN"
    )
    QC_FLAT_INPUT11_MEDIAN = persistent(
        "median of 11nput 11 [count]", float, fits="ESO QC FLAT INPUT11 MEDIAN"
    )
    QC_FLAT_INPUT12_MEDIAN = persistent(
        "median of 12nput 12 [count]", float, fits="ESO QC FLAT INPUT12 MEDIAN"
    )
    QC_FLAT_INPUT13_MEDIAN = persistent(
        "median of 13nput 13 [count]", float, fits="ESO QC FLAT INPUT13 MEDIAN"
    )
    QC_FLAT_INPUT14_MEDIAN = persistent(
        "median of 14nput 14 [count]", float, fits="ESO QC FLAT INPUT14 MEDIAN"
    )
    QC_FLAT_INPUT15_MEDIAN = persistent(
        "median of 15nput 15 [count]", float, fits="ESO QC FLAT INPUT15 MEDIAN"
    )
    QC_FLAT_INPUT16_MEDIAN = persistent(
        "median of 16nput 16 [count]", float, fits="ESO QC FLAT INPUT16 MEDIAN"
    )
    QC_FLAT_INPUT17_MEDIAN = persistent(
        "median of 17nput 17 [count]", float, fits="ESO QC FLAT INPUT17 MEDIAN"
    )
    QC_FLAT_INPUT18_MEDIAN = persistent(
        "median of 18nput 18 [count]", float, fits="ESO QC FLAT INPUT18 MEDIAN"
    )
    QC_FLAT_INPUT19_MEDIAN = persistent(
        "median of 19nput 19 [count]", float, fits="ESO QC FLAT INPUT19 MEDIAN"
    )
    QC_FLAT_INPUT20_MEDIAN = persistent(
        "median of 20nput 20 [count]", float, fits="ESO QC FLAT INPUT20 MEDIAN"
    )
    QC_FLAT_INPUT21_MEDIAN = persistent(
        "median of 21nput 21 [count]", float, fits="ESO QC FLAT INPUT21 MEDIAN"
    )
    QC_FLAT_INPUT22_MEDIAN = persistent(
        "median of 22nput 22 [count]", float, fits="ESO QC FLAT INPUT22 MEDIAN"
    )
    QC_FLAT_INPUT23_MEDIAN = persistent(
        "median of 23nput 23 [count]", float, fits="ESO QC FLAT INPUT23 MEDIAN"
    )
    QC_FLAT_INPUT24_MEDIAN = persistent(
        "median of 24nput 24 [count]", float, fits="ESO QC FLAT INPUT24 MEDIAN"
    )
    QC_FLAT_INPUT25_MEDIAN = persistent(
        "median of 25nput 25 [count]", float, fits="ESO QC FLAT INPUT25 MEDIAN"
    )
    QC_FLAT_INPUT26_MEDIAN = persistent(
        "median of 26nput 26 [count]", float, fits="ESO QC FLAT INPUT26 MEDIAN"
    )
    QC_FLAT_INPUT27_MEDIAN = persistent(
        "median of 27nput 27 [count]", float, fits="ESO QC FLAT INPUT27 MEDIAN"
    )
    QC_FLAT_INPUT28_MEDIAN = persistent(
        "median of 28nput 28 [count]", float, fits="ESO QC FLAT INPUT28 MEDIAN"
    )
    QC_FLAT_INPUT29_MEDIAN = persistent(
        "median of 29nput 29 [count]", float, fits="ESO QC FLAT INPUT29 MEDIAN"
    )
    QC_FLAT_INPUT30_MEDIAN = persistent(
        "median of 30nput 30 [count]", float, fits="ESO QC FLAT INPUT30 MEDIAN"
    )
    QC_FLAT_INPUT31_MEDIAN = persistent(
        "median of 31nput 31 [count]", float, fits="ESO QC FLAT INPUT31 MEDIAN"
    )
    QC_FLAT_INPUT32_MEDIAN = persistent(
        "median of 32nput 32 [count]", float, fits="ESO QC FLAT INPUT32 MEDIAN"
    )
    QC_FLAT_INPUT1_MEAN = persistent(
        "mean of 1nput 1 [count]", float, fits="ESO QC FLAT INPUT1 MEAN"
    )
    QC_FLAT_INPUT2_MEAN = persistent(
        "mean of 2nput 2 [count]", float, fits="ESO QC FLAT INPUT2 MEAN"
    )
    QC_FLAT_INPUT3_MEAN = persistent(
        "mean of 3nput 3 [count]", float, fits="ESO QC FLAT INPUT3 MEAN"
    )
    QC_FLAT_INPUT4_MEAN = persistent(
        "mean of 4nput 4 [count]", float, fits="ESO QC FLAT INPUT4 MEAN"
    )
    QC_FLAT_INPUT5_MEAN = persistent(
        "mean of 5nput 5 [count]", float, fits="ESO QC FLAT INPUT5 MEAN"
    )
    QC_FLAT_INPUT6_MEAN = persistent(
        "mean of 6nput 6 [count]", float, fits="ESO QC FLAT INPUT6 MEAN"
    )
    QC_FLAT_INPUT7_MEAN = persistent(
        "mean of 7nput 7 [count]", float, fits="ESO QC FLAT INPUT7 MEAN"
    )
    QC_FLAT_INPUT8_MEAN = persistent(
        "mean of 8nput 8 [count]", float, fits="ESO QC FLAT INPUT8 MEAN"
    )
    QC_FLAT_INPUT9_MEAN = persistent(
        "mean of 9nput 9 [count]", float, fits="ESO QC FLAT INPUT9 MEAN"
    )
    QC_FLAT_INPUT10_MEAN = persistent(
        "mean of 10nput 10 [count]", float, fits="ESO QC FLAT INPUT10 MEAN"
    )
    QC_FLAT_INPUT11_MEAN = persistent(
        "mean of 11nput 11 [count]", float, fits="ESO QC FLAT INPUT11 MEAN"
    )
    QC_FLAT_INPUT12_MEAN = persistent(
        "mean of 12nput 12 [count]", float, fits="ESO QC FLAT INPUT12 MEAN"
    )
    QC_FLAT_INPUT13_MEAN = persistent(
        "mean of 13nput 13 [count]", float, fits="ESO QC FLAT INPUT13 MEAN"
    )
    QC_FLAT_INPUT14_MEAN = persistent(
        "mean of 14nput 14 [count]", float, fits="ESO QC FLAT INPUT14 MEAN"
    )
    QC_FLAT_INPUT15_MEAN = persistent(
        "mean of 15nput 15 [count]", float, fits="ESO QC FLAT INPUT15 MEAN"
    )
    QC_FLAT_INPUT16_MEAN = persistent(
        "mean of 16nput 16 [count]", float, fits="ESO QC FLAT INPUT16 MEAN"
    )
    QC_FLAT_INPUT17_MEAN = persistent(
        "mean of 17nput 17 [count]", float, fits="ESO QC FLAT INPUT17 MEAN"
    )
    QC_FLAT_INPUT18_MEAN = persistent(
        "mean of 18nput 18 [count]", float, fits="ESO QC FLAT INPUT18 MEAN"
    )
    QC_FLAT_INPUT19_MEAN = persistent(
        "mean of 19nput 19 [count]", float, fits="ESO QC FLAT INPUT19 MEAN"
    )
    QC_FLAT_INPUT20_MEAN = persistent(
        "mean of 20nput 20 [count]", float, fits="ESO QC FLAT INPUT20 MEAN"
    )
    QC_FLAT_INPUT21_MEAN = persistent(
        "mean of 21nput 21 [count]", float, fits="ESO QC FLAT INPUT21 MEAN"
    )
    QC_FLAT_INPUT22_MEAN = persistent(
        "mean of 22nput 22 [count]", float, fits="ESO QC FLAT INPUT22 MEAN"
    )
    QC_FLAT_INPUT23_MEAN = persistent(
        "mean of 23nput 23 [count]", float, fits="ESO QC FLAT INPUT23 MEAN"
    )
    QC_FLAT_INPUT24_MEAN = persistent(
        "mean of 24nput 24 [count]", float, fits="ESO QC FLAT INPUT24 MEAN"
    )
    QC_FLAT_INPUT25_MEAN = persistent(
        "mean of 25nput 25 [count]", float, fits="ESO QC FLAT INPUT25 MEAN"
    )
    QC_FLAT_INPUT26_MEAN = persistent(
        "mean of 26nput 26 [count]", float, fits="ESO QC FLAT INPUT26 MEAN"
    )
    QC_FLAT_INPUT27_MEAN = persistent(
        "mean of 27nput 27 [count]", float, fits="ESO QC FLAT INPUT27 MEAN"
    )
    QC_FLAT_INPUT28_MEAN = persistent(
        "mean of 28nput 28 [count]", float, fits="ESO QC FLAT INPUT28 MEAN"
    )
    QC_FLAT_INPUT29_MEAN = persistent(
        "mean of 29nput 29 [count]", float, fits="ESO QC FLAT INPUT29 MEAN"
    )
    QC_FLAT_INPUT30_MEAN = persistent(
        "mean of 30nput 30 [count]", float, fits="ESO QC FLAT INPUT30 MEAN"
    )
    QC_FLAT_INPUT31_MEAN = persistent(
        "mean of 31nput 31 [count]", float, fits="ESO QC FLAT INPUT31 MEAN"
    )
    QC_FLAT_INPUT32_MEAN = persistent(
        "mean of 32nput 32 [count]", float, fits="ESO QC FLAT INPUT32 MEAN"
    )
    QC_FLAT_INPUT1_STDEV = persistent(
        "standard deviation of 1nput 1 [count]", float, fits="ESO QC FLAT INPUT1 STDEV"
    )
    QC_FLAT_INPUT2_STDEV = persistent(
        "standard deviation of 2nput 2 [count]", float, fits="ESO QC FLAT INPUT2 STDEV"
    )
    QC_FLAT_INPUT3_STDEV = persistent(
        "standard deviation of 3nput 3 [count]", float, fits="ESO QC FLAT INPUT3 STDEV"
    )
    QC_FLAT_INPUT4_STDEV = persistent(
        "standard deviation of 4nput 4 [count]", float, fits="ESO QC FLAT INPUT4 STDEV"
    )
    QC_FLAT_INPUT5_STDEV = persistent(
        "standard deviation of 5nput 5 [count]", float, fits="ESO QC FLAT INPUT5 STDEV"
    )
    QC_FLAT_INPUT6_STDEV = persistent(
        "standard deviation of 6nput 6 [count]", float, fits="ESO QC FLAT INPUT6 STDEV"
    )
    QC_FLAT_INPUT7_STDEV = persistent(
        "standard deviation of 7nput 7 [count]", float, fits="ESO QC FLAT INPUT7 STDEV"
    )
    QC_FLAT_INPUT8_STDEV = persistent(
        "standard deviation of 8nput 8 [count]", float, fits="ESO QC FLAT INPUT8 STDEV"
    )
    QC_FLAT_INPUT9_STDEV = persistent(
        "standard deviation of 9nput 9 [count]", float, fits="ESO QC FLAT INPUT9 STDEV"
    )
    QC_FLAT_INPUT10_STDEV = persistent(
        "standard deviation of 10nput 10 [count]", float, fits="ESO QC FLAT INPUT10 STDEV"
    )
    QC_FLAT_INPUT11_STDEV = persistent(
        "standard deviation of 11nput 11 [count]", float, fits="ESO QC FLAT INPUT11 STDEV"
    )
    QC_FLAT_INPUT12_STDEV = persistent(
        "standard deviation of 12nput 12 [count]", float, fits="ESO QC FLAT INPUT12 STDEV"
    )
    QC_FLAT_INPUT13_STDEV = persistent(
        "standard deviation of 13nput 13 [count]", float, fits="ESO QC FLAT INPUT13 STDEV"
    )
    QC_FLAT_INPUT14_STDEV = persistent(
        "standard deviation of 14nput 14 [count]", float, fits="ESO QC FLAT INPUT14 STDEV"
    )
    QC_FLAT_INPUT15_STDEV = persistent(
        "standard deviation of 15nput 15 [count]", float, fits="ESO QC FLAT INPUT15 STDEV"
    )
    QC_FLAT_INPUT16_STDEV = persistent(
        "standard deviation of 16nput 16 [count]", float, fits="ESO QC FLAT INPUT16 STDEV"
    )
    QC_FLAT_INPUT17_STDEV = persistent(
        "standard deviation of 17nput 17 [count]", float, fits="ESO QC FLAT INPUT17 STDEV"
    )
    QC_FLAT_INPUT18_STDEV = persistent(
        "standard deviation of 18nput 18 [count]", float, fits="ESO QC FLAT INPUT18 STDEV"
    )
    QC_FLAT_INPUT19_STDEV = persistent(
        "standard deviation of 19nput 19 [count]", float, fits="ESO QC FLAT INPUT19 STDEV"
    )
    QC_FLAT_INPUT20_STDEV = persistent(
        "standard deviation of 20nput 20 [count]", float, fits="ESO QC FLAT INPUT20 STDEV"
    )
    QC_FLAT_INPUT21_STDEV = persistent(
        "standard deviation of 21nput 21 [count]", float, fits="ESO QC FLAT INPUT21 STDEV"
    )
    QC_FLAT_INPUT22_STDEV = persistent(
        "standard deviation of 22nput 22 [count]", float, fits="ESO QC FLAT INPUT22 STDEV"
    )
    QC_FLAT_INPUT23_STDEV = persistent(
        "standard deviation of 23nput 23 [count]", float, fits="ESO QC FLAT INPUT23 STDEV"
    )
    QC_FLAT_INPUT24_STDEV = persistent(
        "standard deviation of 24nput 24 [count]", float, fits="ESO QC FLAT INPUT24 STDEV"
    )
    QC_FLAT_INPUT25_STDEV = persistent(
        "standard deviation of 25nput 25 [count]", float, fits="ESO QC FLAT INPUT25 STDEV"
    )
    QC_FLAT_INPUT26_STDEV = persistent(
        "standard deviation of 26nput 26 [count]", float, fits="ESO QC FLAT INPUT26 STDEV"
    )
    QC_FLAT_INPUT27_STDEV = persistent(
        "standard deviation of 27nput 27 [count]", float, fits="ESO QC FLAT INPUT27 STDEV"
    )
    QC_FLAT_INPUT28_STDEV = persistent(
        "standard deviation of 28nput 28 [count]", float, fits="ESO QC FLAT INPUT28 STDEV"
    )
    QC_FLAT_INPUT29_STDEV = persistent(
        "standard deviation of 29nput 29 [count]", float, fits="ESO QC FLAT INPUT29 STDEV"
    )
    QC_FLAT_INPUT30_STDEV = persistent(
        "standard deviation of 30nput 30 [count]", float, fits="ESO QC FLAT INPUT30 STDEV"
    )
    QC_FLAT_INPUT31_STDEV = persistent(
        "standard deviation of 31nput 31 [count]", float, fits="ESO QC FLAT INPUT31 STDEV"
    )
    QC_FLAT_INPUT32_STDEV = persistent(
        "standard deviation of 32nput 32 [count]", float, fits="ESO QC FLAT INPUT32 STDEV"
    )
    QC_FLAT_INPUT1_MIN = persistent(
        "minimum of 1nput 1 [count]", float, fits="ESO QC FLAT INPUT1 MIN"
    )
    QC_FLAT_INPUT2_MIN = persistent(
        "minimum of 2nput 2 [count]", float, fits="ESO QC FLAT INPUT2 MIN"
    )
    QC_FLAT_INPUT3_MIN = persistent(
        "minimum of 3nput 3 [count]", float, fits="ESO QC FLAT INPUT3 MIN"
    )
    QC_FLAT_INPUT4_MIN = persistent(
        "minimum of 4nput 4 [count]", float, fits="ESO QC FLAT INPUT4 MIN"
    )
    QC_FLAT_INPUT5_MIN = persistent(
        "minimum of 5nput 5 [count]", float, fits="ESO QC FLAT INPUT5 MIN"
    )
    QC_FLAT_INPUT6_MIN = persistent(
        "minimum of 6nput 6 [count]", float, fits="ESO QC FLAT INPUT6 MIN"
    )
    QC_FLAT_INPUT7_MIN = persistent(
        "minimum of 7nput 7 [count]", float, fits="ESO QC FLAT INPUT7 MIN"
    )
    QC_FLAT_INPUT8_MIN = persistent(
        "minimum of 8nput 8 [count]", float, fits="ESO QC FLAT INPUT8 MIN"
    )
    QC_FLAT_INPUT9_MIN = persistent(
        "minimum of 9nput 9 [count]", float, fits="ESO QC FLAT INPUT9 MIN"
    )
    QC_FLAT_INPUT10_MIN = persistent(
        "minimum of 10nput 10 [count]", float, fits="ESO QC FLAT INPUT10 MIN"
    )
    QC_FLAT_INPUT11_MIN = persistent(
        "minimum of 11nput 11 [count]", float, fits="ESO QC FLAT INPUT11 MIN"
    )
    QC_FLAT_INPUT12_MIN = persistent(
        "minimum of 12nput 12 [count]", float, fits="ESO QC FLAT INPUT12 MIN"
    )
    QC_FLAT_INPUT13_MIN = persistent(
        "minimum of 13nput 13 [count]", float, fits="ESO QC FLAT INPUT13 MIN"
    )
    QC_FLAT_INPUT14_MIN = persistent(
        "minimum of 14nput 14 [count]", float, fits="ESO QC FLAT INPUT14 MIN"
    )
    QC_FLAT_INPUT15_MIN = persistent(
        "minimum of 15nput 15 [count]", float, fits="ESO QC FLAT INPUT15 MIN"
    )
    QC_FLAT_INPUT16_MIN = persistent(
        "minimum of 16nput 16 [count]", float, fits="ESO QC FLAT INPUT16 MIN"
    )
    QC_FLAT_INPUT17_MIN = persistent(
        "minimum of 17nput 17 [count]", float, fits="ESO QC FLAT INPUT17 MIN"
    )
    QC_FLAT_INPUT18_MIN = persistent(
        "minimum of 18nput 18 [count]", float, fits="ESO QC FLAT INPUT18 MIN"
    )
    QC_FLAT_INPUT19_MIN = persistent(
        "minimum of 19nput 19 [count]", float, fits="ESO QC FLAT INPUT19 MIN"
    )
    QC_FLAT_INPUT20_MIN = persistent(
        "minimum of 20nput 20 [count]", float, fits="ESO QC FLAT INPUT20 MIN"
    )
    QC_FLAT_INPUT21_MIN = persistent(
        "minimum of 21nput 21 [count]", float, fits="ESO QC FLAT INPUT21 MIN"
    )
    QC_FLAT_INPUT22_MIN = persistent(
        "minimum of 22nput 22 [count]", float, fits="ESO QC FLAT INPUT22 MIN"
    )
    QC_FLAT_INPUT23_MIN = persistent(
        "minimum of 23nput 23 [count]", float, fits="ESO QC FLAT INPUT23 MIN"
    )
    QC_FLAT_INPUT24_MIN = persistent(
        "minimum of 24nput 24 [count]", float, fits="ESO QC FLAT INPUT24 MIN"
    )
    QC_FLAT_INPUT25_MIN = persistent(
        "minimum of 25nput 25 [count]", float, fits="ESO QC FLAT INPUT25 MIN"
    )
    QC_FLAT_INPUT26_MIN = persistent(
        "minimum of 26nput 26 [count]", float, fits="ESO QC FLAT INPUT26 MIN"
    )
    QC_FLAT_INPUT27_MIN = persistent(
        "minimum of 27nput 27 [count]", float, fits="ESO QC FLAT INPUT27 MIN"
    )
    QC_FLAT_INPUT28_MIN = persistent(
        "minimum of 28nput 28 [count]", float, fits="ESO QC FLAT INPUT28 MIN"
    )
    QC_FLAT_INPUT29_MIN = persistent(
        "minimum of 29nput 29 [count]", float, fits="ESO QC FLAT INPUT29 MIN"
    )
    QC_FLAT_INPUT30_MIN = persistent(
        "minimum of 30nput 30 [count]", float, fits="ESO QC FLAT INPUT30 MIN"
    )
    QC_FLAT_INPUT31_MIN = persistent(
        "minimum of 31nput 31 [count]", float, fits="ESO QC FLAT INPUT31 MIN"
    )
    QC_FLAT_INPUT32_MIN = persistent(
        "minimum of 32nput 32 [count]", float, fits="ESO QC FLAT INPUT32 MIN"
    )
    QC_FLAT_INPUT1_MAX = persistent(
        "maximum of 1nput 1 [count]", float, fits="ESO QC FLAT INPUT1 MAX"
    )
    QC_FLAT_INPUT2_MAX = persistent(
        "maximum of 2nput 2 [count]", float, fits="ESO QC FLAT INPUT2 MAX"
    )
    QC_FLAT_INPUT3_MAX = persistent(
        "maximum of 3nput 3 [count]", float, fits="ESO QC FLAT INPUT3 MAX"
    )
    QC_FLAT_INPUT4_MAX = persistent(
        "maximum of 4nput 4 [count]", float, fits="ESO QC FLAT INPUT4 MAX"
    )
    QC_FLAT_INPUT5_MAX = persistent(
        "maximum of 5nput 5 [count]", float, fits="ESO QC FLAT INPUT5 MAX"
    )
    QC_FLAT_INPUT6_MAX = persistent(
        "maximum of 6nput 6 [count]", float, fits="ESO QC FLAT INPUT6 MAX"
    )
    QC_FLAT_INPUT7_MAX = persistent(
        "maximum of 7nput 7 [count]", float, fits="ESO QC FLAT INPUT7 MAX"
    )
    QC_FLAT_INPUT8_MAX = persistent(
        "maximum of 8nput 8 [count]", float, fits="ESO QC FLAT INPUT8 MAX"
    )
    QC_FLAT_INPUT9_MAX = persistent(
        "maximum of 9nput 9 [count]", float, fits="ESO QC FLAT INPUT9 MAX"
    )
    QC_FLAT_INPUT10_MAX = persistent(
        "maximum of 10nput 10 [count]", float, fits="ESO QC FLAT INPUT10 MAX"
    )
    QC_FLAT_INPUT11_MAX = persistent(
        "maximum of 11nput 11 [count]", float, fits="ESO QC FLAT INPUT11 MAX"
    )
    QC_FLAT_INPUT12_MAX = persistent(
        "maximum of 12nput 12 [count]", float, fits="ESO QC FLAT INPUT12 MAX"
    )
    QC_FLAT_INPUT13_MAX = persistent(
        "maximum of 13nput 13 [count]", float, fits="ESO QC FLAT INPUT13 MAX"
    )
    QC_FLAT_INPUT14_MAX = persistent(
        "maximum of 14nput 14 [count]", float, fits="ESO QC FLAT INPUT14 MAX"
    )
    QC_FLAT_INPUT15_MAX = persistent(
        "maximum of 15nput 15 [count]", float, fits="ESO QC FLAT INPUT15 MAX"
    )
    QC_FLAT_INPUT16_MAX = persistent(
        "maximum of 16nput 16 [count]", float, fits="ESO QC FLAT INPUT16 MAX"
    )
    QC_FLAT_INPUT17_MAX = persistent(
        "maximum of 17nput 17 [count]", float, fits="ESO QC FLAT INPUT17 MAX"
    )
    QC_FLAT_INPUT18_MAX = persistent(
        "maximum of 18nput 18 [count]", float, fits="ESO QC FLAT INPUT18 MAX"
    )
    QC_FLAT_INPUT19_MAX = persistent(
        "maximum of 19nput 19 [count]", float, fits="ESO QC FLAT INPUT19 MAX"
    )
    QC_FLAT_INPUT20_MAX = persistent(
        "maximum of 20nput 20 [count]", float, fits="ESO QC FLAT INPUT20 MAX"
    )
    QC_FLAT_INPUT21_MAX = persistent(
        "maximum of 21nput 21 [count]", float, fits="ESO QC FLAT INPUT21 MAX"
    )
    QC_FLAT_INPUT22_MAX = persistent(
        "maximum of 22nput 22 [count]", float, fits="ESO QC FLAT INPUT22 MAX"
    )
    QC_FLAT_INPUT23_MAX = persistent(
        "maximum of 23nput 23 [count]", float, fits="ESO QC FLAT INPUT23 MAX"
    )
    QC_FLAT_INPUT24_MAX = persistent(
        "maximum of 24nput 24 [count]", float, fits="ESO QC FLAT INPUT24 MAX"
    )
    QC_FLAT_INPUT25_MAX = persistent(
        "maximum of 25nput 25 [count]", float, fits="ESO QC FLAT INPUT25 MAX"
    )
    QC_FLAT_INPUT26_MAX = persistent(
        "maximum of 26nput 26 [count]", float, fits="ESO QC FLAT INPUT26 MAX"
    )
    QC_FLAT_INPUT27_MAX = persistent(
        "maximum of 27nput 27 [count]", float, fits="ESO QC FLAT INPUT27 MAX"
    )
    QC_FLAT_INPUT28_MAX = persistent(
        "maximum of 28nput 28 [count]", float, fits="ESO QC FLAT INPUT28 MAX"
    )
    QC_FLAT_INPUT29_MAX = persistent(
        "maximum of 29nput 29 [count]", float, fits="ESO QC FLAT INPUT29 MAX"
    )
    QC_FLAT_INPUT30_MAX = persistent(
        "maximum of 30nput 30 [count]", float, fits="ESO QC FLAT INPUT30 MAX"
    )
    QC_FLAT_INPUT31_MAX = persistent(
        "maximum of 31nput 31 [count]", float, fits="ESO QC FLAT INPUT31 MAX"
    )
    QC_FLAT_INPUT32_MAX = persistent(
        "maximum of 32nput 32 [count]", float, fits="ESO QC FLAT INPUT32 MAX"
    )
    QC_FLAT_INPUT1_NSATURATED = persistent(
        "saturated pixels of 1nput 1", int, fits="ESO QC FLAT INPUT1 NSATURATED"
    )
    QC_FLAT_INPUT2_NSATURATED = persistent(
        "saturated pixels of 2nput 2", int, fits="ESO QC FLAT INPUT2 NSATURATED"
    )
    QC_FLAT_INPUT3_NSATURATED = persistent(
        "saturated pixels of 3nput 3", int, fits="ESO QC FLAT INPUT3 NSATURATED"
    )
    QC_FLAT_INPUT4_NSATURATED = persistent(
        "saturated pixels of 4nput 4", int, fits="ESO QC FLAT INPUT4 NSATURATED"
    )
    QC_FLAT_INPUT5_NSATURATED = persistent(
        "saturated pixels of 5nput 5", int, fits="ESO QC FLAT INPUT5 NSATURATED"
    )
    QC_FLAT_INPUT6_NSATURATED = persistent(
        "saturated pixels of 6nput 6", int, fits="ESO QC FLAT INPUT6 NSATURATED"
    )
    QC_FLAT_INPUT7_NSATURATED = persistent(
        "saturated pixels of 7nput 7", int, fits="ESO QC FLAT INPUT7 NSATURATED"
    )
    QC_FLAT_INPUT8_NSATURATED = persistent(
        "saturated pixels of 8nput 8", int, fits="ESO QC FLAT INPUT8 NSATURATED"
    )
    QC_FLAT_INPUT9_NSATURATED = persistent(
        "saturated pixels of 9nput 9", int, fits="ESO QC FLAT INPUT9 NSATURATED"
    )
    QC_FLAT_INPUT10_NSATURATED = persistent(
        "saturated pixels of 10nput 10", int, fits="ESO QC FLAT INPUT10 NSATURATED"
    )
    QC_FLAT_INPUT11_NSATURATED = persistent(
        "saturated pixels of 11nput 11", int, fits="ESO QC FLAT INPUT11 NSATURATED"
    )
    QC_FLAT_INPUT12_NSATURATED = persistent(
        "saturated pixels of 12nput 12", int, fits="ESO QC FLAT INPUT12 NSATURATED"
    )
    QC_FLAT_INPUT13_NSATURATED = persistent(
        "saturated pixels of 13nput 13", int, fits="ESO QC FLAT INPUT13 NSATURATED"
    )
    QC_FLAT_INPUT14_NSATURATED = persistent(
        "saturated pixels of 14nput 14", int, fits="ESO QC FLAT INPUT14 NSATURATED"
    )
    QC_FLAT_INPUT15_NSATURATED = persistent(
        "saturated pixels of 15nput 15", int, fits="ESO QC FLAT INPUT15 NSATURATED"
    )
    QC_FLAT_INPUT16_NSATURATED = persistent(
        "saturated pixels of 16nput 16", int, fits="ESO QC FLAT INPUT16 NSATURATED"
    )
    QC_FLAT_INPUT17_NSATURATED = persistent(
        "saturated pixels of 17nput 17", int, fits="ESO QC FLAT INPUT17 NSATURATED"
    )
    QC_FLAT_INPUT18_NSATURATED = persistent(
        "saturated pixels of 18nput 18", int, fits="ESO QC FLAT INPUT18 NSATURATED"
    )
    QC_FLAT_INPUT19_NSATURATED = persistent(
        "saturated pixels of 19nput 19", int, fits="ESO QC FLAT INPUT19 NSATURATED"
    )
    QC_FLAT_INPUT20_NSATURATED = persistent(
        "saturated pixels of 20nput 20", int, fits="ESO QC FLAT INPUT20 NSATURATED"
    )
    QC_FLAT_INPUT21_NSATURATED = persistent(
        "saturated pixels of 21nput 21", int, fits="ESO QC FLAT INPUT21 NSATURATED"
    )
    QC_FLAT_INPUT22_NSATURATED = persistent(
        "saturated pixels of 22nput 22", int, fits="ESO QC FLAT INPUT22 NSATURATED"
    )
    QC_FLAT_INPUT23_NSATURATED = persistent(
        "saturated pixels of 23nput 23", int, fits="ESO QC FLAT INPUT23 NSATURATED"
    )
    QC_FLAT_INPUT24_NSATURATED = persistent(
        "saturated pixels of 24nput 24", int, fits="ESO QC FLAT INPUT24 NSATURATED"
    )
    QC_FLAT_INPUT25_NSATURATED = persistent(
        "saturated pixels of 25nput 25", int, fits="ESO QC FLAT INPUT25 NSATURATED"
    )
    QC_FLAT_INPUT26_NSATURATED = persistent(
        "saturated pixels of 26nput 26", int, fits="ESO QC FLAT INPUT26 NSATURATED"
    )
    QC_FLAT_INPUT27_NSATURATED = persistent(
        "saturated pixels of 27nput 27", int, fits="ESO QC FLAT INPUT27 NSATURATED"
    )
    QC_FLAT_INPUT28_NSATURATED = persistent(
        "saturated pixels of 28nput 28", int, fits="ESO QC FLAT INPUT28 NSATURATED"
    )
    QC_FLAT_INPUT29_NSATURATED = persistent(
        "saturated pixels of 29nput 29", int, fits="ESO QC FLAT INPUT29 NSATURATED"
    )
    QC_FLAT_INPUT30_NSATURATED = persistent(
        "saturated pixels of 30nput 30", int, fits="ESO QC FLAT INPUT30 NSATURATED"
    )
    QC_FLAT_INPUT31_NSATURATED = persistent(
        "saturated pixels of 31nput 31", int, fits="ESO QC FLAT INPUT31 NSATURATED"
    )
    QC_FLAT_INPUT32_NSATURATED = persistent(
        "saturated pixels of 32nput 32", int, fits="ESO QC FLAT INPUT32 NSATURATED"
    )
    QC_FLAT_MASTER_MEDIAN = persistent(
        "median of the combined flat [count]", float, fits="ESO QC FLAT MASTER MEDIAN"
    )
    QC_FLAT_MASTER_MEAN = persistent(
        "mean of the combined flat [count]", float, fits="ESO QC FLAT MASTER MEAN"
    )
    QC_FLAT_MASTER_STDEV = persistent(
        "standard deviation of the combined flat [count]", float, fits="ESO QC FLAT MASTER STDEV"
    )
    QC_FLAT_MASTER_MIN = persistent(
        "minimum of the combined flat [count]", float, fits="ESO QC FLAT MASTER MIN"
    )
    QC_FLAT_MASTER_MAX = persistent(
        "maximum of the combined flat [count]", float, fits="ESO QC FLAT MASTER MAX"
    )
    QC_FLAT_MASTER_INTFLUX = persistent(
        "integrated flux within the slices [count]", float, fits="ESO QC FLAT MASTER INTFLUX"
    )
    QC_FLAT_MASTER_SLICE1_MEAN = persistent(
        "mean of slice 1 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE1 MEAN"
    )
    QC_FLAT_MASTER_SLICE2_MEAN = persistent(
        "mean of slice 2 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE2 MEAN"
    )
    QC_FLAT_MASTER_SLICE3_MEAN = persistent(
        "mean of slice 3 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE3 MEAN"
    )
    QC_FLAT_MASTER_SLICE4_MEAN = persistent(
        "mean of slice 4 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE4 MEAN"
    )
    QC_FLAT_MASTER_SLICE5_MEAN = persistent(
        "mean of slice 5 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE5 MEAN"
    )
    QC_FLAT_MASTER_SLICE6_MEAN = persistent(
        "mean of slice 6 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE6 MEAN"
    )
    QC_FLAT_MASTER_SLICE7_MEAN = persistent(
        "mean of slice 7 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE7 MEAN"
    )
    QC_FLAT_MASTER_SLICE8_MEAN = persistent(
        "mean of slice 8 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE8 MEAN"
    )
    QC_FLAT_MASTER_SLICE9_MEAN = persistent(
        "mean of slice 9 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE9 MEAN"
    )
    QC_FLAT_MASTER_SLICE10_MEAN = persistent(
        "mean of slice 10 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE10 MEAN"
    )
    QC_FLAT_MASTER_SLICE11_MEAN = persistent(
        "mean of slice 11 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE11 MEAN"
    )
    QC_FLAT_MASTER_SLICE12_MEAN = persistent(
        "mean of slice 12 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE12 MEAN"
    )
    QC_FLAT_MASTER_SLICE13_MEAN = persistent(
        "mean of slice 13 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE13 MEAN"
    )
    QC_FLAT_MASTER_SLICE14_MEAN = persistent(
        "mean of slice 14 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE14 MEAN"
    )
    QC_FLAT_MASTER_SLICE15_MEAN = persistent(
        "mean of slice 15 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE15 MEAN"
    )
    QC_FLAT_MASTER_SLICE16_MEAN = persistent(
        "mean of slice 16 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE16 MEAN"
    )
    QC_FLAT_MASTER_SLICE17_MEAN = persistent(
        "mean of slice 17 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE17 MEAN"
    )
    QC_FLAT_MASTER_SLICE18_MEAN = persistent(
        "mean of slice 18 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE18 MEAN"
    )
    QC_FLAT_MASTER_SLICE19_MEAN = persistent(
        "mean of slice 19 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE19 MEAN"
    )
    QC_FLAT_MASTER_SLICE20_MEAN = persistent(
        "mean of slice 20 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE20 MEAN"
    )
    QC_FLAT_MASTER_SLICE21_MEAN = persistent(
        "mean of slice 21 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE21 MEAN"
    )
    QC_FLAT_MASTER_SLICE22_MEAN = persistent(
        "mean of slice 22 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE22 MEAN"
    )
    QC_FLAT_MASTER_SLICE23_MEAN = persistent(
        "mean of slice 23 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE23 MEAN"
    )
    QC_FLAT_MASTER_SLICE24_MEAN = persistent(
        "mean of slice 24 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE24 MEAN"
    )
    QC_FLAT_MASTER_SLICE25_MEAN = persistent(
        "mean of slice 25 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE25 MEAN"
    )
    QC_FLAT_MASTER_SLICE26_MEAN = persistent(
        "mean of slice 26 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE26 MEAN"
    )
    QC_FLAT_MASTER_SLICE27_MEAN = persistent(
        "mean of slice 27 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE27 MEAN"
    )
    QC_FLAT_MASTER_SLICE28_MEAN = persistent(
        "mean of slice 28 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE28 MEAN"
    )
    QC_FLAT_MASTER_SLICE29_MEAN = persistent(
        "mean of slice 29 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE29 MEAN"
    )
    QC_FLAT_MASTER_SLICE30_MEAN = persistent(
        "mean of slice 30 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE30 MEAN"
    )
    QC_FLAT_MASTER_SLICE31_MEAN = persistent(
        "mean of slice 31 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE31 MEAN"
    )
    QC_FLAT_MASTER_SLICE32_MEAN = persistent(
        "mean of slice 32 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE32 MEAN"
    )
    QC_FLAT_MASTER_SLICE33_MEAN = persistent(
        "mean of slice 33 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE33 MEAN"
    )
    QC_FLAT_MASTER_SLICE34_MEAN = persistent(
        "mean of slice 34 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE34 MEAN"
    )
    QC_FLAT_MASTER_SLICE35_MEAN = persistent(
        "mean of slice 35 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE35 MEAN"
    )
    QC_FLAT_MASTER_SLICE36_MEAN = persistent(
        "mean of slice 36 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE36 MEAN"
    )
    QC_FLAT_MASTER_SLICE37_MEAN = persistent(
        "mean of slice 37 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE37 MEAN"
    )
    QC_FLAT_MASTER_SLICE38_MEAN = persistent(
        "mean of slice 38 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE38 MEAN"
    )
    QC_FLAT_MASTER_SLICE39_MEAN = persistent(
        "mean of slice 39 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE39 MEAN"
    )
    QC_FLAT_MASTER_SLICE40_MEAN = persistent(
        "mean of slice 40 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE40 MEAN"
    )
    QC_FLAT_MASTER_SLICE41_MEAN = persistent(
        "mean of slice 41 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE41 MEAN"
    )
    QC_FLAT_MASTER_SLICE42_MEAN = persistent(
        "mean of slice 42 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE42 MEAN"
    )
    QC_FLAT_MASTER_SLICE43_MEAN = persistent(
        "mean of slice 43 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE43 MEAN"
    )
    QC_FLAT_MASTER_SLICE44_MEAN = persistent(
        "mean of slice 44 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE44 MEAN"
    )
    QC_FLAT_MASTER_SLICE45_MEAN = persistent(
        "mean of slice 45 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE45 MEAN"
    )
    QC_FLAT_MASTER_SLICE46_MEAN = persistent(
        "mean of slice 46 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE46 MEAN"
    )
    QC_FLAT_MASTER_SLICE47_MEAN = persistent(
        "mean of slice 47 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE47 MEAN"
    )
    QC_FLAT_MASTER_SLICE48_MEAN = persistent(
        "mean of slice 48 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE48 MEAN"
    )
    QC_FLAT_MASTER_SLICE1_STDEV = persistent(
        "scatter of slice 1 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE1 STDEV"
    )
    QC_FLAT_MASTER_SLICE2_STDEV = persistent(
        "scatter of slice 2 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE2 STDEV"
    )
    QC_FLAT_MASTER_SLICE3_STDEV = persistent(
        "scatter of slice 3 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE3 STDEV"
    )
    QC_FLAT_MASTER_SLICE4_STDEV = persistent(
        "scatter of slice 4 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE4 STDEV"
    )
    QC_FLAT_MASTER_SLICE5_STDEV = persistent(
        "scatter of slice 5 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE5 STDEV"
    )
    QC_FLAT_MASTER_SLICE6_STDEV = persistent(
        "scatter of slice 6 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE6 STDEV"
    )
    QC_FLAT_MASTER_SLICE7_STDEV = persistent(
        "scatter of slice 7 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE7 STDEV"
    )
    QC_FLAT_MASTER_SLICE8_STDEV = persistent(
        "scatter of slice 8 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE8 STDEV"
    )
    QC_FLAT_MASTER_SLICE9_STDEV = persistent(
        "scatter of slice 9 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE9 STDEV"
    )
    QC_FLAT_MASTER_SLICE10_STDEV = persistent(
        "scatter of slice 10 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE10 STDEV"
    )
    QC_FLAT_MASTER_SLICE11_STDEV = persistent(
        "scatter of slice 11 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE11 STDEV"
    )
    QC_FLAT_MASTER_SLICE12_STDEV = persistent(
        "scatter of slice 12 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE12 STDEV"
    )
    QC_FLAT_MASTER_SLICE13_STDEV = persistent(
        "scatter of slice 13 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE13 STDEV"
    )
    QC_FLAT_MASTER_SLICE14_STDEV = persistent(
        "scatter of slice 14 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE14 STDEV"
    )
    QC_FLAT_MASTER_SLICE15_STDEV = persistent(
        "scatter of slice 15 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE15 STDEV"
    )
    QC_FLAT_MASTER_SLICE16_STDEV = persistent(
        "scatter of slice 16 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE16 STDEV"
    )
    QC_FLAT_MASTER_SLICE17_STDEV = persistent(
        "scatter of slice 17 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE17 STDEV"
    )
    QC_FLAT_MASTER_SLICE18_STDEV = persistent(
        "scatter of slice 18 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE18 STDEV"
    )
    QC_FLAT_MASTER_SLICE19_STDEV = persistent(
        "scatter of slice 19 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE19 STDEV"
    )
    QC_FLAT_MASTER_SLICE20_STDEV = persistent(
        "scatter of slice 20 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE20 STDEV"
    )
    QC_FLAT_MASTER_SLICE21_STDEV = persistent(
        "scatter of slice 21 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE21 STDEV"
    )
    QC_FLAT_MASTER_SLICE22_STDEV = persistent(
        "scatter of slice 22 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE22 STDEV"
    )
    QC_FLAT_MASTER_SLICE23_STDEV = persistent(
        "scatter of slice 23 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE23 STDEV"
    )
    QC_FLAT_MASTER_SLICE24_STDEV = persistent(
        "scatter of slice 24 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE24 STDEV"
    )
    QC_FLAT_MASTER_SLICE25_STDEV = persistent(
        "scatter of slice 25 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE25 STDEV"
    )
    QC_FLAT_MASTER_SLICE26_STDEV = persistent(
        "scatter of slice 26 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE26 STDEV"
    )
    QC_FLAT_MASTER_SLICE27_STDEV = persistent(
        "scatter of slice 27 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE27 STDEV"
    )
    QC_FLAT_MASTER_SLICE28_STDEV = persistent(
        "scatter of slice 28 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE28 STDEV"
    )
    QC_FLAT_MASTER_SLICE29_STDEV = persistent(
        "scatter of slice 29 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE29 STDEV"
    )
    QC_FLAT_MASTER_SLICE30_STDEV = persistent(
        "scatter of slice 30 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE30 STDEV"
    )
    QC_FLAT_MASTER_SLICE31_STDEV = persistent(
        "scatter of slice 31 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE31 STDEV"
    )
    QC_FLAT_MASTER_SLICE32_STDEV = persistent(
        "scatter of slice 32 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE32 STDEV"
    )
    QC_FLAT_MASTER_SLICE33_STDEV = persistent(
        "scatter of slice 33 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE33 STDEV"
    )
    QC_FLAT_MASTER_SLICE34_STDEV = persistent(
        "scatter of slice 34 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE34 STDEV"
    )
    QC_FLAT_MASTER_SLICE35_STDEV = persistent(
        "scatter of slice 35 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE35 STDEV"
    )
    QC_FLAT_MASTER_SLICE36_STDEV = persistent(
        "scatter of slice 36 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE36 STDEV"
    )
    QC_FLAT_MASTER_SLICE37_STDEV = persistent(
        "scatter of slice 37 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE37 STDEV"
    )
    QC_FLAT_MASTER_SLICE38_STDEV = persistent(
        "scatter of slice 38 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE38 STDEV"
    )
    QC_FLAT_MASTER_SLICE39_STDEV = persistent(
        "scatter of slice 39 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE39 STDEV"
    )
    QC_FLAT_MASTER_SLICE40_STDEV = persistent(
        "scatter of slice 40 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE40 STDEV"
    )
    QC_FLAT_MASTER_SLICE41_STDEV = persistent(
        "scatter of slice 41 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE41 STDEV"
    )
    QC_FLAT_MASTER_SLICE42_STDEV = persistent(
        "scatter of slice 42 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE42 STDEV"
    )
    QC_FLAT_MASTER_SLICE43_STDEV = persistent(
        "scatter of slice 43 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE43 STDEV"
    )
    QC_FLAT_MASTER_SLICE44_STDEV = persistent(
        "scatter of slice 44 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE44 STDEV"
    )
    QC_FLAT_MASTER_SLICE45_STDEV = persistent(
        "scatter of slice 45 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE45 STDEV"
    )
    QC_FLAT_MASTER_SLICE46_STDEV = persistent(
        "scatter of slice 46 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE46 STDEV"
    )
    QC_FLAT_MASTER_SLICE47_STDEV = persistent(
        "scatter of slice 47 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE47 STDEV"
    )
    QC_FLAT_MASTER_SLICE48_STDEV = persistent(
        "scatter of slice 48 of the normalised flat", float, fits="ESO QC FLAT MASTER SLICE48 STDEV"
    )


class TraceTable(NightlyCalibration):
    """TRACE_TABLE of one IFU: centre and edges of the 48 slices (made with the MASTER_FLAT)."""

    product_category = "TRACE_TABLE"
    quality_bits = MappingProxyType({"widths": 0})
    qc_keys = MappingProxyType(
        {
            "TRACE SLICE_L XPOS": "QC_TRACE_SLICE_L_XPOS",
            "TRACE SLICE_L TILT": "QC_TRACE_SLICE_L_TILT",
            "TRACE SLICE_R XPOS": "QC_TRACE_SLICE_R_XPOS",
            "TRACE SLICE_R TILT": "QC_TRACE_SLICE_R_TILT",
            "TRACE SLICE1 MAXSLOPE": "QC_TRACE_SLICE1_MAXSLOPE",
            "TRACE SLICE2 MAXSLOPE": "QC_TRACE_SLICE2_MAXSLOPE",
            "TRACE SLICE3 MAXSLOPE": "QC_TRACE_SLICE3_MAXSLOPE",
            "TRACE SLICE4 MAXSLOPE": "QC_TRACE_SLICE4_MAXSLOPE",
            "TRACE SLICE5 MAXSLOPE": "QC_TRACE_SLICE5_MAXSLOPE",
            "TRACE SLICE6 MAXSLOPE": "QC_TRACE_SLICE6_MAXSLOPE",
            "TRACE SLICE7 MAXSLOPE": "QC_TRACE_SLICE7_MAXSLOPE",
            "TRACE SLICE8 MAXSLOPE": "QC_TRACE_SLICE8_MAXSLOPE",
            "TRACE SLICE9 MAXSLOPE": "QC_TRACE_SLICE9_MAXSLOPE",
            "TRACE SLICE10 MAXSLOPE": "QC_TRACE_SLICE10_MAXSLOPE",
            "TRACE SLICE11 MAXSLOPE": "QC_TRACE_SLICE11_MAXSLOPE",
            "TRACE SLICE12 MAXSLOPE": "QC_TRACE_SLICE12_MAXSLOPE",
            "TRACE SLICE13 MAXSLOPE": "QC_TRACE_SLICE13_MAXSLOPE",
            "TRACE SLICE14 MAXSLOPE": "QC_TRACE_SLICE14_MAXSLOPE",
            "TRACE SLICE15 MAXSLOPE": "QC_TRACE_SLICE15_MAXSLOPE",
            "TRACE SLICE16 MAXSLOPE": "QC_TRACE_SLICE16_MAXSLOPE",
            "TRACE SLICE17 MAXSLOPE": "QC_TRACE_SLICE17_MAXSLOPE",
            "TRACE SLICE18 MAXSLOPE": "QC_TRACE_SLICE18_MAXSLOPE",
            "TRACE SLICE19 MAXSLOPE": "QC_TRACE_SLICE19_MAXSLOPE",
            "TRACE SLICE20 MAXSLOPE": "QC_TRACE_SLICE20_MAXSLOPE",
            "TRACE SLICE21 MAXSLOPE": "QC_TRACE_SLICE21_MAXSLOPE",
            "TRACE SLICE22 MAXSLOPE": "QC_TRACE_SLICE22_MAXSLOPE",
            "TRACE SLICE23 MAXSLOPE": "QC_TRACE_SLICE23_MAXSLOPE",
            "TRACE SLICE24 MAXSLOPE": "QC_TRACE_SLICE24_MAXSLOPE",
            "TRACE SLICE25 MAXSLOPE": "QC_TRACE_SLICE25_MAXSLOPE",
            "TRACE SLICE26 MAXSLOPE": "QC_TRACE_SLICE26_MAXSLOPE",
            "TRACE SLICE27 MAXSLOPE": "QC_TRACE_SLICE27_MAXSLOPE",
            "TRACE SLICE28 MAXSLOPE": "QC_TRACE_SLICE28_MAXSLOPE",
            "TRACE SLICE29 MAXSLOPE": "QC_TRACE_SLICE29_MAXSLOPE",
            "TRACE SLICE30 MAXSLOPE": "QC_TRACE_SLICE30_MAXSLOPE",
            "TRACE SLICE31 MAXSLOPE": "QC_TRACE_SLICE31_MAXSLOPE",
            "TRACE SLICE32 MAXSLOPE": "QC_TRACE_SLICE32_MAXSLOPE",
            "TRACE SLICE33 MAXSLOPE": "QC_TRACE_SLICE33_MAXSLOPE",
            "TRACE SLICE34 MAXSLOPE": "QC_TRACE_SLICE34_MAXSLOPE",
            "TRACE SLICE35 MAXSLOPE": "QC_TRACE_SLICE35_MAXSLOPE",
            "TRACE SLICE36 MAXSLOPE": "QC_TRACE_SLICE36_MAXSLOPE",
            "TRACE SLICE37 MAXSLOPE": "QC_TRACE_SLICE37_MAXSLOPE",
            "TRACE SLICE38 MAXSLOPE": "QC_TRACE_SLICE38_MAXSLOPE",
            "TRACE SLICE39 MAXSLOPE": "QC_TRACE_SLICE39_MAXSLOPE",
            "TRACE SLICE40 MAXSLOPE": "QC_TRACE_SLICE40_MAXSLOPE",
            "TRACE SLICE41 MAXSLOPE": "QC_TRACE_SLICE41_MAXSLOPE",
            "TRACE SLICE42 MAXSLOPE": "QC_TRACE_SLICE42_MAXSLOPE",
            "TRACE SLICE43 MAXSLOPE": "QC_TRACE_SLICE43_MAXSLOPE",
            "TRACE SLICE44 MAXSLOPE": "QC_TRACE_SLICE44_MAXSLOPE",
            "TRACE SLICE45 MAXSLOPE": "QC_TRACE_SLICE45_MAXSLOPE",
            "TRACE SLICE46 MAXSLOPE": "QC_TRACE_SLICE46_MAXSLOPE",
            "TRACE SLICE47 MAXSLOPE": "QC_TRACE_SLICE47_MAXSLOPE",
            "TRACE SLICE48 MAXSLOPE": "QC_TRACE_SLICE48_MAXSLOPE",
            "TRACE SLICE3 WIDTH": "QC_TRACE_SLICE3_WIDTH",
            "TRACE SLICE10 WIDTH": "QC_TRACE_SLICE10_WIDTH",
            "TRACE SLICE39 WIDTH": "QC_TRACE_SLICE39_WIDTH",
            "TRACE SLICE46 WIDTH": "QC_TRACE_SLICE46_WIDTH",
            "TRACE WIDTHS MEDIAN": "QC_TRACE_WIDTHS_MEDIAN",
            "TRACE WIDTHS MEAN": "QC_TRACE_WIDTHS_MEAN",
            "TRACE WIDTHS STDEV": "QC_TRACE_WIDTHS_STDEV",
            "TRACE WIDTHS MIN": "QC_TRACE_WIDTHS_MIN",
            "TRACE WIDTHS MAX": "QC_TRACE_WIDTHS_MAX",
            "TRACE GAPS MEDIAN": "QC_TRACE_GAPS_MEDIAN",
            "TRACE GAPS MEAN": "QC_TRACE_GAPS_MEAN",
            "TRACE GAPS STDEV": "QC_TRACE_GAPS_STDEV",
            "TRACE GAPS MIN": "QC_TRACE_GAPS_MIN",
            "TRACE GAPS MAX": "QC_TRACE_GAPS_MAX",
        }
    )
    qc_thresholds = (
        QcThreshold("TRACE WIDTHS STDEV", "QC_TRACE_WIDTHS_STDEV", "widths", 0, maximum=2.0),
    )

    raw_chips = persistent("the raw flat extensions traced", RawFlatChip, [])
    master_bias = persistent("the master bias subtracted", MasterBias)
    QC_TRACE_SLICE_L_XPOS = persistent(
        "centre of the leftmost slice at the middle row [pix]",
        float,
        fits="ESO QC TRACE SLICE_L XPOS",
    )
    QC_TRACE_SLICE_L_TILT = persistent(
        "tilt of the leftmost slice [deg]", float, fits="ESO QC TRACE SLICE_L TILT"
    )
    QC_TRACE_SLICE_R_XPOS = persistent(
        "centre of the rightmost slice at the middle row [pix]",
        float,
        fits="ESO QC TRACE SLICE_R XPOS",
    )
    QC_TRACE_SLICE_R_TILT = persistent(
        "tilt of the rightmost slice [deg]", float, fits="ESO QC TRACE SLICE_R TILT"
    )
    QC_TRACE_SLICE1_MAXSLOPE = persistent(
        "largest slope of the centre of slice 1", float, fits="ESO QC TRACE SLICE1 MAXSLOPE"
    )
    QC_TRACE_SLICE2_MAXSLOPE = persistent(
        "largest slope of the centre of slice 2", float, fits="ESO QC TRACE SLICE2 MAXSLOPE"
    )
    QC_TRACE_SLICE3_MAXSLOPE = persistent(
        "largest slope of the centre of slice 3", float, fits="ESO QC TRACE SLICE3 MAXSLOPE"
    )
    QC_TRACE_SLICE4_MAXSLOPE = persistent(
        "largest slope of the centre of slice 4", float, fits="ESO QC TRACE SLICE4 MAXSLOPE"
    )
    QC_TRACE_SLICE5_MAXSLOPE = persistent(
        "largest slope of the centre of slice 5", float, fits="ESO QC TRACE SLICE5 MAXSLOPE"
    )
    QC_TRACE_SLICE6_MAXSLOPE = persistent(
        "largest slope of the centre of slice 6", float, fits="ESO QC TRACE SLICE6 MAXSLOPE"
    )
    QC_TRACE_SLICE7_MAXSLOPE = persistent(
        "largest slope of the centre of slice 7", float, fits="ESO QC TRACE SLICE7 MAXSLOPE"
    )
    QC_TRACE_SLICE8_MAXSLOPE = persistent(
        "largest slope of the centre of slice 8", float, fits="ESO QC TRACE SLICE8 MAXSLOPE"
    )
    QC_TRACE_SLICE9_MAXSLOPE = persistent(
        "largest slope of the centre of slice 9", float, fits="ESO QC TRACE SLICE9 MAXSLOPE"
    )
    QC_TRACE_SLICE10_MAXSLOPE = persistent(
        "largest slope of the centre of slice 10", float, fits="ESO QC TRACE SLICE10 MAXSLOPE"
    )
    QC_TRACE_SLICE11_MAXSLOPE = persistent(
        "largest slope of the centre of slice 11", float, fits="ESO QC TRACE SLICE11 MAXSLOPE"
    )
    QC_TRACE_SLICE12_MAXSLOPE = persistent(
        "largest slope of the centre of slice 12", float, fits="ESO QC TRACE SLICE12 MAXSLOPE"
    )
    QC_TRACE_SLICE13_MAXSLOPE = persistent(
        "largest slope of the centre of slice 13", float, fits="ESO QC TRACE SLICE13 MAXSLOPE"
    )
    QC_TRACE_SLICE14_MAXSLOPE = persistent(
        "largest slope of the centre of slice 14", float, fits="ESO QC TRACE SLICE14 MAXSLOPE"
    )
    QC_TRACE_SLICE15_MAXSLOPE = persistent(
        "largest slope of the centre of slice 15", float, fits="ESO QC TRACE SLICE15 MAXSLOPE"
    )
    QC_TRACE_SLICE16_MAXSLOPE = persistent(
        "largest slope of the centre of slice 16", float, fits="ESO QC TRACE SLICE16 MAXSLOPE"
    )
    QC_TRACE_SLICE17_MAXSLOPE = persistent(
        "largest slope of the centre of slice 17", float, fits="ESO QC TRACE SLICE17 MAXSLOPE"
    )
    QC_TRACE_SLICE18_MAXSLOPE = persistent(
        "largest slope of the centre of slice 18", float, fits="ESO QC TRACE SLICE18 MAXSLOPE"
    )
    QC_TRACE_SLICE19_MAXSLOPE = persistent(
        "largest slope of the centre of slice 19", float, fits="ESO QC TRACE SLICE19 MAXSLOPE"
    )
    QC_TRACE_SLICE20_MAXSLOPE = persistent(
        "largest slope of the centre of slice 20", float, fits="ESO QC TRACE SLICE20 MAXSLOPE"
    )
    QC_TRACE_SLICE21_MAXSLOPE = persistent(
        "largest slope of the centre of slice 21", float, fits="ESO QC TRACE SLICE21 MAXSLOPE"
    )
    QC_TRACE_SLICE22_MAXSLOPE = persistent(
        "largest slope of the centre of slice 22", float, fits="ESO QC TRACE SLICE22 MAXSLOPE"
    )
    QC_TRACE_SLICE23_MAXSLOPE = persistent(
        "largest slope of the centre of slice 23", float, fits="ESO QC TRACE SLICE23 MAXSLOPE"
    )
    QC_TRACE_SLICE24_MAXSLOPE = persistent(
        "largest slope of the centre of slice 24", float, fits="ESO QC TRACE SLICE24 MAXSLOPE"
    )
    QC_TRACE_SLICE25_MAXSLOPE = persistent(
        "largest slope of the centre of slice 25", float, fits="ESO QC TRACE SLICE25 MAXSLOPE"
    )
    QC_TRACE_SLICE26_MAXSLOPE = persistent(
        "largest slope of the centre of slice 26", float, fits="ESO QC TRACE SLICE26 MAXSLOPE"
    )
    QC_TRACE_SLICE27_MAXSLOPE = persistent(
        "largest slope of the centre of slice 27", float, fits="ESO QC TRACE SLICE27 MAXSLOPE"
    )
    QC_TRACE_SLICE28_MAXSLOPE = persistent(
        "largest slope of the centre of slice 28", float, fits="ESO QC TRACE SLICE28 MAXSLOPE"
    )
    QC_TRACE_SLICE29_MAXSLOPE = persistent(
        "largest slope of the centre of slice 29", float, fits="ESO QC TRACE SLICE29 MAXSLOPE"
    )
    QC_TRACE_SLICE30_MAXSLOPE = persistent(
        "largest slope of the centre of slice 30", float, fits="ESO QC TRACE SLICE30 MAXSLOPE"
    )
    QC_TRACE_SLICE31_MAXSLOPE = persistent(
        "largest slope of the centre of slice 31", float, fits="ESO QC TRACE SLICE31 MAXSLOPE"
    )
    QC_TRACE_SLICE32_MAXSLOPE = persistent(
        "largest slope of the centre of slice 32", float, fits="ESO QC TRACE SLICE32 MAXSLOPE"
    )
    QC_TRACE_SLICE33_MAXSLOPE = persistent(
        "largest slope of the centre of slice 33", float, fits="ESO QC TRACE SLICE33 MAXSLOPE"
    )
    QC_TRACE_SLICE34_MAXSLOPE = persistent(
        "largest slope of the centre of slice 34", float, fits="ESO QC TRACE SLICE34 MAXSLOPE"
    )
    QC_TRACE_SLICE35_MAXSLOPE = persistent(
        "largest slope of the centre of slice 35", float, fits="ESO QC TRACE SLICE35 MAXSLOPE"
    )
    QC_TRACE_SLICE36_MAXSLOPE = persistent(
        "largest slope of the centre of slice 36", float, fits="ESO QC TRACE SLICE36 MAXSLOPE"
    )
    QC_TRACE_SLICE37_MAXSLOPE = persistent(
        "largest slope of the centre of slice 37", float, fits="ESO QC TRACE SLICE37 MAXSLOPE"
    )
    QC_TRACE_SLICE38_MAXSLOPE = persistent(
        "largest slope of the centre of slice 38", float, fits="ESO QC TRACE SLICE38 MAXSLOPE"
    )
    QC_TRACE_SLICE39_MAXSLOPE = persistent(
        "largest slope of the centre of slice 39", float, fits="ESO QC TRACE SLICE39 MAXSLOPE"
    )
    QC_TRACE_SLICE40_MAXSLOPE = persistent(
        "largest slope of the centre of slice 40", float, fits="ESO QC TRACE SLICE40 MAXSLOPE"
    )
    QC_TRACE_SLICE41_MAXSLOPE = persistent(
        "largest slope of the centre of slice 41", float, fits="ESO QC TRACE SLICE41 MAXSLOPE"
    )
    QC_TRACE_SLICE42_MAXSLOPE = persistent(
        "largest slope of the centre of slice 42", float, fits="ESO QC TRACE SLICE42 MAXSLOPE"
    )
    QC_TRACE_SLICE43_MAXSLOPE = persistent(
        "largest slope of the centre of slice 43", float, fits="ESO QC TRACE SLICE43 MAXSLOPE"
    )
    QC_TRACE_SLICE44_MAXSLOPE = persistent(
        "largest slope of the centre of slice 44", float, fits="ESO QC TRACE SLICE44 MAXSLOPE"
    )
    QC_TRACE_SLICE45_MAXSLOPE = persistent(
        "largest slope of the centre of slice 45", float, fits="ESO QC TRACE SLICE45 MAXSLOPE"
    )
    QC_TRACE_SLICE46_MAXSLOPE = persistent(
        "largest slope of the centre of slice 46", float, fits="ESO QC TRACE SLICE46 MAXSLOPE"
    )
    QC_TRACE_SLICE47_MAXSLOPE = persistent(
        "largest slope of the centre of slice 47", float, fits="ESO QC TRACE SLICE47 MAXSLOPE"
    )
    QC_TRACE_SLICE48_MAXSLOPE = persistent(
        "largest slope of the centre of slice 48", float, fits="ESO QC TRACE SLICE48 MAXSLOPE"
    )
    QC_TRACE_SLICE3_WIDTH = persistent(
        "width of slice 3 [pix]", float, fits="ESO QC TRACE SLICE3 WIDTH"
    )
    QC_TRACE_SLICE10_WIDTH = persistent(
        "width of slice 10 [pix]", float, fits="ESO QC TRACE SLICE10 WIDTH"
    )
    QC_TRACE_SLICE39_WIDTH = persistent(
        "width of slice 39 [pix]", float, fits="ESO QC TRACE SLICE39 WIDTH"
    )
    QC_TRACE_SLICE46_WIDTH = persistent(
        "width of slice 46 [pix]", float, fits="ESO QC TRACE SLICE46 WIDTH"
    )
    QC_TRACE_WIDTHS_MEDIAN = persistent(
        "median slice width [pix]", float, fits="ESO QC TRACE WIDTHS MEDIAN"
    )
    QC_TRACE_WIDTHS_MEAN = persistent(
        "mean slice width [pix]", float, fits="ESO QC TRACE WIDTHS MEAN"
    )
    QC_TRACE_WIDTHS_STDEV = persistent(
        "scatter of the slice widths [pix]", float, fits="ESO QC TRACE WIDTHS STDEV"
    )
    QC_TRACE_WIDTHS_MIN = persistent("narrowest slice [pix]", float, fits="ESO QC TRACE WIDTHS MIN")
    QC_TRACE_WIDTHS_MAX = persistent("widest slice [pix]", float, fits="ESO QC TRACE WIDTHS MAX")
    QC_TRACE_GAPS_MEDIAN = persistent(
        "median gap between slices [pix]", float, fits="ESO QC TRACE GAPS MEDIAN"
    )
    QC_TRACE_GAPS_MEAN = persistent(
        "mean gap between slices [pix]", float, fits="ESO QC TRACE GAPS MEAN"
    )
    QC_TRACE_GAPS_STDEV = persistent(
        "scatter of the gaps [pix]", float, fits="ESO QC TRACE GAPS STDEV"
    )
    QC_TRACE_GAPS_MIN = persistent("smallest gap [pix]", float, fits="ESO QC TRACE GAPS MIN")
    QC_TRACE_GAPS_MAX = persistent("largest gap [pix]", float, fits="ESO QC TRACE GAPS MAX")


class WavecalTable(NightlyCalibration):
    """WAVECAL_TABLE of one IFU: the 2-D wavelength solution of each slice."""

    product_category = "WAVECAL_TABLE"
    quality_bits = MappingProxyType({"fit_rms": 0, "few_lines": 1, "failed_slices": 2})
    qc_keys = MappingProxyType(
        {
            "WAVECAL SLICE1 LINES NDET": "QC_WAVECAL_SLICE1_LINES_NDET",
            "WAVECAL SLICE2 LINES NDET": "QC_WAVECAL_SLICE2_LINES_NDET",
            "WAVECAL SLICE3 LINES NDET": "QC_WAVECAL_SLICE3_LINES_NDET",
            "WAVECAL SLICE4 LINES NDET": "QC_WAVECAL_SLICE4_LINES_NDET",
            "WAVECAL SLICE5 LINES NDET": "QC_WAVECAL_SLICE5_LINES_NDET",
            "WAVECAL SLICE6 LINES NDET": "QC_WAVECAL_SLICE6_LINES_NDET",
            "WAVECAL SLICE7 LINES NDET": "QC_WAVECAL_SLICE7_LINES_NDET",
            "WAVECAL SLICE8 LINES NDET": "QC_WAVECAL_SLICE8_LINES_NDET",
            "WAVECAL SLICE9 LINES NDET": "QC_WAVECAL_SLICE9_LINES_NDET",
            "WAVECAL SLICE10 LINES NDET": "QC_WAVECAL_SLICE10_LINES_NDET",
            "WAVECAL SLICE11 LINES NDET": "QC_WAVECAL_SLICE11_LINES_NDET",
            "WAVECAL SLICE12 LINES NDET": "QC_WAVECAL_SLICE12_LINES_NDET",
            "WAVECAL SLICE13 LINES NDET": "QC_WAVECAL_SLICE13_LINES_NDET",
            "WAVECAL SLICE14 LINES NDET": "QC_WAVECAL_SLICE14_LINES_NDET",
            "WAVECAL SLICE15 LINES NDET": "QC_WAVECAL_SLICE15_LINES_NDET",
            "WAVECAL SLICE16 LINES NDET": "QC_WAVECAL_SLICE16_LINES_NDET",
            "WAVECAL SLICE17 LINES NDET": "QC_WAVECAL_SLICE17_LINES_NDET",
            "WAVECAL SLICE18 LINES NDET": "QC_WAVECAL_SLICE18_LINES_NDET",
            "WAVECAL SLICE19 LINES NDET": "QC_WAVECAL_SLICE19_LINES_NDET",
            "WAVECAL SLICE20 LINES NDET": "QC_WAVECAL_SLICE20_LINES_NDET",
            "WAVECAL SLICE21 LINES NDET": "QC_WAVECAL_SLICE21_LINES_NDET",
            "WAVECAL SLICE22 LINES NDET": "QC_WAVECAL_SLICE22_LINES_NDET",
            "WAVECAL SLICE23 LINES NDET": "QC_WAVECAL_SLICE23_LINES_NDET",
            "WAVECAL SLICE24 LINES NDET": "QC_WAVECAL_SLICE24_LINES_NDET",
            "WAVECAL SLICE25 LINES NDET": "QC_WAVECAL_SLICE25_LINES_NDET",
            "WAVECAL SLICE26 LINES NDET": "QC_WAVECAL_SLICE26_LINES_NDET",
            "WAVECAL SLICE27 LINES NDET": "QC_WAVECAL_SLICE27_LINES_NDET",
            "WAVECAL SLICE28 LINES NDET": "QC_WAVECAL_SLICE28_LINES_NDET",
            "WAVECAL SLICE29 LINES NDET": "QC_WAVECAL_SLICE29_LINES_NDET",
            "WAVECAL SLICE30 LINES NDET": "QC_WAVECAL_SLICE30_LINES_NDET",
            "WAVECAL SLICE31 LINES NDET": "QC_WAVECAL_SLICE31_LINES_NDET",
            "WAVECAL SLICE32 LINES NDET": "QC_WAVECAL_SLICE32_LINES_NDET",
            "WAVECAL SLICE33 LINES NDET": "QC_WAVECAL_SLICE33_LINES_NDET",
            "WAVECAL SLICE34 LINES NDET": "QC_WAVECAL_SLICE34_LINES_NDET",
            "WAVECAL SLICE35 LINES NDET": "QC_WAVECAL_SLICE35_LINES_NDET",
            "WAVECAL SLICE36 LINES NDET": "QC_WAVECAL_SLICE36_LINES_NDET",
            "WAVECAL SLICE37 LINES NDET": "QC_WAVECAL_SLICE37_LINES_NDET",
            "WAVECAL SLICE38 LINES NDET": "QC_WAVECAL_SLICE38_LINES_NDET",
            "WAVECAL SLICE39 LINES NDET": "QC_WAVECAL_SLICE39_LINES_NDET",
            "WAVECAL SLICE40 LINES NDET": "QC_WAVECAL_SLICE40_LINES_NDET",
            "WAVECAL SLICE41 LINES NDET": "QC_WAVECAL_SLICE41_LINES_NDET",
            "WAVECAL SLICE42 LINES NDET": "QC_WAVECAL_SLICE42_LINES_NDET",
            "WAVECAL SLICE43 LINES NDET": "QC_WAVECAL_SLICE43_LINES_NDET",
            "WAVECAL SLICE44 LINES NDET": "QC_WAVECAL_SLICE44_LINES_NDET",
            "WAVECAL SLICE45 LINES NDET": "QC_WAVECAL_SLICE45_LINES_NDET",
            "WAVECAL SLICE46 LINES NDET": "QC_WAVECAL_SLICE46_LINES_NDET",
            "WAVECAL SLICE47 LINES NDET": "QC_WAVECAL_SLICE47_LINES_NDET",
            "WAVECAL SLICE48 LINES NDET": "QC_WAVECAL_SLICE48_LINES_NDET",
            "WAVECAL SLICE1 LINES NID": "QC_WAVECAL_SLICE1_LINES_NID",
            "WAVECAL SLICE2 LINES NID": "QC_WAVECAL_SLICE2_LINES_NID",
            "WAVECAL SLICE3 LINES NID": "QC_WAVECAL_SLICE3_LINES_NID",
            "WAVECAL SLICE4 LINES NID": "QC_WAVECAL_SLICE4_LINES_NID",
            "WAVECAL SLICE5 LINES NID": "QC_WAVECAL_SLICE5_LINES_NID",
            "WAVECAL SLICE6 LINES NID": "QC_WAVECAL_SLICE6_LINES_NID",
            "WAVECAL SLICE7 LINES NID": "QC_WAVECAL_SLICE7_LINES_NID",
            "WAVECAL SLICE8 LINES NID": "QC_WAVECAL_SLICE8_LINES_NID",
            "WAVECAL SLICE9 LINES NID": "QC_WAVECAL_SLICE9_LINES_NID",
            "WAVECAL SLICE10 LINES NID": "QC_WAVECAL_SLICE10_LINES_NID",
            "WAVECAL SLICE11 LINES NID": "QC_WAVECAL_SLICE11_LINES_NID",
            "WAVECAL SLICE12 LINES NID": "QC_WAVECAL_SLICE12_LINES_NID",
            "WAVECAL SLICE13 LINES NID": "QC_WAVECAL_SLICE13_LINES_NID",
            "WAVECAL SLICE14 LINES NID": "QC_WAVECAL_SLICE14_LINES_NID",
            "WAVECAL SLICE15 LINES NID": "QC_WAVECAL_SLICE15_LINES_NID",
            "WAVECAL SLICE16 LINES NID": "QC_WAVECAL_SLICE16_LINES_NID",
            "WAVECAL SLICE17 LINES NID": "QC_WAVECAL_SLICE17_LINES_NID",
            "WAVECAL SLICE18 LINES NID": "QC_WAVECAL_SLICE18_LINES_NID",
            "WAVECAL SLICE19 LINES NID": "QC_WAVECAL_SLICE19_LINES_NID",
            "WAVECAL SLICE20 LINES NID": "QC_WAVECAL_SLICE20_LINES_NID",
            "WAVECAL SLICE21 LINES NID": "QC_WAVECAL_SLICE21_LINES_NID",
            "WAVECAL SLICE22 LINES NID": "QC_WAVECAL_SLICE22_LINES_NID",
            "WAVECAL SLICE23 LINES NID": "QC_WAVECAL_SLICE23_LINES_NID",
            "WAVECAL SLICE24 LINES NID": "QC_WAVECAL_SLICE24_LINES_NID",
            "WAVECAL SLICE25 LINES NID": "QC_WAVECAL_SLICE25_LINES_NID",
            "WAVECAL SLICE26 LINES NID": "QC_WAVECAL_SLICE26_LINES_NID",
            "WAVECAL SLICE27 LINES NID": "QC_WAVECAL_SLICE27_LINES_NID",
            "WAVECAL SLICE28 LINES NID": "QC_WAVECAL_SLICE28_LINES_NID",
            "WAVECAL SLICE29 LINES NID": "QC_WAVECAL_SLICE29_LINES_NID",
            "WAVECAL SLICE30 LINES NID": "QC_WAVECAL_SLICE30_LINES_NID",
            "WAVECAL SLICE31 LINES NID": "QC_WAVECAL_SLICE31_LINES_NID",
            "WAVECAL SLICE32 LINES NID": "QC_WAVECAL_SLICE32_LINES_NID",
            "WAVECAL SLICE33 LINES NID": "QC_WAVECAL_SLICE33_LINES_NID",
            "WAVECAL SLICE34 LINES NID": "QC_WAVECAL_SLICE34_LINES_NID",
            "WAVECAL SLICE35 LINES NID": "QC_WAVECAL_SLICE35_LINES_NID",
            "WAVECAL SLICE36 LINES NID": "QC_WAVECAL_SLICE36_LINES_NID",
            "WAVECAL SLICE37 LINES NID": "QC_WAVECAL_SLICE37_LINES_NID",
            "WAVECAL SLICE38 LINES NID": "QC_WAVECAL_SLICE38_LINES_NID",
            "WAVECAL SLICE39 LINES NID": "QC_WAVECAL_SLICE39_LINES_NID",
            "WAVECAL SLICE40 LINES NID": "QC_WAVECAL_SLICE40_LINES_NID",
            "WAVECAL SLICE41 LINES NID": "QC_WAVECAL_SLICE41_LINES_NID",
            "WAVECAL SLICE42 LINES NID": "QC_WAVECAL_SLICE42_LINES_NID",
            "WAVECAL SLICE43 LINES NID": "QC_WAVECAL_SLICE43_LINES_NID",
            "WAVECAL SLICE44 LINES NID": "QC_WAVECAL_SLICE44_LINES_NID",
            "WAVECAL SLICE45 LINES NID": "QC_WAVECAL_SLICE45_LINES_NID",
            "WAVECAL SLICE46 LINES NID": "QC_WAVECAL_SLICE46_LINES_NID",
            "WAVECAL SLICE47 LINES NID": "QC_WAVECAL_SLICE47_LINES_NID",
            "WAVECAL SLICE48 LINES NID": "QC_WAVECAL_SLICE48_LINES_NID",
            "WAVECAL SLICE1 RESOL": "QC_WAVECAL_SLICE1_RESOL",
            "WAVECAL SLICE2 RESOL": "QC_WAVECAL_SLICE2_RESOL",
            "WAVECAL SLICE3 RESOL": "QC_WAVECAL_SLICE3_RESOL",
            "WAVECAL SLICE4 RESOL": "QC_WAVECAL_SLICE4_RESOL",
            "WAVECAL SLICE5 RESOL": "QC_WAVECAL_SLICE5_RESOL",
            "WAVECAL SLICE6 RESOL": "QC_WAVECAL_SLICE6_RESOL",
            "WAVECAL SLICE7 RESOL": "QC_WAVECAL_SLICE7_RESOL",
            "WAVECAL SLICE8 RESOL": "QC_WAVECAL_SLICE8_RESOL",
            "WAVECAL SLICE9 RESOL": "QC_WAVECAL_SLICE9_RESOL",
            "WAVECAL SLICE10 RESOL": "QC_WAVECAL_SLICE10_RESOL",
            "WAVECAL SLICE11 RESOL": "QC_WAVECAL_SLICE11_RESOL",
            "WAVECAL SLICE12 RESOL": "QC_WAVECAL_SLICE12_RESOL",
            "WAVECAL SLICE13 RESOL": "QC_WAVECAL_SLICE13_RESOL",
            "WAVECAL SLICE14 RESOL": "QC_WAVECAL_SLICE14_RESOL",
            "WAVECAL SLICE15 RESOL": "QC_WAVECAL_SLICE15_RESOL",
            "WAVECAL SLICE16 RESOL": "QC_WAVECAL_SLICE16_RESOL",
            "WAVECAL SLICE17 RESOL": "QC_WAVECAL_SLICE17_RESOL",
            "WAVECAL SLICE18 RESOL": "QC_WAVECAL_SLICE18_RESOL",
            "WAVECAL SLICE19 RESOL": "QC_WAVECAL_SLICE19_RESOL",
            "WAVECAL SLICE20 RESOL": "QC_WAVECAL_SLICE20_RESOL",
            "WAVECAL SLICE21 RESOL": "QC_WAVECAL_SLICE21_RESOL",
            "WAVECAL SLICE22 RESOL": "QC_WAVECAL_SLICE22_RESOL",
            "WAVECAL SLICE23 RESOL": "QC_WAVECAL_SLICE23_RESOL",
            "WAVECAL SLICE24 RESOL": "QC_WAVECAL_SLICE24_RESOL",
            "WAVECAL SLICE25 RESOL": "QC_WAVECAL_SLICE25_RESOL",
            "WAVECAL SLICE26 RESOL": "QC_WAVECAL_SLICE26_RESOL",
            "WAVECAL SLICE27 RESOL": "QC_WAVECAL_SLICE27_RESOL",
            "WAVECAL SLICE28 RESOL": "QC_WAVECAL_SLICE28_RESOL",
            "WAVECAL SLICE29 RESOL": "QC_WAVECAL_SLICE29_RESOL",
            "WAVECAL SLICE30 RESOL": "QC_WAVECAL_SLICE30_RESOL",
            "WAVECAL SLICE31 RESOL": "QC_WAVECAL_SLICE31_RESOL",
            "WAVECAL SLICE32 RESOL": "QC_WAVECAL_SLICE32_RESOL",
            "WAVECAL SLICE33 RESOL": "QC_WAVECAL_SLICE33_RESOL",
            "WAVECAL SLICE34 RESOL": "QC_WAVECAL_SLICE34_RESOL",
            "WAVECAL SLICE35 RESOL": "QC_WAVECAL_SLICE35_RESOL",
            "WAVECAL SLICE36 RESOL": "QC_WAVECAL_SLICE36_RESOL",
            "WAVECAL SLICE37 RESOL": "QC_WAVECAL_SLICE37_RESOL",
            "WAVECAL SLICE38 RESOL": "QC_WAVECAL_SLICE38_RESOL",
            "WAVECAL SLICE39 RESOL": "QC_WAVECAL_SLICE39_RESOL",
            "WAVECAL SLICE40 RESOL": "QC_WAVECAL_SLICE40_RESOL",
            "WAVECAL SLICE41 RESOL": "QC_WAVECAL_SLICE41_RESOL",
            "WAVECAL SLICE42 RESOL": "QC_WAVECAL_SLICE42_RESOL",
            "WAVECAL SLICE43 RESOL": "QC_WAVECAL_SLICE43_RESOL",
            "WAVECAL SLICE44 RESOL": "QC_WAVECAL_SLICE44_RESOL",
            "WAVECAL SLICE45 RESOL": "QC_WAVECAL_SLICE45_RESOL",
            "WAVECAL SLICE46 RESOL": "QC_WAVECAL_SLICE46_RESOL",
            "WAVECAL SLICE47 RESOL": "QC_WAVECAL_SLICE47_RESOL",
            "WAVECAL SLICE48 RESOL": "QC_WAVECAL_SLICE48_RESOL",
            "WAVECAL SLICE1 FIT RMS": "QC_WAVECAL_SLICE1_FIT_RMS",
            "WAVECAL SLICE2 FIT RMS": "QC_WAVECAL_SLICE2_FIT_RMS",
            "WAVECAL SLICE3 FIT RMS": "QC_WAVECAL_SLICE3_FIT_RMS",
            "WAVECAL SLICE4 FIT RMS": "QC_WAVECAL_SLICE4_FIT_RMS",
            "WAVECAL SLICE5 FIT RMS": "QC_WAVECAL_SLICE5_FIT_RMS",
            "WAVECAL SLICE6 FIT RMS": "QC_WAVECAL_SLICE6_FIT_RMS",
            "WAVECAL SLICE7 FIT RMS": "QC_WAVECAL_SLICE7_FIT_RMS",
            "WAVECAL SLICE8 FIT RMS": "QC_WAVECAL_SLICE8_FIT_RMS",
            "WAVECAL SLICE9 FIT RMS": "QC_WAVECAL_SLICE9_FIT_RMS",
            "WAVECAL SLICE10 FIT RMS": "QC_WAVECAL_SLICE10_FIT_RMS",
            "WAVECAL SLICE11 FIT RMS": "QC_WAVECAL_SLICE11_FIT_RMS",
            "WAVECAL SLICE12 FIT RMS": "QC_WAVECAL_SLICE12_FIT_RMS",
            "WAVECAL SLICE13 FIT RMS": "QC_WAVECAL_SLICE13_FIT_RMS",
            "WAVECAL SLICE14 FIT RMS": "QC_WAVECAL_SLICE14_FIT_RMS",
            "WAVECAL SLICE15 FIT RMS": "QC_WAVECAL_SLICE15_FIT_RMS",
            "WAVECAL SLICE16 FIT RMS": "QC_WAVECAL_SLICE16_FIT_RMS",
            "WAVECAL SLICE17 FIT RMS": "QC_WAVECAL_SLICE17_FIT_RMS",
            "WAVECAL SLICE18 FIT RMS": "QC_WAVECAL_SLICE18_FIT_RMS",
            "WAVECAL SLICE19 FIT RMS": "QC_WAVECAL_SLICE19_FIT_RMS",
            "WAVECAL SLICE20 FIT RMS": "QC_WAVECAL_SLICE20_FIT_RMS",
            "WAVECAL SLICE21 FIT RMS": "QC_WAVECAL_SLICE21_FIT_RMS",
            "WAVECAL SLICE22 FIT RMS": "QC_WAVECAL_SLICE22_FIT_RMS",
            "WAVECAL SLICE23 FIT RMS": "QC_WAVECAL_SLICE23_FIT_RMS",
            "WAVECAL SLICE24 FIT RMS": "QC_WAVECAL_SLICE24_FIT_RMS",
            "WAVECAL SLICE25 FIT RMS": "QC_WAVECAL_SLICE25_FIT_RMS",
            "WAVECAL SLICE26 FIT RMS": "QC_WAVECAL_SLICE26_FIT_RMS",
            "WAVECAL SLICE27 FIT RMS": "QC_WAVECAL_SLICE27_FIT_RMS",
            "WAVECAL SLICE28 FIT RMS": "QC_WAVECAL_SLICE28_FIT_RMS",
            "WAVECAL SLICE29 FIT RMS": "QC_WAVECAL_SLICE29_FIT_RMS",
            "WAVECAL SLICE30 FIT RMS": "QC_WAVECAL_SLICE30_FIT_RMS",
            "WAVECAL SLICE31 FIT RMS": "QC_WAVECAL_SLICE31_FIT_RMS",
            "WAVECAL SLICE32 FIT RMS": "QC_WAVECAL_SLICE32_FIT_RMS",
            "WAVECAL SLICE33 FIT RMS": "QC_WAVECAL_SLICE33_FIT_RMS",
            "WAVECAL SLICE34 FIT RMS": "QC_WAVECAL_SLICE34_FIT_RMS",
            "WAVECAL SLICE35 FIT RMS": "QC_WAVECAL_SLICE35_FIT_RMS",
            "WAVECAL SLICE36 FIT RMS": "QC_WAVECAL_SLICE36_FIT_RMS",
            "WAVECAL SLICE37 FIT RMS": "QC_WAVECAL_SLICE37_FIT_RMS",
            "WAVECAL SLICE38 FIT RMS": "QC_WAVECAL_SLICE38_FIT_RMS",
            "WAVECAL SLICE39 FIT RMS": "QC_WAVECAL_SLICE39_FIT_RMS",
            "WAVECAL SLICE40 FIT RMS": "QC_WAVECAL_SLICE40_FIT_RMS",
            "WAVECAL SLICE41 FIT RMS": "QC_WAVECAL_SLICE41_FIT_RMS",
            "WAVECAL SLICE42 FIT RMS": "QC_WAVECAL_SLICE42_FIT_RMS",
            "WAVECAL SLICE43 FIT RMS": "QC_WAVECAL_SLICE43_FIT_RMS",
            "WAVECAL SLICE44 FIT RMS": "QC_WAVECAL_SLICE44_FIT_RMS",
            "WAVECAL SLICE45 FIT RMS": "QC_WAVECAL_SLICE45_FIT_RMS",
            "WAVECAL SLICE46 FIT RMS": "QC_WAVECAL_SLICE46_FIT_RMS",
            "WAVECAL SLICE47 FIT RMS": "QC_WAVECAL_SLICE47_FIT_RMS",
            "WAVECAL SLICE48 FIT RMS": "QC_WAVECAL_SLICE48_FIT_RMS",
            "WAVECAL FIT RMS MAX": "QC_WAVECAL_FIT_RMS_MAX",
            "WAVECAL NSLICES RETRIED": "QC_WAVECAL_NSLICES_RETRIED",
            "WAVECAL NSLICES FAILED": "QC_WAVECAL_NSLICES_FAILED",
        }
    )
    qc_thresholds = (
        QcThreshold(
            "WAVECAL SLICE1 LINES NID", "QC_WAVECAL_SLICE1_LINES_NID", "few_lines", 1, minimum=20.0
        ),
        QcThreshold(
            "WAVECAL SLICE2 LINES NID", "QC_WAVECAL_SLICE2_LINES_NID", "few_lines", 1, minimum=20.0
        ),
        QcThreshold(
            "WAVECAL SLICE3 LINES NID", "QC_WAVECAL_SLICE3_LINES_NID", "few_lines", 1, minimum=20.0
        ),
        QcThreshold(
            "WAVECAL SLICE4 LINES NID", "QC_WAVECAL_SLICE4_LINES_NID", "few_lines", 1, minimum=20.0
        ),
        QcThreshold(
            "WAVECAL SLICE5 LINES NID", "QC_WAVECAL_SLICE5_LINES_NID", "few_lines", 1, minimum=20.0
        ),
        QcThreshold(
            "WAVECAL SLICE6 LINES NID", "QC_WAVECAL_SLICE6_LINES_NID", "few_lines", 1, minimum=20.0
        ),
        QcThreshold(
            "WAVECAL SLICE7 LINES NID", "QC_WAVECAL_SLICE7_LINES_NID", "few_lines", 1, minimum=20.0
        ),
        QcThreshold(
            "WAVECAL SLICE8 LINES NID", "QC_WAVECAL_SLICE8_LINES_NID", "few_lines", 1, minimum=20.0
        ),
        QcThreshold(
            "WAVECAL SLICE9 LINES NID", "QC_WAVECAL_SLICE9_LINES_NID", "few_lines", 1, minimum=20.0
        ),
        QcThreshold(
            "WAVECAL SLICE10 LINES NID",
            "QC_WAVECAL_SLICE10_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE11 LINES NID",
            "QC_WAVECAL_SLICE11_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE12 LINES NID",
            "QC_WAVECAL_SLICE12_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE13 LINES NID",
            "QC_WAVECAL_SLICE13_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE14 LINES NID",
            "QC_WAVECAL_SLICE14_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE15 LINES NID",
            "QC_WAVECAL_SLICE15_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE16 LINES NID",
            "QC_WAVECAL_SLICE16_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE17 LINES NID",
            "QC_WAVECAL_SLICE17_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE18 LINES NID",
            "QC_WAVECAL_SLICE18_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE19 LINES NID",
            "QC_WAVECAL_SLICE19_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE20 LINES NID",
            "QC_WAVECAL_SLICE20_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE21 LINES NID",
            "QC_WAVECAL_SLICE21_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE22 LINES NID",
            "QC_WAVECAL_SLICE22_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE23 LINES NID",
            "QC_WAVECAL_SLICE23_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE24 LINES NID",
            "QC_WAVECAL_SLICE24_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE25 LINES NID",
            "QC_WAVECAL_SLICE25_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE26 LINES NID",
            "QC_WAVECAL_SLICE26_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE27 LINES NID",
            "QC_WAVECAL_SLICE27_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE28 LINES NID",
            "QC_WAVECAL_SLICE28_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE29 LINES NID",
            "QC_WAVECAL_SLICE29_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE30 LINES NID",
            "QC_WAVECAL_SLICE30_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE31 LINES NID",
            "QC_WAVECAL_SLICE31_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE32 LINES NID",
            "QC_WAVECAL_SLICE32_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE33 LINES NID",
            "QC_WAVECAL_SLICE33_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE34 LINES NID",
            "QC_WAVECAL_SLICE34_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE35 LINES NID",
            "QC_WAVECAL_SLICE35_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE36 LINES NID",
            "QC_WAVECAL_SLICE36_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE37 LINES NID",
            "QC_WAVECAL_SLICE37_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE38 LINES NID",
            "QC_WAVECAL_SLICE38_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE39 LINES NID",
            "QC_WAVECAL_SLICE39_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE40 LINES NID",
            "QC_WAVECAL_SLICE40_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE41 LINES NID",
            "QC_WAVECAL_SLICE41_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE42 LINES NID",
            "QC_WAVECAL_SLICE42_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE43 LINES NID",
            "QC_WAVECAL_SLICE43_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE44 LINES NID",
            "QC_WAVECAL_SLICE44_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE45 LINES NID",
            "QC_WAVECAL_SLICE45_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE46 LINES NID",
            "QC_WAVECAL_SLICE46_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE47 LINES NID",
            "QC_WAVECAL_SLICE47_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold(
            "WAVECAL SLICE48 LINES NID",
            "QC_WAVECAL_SLICE48_LINES_NID",
            "few_lines",
            1,
            minimum=20.0,
        ),
        QcThreshold("WAVECAL FIT RMS MAX", "QC_WAVECAL_FIT_RMS_MAX", "fit_rms", 0, maximum=0.04),
        QcThreshold(
            "WAVECAL NSLICES FAILED", "QC_WAVECAL_NSLICES_FAILED", "failed_slices", 2, maximum=0.0
        ),
    )

    raw_chips = persistent("the raw arc extensions used", RawArcChip, [])
    master_bias = persistent("the master bias subtracted", MasterBias)
    trace_table = persistent("the slice traces", TraceTable)
    master_flat = persistent("the master flat (optional)", MasterFlat)
    line_catalog = persistent("the arc line catalogue", "LineCatalog")
    QC_WAVECAL_SLICE1_LINES_NDET = persistent(
        "lines detected 1n slice 1", int, fits="ESO QC WAVECAL SLICE1 LINES NDET"
    )
    QC_WAVECAL_SLICE2_LINES_NDET = persistent(
        "lines detected 2n slice 2", int, fits="ESO QC WAVECAL SLICE2 LINES NDET"
    )
    QC_WAVECAL_SLICE3_LINES_NDET = persistent(
        "lines detected 3n slice 3", int, fits="ESO QC WAVECAL SLICE3 LINES NDET"
    )
    QC_WAVECAL_SLICE4_LINES_NDET = persistent(
        "lines detected 4n slice 4", int, fits="ESO QC WAVECAL SLICE4 LINES NDET"
    )
    QC_WAVECAL_SLICE5_LINES_NDET = persistent(
        "lines detected 5n slice 5", int, fits="ESO QC WAVECAL SLICE5 LINES NDET"
    )
    QC_WAVECAL_SLICE6_LINES_NDET = persistent(
        "lines detected 6n slice 6", int, fits="ESO QC WAVECAL SLICE6 LINES NDET"
    )
    QC_WAVECAL_SLICE7_LINES_NDET = persistent(
        "lines detected 7n slice 7", int, fits="ESO QC WAVECAL SLICE7 LINES NDET"
    )
    QC_WAVECAL_SLICE8_LINES_NDET = persistent(
        "lines detected 8n slice 8", int, fits="ESO QC WAVECAL SLICE8 LINES NDET"
    )
    QC_WAVECAL_SLICE9_LINES_NDET = persistent(
        "lines detected 9n slice 9", int, fits="ESO QC WAVECAL SLICE9 LINES NDET"
    )
    QC_WAVECAL_SLICE10_LINES_NDET = persistent(
        "lines detected 10n slice 10", int, fits="ESO QC WAVECAL SLICE10 LINES NDET"
    )
    QC_WAVECAL_SLICE11_LINES_NDET = persistent(
        "lines detected 11n slice 11", int, fits="ESO QC WAVECAL SLICE11 LINES NDET"
    )
    QC_WAVECAL_SLICE12_LINES_NDET = persistent(
        "lines detected 12n slice 12", int, fits="ESO QC WAVECAL SLICE12 LINES NDET"
    )
    QC_WAVECAL_SLICE13_LINES_NDET = persistent(
        "lines detected 13n slice 13", int, fits="ESO QC WAVECAL SLICE13 LINES NDET"
    )
    QC_WAVECAL_SLICE14_LINES_NDET = persistent(
        "lines detected 14n slice 14", int, fits="ESO QC WAVECAL SLICE14 LINES NDET"
    )
    QC_WAVECAL_SLICE15_LINES_NDET = persistent(
        "lines detected 15n slice 15", int, fits="ESO QC WAVECAL SLICE15 LINES NDET"
    )
    QC_WAVECAL_SLICE16_LINES_NDET = persistent(
        "lines detected 16n slice 16", int, fits="ESO QC WAVECAL SLICE16 LINES NDET"
    )
    QC_WAVECAL_SLICE17_LINES_NDET = persistent(
        "lines detected 17n slice 17", int, fits="ESO QC WAVECAL SLICE17 LINES NDET"
    )
    QC_WAVECAL_SLICE18_LINES_NDET = persistent(
        "lines detected 18n slice 18", int, fits="ESO QC WAVECAL SLICE18 LINES NDET"
    )
    QC_WAVECAL_SLICE19_LINES_NDET = persistent(
        "lines detected 19n slice 19", int, fits="ESO QC WAVECAL SLICE19 LINES NDET"
    )
    QC_WAVECAL_SLICE20_LINES_NDET = persistent(
        "lines detected 20n slice 20", int, fits="ESO QC WAVECAL SLICE20 LINES NDET"
    )
    QC_WAVECAL_SLICE21_LINES_NDET = persistent(
        "lines detected 21n slice 21", int, fits="ESO QC WAVECAL SLICE21 LINES NDET"
    )
    QC_WAVECAL_SLICE22_LINES_NDET = persistent(
        "lines detected 22n slice 22", int, fits="ESO QC WAVECAL SLICE22 LINES NDET"
    )
    QC_WAVECAL_SLICE23_LINES_NDET = persistent(
        "lines detected 23n slice 23", int, fits="ESO QC WAVECAL SLICE23 LINES NDET"
    )
    QC_WAVECAL_SLICE24_LINES_NDET = persistent(
        "lines detected 24n slice 24", int, fits="ESO QC WAVECAL SLICE24 LINES NDET"
    )
    QC_WAVECAL_SLICE25_LINES_NDET = persistent(
        "lines detected 25n slice 25", int, fits="ESO QC WAVECAL SLICE25 LINES NDET"
    )
    QC_WAVECAL_SLICE26_LINES_NDET = persistent(
        "lines detected 26n slice 26", int, fits="ESO QC WAVECAL SLICE26 LINES NDET"
    )
    QC_WAVECAL_SLICE27_LINES_NDET = persistent(
        "lines detected 27n slice 27", int, fits="ESO QC WAVECAL SLICE27 LINES NDET"
    )
    QC_WAVECAL_SLICE28_LINES_NDET = persistent(
        "lines detected 28n slice 28", int, fits="ESO QC WAVECAL SLICE28 LINES NDET"
    )
    QC_WAVECAL_SLICE29_LINES_NDET = persistent(
        "lines detected 29n slice 29", int, fits="ESO QC WAVECAL SLICE29 LINES NDET"
    )
    QC_WAVECAL_SLICE30_LINES_NDET = persistent(
        "lines detected 30n slice 30", int, fits="ESO QC WAVECAL SLICE30 LINES NDET"
    )
    QC_WAVECAL_SLICE31_LINES_NDET = persistent(
        "lines detected 31n slice 31", int, fits="ESO QC WAVECAL SLICE31 LINES NDET"
    )
    QC_WAVECAL_SLICE32_LINES_NDET = persistent(
        "lines detected 32n slice 32", int, fits="ESO QC WAVECAL SLICE32 LINES NDET"
    )
    QC_WAVECAL_SLICE33_LINES_NDET = persistent(
        "lines detected 33n slice 33", int, fits="ESO QC WAVECAL SLICE33 LINES NDET"
    )
    QC_WAVECAL_SLICE34_LINES_NDET = persistent(
        "lines detected 34n slice 34", int, fits="ESO QC WAVECAL SLICE34 LINES NDET"
    )
    QC_WAVECAL_SLICE35_LINES_NDET = persistent(
        "lines detected 35n slice 35", int, fits="ESO QC WAVECAL SLICE35 LINES NDET"
    )
    QC_WAVECAL_SLICE36_LINES_NDET = persistent(
        "lines detected 36n slice 36", int, fits="ESO QC WAVECAL SLICE36 LINES NDET"
    )
    QC_WAVECAL_SLICE37_LINES_NDET = persistent(
        "lines detected 37n slice 37", int, fits="ESO QC WAVECAL SLICE37 LINES NDET"
    )
    QC_WAVECAL_SLICE38_LINES_NDET = persistent(
        "lines detected 38n slice 38", int, fits="ESO QC WAVECAL SLICE38 LINES NDET"
    )
    QC_WAVECAL_SLICE39_LINES_NDET = persistent(
        "lines detected 39n slice 39", int, fits="ESO QC WAVECAL SLICE39 LINES NDET"
    )
    QC_WAVECAL_SLICE40_LINES_NDET = persistent(
        "lines detected 40n slice 40", int, fits="ESO QC WAVECAL SLICE40 LINES NDET"
    )
    QC_WAVECAL_SLICE41_LINES_NDET = persistent(
        "lines detected 41n slice 41", int, fits="ESO QC WAVECAL SLICE41 LINES NDET"
    )
    QC_WAVECAL_SLICE42_LINES_NDET = persistent(
        "lines detected 42n slice 42", int, fits="ESO QC WAVECAL SLICE42 LINES NDET"
    )
    QC_WAVECAL_SLICE43_LINES_NDET = persistent(
        "lines detected 43n slice 43", int, fits="ESO QC WAVECAL SLICE43 LINES NDET"
    )
    QC_WAVECAL_SLICE44_LINES_NDET = persistent(
        "lines detected 44n slice 44", int, fits="ESO QC WAVECAL SLICE44 LINES NDET"
    )
    QC_WAVECAL_SLICE45_LINES_NDET = persistent(
        "lines detected 45n slice 45", int, fits="ESO QC WAVECAL SLICE45 LINES NDET"
    )
    QC_WAVECAL_SLICE46_LINES_NDET = persistent(
        "lines detected 46n slice 46", int, fits="ESO QC WAVECAL SLICE46 LINES NDET"
    )
    QC_WAVECAL_SLICE47_LINES_NDET = persistent(
        "lines detected 47n slice 47", int, fits="ESO QC WAVECAL SLICE47 LINES NDET"
    )
    QC_WAVECAL_SLICE48_LINES_NDET = persistent(
        "lines detected 48n slice 48", int, fits="ESO QC WAVECAL SLICE48 LINES NDET"
    )
    QC_WAVECAL_SLICE1_LINES_NID = persistent(
        "lines 1dentified 1n slice 1", int, fits="ESO QC WAVECAL SLICE1 LINES NID"
    )
    QC_WAVECAL_SLICE2_LINES_NID = persistent(
        "lines 2dentified 2n slice 2", int, fits="ESO QC WAVECAL SLICE2 LINES NID"
    )
    QC_WAVECAL_SLICE3_LINES_NID = persistent(
        "lines 3dentified 3n slice 3", int, fits="ESO QC WAVECAL SLICE3 LINES NID"
    )
    QC_WAVECAL_SLICE4_LINES_NID = persistent(
        "lines 4dentified 4n slice 4", int, fits="ESO QC WAVECAL SLICE4 LINES NID"
    )
    QC_WAVECAL_SLICE5_LINES_NID = persistent(
        "lines 5dentified 5n slice 5", int, fits="ESO QC WAVECAL SLICE5 LINES NID"
    )
    QC_WAVECAL_SLICE6_LINES_NID = persistent(
        "lines 6dentified 6n slice 6", int, fits="ESO QC WAVECAL SLICE6 LINES NID"
    )
    QC_WAVECAL_SLICE7_LINES_NID = persistent(
        "lines 7dentified 7n slice 7", int, fits="ESO QC WAVECAL SLICE7 LINES NID"
    )
    QC_WAVECAL_SLICE8_LINES_NID = persistent(
        "lines 8dentified 8n slice 8", int, fits="ESO QC WAVECAL SLICE8 LINES NID"
    )
    QC_WAVECAL_SLICE9_LINES_NID = persistent(
        "lines 9dentified 9n slice 9", int, fits="ESO QC WAVECAL SLICE9 LINES NID"
    )
    QC_WAVECAL_SLICE10_LINES_NID = persistent(
        "lines 10dentified 10n slice 10", int, fits="ESO QC WAVECAL SLICE10 LINES NID"
    )
    QC_WAVECAL_SLICE11_LINES_NID = persistent(
        "lines 11dentified 11n slice 11", int, fits="ESO QC WAVECAL SLICE11 LINES NID"
    )
    QC_WAVECAL_SLICE12_LINES_NID = persistent(
        "lines 12dentified 12n slice 12", int, fits="ESO QC WAVECAL SLICE12 LINES NID"
    )
    QC_WAVECAL_SLICE13_LINES_NID = persistent(
        "lines 13dentified 13n slice 13", int, fits="ESO QC WAVECAL SLICE13 LINES NID"
    )
    QC_WAVECAL_SLICE14_LINES_NID = persistent(
        "lines 14dentified 14n slice 14", int, fits="ESO QC WAVECAL SLICE14 LINES NID"
    )
    QC_WAVECAL_SLICE15_LINES_NID = persistent(
        "lines 15dentified 15n slice 15", int, fits="ESO QC WAVECAL SLICE15 LINES NID"
    )
    QC_WAVECAL_SLICE16_LINES_NID = persistent(
        "lines 16dentified 16n slice 16", int, fits="ESO QC WAVECAL SLICE16 LINES NID"
    )
    QC_WAVECAL_SLICE17_LINES_NID = persistent(
        "lines 17dentified 17n slice 17", int, fits="ESO QC WAVECAL SLICE17 LINES NID"
    )
    QC_WAVECAL_SLICE18_LINES_NID = persistent(
        "lines 18dentified 18n slice 18", int, fits="ESO QC WAVECAL SLICE18 LINES NID"
    )
    QC_WAVECAL_SLICE19_LINES_NID = persistent(
        "lines 19dentified 19n slice 19", int, fits="ESO QC WAVECAL SLICE19 LINES NID"
    )
    QC_WAVECAL_SLICE20_LINES_NID = persistent(
        "lines 20dentified 20n slice 20", int, fits="ESO QC WAVECAL SLICE20 LINES NID"
    )
    QC_WAVECAL_SLICE21_LINES_NID = persistent(
        "lines 21dentified 21n slice 21", int, fits="ESO QC WAVECAL SLICE21 LINES NID"
    )
    QC_WAVECAL_SLICE22_LINES_NID = persistent(
        "lines 22dentified 22n slice 22", int, fits="ESO QC WAVECAL SLICE22 LINES NID"
    )
    QC_WAVECAL_SLICE23_LINES_NID = persistent(
        "lines 23dentified 23n slice 23", int, fits="ESO QC WAVECAL SLICE23 LINES NID"
    )
    QC_WAVECAL_SLICE24_LINES_NID = persistent(
        "lines 24dentified 24n slice 24", int, fits="ESO QC WAVECAL SLICE24 LINES NID"
    )
    QC_WAVECAL_SLICE25_LINES_NID = persistent(
        "lines 25dentified 25n slice 25", int, fits="ESO QC WAVECAL SLICE25 LINES NID"
    )
    QC_WAVECAL_SLICE26_LINES_NID = persistent(
        "lines 26dentified 26n slice 26", int, fits="ESO QC WAVECAL SLICE26 LINES NID"
    )
    QC_WAVECAL_SLICE27_LINES_NID = persistent(
        "lines 27dentified 27n slice 27", int, fits="ESO QC WAVECAL SLICE27 LINES NID"
    )
    QC_WAVECAL_SLICE28_LINES_NID = persistent(
        "lines 28dentified 28n slice 28", int, fits="ESO QC WAVECAL SLICE28 LINES NID"
    )
    QC_WAVECAL_SLICE29_LINES_NID = persistent(
        "lines 29dentified 29n slice 29", int, fits="ESO QC WAVECAL SLICE29 LINES NID"
    )
    QC_WAVECAL_SLICE30_LINES_NID = persistent(
        "lines 30dentified 30n slice 30", int, fits="ESO QC WAVECAL SLICE30 LINES NID"
    )
    QC_WAVECAL_SLICE31_LINES_NID = persistent(
        "lines 31dentified 31n slice 31", int, fits="ESO QC WAVECAL SLICE31 LINES NID"
    )
    QC_WAVECAL_SLICE32_LINES_NID = persistent(
        "lines 32dentified 32n slice 32", int, fits="ESO QC WAVECAL SLICE32 LINES NID"
    )
    QC_WAVECAL_SLICE33_LINES_NID = persistent(
        "lines 33dentified 33n slice 33", int, fits="ESO QC WAVECAL SLICE33 LINES NID"
    )
    QC_WAVECAL_SLICE34_LINES_NID = persistent(
        "lines 34dentified 34n slice 34", int, fits="ESO QC WAVECAL SLICE34 LINES NID"
    )
    QC_WAVECAL_SLICE35_LINES_NID = persistent(
        "lines 35dentified 35n slice 35", int, fits="ESO QC WAVECAL SLICE35 LINES NID"
    )
    QC_WAVECAL_SLICE36_LINES_NID = persistent(
        "lines 36dentified 36n slice 36", int, fits="ESO QC WAVECAL SLICE36 LINES NID"
    )
    QC_WAVECAL_SLICE37_LINES_NID = persistent(
        "lines 37dentified 37n slice 37", int, fits="ESO QC WAVECAL SLICE37 LINES NID"
    )
    QC_WAVECAL_SLICE38_LINES_NID = persistent(
        "lines 38dentified 38n slice 38", int, fits="ESO QC WAVECAL SLICE38 LINES NID"
    )
    QC_WAVECAL_SLICE39_LINES_NID = persistent(
        "lines 39dentified 39n slice 39", int, fits="ESO QC WAVECAL SLICE39 LINES NID"
    )
    QC_WAVECAL_SLICE40_LINES_NID = persistent(
        "lines 40dentified 40n slice 40", int, fits="ESO QC WAVECAL SLICE40 LINES NID"
    )
    QC_WAVECAL_SLICE41_LINES_NID = persistent(
        "lines 41dentified 41n slice 41", int, fits="ESO QC WAVECAL SLICE41 LINES NID"
    )
    QC_WAVECAL_SLICE42_LINES_NID = persistent(
        "lines 42dentified 42n slice 42", int, fits="ESO QC WAVECAL SLICE42 LINES NID"
    )
    QC_WAVECAL_SLICE43_LINES_NID = persistent(
        "lines 43dentified 43n slice 43", int, fits="ESO QC WAVECAL SLICE43 LINES NID"
    )
    QC_WAVECAL_SLICE44_LINES_NID = persistent(
        "lines 44dentified 44n slice 44", int, fits="ESO QC WAVECAL SLICE44 LINES NID"
    )
    QC_WAVECAL_SLICE45_LINES_NID = persistent(
        "lines 45dentified 45n slice 45", int, fits="ESO QC WAVECAL SLICE45 LINES NID"
    )
    QC_WAVECAL_SLICE46_LINES_NID = persistent(
        "lines 46dentified 46n slice 46", int, fits="ESO QC WAVECAL SLICE46 LINES NID"
    )
    QC_WAVECAL_SLICE47_LINES_NID = persistent(
        "lines 47dentified 47n slice 47", int, fits="ESO QC WAVECAL SLICE47 LINES NID"
    )
    QC_WAVECAL_SLICE48_LINES_NID = persistent(
        "lines 48dentified 48n slice 48", int, fits="ESO QC WAVECAL SLICE48 LINES NID"
    )
    QC_WAVECAL_SLICE1_RESOL = persistent(
        "spectral resolution of slice 1", float, fits="ESO QC WAVECAL SLICE1 RESOL"
    )
    QC_WAVECAL_SLICE2_RESOL = persistent(
        "spectral resolution of slice 2", float, fits="ESO QC WAVECAL SLICE2 RESOL"
    )
    QC_WAVECAL_SLICE3_RESOL = persistent(
        "spectral resolution of slice 3", float, fits="ESO QC WAVECAL SLICE3 RESOL"
    )
    QC_WAVECAL_SLICE4_RESOL = persistent(
        "spectral resolution of slice 4", float, fits="ESO QC WAVECAL SLICE4 RESOL"
    )
    QC_WAVECAL_SLICE5_RESOL = persistent(
        "spectral resolution of slice 5", float, fits="ESO QC WAVECAL SLICE5 RESOL"
    )
    QC_WAVECAL_SLICE6_RESOL = persistent(
        "spectral resolution of slice 6", float, fits="ESO QC WAVECAL SLICE6 RESOL"
    )
    QC_WAVECAL_SLICE7_RESOL = persistent(
        "spectral resolution of slice 7", float, fits="ESO QC WAVECAL SLICE7 RESOL"
    )
    QC_WAVECAL_SLICE8_RESOL = persistent(
        "spectral resolution of slice 8", float, fits="ESO QC WAVECAL SLICE8 RESOL"
    )
    QC_WAVECAL_SLICE9_RESOL = persistent(
        "spectral resolution of slice 9", float, fits="ESO QC WAVECAL SLICE9 RESOL"
    )
    QC_WAVECAL_SLICE10_RESOL = persistent(
        "spectral resolution of slice 10", float, fits="ESO QC WAVECAL SLICE10 RESOL"
    )
    QC_WAVECAL_SLICE11_RESOL = persistent(
        "spectral resolution of slice 11", float, fits="ESO QC WAVECAL SLICE11 RESOL"
    )
    QC_WAVECAL_SLICE12_RESOL = persistent(
        "spectral resolution of slice 12", float, fits="ESO QC WAVECAL SLICE12 RESOL"
    )
    QC_WAVECAL_SLICE13_RESOL = persistent(
        "spectral resolution of slice 13", float, fits="ESO QC WAVECAL SLICE13 RESOL"
    )
    QC_WAVECAL_SLICE14_RESOL = persistent(
        "spectral resolution of slice 14", float, fits="ESO QC WAVECAL SLICE14 RESOL"
    )
    QC_WAVECAL_SLICE15_RESOL = persistent(
        "spectral resolution of slice 15", float, fits="ESO QC WAVECAL SLICE15 RESOL"
    )
    QC_WAVECAL_SLICE16_RESOL = persistent(
        "spectral resolution of slice 16", float, fits="ESO QC WAVECAL SLICE16 RESOL"
    )
    QC_WAVECAL_SLICE17_RESOL = persistent(
        "spectral resolution of slice 17", float, fits="ESO QC WAVECAL SLICE17 RESOL"
    )
    QC_WAVECAL_SLICE18_RESOL = persistent(
        "spectral resolution of slice 18", float, fits="ESO QC WAVECAL SLICE18 RESOL"
    )
    QC_WAVECAL_SLICE19_RESOL = persistent(
        "spectral resolution of slice 19", float, fits="ESO QC WAVECAL SLICE19 RESOL"
    )
    QC_WAVECAL_SLICE20_RESOL = persistent(
        "spectral resolution of slice 20", float, fits="ESO QC WAVECAL SLICE20 RESOL"
    )
    QC_WAVECAL_SLICE21_RESOL = persistent(
        "spectral resolution of slice 21", float, fits="ESO QC WAVECAL SLICE21 RESOL"
    )
    QC_WAVECAL_SLICE22_RESOL = persistent(
        "spectral resolution of slice 22", float, fits="ESO QC WAVECAL SLICE22 RESOL"
    )
    QC_WAVECAL_SLICE23_RESOL = persistent(
        "spectral resolution of slice 23", float, fits="ESO QC WAVECAL SLICE23 RESOL"
    )
    QC_WAVECAL_SLICE24_RESOL = persistent(
        "spectral resolution of slice 24", float, fits="ESO QC WAVECAL SLICE24 RESOL"
    )
    QC_WAVECAL_SLICE25_RESOL = persistent(
        "spectral resolution of slice 25", float, fits="ESO QC WAVECAL SLICE25 RESOL"
    )
    QC_WAVECAL_SLICE26_RESOL = persistent(
        "spectral resolution of slice 26", float, fits="ESO QC WAVECAL SLICE26 RESOL"
    )
    QC_WAVECAL_SLICE27_RESOL = persistent(
        "spectral resolution of slice 27", float, fits="ESO QC WAVECAL SLICE27 RESOL"
    )
    QC_WAVECAL_SLICE28_RESOL = persistent(
        "spectral resolution of slice 28", float, fits="ESO QC WAVECAL SLICE28 RESOL"
    )
    QC_WAVECAL_SLICE29_RESOL = persistent(
        "spectral resolution of slice 29", float, fits="ESO QC WAVECAL SLICE29 RESOL"
    )
    QC_WAVECAL_SLICE30_RESOL = persistent(
        "spectral resolution of slice 30", float, fits="ESO QC WAVECAL SLICE30 RESOL"
    )
    QC_WAVECAL_SLICE31_RESOL = persistent(
        "spectral resolution of slice 31", float, fits="ESO QC WAVECAL SLICE31 RESOL"
    )
    QC_WAVECAL_SLICE32_RESOL = persistent(
        "spectral resolution of slice 32", float, fits="ESO QC WAVECAL SLICE32 RESOL"
    )
    QC_WAVECAL_SLICE33_RESOL = persistent(
        "spectral resolution of slice 33", float, fits="ESO QC WAVECAL SLICE33 RESOL"
    )
    QC_WAVECAL_SLICE34_RESOL = persistent(
        "spectral resolution of slice 34", float, fits="ESO QC WAVECAL SLICE34 RESOL"
    )
    QC_WAVECAL_SLICE35_RESOL = persistent(
        "spectral resolution of slice 35", float, fits="ESO QC WAVECAL SLICE35 RESOL"
    )
    QC_WAVECAL_SLICE36_RESOL = persistent(
        "spectral resolution of slice 36", float, fits="ESO QC WAVECAL SLICE36 RESOL"
    )
    QC_WAVECAL_SLICE37_RESOL = persistent(
        "spectral resolution of slice 37", float, fits="ESO QC WAVECAL SLICE37 RESOL"
    )
    QC_WAVECAL_SLICE38_RESOL = persistent(
        "spectral resolution of slice 38", float, fits="ESO QC WAVECAL SLICE38 RESOL"
    )
    QC_WAVECAL_SLICE39_RESOL = persistent(
        "spectral resolution of slice 39", float, fits="ESO QC WAVECAL SLICE39 RESOL"
    )
    QC_WAVECAL_SLICE40_RESOL = persistent(
        "spectral resolution of slice 40", float, fits="ESO QC WAVECAL SLICE40 RESOL"
    )
    QC_WAVECAL_SLICE41_RESOL = persistent(
        "spectral resolution of slice 41", float, fits="ESO QC WAVECAL SLICE41 RESOL"
    )
    QC_WAVECAL_SLICE42_RESOL = persistent(
        "spectral resolution of slice 42", float, fits="ESO QC WAVECAL SLICE42 RESOL"
    )
    QC_WAVECAL_SLICE43_RESOL = persistent(
        "spectral resolution of slice 43", float, fits="ESO QC WAVECAL SLICE43 RESOL"
    )
    QC_WAVECAL_SLICE44_RESOL = persistent(
        "spectral resolution of slice 44", float, fits="ESO QC WAVECAL SLICE44 RESOL"
    )
    QC_WAVECAL_SLICE45_RESOL = persistent(
        "spectral resolution of slice 45", float, fits="ESO QC WAVECAL SLICE45 RESOL"
    )
    QC_WAVECAL_SLICE46_RESOL = persistent(
        "spectral resolution of slice 46", float, fits="ESO QC WAVECAL SLICE46 RESOL"
    )
    QC_WAVECAL_SLICE47_RESOL = persistent(
        "spectral resolution of slice 47", float, fits="ESO QC WAVECAL SLICE47 RESOL"
    )
    QC_WAVECAL_SLICE48_RESOL = persistent(
        "spectral resolution of slice 48", float, fits="ESO QC WAVECAL SLICE48 RESOL"
    )
    QC_WAVECAL_SLICE1_FIT_RMS = persistent(
        "fit residuals of slice 1 [Angstrom]", float, fits="ESO QC WAVECAL SLICE1 FIT RMS"
    )
    QC_WAVECAL_SLICE2_FIT_RMS = persistent(
        "fit residuals of slice 2 [Angstrom]", float, fits="ESO QC WAVECAL SLICE2 FIT RMS"
    )
    QC_WAVECAL_SLICE3_FIT_RMS = persistent(
        "fit residuals of slice 3 [Angstrom]", float, fits="ESO QC WAVECAL SLICE3 FIT RMS"
    )
    QC_WAVECAL_SLICE4_FIT_RMS = persistent(
        "fit residuals of slice 4 [Angstrom]", float, fits="ESO QC WAVECAL SLICE4 FIT RMS"
    )
    QC_WAVECAL_SLICE5_FIT_RMS = persistent(
        "fit residuals of slice 5 [Angstrom]", float, fits="ESO QC WAVECAL SLICE5 FIT RMS"
    )
    QC_WAVECAL_SLICE6_FIT_RMS = persistent(
        "fit residuals of slice 6 [Angstrom]", float, fits="ESO QC WAVECAL SLICE6 FIT RMS"
    )
    QC_WAVECAL_SLICE7_FIT_RMS = persistent(
        "fit residuals of slice 7 [Angstrom]", float, fits="ESO QC WAVECAL SLICE7 FIT RMS"
    )
    QC_WAVECAL_SLICE8_FIT_RMS = persistent(
        "fit residuals of slice 8 [Angstrom]", float, fits="ESO QC WAVECAL SLICE8 FIT RMS"
    )
    QC_WAVECAL_SLICE9_FIT_RMS = persistent(
        "fit residuals of slice 9 [Angstrom]", float, fits="ESO QC WAVECAL SLICE9 FIT RMS"
    )
    QC_WAVECAL_SLICE10_FIT_RMS = persistent(
        "fit residuals of slice 10 [Angstrom]", float, fits="ESO QC WAVECAL SLICE10 FIT RMS"
    )
    QC_WAVECAL_SLICE11_FIT_RMS = persistent(
        "fit residuals of slice 11 [Angstrom]", float, fits="ESO QC WAVECAL SLICE11 FIT RMS"
    )
    QC_WAVECAL_SLICE12_FIT_RMS = persistent(
        "fit residuals of slice 12 [Angstrom]", float, fits="ESO QC WAVECAL SLICE12 FIT RMS"
    )
    QC_WAVECAL_SLICE13_FIT_RMS = persistent(
        "fit residuals of slice 13 [Angstrom]", float, fits="ESO QC WAVECAL SLICE13 FIT RMS"
    )
    QC_WAVECAL_SLICE14_FIT_RMS = persistent(
        "fit residuals of slice 14 [Angstrom]", float, fits="ESO QC WAVECAL SLICE14 FIT RMS"
    )
    QC_WAVECAL_SLICE15_FIT_RMS = persistent(
        "fit residuals of slice 15 [Angstrom]", float, fits="ESO QC WAVECAL SLICE15 FIT RMS"
    )
    QC_WAVECAL_SLICE16_FIT_RMS = persistent(
        "fit residuals of slice 16 [Angstrom]", float, fits="ESO QC WAVECAL SLICE16 FIT RMS"
    )
    QC_WAVECAL_SLICE17_FIT_RMS = persistent(
        "fit residuals of slice 17 [Angstrom]", float, fits="ESO QC WAVECAL SLICE17 FIT RMS"
    )
    QC_WAVECAL_SLICE18_FIT_RMS = persistent(
        "fit residuals of slice 18 [Angstrom]", float, fits="ESO QC WAVECAL SLICE18 FIT RMS"
    )
    QC_WAVECAL_SLICE19_FIT_RMS = persistent(
        "fit residuals of slice 19 [Angstrom]", float, fits="ESO QC WAVECAL SLICE19 FIT RMS"
    )
    QC_WAVECAL_SLICE20_FIT_RMS = persistent(
        "fit residuals of slice 20 [Angstrom]", float, fits="ESO QC WAVECAL SLICE20 FIT RMS"
    )
    QC_WAVECAL_SLICE21_FIT_RMS = persistent(
        "fit residuals of slice 21 [Angstrom]", float, fits="ESO QC WAVECAL SLICE21 FIT RMS"
    )
    QC_WAVECAL_SLICE22_FIT_RMS = persistent(
        "fit residuals of slice 22 [Angstrom]", float, fits="ESO QC WAVECAL SLICE22 FIT RMS"
    )
    QC_WAVECAL_SLICE23_FIT_RMS = persistent(
        "fit residuals of slice 23 [Angstrom]", float, fits="ESO QC WAVECAL SLICE23 FIT RMS"
    )
    QC_WAVECAL_SLICE24_FIT_RMS = persistent(
        "fit residuals of slice 24 [Angstrom]", float, fits="ESO QC WAVECAL SLICE24 FIT RMS"
    )
    QC_WAVECAL_SLICE25_FIT_RMS = persistent(
        "fit residuals of slice 25 [Angstrom]", float, fits="ESO QC WAVECAL SLICE25 FIT RMS"
    )
    QC_WAVECAL_SLICE26_FIT_RMS = persistent(
        "fit residuals of slice 26 [Angstrom]", float, fits="ESO QC WAVECAL SLICE26 FIT RMS"
    )
    QC_WAVECAL_SLICE27_FIT_RMS = persistent(
        "fit residuals of slice 27 [Angstrom]", float, fits="ESO QC WAVECAL SLICE27 FIT RMS"
    )
    QC_WAVECAL_SLICE28_FIT_RMS = persistent(
        "fit residuals of slice 28 [Angstrom]", float, fits="ESO QC WAVECAL SLICE28 FIT RMS"
    )
    QC_WAVECAL_SLICE29_FIT_RMS = persistent(
        "fit residuals of slice 29 [Angstrom]", float, fits="ESO QC WAVECAL SLICE29 FIT RMS"
    )
    QC_WAVECAL_SLICE30_FIT_RMS = persistent(
        "fit residuals of slice 30 [Angstrom]", float, fits="ESO QC WAVECAL SLICE30 FIT RMS"
    )
    QC_WAVECAL_SLICE31_FIT_RMS = persistent(
        "fit residuals of slice 31 [Angstrom]", float, fits="ESO QC WAVECAL SLICE31 FIT RMS"
    )
    QC_WAVECAL_SLICE32_FIT_RMS = persistent(
        "fit residuals of slice 32 [Angstrom]", float, fits="ESO QC WAVECAL SLICE32 FIT RMS"
    )
    QC_WAVECAL_SLICE33_FIT_RMS = persistent(
        "fit residuals of slice 33 [Angstrom]", float, fits="ESO QC WAVECAL SLICE33 FIT RMS"
    )
    QC_WAVECAL_SLICE34_FIT_RMS = persistent(
        "fit residuals of slice 34 [Angstrom]", float, fits="ESO QC WAVECAL SLICE34 FIT RMS"
    )
    QC_WAVECAL_SLICE35_FIT_RMS = persistent(
        "fit residuals of slice 35 [Angstrom]", float, fits="ESO QC WAVECAL SLICE35 FIT RMS"
    )
    QC_WAVECAL_SLICE36_FIT_RMS = persistent(
        "fit residuals of slice 36 [Angstrom]", float, fits="ESO QC WAVECAL SLICE36 FIT RMS"
    )
    QC_WAVECAL_SLICE37_FIT_RMS = persistent(
        "fit residuals of slice 37 [Angstrom]", float, fits="ESO QC WAVECAL SLICE37 FIT RMS"
    )
    QC_WAVECAL_SLICE38_FIT_RMS = persistent(
        "fit residuals of slice 38 [Angstrom]", float, fits="ESO QC WAVECAL SLICE38 FIT RMS"
    )
    QC_WAVECAL_SLICE39_FIT_RMS = persistent(
        "fit residuals of slice 39 [Angstrom]", float, fits="ESO QC WAVECAL SLICE39 FIT RMS"
    )
    QC_WAVECAL_SLICE40_FIT_RMS = persistent(
        "fit residuals of slice 40 [Angstrom]", float, fits="ESO QC WAVECAL SLICE40 FIT RMS"
    )
    QC_WAVECAL_SLICE41_FIT_RMS = persistent(
        "fit residuals of slice 41 [Angstrom]", float, fits="ESO QC WAVECAL SLICE41 FIT RMS"
    )
    QC_WAVECAL_SLICE42_FIT_RMS = persistent(
        "fit residuals of slice 42 [Angstrom]", float, fits="ESO QC WAVECAL SLICE42 FIT RMS"
    )
    QC_WAVECAL_SLICE43_FIT_RMS = persistent(
        "fit residuals of slice 43 [Angstrom]", float, fits="ESO QC WAVECAL SLICE43 FIT RMS"
    )
    QC_WAVECAL_SLICE44_FIT_RMS = persistent(
        "fit residuals of slice 44 [Angstrom]", float, fits="ESO QC WAVECAL SLICE44 FIT RMS"
    )
    QC_WAVECAL_SLICE45_FIT_RMS = persistent(
        "fit residuals of slice 45 [Angstrom]", float, fits="ESO QC WAVECAL SLICE45 FIT RMS"
    )
    QC_WAVECAL_SLICE46_FIT_RMS = persistent(
        "fit residuals of slice 46 [Angstrom]", float, fits="ESO QC WAVECAL SLICE46 FIT RMS"
    )
    QC_WAVECAL_SLICE47_FIT_RMS = persistent(
        "fit residuals of slice 47 [Angstrom]", float, fits="ESO QC WAVECAL SLICE47 FIT RMS"
    )
    QC_WAVECAL_SLICE48_FIT_RMS = persistent(
        "fit residuals of slice 48 [Angstrom]", float, fits="ESO QC WAVECAL SLICE48 FIT RMS"
    )
    QC_WAVECAL_FIT_RMS_MAX = persistent(
        "largest fit RMS of the slices solved [pix]", float, fits="ESO QC WAVECAL FIT RMS MAX"
    )
    QC_WAVECAL_NSLICES_RETRIED = persistent(
        "slices solved again from a neighbour's solution",
        int,
        fits="ESO QC WAVECAL NSLICES RETRIED",
    )
    QC_WAVECAL_NSLICES_FAILED = persistent(
        "slices carrying a neighbour's solution", int, fits="ESO QC WAVECAL NSLICES FAILED"
    )


class StaticCalibration(CalibrationProduct, abstract=True):
    """A calibration ESO ships (ingested, not computed): valid from its DATE-OBS, open end."""

    is_static = True


class GeometryTable(StaticCalibration):
    """GEOMETRY_TABLE: position and size of the 1152 slices on the sky."""

    product_category = "GEOMETRY_TABLE"


class LineCatalog(StaticCalibration):
    """LINE_CATALOG: the arc lines (lambda, flux, ion, quality)."""

    product_category = "LINE_CATALOG"


class ExtinctTable(StaticCalibration):
    """EXTINCT_TABLE: the atmospheric extinction curve of Paranal."""

    product_category = "EXTINCT_TABLE"


class StdResponse(StaticCalibration):
    """STD_RESPONSE: the instrument response of one mode."""

    product_category = "STD_RESPONSE"

    INS_MODE = persistent("instrument mode", str, fits="ESO INS MODE", length=16)


class FilterList(StaticCalibration):
    """FILTER_LIST: filter curves, one extension per filter."""

    product_category = "FILTER_LIST"


class ScienceProduct(ProductBehaviour, DataObject, abstract=True):
    """A science product of one exposure, QC-verified once."""

    exposure = persistent("the exposure (ARCFILE without .fits)", str, length=80, index=True)
    DATE_OBS = persistent("start of the exposure (UTC)", dt.datetime, fits="DATE-OBS", index=True)
    night = persistent("MuseWise night of the exposure", dt.date)
    INS_MODE = persistent("instrument mode", str, fits="ESO INS MODE", length=16)
    OBS_TARG_NAME = persistent("target name", str, fits="ESO OBS TARG NAME", length=64)
    is_valid = persistent("0 invalid, 1 valid, 2 proposed for promotion", int, 1)
    quality_flags = persistent("QC flag bits set by verify(), written once", int, 0)
    qc_override = persistent("accepted despite its QC flags", bool, False)
    parameters = persistent("the parameter set the recipe ran with", ParameterSet)
    software_release = persistent("MUSE-WISE release that made it", str, length=32)


class PixTable(ScienceProduct):
    """PIXTABLE_OBJECT of one IFU of one exposure: every pixel with its position and wavelength."""

    product_category = "PIXTABLE_OBJECT"
    quality_bits = MappingProxyType({"lambda_shift": 0})
    qc_keys = MappingProxyType(
        {
            "SCIBASIC NSATURATED": "QC_SCIBASIC_NSATURATED",
            "SCIBASIC LAMBDA SHIFT": "QC_SCIBASIC_LAMBDA_SHIFT",
        }
    )
    qc_thresholds = (
        QcThreshold(
            "SCIBASIC LAMBDA SHIFT",
            "QC_SCIBASIC_LAMBDA_SHIFT",
            "lambda_shift",
            0,
            minimum=-0.5,
            maximum=0.5,
        ),
    )

    ifu = persistent("IFU 1-24", int)
    raw_chip = persistent("the raw science extension", RawScienceChip)
    master_bias = persistent("the master bias subtracted", MasterBias)
    master_flat = persistent("the master flat divided", MasterFlat)
    trace_table = persistent("the slice traces", TraceTable)
    wavecal_table = persistent("the wavelength solution", WavecalTable)
    geometry_table = persistent("the slice geometry", GeometryTable)
    QC_SCIBASIC_NSATURATED = persistent(
        "saturated pixels of the raw exposure", int, fits="ESO QC SCIBASIC NSATURATED"
    )
    QC_SCIBASIC_LAMBDA_SHIFT = persistent(
        "wavelength shift measured on sky lines [Angstrom]",
        float,
        fits="ESO QC SCIBASIC LAMBDA SHIFT",
    )


class DataCube(ScienceProduct):
    """DATACUBE_FINAL of one exposure, resampled from its 24 pixel tables."""

    product_category = "DATACUBE_FINAL"
    quality_bits = MappingProxyType({"no_sources": 0})
    qc_keys = MappingProxyType(
        {
            "SCIPOST NDET": "QC_SCIPOST_NDET",
            "SCIPOST LAMBDA": "QC_SCIPOST_LAMBDA",
            "SCIPOST FWHM NVALID": "QC_SCIPOST_FWHM_NVALID",
            "SCIPOST FWHM MEDIAN": "QC_SCIPOST_FWHM_MEDIAN",
            "SCIPOST FWHM MAD": "QC_SCIPOST_FWHM_MAD",
        }
    )
    qc_thresholds = (QcThreshold("SCIPOST NDET", "QC_SCIPOST_NDET", "no_sources", 0, minimum=1.0),)

    pix_tables = persistent("the 24 pixel tables of the exposure", PixTable, [])
    extinct_table = persistent("the extinction curve", ExtinctTable)
    std_response = persistent("the instrument response", StdResponse)
    filter_list = persistent("the filter curves (optional)", FilterList)
    QC_SCIPOST_NDET = persistent(
        "sources detected in the white-light image", int, fits="ESO QC SCIPOST NDET"
    )
    QC_SCIPOST_LAMBDA = persistent(
        "wavelength of the FWHM measurement [Angstrom]", float, fits="ESO QC SCIPOST LAMBDA"
    )
    QC_SCIPOST_FWHM_NVALID = persistent(
        "sources with a valid FWHM", int, fits="ESO QC SCIPOST FWHM NVALID"
    )
    QC_SCIPOST_FWHM_MEDIAN = persistent(
        "median FWHM of the sources [arcsec]", float, fits="ESO QC SCIPOST FWHM MEDIAN"
    )
    QC_SCIPOST_FWHM_MAD = persistent(
        "median absolute deviation of the FWHM [arcsec]", float, fits="ESO QC SCIPOST FWHM MAD"
    )


class ImageFov(ScienceProduct):
    """IMAGE_FOV of one exposure: the cube integrated over one filter (made with the cube)."""

    product_category = "IMAGE_FOV"

    filter_name = persistent("the FILTER_LIST extension integrated over", str, length=64)
    pix_tables = persistent("the 24 pixel tables of the exposure", PixTable, [])


# Process specifications (a spec may name a class declared after its product).

MasterBias.__process__ = ProcessSpec(
    keys=("night", "ifu"),
    recipe="bias",
    parameters=BiasParameters,
    inputs=(Input("raw_chips", RawBiasChip, select="night", min=3, max=32),),
    calibrations=(),
    make="muse.datamodel.make:master_bias",
    products=(MasterBias,),
    validity_nights=0,
)

MasterFlat.__process__ = TraceTable.__process__ = ProcessSpec(
    keys=("night", "ifu"),
    recipe="flat",
    parameters=FlatParameters,
    inputs=(Input("raw_chips", RawFlatChip, select="night", min=3, max=32),),
    calibrations=(
        Calib("master_bias", MasterBias, select="best_for_date", match=("DET_READ_CURID",)),
    ),
    make="muse.datamodel.make:master_flat",
    products=(MasterFlat, TraceTable),
    validity_nights=0,
)

WavecalTable.__process__ = ProcessSpec(
    keys=("night", "ifu"),
    recipe="wavecal",
    parameters=WavecalParameters,
    inputs=(Input("raw_chips", RawArcChip, select="night", min=3),),
    calibrations=(
        Calib("master_bias", MasterBias, select="best_for_date", match=("DET_READ_CURID",)),
        Calib(
            "trace_table",
            TraceTable,
            select="best_for_date",
            match=("DET_READ_CURID", "INS_OPTI2_NAME"),
        ),
        Calib(
            "master_flat",
            MasterFlat,
            select="best_for_date",
            match=("DET_READ_CURID", "INS_MODE"),
            optional=True,
        ),
        Calib("line_catalog", LineCatalog, select="best_for_date"),
    ),
    make="muse.datamodel.make:wavecal_table",
    products=(WavecalTable,),
    validity_nights=0,
)

PixTable.__process__ = ProcessSpec(
    keys=("exposure", "ifu"),
    recipe="scibasic",
    parameters=ScibasicParameters,
    inputs=(Input("raw_chip", RawScienceChip, select="exposure", min=1, max=1),),
    calibrations=(
        Calib("master_bias", MasterBias, select="best_for_date", match=("DET_READ_CURID",)),
        Calib(
            "master_flat", MasterFlat, select="best_for_date", match=("DET_READ_CURID", "INS_MODE")
        ),
        Calib(
            "trace_table",
            TraceTable,
            select="best_for_date",
            match=("DET_READ_CURID", "INS_OPTI2_NAME"),
        ),
        Calib(
            "wavecal_table",
            WavecalTable,
            select="best_for_date",
            match=("DET_READ_CURID", "INS_OPTI2_NAME"),
        ),
        Calib("geometry_table", GeometryTable, select="best_for_date"),
    ),
    make="muse.datamodel.make:pix_table",
    products=(PixTable,),
    validity_nights=0,
)

DataCube.__process__ = ImageFov.__process__ = ProcessSpec(
    keys=("exposure",),
    recipe="scipost",
    parameters=ScipostParameters,
    inputs=(Input("pix_tables", PixTable, select="products", min=24, max=24),),
    calibrations=(
        Calib("extinct_table", ExtinctTable, select="best_for_date"),
        Calib("std_response", StdResponse, select="best_for_date", match=("INS_MODE",)),
        Calib("filter_list", FilterList, select="best_for_date", optional=True),
    ),
    make="muse.datamodel.make:data_cube",
    products=(DataCube, ImageFov),
    validity_nights=0,
)
