"""When the simulated exposures of a night are taken, and what their templates are.

A MuseWise night D runs from D 20:40 UT to D+1 20:40 UT (DESIGN §4); daytime calibrations
after the night belong to it. The simulator takes its science (OBJECT) exposures in the night
and its BIAS, FLAT,LAMP and ARC templates in the morning after it, as the observatory's daytime
calibration plan does. Arc exposures cycle through the Ne, Xe and HgCd lamps (``ESO INS
LAMP3/4/5``), one lamp per exposure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import MappingProxyType

import numpy as np

__all__ = [
    "NIGHT_START",
    "TEMPLATES",
    "Exposure",
    "Template",
    "format_date_obs",
    "night_window",
    "plan_night",
]

NIGHT_START = time(20, 40)
_STREAM_SCHEDULE = 2


def night_window(night: date) -> tuple[datetime, datetime]:
    """The half-open UT interval ``[night 20:40, night+1 20:40)`` of MuseWise night ``night``."""
    start = datetime.combine(night, NIGHT_START)
    return start, start + timedelta(days=1)


def format_date_obs(moment: datetime) -> str:
    """ESO's DATE-OBS text, milliseconds included: ``2016-03-15T11:30:05.123``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


@dataclass(frozen=True)
class Template:
    """An observation template: its ESO identity, exposure time and when it runs."""

    kind: str
    dpr_catg: str
    dpr_type: str
    dpr_tech: str
    tpl_id: str
    tpl_name: str
    exptime: float
    start: time
    cadence_s: float
    number: int

    @property
    def lamp_on(self) -> bool:
        """True when the continuum lamp shines during the exposures."""
        return self.kind == "FLAT"

    @property
    def lamp_cycle(self) -> tuple[int, ...]:
        """The calibration lamps (``ESO INS LAMPn``) the exposures use in turn, if any."""
        return _LAMP_CYCLES.get(self.kind, ())


# FLAT: the continuum lamp; ARC: Ne, Xe, HgCd (ESO's recipes read LAMP3 as Ne, LAMP4 as Xe,
# LAMP5 as HgCd).
_LAMP_CYCLES = {"FLAT": (1,), "ARC": (3, 4, 5)}


TEMPLATES: Mapping[str, Template] = MappingProxyType({
    "OBJECT": Template(kind="OBJECT", dpr_catg="SCIENCE", dpr_type="OBJECT", dpr_tech="IFU",
                       tpl_id="MUSE_wfm-noao_obs_genericoffset", tpl_name="Science",
                       exptime=600.0, start=time(3, 0), cadence_s=700.0, number=4),
    "BIAS": Template(kind="BIAS", dpr_catg="CALIB", dpr_type="BIAS", dpr_tech="IFU",
                     tpl_id="MUSE_wfm_cal_bias", tpl_name="Bias", exptime=0.0,
                     start=time(11, 30), cadence_s=62.0, number=1),
    "FLAT": Template(kind="FLAT", dpr_catg="CALIB", dpr_type="FLAT,LAMP", dpr_tech="IFU",
                     tpl_id="MUSE_wfm_cal_specflat", tpl_name="Lamp flat", exptime=10.0,
                     start=time(12, 0), cadence_s=75.0, number=2),
    "ARC": Template(kind="ARC", dpr_catg="CALIB", dpr_type="WAVE", dpr_tech="IFU",
                    tpl_id="MUSE_wfm_cal_arc", tpl_name="Arc", exptime=10.0,
                    start=time(12, 30), cadence_s=70.0, number=3),
})


@dataclass(frozen=True)
class Exposure:
    """One raw exposure of a night: its template, place in the template and start time."""

    template: Template
    expno: int
    nexp: int
    night: date
    date_obs: datetime
    template_start: datetime

    @property
    def kind(self) -> str:
        """``OBJECT``, ``BIAS``, ``FLAT`` or ``ARC``."""
        return self.template.kind

    @property
    def lamp(self) -> int | None:
        """The calibration lamp (``ESO INS LAMPn``) on during this exposure, or None."""
        cycle = self.template.lamp_cycle
        return cycle[(self.expno - 1) % len(cycle)] if cycle else None

    @property
    def exptime(self) -> float:
        """Exposure time in seconds."""
        return self.template.exptime

    @property
    def date_obs_text(self) -> str:
        """DATE-OBS as written to the header."""
        return format_date_obs(self.date_obs)

    @property
    def filename(self) -> str:
        """The ESO archive name ``MUSE.<DATE-OBS>.fits`` (also ARCFILE)."""
        return f"MUSE.{self.date_obs_text}.fits"

    @property
    def origfile(self) -> str:
        """The name the instrument gave the file (ORIGFILE)."""
        day = self.date_obs.timetuple().tm_yday
        return f"MUSE_WFM_{self.kind}{day:03d}_{self.expno:04d}.fits"


def plan_night(night: date, counts: Mapping[str, int], seed: int) -> list[Exposure]:
    """The exposures of night ``night``: ``counts[kind]`` frames of each template kind.

    Templates run one after the other from their nominal start; frames follow at the
    template's cadence, with a millisecond offset drawn from ``seed`` so names look like the
    archive's. The plan depends only on the arguments.
    """
    unknown = sorted(set(counts) - set(TEMPLATES))
    if unknown:
        raise ValueError(f"frame kinds: expected some of {', '.join(TEMPLATES)}, "
                         f"found {', '.join(unknown)}")
    exposures: list[Exposure] = []
    for kind, template in TEMPLATES.items():
        count = counts.get(kind, 0)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"number of {kind} frames: expected a non-negative integer, "
                             f"found {count!r}")
        if count == 0:
            continue
        start = datetime.combine(night + timedelta(days=1), template.start)
        if exposures:
            start = max(start, exposures[-1].date_obs + timedelta(minutes=2))
            start = start.replace(microsecond=0)
        rng = np.random.default_rng([seed, _STREAM_SCHEDULE, night.toordinal(), template.number])
        milliseconds = rng.integers(0, 1000, size=count)
        for index in range(count):
            moment = start + timedelta(seconds=4 + index * template.cadence_s,
                                       milliseconds=int(milliseconds[index]))
            exposures.append(Exposure(template=template, expno=index + 1, nexp=count,
                                      night=night, date_obs=moment, template_start=start))
    begin, end = night_window(night)
    for exposure in exposures:
        if not begin <= exposure.date_obs < end:
            raise ValueError(f"{exposure.filename}: DATE-OBS outside night {night} "
                             f"[{begin}, {end}); too many frames for the template cadence")
    return exposures
