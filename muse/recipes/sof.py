"""Classifying input files for the recipes, as esorex and ESO's muse.oca rules do.

A file's category (ESO's DO.CATG, the tag of a set-of-frames file) is its ``ESO PRO CATG``
for a product, and for a raw frame follows from ``ESO DPR CATG/TYPE/TECH`` (and ``ESO TPL
ID`` for flats) with the table of MUSE-FORMATS §1. An ESO SOF file lists ``PATH TAG`` per
line (``#`` starts a comment); its tags win over the headers, and relative paths are taken
from the current directory, as esorex does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from astropy.io import fits

from common.errors import RecipeError

__all__ = ["classify_files", "classify_header", "read_sof"]

# (DPR CATG values, DPR TYPE parts, DO.CATG); the first match wins
_RAW_RULES: tuple[tuple[frozenset[str], tuple[str, ...], str], ...] = (
    (frozenset({"CALIB"}), ("BIAS",), "BIAS"),
    (frozenset({"CALIB"}), ("BIAS", "DETCHECK"), "LINGAIN_LAMP_OFF"),
    (frozenset({"CALIB"}), ("DARK",), "DARK"),
    (frozenset({"CALIB"}), ("FLAT", "LAMP"), "FLAT"),
    (frozenset({"CALIB"}), ("FLAT", "LAMP", "ILLUM"), "ILLUMFLAT"),
    (frozenset({"CALIB"}), ("FLAT", "SKY"), "SKYFLAT"),
    (frozenset({"CALIB"}), ("FLAT", "LINEARITY", "DETCHAR"), "LINGAIN_LAMP_ON"),
    (frozenset({"TECHNICAL"}), ("FLAT", "LAMP", "THRUPUT"), "AMPL"),
    (frozenset({"CALIB"}), ("WAVE",), "ARC"),
    (frozenset({"CALIB"}), ("WAVE", "LSF"), "ARC_LSF"),
    (frozenset({"CALIB"}), ("WAVE", "MASK"), "MASK"),
    (frozenset({"CALIB"}), ("STD",), "STD"),
    (frozenset({"CALIB"}), ("ASTROMETRY",), "ASTROMETRY"),
    (frozenset({"CALIB", "SCIENCE"}), ("SKY",), "SKY"),
    (frozenset({"SCIENCE"}), ("OBJECT",), "OBJECT"),
)
_TEMPLATE_RULES = {"FLAT": re.compile(r"MUSE_[wn]fm_cal_specflat"),
                   "ILLUMFLAT": re.compile(r"MUSE_[wn]fm_cal_illum")}


def classify_header(header: Mapping[str, object]) -> str | None:
    """The category of a file from its primary header, or None when no rule matches."""
    if "HIERARCH ESO PRO CATG" in header:
        return str(header["HIERARCH ESO PRO CATG"]).strip()
    catg = str(header.get("HIERARCH ESO DPR CATG", "")).strip().upper()
    parts = tuple(part.strip().upper()
                  for part in str(header.get("HIERARCH ESO DPR TYPE", "")).split(","))
    for catgs, type_parts, category in _RAW_RULES:
        if catg in catgs and sorted(parts) == sorted(type_parts):
            template = header.get("HIERARCH ESO TPL ID")
            rule = _TEMPLATE_RULES.get(category)
            if rule is not None and template is not None and not rule.search(str(template)):
                return None
            return category
    return None


def classify_files(paths: Iterable[Path | str],
                   tags: Mapping[Path, str] | None = None) -> dict[Path, str]:
    """The category of every file: its SOF tag if ``tags`` has one, else from its header.

    A file that cannot be read or classified raises :class:`RecipeError` naming the file
    and the keywords that were looked at.
    """
    result = {}
    for path in (Path(p) for p in paths):
        if tags and path in tags:
            result[path] = tags[path]
            continue
        try:
            header = fits.getheader(path, 0)
        except FileNotFoundError:
            raise RecipeError(f"{path}: no such file") from None
        except (OSError, ValueError) as exc:
            raise RecipeError(f"{path}: not a readable FITS file ({exc})") from None
        category = classify_header(header)
        if category is None:
            raise RecipeError(
                f"{path}: keywords 'ESO PRO CATG' / 'ESO DPR CATG', 'ESO DPR TYPE', 'ESO TPL ID': "
                f"expected a MUSE product or raw frame, found PRO CATG "
                f"{header.get('HIERARCH ESO PRO CATG')!r}, DPR CATG "
                f"{header.get('HIERARCH ESO DPR CATG')!r}, DPR TYPE "
                f"{header.get('HIERARCH ESO DPR TYPE')!r}, TPL ID "
                f"{header.get('HIERARCH ESO TPL ID')!r}")
        result[path] = category
    return result


def read_sof(path: Path | str) -> dict[Path, str]:
    """The ``PATH TAG`` lines of an ESO set-of-frames file, in order."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise RecipeError(f"{path}: cannot read the SOF file ({exc})") from None
    entries: dict[Path, str] = {}
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        fields = text.split()
        if len(fields) < 2:
            raise RecipeError(f"{path}: line {number}: expected 'PATH TAG', found {line!r}")
        entries[Path(fields[0])] = fields[1]
    return entries
