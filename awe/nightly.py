"""Automatic calibration: when a night's calibration set is complete, submit its targets.

New raw files (from ``awe ingest --process-calibrations`` or ``awe watch DIR``) are grouped by
MuseWise night and by template (``ESO TPL START``). A night's calibration set is complete
when every calibration template seen has all its exposures (``ESO TPL EXPNO`` 1 …
``ESO TPL NEXP``) and the night has a complete BIAS, FLAT and WAVE template — or, for
``awe watch``, when no new file of the night arrived for the settle time. Then the nightly
calibration targets are submitted for all IFUs: ``MasterFlat`` (its plan makes the
MASTER_BIAS and the TRACE_TABLE too) and ``WavecalTable``, one job each. A night that gets
new calibration files after its submission is submitted again once complete; the up-to-date
rule reuses what did not change.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from astropy.io import fits

from common.errors import ConfigError
from muse.datamodel.rules import night_of
from muse.layout import N_IFUS

__all__ = ["CALIBRATION_TARGETS", "NEEDED_TYPES", "Frame", "NightTracker", "frame_of",
           "submit_night"]

CALIBRATION_TARGETS = ("MasterFlat", "WavecalTable")
"""The targets submitted per night and IFU (MASTER_BIAS and TRACE_TABLE are in their plans)."""
NEEDED_TYPES = ("BIAS", "FLAT,LAMP", "WAVE")
"""DPR TYPEs whose complete templates a night needs before its calibrations are submitted."""
DEFAULT_SETTLE = 600.0


@dataclass(frozen=True)
class Frame:
    """What the completeness rule needs of one raw file."""

    night: dt.date
    calibration: bool
    dpr_type: str
    template: str
    nexp: int
    expno: int


def frame_of(path: Path) -> Frame | None:
    """The night and template of the raw MUSE file ``path``; None for a non-raw file."""
    try:
        header = fits.getheader(path, 0)
    except OSError as exc:
        raise ConfigError(f"{path}: expected a FITS file, found {exc}") from None
    if "HIERARCH ESO DPR CATG" not in header or "DATE-OBS" not in header:
        return None  # a static calibration or a product: not part of a night's raw set
    try:
        moment = dt.datetime.fromisoformat(str(header["DATE-OBS"]))
        nexp = int(header.get("HIERARCH ESO TPL NEXP", 1))
        expno = int(header.get("HIERARCH ESO TPL EXPNO", 1))
    except ValueError as exc:
        raise ConfigError(f"{path}: DATE-OBS / ESO TPL NEXP / ESO TPL EXPNO: expected an ISO "
                          f"time and whole numbers, found {exc}") from None
    template = str(header.get("HIERARCH ESO TPL START", header["DATE-OBS"]))
    return Frame(night=night_of(moment.replace(tzinfo=None)),
                 calibration=str(header["HIERARCH ESO DPR CATG"]).strip() == "CALIB",
                 dpr_type=str(header.get("HIERARCH ESO DPR TYPE", "")).strip(),
                 template=template, nexp=max(nexp, 1), expno=expno)


@dataclass
class _Night:
    templates: dict[str, tuple[str, int, set[int]]] = field(default_factory=dict)
    last_seen: float = 0.0
    pending: bool = False

    def missing(self) -> list[str]:
        """What keeps this night's calibration set from being complete (empty: complete)."""
        reasons = []
        complete_types = set()
        for template, (dpr_type, nexp, seen) in sorted(self.templates.items()):
            if len(seen & set(range(1, nexp + 1))) < nexp:
                reasons.append(f"template {template} ({dpr_type}) has {len(seen)} of {nexp} "
                               "exposures")
            else:
                complete_types.add(dpr_type)
        reasons += [f"no complete {dpr_type} template" for dpr_type in NEEDED_TYPES
                    if dpr_type not in complete_types]
        return reasons


class NightTracker:
    """Which nights have new calibration files, and which of them are ready to process.

    ``settle`` (seconds; None: never) makes a night ready when no file of it arrived for that
    long, complete or not.
    """

    def __init__(self, settle: float | None = DEFAULT_SETTLE) -> None:
        self.settle = settle
        self._nights: dict[dt.date, _Night] = {}

    def add(self, frame: Frame, now: float | None = None) -> None:
        """Record a raw file; calibration files make their night pending."""
        if not frame.calibration:
            return
        night = self._nights.setdefault(frame.night, _Night())
        dpr_type, nexp, seen = night.templates.get(frame.template, (frame.dpr_type,
                                                                    frame.nexp, set()))
        seen.add(frame.expno)
        night.templates[frame.template] = (dpr_type, max(nexp, frame.nexp), seen)
        night.last_seen = time.monotonic() if now is None else now
        night.pending = True

    def missing(self, night: dt.date) -> list[str]:
        """Why ``night`` is not complete yet (empty: it is)."""
        found = self._nights.get(night)
        return ["no calibration file"] if found is None else found.missing()

    def pending(self) -> list[dt.date]:
        """The nights with calibration files not submitted yet."""
        return sorted(night for night, found in self._nights.items() if found.pending)

    def ready(self, now: float | None = None) -> list[dt.date]:
        """The pending nights that are complete or have settled; they stop being pending."""
        now = time.monotonic() if now is None else now
        ready = []
        for night in self.pending():
            found = self._nights[night]
            settled = self.settle is not None and now - found.last_seen >= self.settle
            if settled or not found.missing():
                found.pending = False
                ready.append(night)
        return ready


def submit_night(processor: Any, night: dt.date, ifus: Iterable[int] = range(1, N_IFUS + 1),
                 targets: Iterable[str] = CALIBRATION_TARGETS) -> list[int]:
    """Submit the nightly calibration targets of ``night`` for ``ifus``; return the job ids.

    One job per target asks for every IFU at once (one plan, its IFUs run in parallel on the
    DPU's workers). The DPU runs jobs with equal keys one after another, so the WAVECAL_TABLE
    job reuses the MASTER_BIAS and TRACE_TABLE the MasterFlat job made.
    """
    return [processor.run(target, night=night.isoformat(), ifu=list(ifus))
            for target in targets]
