"""Hand-written behaviour of the generated classes (mixed into them by ``generated.py``).

``muse.xml`` declares what is stored; these mixins say what the objects do:

- :class:`Verified` (raw chips and products): ``selectable()``, ``is_selectable``;
- :class:`ProductBehaviour`: QC values in (``set_qc``), ``verify()`` sets ``quality_flags``
  from the XML thresholds once, before commit (store → verify → commit);
  ``set_observation()`` sets the observation date and night from the raw inputs;
- :class:`CalibrationBehaviour`: validity and ``select_for_date`` / ``select_for_dates`` /
  ``select_for_targets``
  (the ranking of DESIGN §4 in one SQL statement, :mod:`muse.datamodel.selection`);
- :class:`RawFrameBehaviour`: ``chip(n)``, the night rule; :class:`RawChipBehaviour`;
- :class:`RecipeParameters`: ESO names ↔ attribute names, the reference set;
- all of them: ``dependencies()``, ``dependents()``, ``lineage()``
  (:class:`muse.datamodel.lineage.Lineage`).

The mixins hold no persistent attributes; the generated classes declare them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from common.errors import ConfigError, ImmutableError
from common.process.spec import ProcessSpec
from muse.datamodel.lineage import Lineage
from muse.datamodel.rules import mean_datetime, night_of, validity_of
from muse.datamodel.selection import Target, best_calibrations

__all__ = [
    "CalibrationBehaviour",
    "ProductBehaviour",
    "QcThreshold",
    "RawChipBehaviour",
    "RawFrameBehaviour",
    "RecipeParameters",
    "Verified",
]


@dataclass(frozen=True)
class QcThreshold:
    """A QC limit on one value, and the ``quality_flags`` bit its violation sets.

    ``attribute`` (QC key ``key``) below ``minimum`` or above ``maximum`` sets bit ``bit``
    (flag ``flag``).
    """

    key: str
    attribute: str
    flag: str
    bit: int
    minimum: float | None = None
    maximum: float | None = None

    def violated_by(self, value: float | None) -> bool:
        """Whether ``value`` is outside the limits (a missing value is not judged)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        return ((self.minimum is not None and value < self.minimum)
                or (self.maximum is not None and value > self.maximum))

    def describe(self, value: float | None) -> str:
        """``QC BIAS MASTER1 RON = 4.1 > 3.5 (ron_high, bit 0)``, for messages."""
        limits = " and ".join(part for part in (
            f">= {self.minimum:g}" if self.minimum is not None else "",
            f"<= {self.maximum:g}" if self.maximum is not None else "") if part)
        return (f"QC {self.key} = {value!r}, expected {limits} ({self.flag}, bit "
                f"{self.bit})")


class Verified(Lineage):
    """Objects with ``is_valid``, ``quality_flags`` and ``qc_override``."""

    qc_keys: ClassVar[Mapping[str, str]] = {}
    """QC key (ESO's, without ``ESO QC ``) → attribute name."""
    qc_thresholds: ClassVar[tuple[QcThreshold, ...]] = ()
    quality_bits: ClassVar[Mapping[str, int]] = {}
    """Flag name → bit of ``quality_flags``."""

    @classmethod
    def selectable(cls) -> Any:
        """The query of selectable objects: valid, and unflagged or overridden."""
        return (cls.is_valid >= 1) & ((cls.quality_flags == 0) | (cls.qc_override == True))  # noqa: E712

    @property
    def is_selectable(self) -> bool:
        """Whether this object may be selected (valid, and unflagged or overridden)."""
        return (self.is_valid or 0) >= 1 and (not self.quality_flags or bool(self.qc_override))

    def set_qc(self, values: Mapping[str, float | int]) -> None:
        """Set the QC attributes from a recipe's QC values (keys without ``ESO QC ``).

        A key the class does not declare is refused (declare it in muse.xml).
        """
        unknown = sorted(set(values) - set(self.qc_keys))
        if unknown:
            raise ConfigError(f"{type(self).__name__}: QC {', '.join(unknown)} not declared; "
                              "expected QC keys declared in muse/datamodel/muse.xml")
        for key, value in values.items():
            setattr(self, self.qc_keys[key], value)

    def qc_failures(self) -> list[str]:
        """The thresholds this object's QC values violate, described."""
        return [threshold.describe(getattr(self, threshold.attribute))
                for threshold in self.qc_thresholds
                if threshold.violated_by(getattr(self, threshold.attribute))]

    def verify(self) -> int:
        """Set ``quality_flags`` from the QC thresholds (before commit); return the flags.

        A flagged object is still committed: it stays, is not selectable, and
        :meth:`qc_failures` says why.
        """
        if self.is_committed:
            raise ImmutableError(f"{self!r} is committed: quality_flags is written once, by "
                                 "verify() before commit")
        flags = 0
        for threshold in self.qc_thresholds:
            if threshold.violated_by(getattr(self, threshold.attribute)):
                flags |= 1 << threshold.bit
        self.quality_flags = flags
        return flags


class ProductBehaviour(Verified):
    """A product of a recipe run: its process spec, raw inputs and observation date."""

    __process__: ClassVar[ProcessSpec | None] = None

    def set_observation(self, chips: Sequence[Any]) -> None:
        """Set ``DATE_OBS`` (the mean DATE-OBS of the raw inputs ``chips``) and ``night``."""
        if not chips:
            raise ConfigError(f"{type(self).__name__}: expected raw inputs, found none")
        self.DATE_OBS = mean_datetime(chip.DATE_OBS for chip in chips)
        self.night = night_of(self.DATE_OBS)


class CalibrationBehaviour(ProductBehaviour):
    """A calibration product: validity range and best-for-date selection."""

    is_static: ClassVar[bool] = False

    def set_validity_of_night(self) -> None:
        """Set ``[timestamp_start, timestamp_end)`` from ``night`` and ``validity_nights``."""
        nights = self.__process__.validity_nights if self.__process__ else 0
        self.timestamp_start, self.timestamp_end = validity_of(self.night, nights)

    @classmethod
    def _request(cls, parameters: Any | None) -> tuple[type | None, str]:
        """The parameter class and hash the request needs (none for an ingested class)."""
        if parameters is None:
            if cls.__process__ is None:
                return None, ""
            parameters = cls.__process__.parameters()
        return type(parameters), parameters.compute_hash()

    @classmethod
    def select_for_date(cls, moment: dt.datetime, *, ifu: int | None = None,
                        parameters: Any | None = None, **setup: Any) -> Any:
        """The best selectable calibration for time ``moment`` (DESIGN §4).

        Same ``ifu`` and setup values (``DET_READ_CURID=…``), ``moment`` within validity,
        made with the parameter set the request uses (``parameters``; default: the reference
        set) and no other; ranked by the smallest |night(candidate) − night(moment)|, then the
        newest
        ``creation_date``. One SQL statement ranks and loads. Raises ``cls.NotFound``.
        """
        found = cls.select_for_dates([moment], ifu=ifu, parameters=parameters, **setup)[0]
        if found is None:
            raise cls.NotFound(f"no selectable {cls.__name__} for {moment.isoformat()} (ifu "
                               f"{ifu}, {', '.join(f'{k}={v!r}' for k, v in setup.items())})")
        return found

    @classmethod
    def select_for_dates(cls, moments: Iterable[dt.datetime], *, ifu: int | None = None,
                         parameters: Any | None = None, **setup: Any) -> list[Any]:
        """:meth:`select_for_date` for many times at once: one statement in all.

        Returns the best object or None for each moment, in order.
        """
        return cls.select_for_targets([(moment, ifu, setup) for moment in moments],
                                      parameters=parameters)

    @classmethod
    def select_for_targets(cls, targets: Iterable[tuple[dt.datetime, int | None,
                                                         Mapping[str, Any]]], *,
                           parameters: Any | None = None) -> list[Any]:
        """:meth:`select_for_date` for many ``(moment, ifu, setup)`` targets: one statement.

        Each target has its own time, IFU (None: any) and setup values
        (``{"DET_READ_CURID": 1}``); returns the best object or None for each, in order.
        """
        parameter_class, parameter_hash = cls._request(parameters)
        requests = [Target(moment, ifu, night_of(moment), dict(setup))
                    for moment, ifu, setup in targets]
        return best_calibrations(cls, requests, parameter_class=parameter_class,
                                 parameter_hash=parameter_hash, static=cls.is_static)


class RawFrameBehaviour(Lineage):
    """A raw file: its extensions (``chip(n)``) and the night rule."""

    chip_class: ClassVar[type | None] = None
    do_category: ClassVar[str | None] = None

    def chip(self, ifu: int) -> Any:
        """The raw chip (extension ``CHANnn``) of IFU ``ifu`` of this frame."""
        chips = self.chip_class
        if chips is None:
            raise ConfigError(f"{type(self).__name__} has no per-IFU extensions recorded")
        return ((chips.raw_frame == self) & (chips.ifu == ifu))[0]

    @staticmethod
    def night_of(moment: dt.datetime) -> dt.date:
        """The MuseWise night of ``moment`` (date minus one day before 20:40 UT)."""
        return night_of(moment)


class RawChipBehaviour(Verified):
    """One extension of a raw file, selectable like a product (valid, unflagged or overridden).

    Its bytes are ``hdu_offset``/``hdu_size`` of its frame's file
    (:func:`muse.datamodel.extract.fetch_single_ifu`).
    """

    do_category: ClassVar[str | None] = None

    @classmethod
    def of_night(cls, night: dt.date, ifu: int | None = None, *,
                 selectable_only: bool = True) -> Any:
        """The query of this class's chips of MuseWise night ``night`` (and IFU ``ifu``).

        By default only selectable chips (valid, unflagged or overridden); ordered by
        DATE-OBS.
        """
        query = cls.night == night
        if ifu is not None:
            query = query & (cls.ifu == ifu)
        if selectable_only:
            query = query & cls.selectable()
        return query.order_by(cls.DATE_OBS)

    @classmethod
    def of_exposure(cls, exposure: str, ifu: int | None = None) -> Any:
        """The query of the chips of exposure ``exposure`` (ARCFILE without .fits), by IFU."""
        query = cls.raw_frame.exposure == exposure
        if ifu is not None:
            query = query & (cls.ifu == ifu)
        return query.order_by(cls.ifu)


class RecipeParameters(Lineage):
    """A recipe's parameter set: ESO names ↔ attributes, and the reference set."""

    recipe: ClassVar[str] = ""
    eso_names: ClassVar[Mapping[str, str]] = {}
    """Attribute name → ESO parameter name (``trace_order`` → ``order``)."""

    def recipe_parameters(self) -> dict[str, Any]:
        """The values under ESO's names, as the recipe takes them."""
        return {eso: getattr(self, attribute) for attribute, eso in self.eso_names.items()}

    @classmethod
    def from_recipe_parameters(cls, values: Mapping[str, Any]) -> Any:
        """A set from values under ESO's names (the others keep their defaults)."""
        attributes = {eso: attribute for attribute, eso in cls.eso_names.items()}
        unknown = sorted(set(values) - set(attributes))
        if unknown:
            raise ConfigError(f"{cls.__name__}: unknown {cls.recipe} parameter(s) "
                              f"{', '.join(unknown)}; expected some of "
                              f"{', '.join(attributes)}")
        return cls(**{attributes[name]: value for name, value in values.items()})
