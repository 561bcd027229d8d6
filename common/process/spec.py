"""What target processing needs to know about a processable class, as plain frozen data.

A data model attaches one :class:`ProcessSpec` to each processable class (``__process__``).
The planner reads it without knowing the data model: the keys that identify one product, the
recipe and its parameter class, the inputs and how they are selected, the calibrations and
the setup keys they must match, how far the validity reaches, and the adapter to call
(``make``, a ``module:function`` name, imported only when a job runs). One recipe run may make
several products (``products``); they are committed together.

An adapter is ``make(inputs: dict[str, list[Path]], params: dict, workdir: Path) ->
MakeResult``: local input files in, product files, QC values and attributes out, no database.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from common.errors import ConfigError

__all__ = ["Calib", "Input", "MakeResult", "ProcessSpec", "load_adapter"]

SELECT_RULES = ("night", "exposure", "best_for_date", "products")
"""How inputs are gathered: every object of the target's night, of its exposure, the best
calibration for its date, or the products of one run of another spec."""


@dataclass(frozen=True)
class Input:
    """An input list of a product: attribute ``name`` holds ``cls`` objects chosen by ``select``.

    ``min`` (and ``max`` when not None) bound how many are needed; fewer stop the plan.
    """

    name: str
    cls: type
    select: str
    min: int = 1
    max: int | None = None

    def __post_init__(self) -> None:
        if self.select not in SELECT_RULES:
            raise ConfigError(f"Input {self.name}: select expected one of "
                              f"{', '.join(SELECT_RULES)}, found {self.select!r}")
        if self.min < 0 or (self.max is not None and self.max < self.min):
            raise ConfigError(f"Input {self.name}: expected 0 <= min <= max, found min "
                              f"{self.min} and max {self.max}")


@dataclass(frozen=True)
class Calib:
    """A calibration link ``name`` to a ``cls`` object chosen by ``select`` for the target.

    ``match`` names the setup attributes a calibration shares with the target's raw data
    (ESO's association keys); ``optional`` calibrations may be missing.
    """

    name: str
    cls: type
    select: str = "best_for_date"
    match: tuple[str, ...] = ()
    optional: bool = False

    def __post_init__(self) -> None:
        if self.select not in SELECT_RULES:
            raise ConfigError(f"Calib {self.name}: select expected one of "
                              f"{', '.join(SELECT_RULES)}, found {self.select!r}")


@dataclass(frozen=True)
class ProcessSpec:
    """How one recipe run makes ``products`` (classes) from inputs and calibrations.

    ``keys`` are the attributes that identify one run's target (``('night', 'ifu')``);
    ``parameters`` is the parameter-set class; ``validity_nights`` widens the validity of
    the products by that many nights on each side; ``make`` is ``'module:function'``.
    """

    keys: tuple[str, ...]
    recipe: str
    parameters: type
    inputs: tuple[Input, ...]
    calibrations: tuple[Calib, ...]
    make: str
    products: tuple[type, ...]
    validity_nights: int = 0

    def __post_init__(self) -> None:
        if ":" not in self.make:
            raise ConfigError(f"ProcessSpec of recipe {self.recipe}: make expected "
                              f"'module:function', found {self.make!r}")
        if not self.products:
            raise ConfigError(f"ProcessSpec of recipe {self.recipe}: names no product")
        if self.validity_nights < 0:
            raise ConfigError(f"ProcessSpec of recipe {self.recipe}: validity_nights expected "
                              f">= 0, found {self.validity_nights}")

    def adapter(self) -> Callable[[dict[str, list[Path]], dict[str, Any], Path], MakeResult]:
        """The adapter function named by ``make`` (its module is imported now)."""
        return load_adapter(self.make)


@dataclass(frozen=True)
class MakeResult:
    """What an adapter returns, per product class name: its file, QC values and attributes.

    ``qc`` keys are the recipe's QC names (ESO's without ``ESO QC ``); ``attributes`` are
    further attribute values of the product (read-out mode, chip, …).
    """

    files: Mapping[str, Path]
    qc: Mapping[str, Mapping[str, float | int]] = field(default_factory=dict)
    attributes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))
        object.__setattr__(self, "qc", MappingProxyType(
            {name: MappingProxyType(dict(values)) for name, values in self.qc.items()}))
        object.__setattr__(self, "attributes", MappingProxyType(
            {name: MappingProxyType(dict(values)) for name, values in self.attributes.items()}))
        for group in (self.qc, self.attributes):
            unknown = sorted(set(group) - set(self.files))
            if unknown:
                raise ConfigError(f"MakeResult: values for {', '.join(unknown)}, which has no "
                                  f"file; files are {', '.join(sorted(self.files))}")


def load_adapter(name: str) -> Callable[..., MakeResult]:
    """The function ``module:function`` names (the module is imported now)."""
    module_name, _, function_name = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"adapter {name}: module {module_name} not found ({exc})") from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ConfigError(f"adapter {name}: {module_name} has no function {function_name}")
    return function
