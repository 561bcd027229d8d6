"""The comments of the QC keywords, as ESO's dictionary (``ESO-DFS-DIC.MUSE_QC``) writes them.

A comment starts with the unit in brackets where the value has one (``[adu] Median value of
the master bias in quadrant 1``); numbered keywords (``MASTER1``, ``SLICE12``, ``LAMP2``) get
their numbers in the comment. :func:`qc_comment` looks a keyword up, without ``ESO QC ``.
"""

from __future__ import annotations

import re

__all__ = ["qc_comment"]

# (keyword pattern, comment): {0}, {1} … are the pattern's numbered groups
_ENTRIES: tuple[tuple[str, str], ...] = (
    (r"BIAS INPUT(\d+) NSATURATED", "Number of saturated pixels in raw bias {0} in input list"),
    (r"BIAS MASTER(\d+) MEDIAN", "[adu] Median value of master bias in quadrant {0}"),
    (r"BIAS MASTER(\d+) MEAN", "[adu] Mean value of master bias in quadrant {0}"),
    (r"BIAS MASTER(\d+) STDEV", "[adu] Standard deviation of master bias in quadrant {0}"),
    (r"BIAS MASTER(\d+) MIN", "[adu] Minimum value of master bias in quadrant {0}"),
    (r"BIAS MASTER(\d+) MAX", "[adu] Maximum value of master bias in quadrant {0}"),
    (r"BIAS MASTER(\d+) RON", "[count] Read-out noise in quadrant {0}"),
    (r"BIAS MASTER(\d+) RONERR", "[count] Read-out noise error in quadrant {0}"),
    (r"BIAS MASTER(\d+) SLOPE X", "[adu/pix] Average horizontal slope in quadrant {0}"),
    (r"BIAS MASTER(\d+) SLOPE Y", "[adu/pix] Average vertical slope in quadrant {0}"),
    (r"BIAS LEVEL(\d+) MEAN", "[adu] Average of the raw bias levels in quadrant {0}"),
    (r"BIAS LEVEL(\d+) STDEV", "[adu] Standard deviation of the raw bias levels in "
                               "quadrant {0}"),
    (r"BIAS LEVEL(\d+) MEDIAN", "[adu] Median of the raw bias levels in quadrant {0}"),
    (r"BIAS MASTER NBADPIX", "Bad pixels found as part of the bias"),
    (r"BIAS MASTER NSATURATED", "Number of saturated pixels in output data"),
    (r"FLAT INPUT(\d+) (MEDIAN|MEAN|STDEV|MIN|MAX)", "[count] {1} of raw flat {0} in input list"),
    (r"FLAT INPUT(\d+) NSATURATED", "Number of saturated pixels in raw flat {0} in input list"),
    (r"FLAT MASTER (MEDIAN|MEAN|STDEV|MIN|MAX)", "[count] {0} of the master flat before "
                                                "normalisation"),
    (r"FLAT MASTER INTFLUX", "[count] Flux integrated over the whole CCD"),
    (r"FLAT MASTER SLICE(\d+) MEAN", "Mean value of the normalised master flat in slice {0}"),
    (r"FLAT MASTER SLICE(\d+) STDEV", "Standard deviation of the normalised master flat in "
                                      "slice {0}"),
    (r"TRACE SLICE_L XPOS", "[pix] Location of midpoint of leftmost slice"),
    (r"TRACE SLICE_L TILT", "[deg] Tilt of leftmost slice, measured from the vertical"),
    (r"TRACE SLICE_R XPOS", "[pix] Location of midpoint of rightmost slice"),
    (r"TRACE SLICE_R TILT", "[deg] Tilt of rightmost slice, measured from the vertical"),
    (r"TRACE SLICE(\d+) MAXSLOPE", "Maximum slope of the tracing polynomials of slice {0}"),
    (r"TRACE SLICE(\d+) WIDTH", "[pix] Width of slice {0} at the CCD centre"),
    (r"TRACE WIDTHS (MEDIAN|MEAN|STDEV|MIN|MAX)", "[pix] {0} width of the slices"),
    (r"TRACE GAPS (MEDIAN|MEAN|STDEV|MIN|MAX)", "[pix] {0} of the gaps between slices"),
    (r"WAVECAL SLICE(\d+) LINES NDET", "Number of detected arc lines in slice {0}"),
    (r"WAVECAL SLICE(\d+) LINES NID", "Number of identified arc lines in slice {0}"),
    (r"WAVECAL SLICE(\d+) LINES PEAK (MEAN|STDEV|MIN|MAX)",
     "[count] {1} peak of the detected arc lines in slice {0}"),
    (r"WAVECAL SLICE(\d+) LAMP(\d+) LINES PEAK (MEAN|STDEV|MIN|MAX)",
     "[count] {2} peak of the arc lines of lamp {1} in slice {0}"),
    (r"WAVECAL SLICE(\d+) LINES FWHM (MEAN|STDEV|MIN|MAX)",
     "[Angstrom] {1} FWHM of the detected arc lines in slice {0}"),
    (r"WAVECAL SLICE(\d+) RESOL", "Mean spectral resolution in slice {0}"),
    (r"WAVECAL SLICE(\d+) FIT NLINES", "Number of arc lines in the solution of slice {0}"),
    (r"WAVECAL SLICE(\d+) FIT RMS", "[Angstrom] RMS of the wavelength solution of slice {0}"),
    (r"WAVECAL SLICE(\d+) DWLEN BOTTOM", "[Angstrom] Wavelength difference of the bottom "
                                         "corners of slice {0}"),
    (r"WAVECAL SLICE(\d+) DWLEN TOP", "[Angstrom] Wavelength difference of the top corners "
                                      "of slice {0}"),
    (r"WAVECAL SLICE(\d+) WLPOS", "[pix] Position of the reference wavelength in slice {0}"),
    (r"WAVECAL SLICE(\d+) WLEN", "[Angstrom] Reference wavelength of slice {0}"),
    (r"WAVECAL SLICE(\d+) SUBSTITUTE", "Slice whose solution slice {0} carries"),
    (r"WAVECAL NSLICES RETRIED", "Slices re-solved from a neighbour"),
    (r"WAVECAL NSLICES FAILED", "Slices with a substitute solution"),
    (r"WAVECAL FIT RMS MAX", "[pix] Largest RMS of the slices' wavelength solutions"),
    (r"SCIBASIC NSATURATED", "Number of saturated pixels in output data"),
    (r"SCIBASIC LAMBDA SHIFT", "[Angstrom] Shift of the sky lines from their wavelength"),
)
_WORDS = {"MEDIAN": "Median", "MEAN": "Mean", "STDEV": "Standard deviation", "MIN": "Minimum",
          "MAX": "Maximum"}
_COMPILED = tuple((re.compile(pattern + r"\Z"), comment) for pattern, comment in _ENTRIES)


def qc_comment(key: str) -> str:
    """ESO's comment of QC keyword ``key`` (``'BIAS MASTER1 RON'``), empty if unknown."""
    for pattern, comment in _COMPILED:
        match = pattern.match(key)
        if match:
            words = [_WORDS.get(group, group.lstrip("0") or "0") for group in match.groups()]
            return comment.format(*words)
    return ""
