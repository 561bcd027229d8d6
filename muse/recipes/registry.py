"""The recipes there are: each one declares itself here, cheaply, and is loaded only to run.

A recipe's declaration (:class:`RecipeSpec`: ESO's name, what it makes, its inputs by SOF tag
with how many of each it takes, its products, its parameter table and where its functions
are) lives in a small module of :mod:`muse.recipes.specs` that calls :func:`register`.
:func:`recipes` imports every such module, so adding a recipe edits no shared file, and
reading the declarations (``awe --help``, ``awe recipe NAME --help``) loads neither numpy nor
astropy nor the recipe itself; :meth:`RecipeSpec.load` imports the recipe when it runs.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import muse.recipes.specs
from common.errors import RecipeError
from muse.recipes.params import Parameter

__all__ = ["RecipeInput", "RecipeProduct", "RecipeSpec", "get", "recipes", "register"]


@dataclass(frozen=True)
class RecipeInput:
    """One input of a recipe: its SOF tag (``ESO PRO CATG`` or raw category) and counts.

    ``minimum`` 0 makes it optional; ``maximum`` None takes any number (per-IFU files).
    """

    tag: str
    what: str
    minimum: int = 1
    maximum: int | None = None

    @property
    def required(self) -> bool:
        """Whether a run needs at least one such file."""
        return self.minimum > 0

    def count(self) -> str:
        """How many files the recipe takes, in words: ``'at least 3'``, ``'exactly 1'``."""
        if self.maximum is None:
            return f"at least {self.minimum}" if self.minimum else "any number"
        if self.minimum == 0:
            return f"at most {self.maximum}"
        if self.minimum == self.maximum:
            return f"exactly {self.minimum}"
        return f"{self.minimum} to {self.maximum}"

    def check(self, found: int, recipe: str) -> None:
        """Refuse ``found`` files of this tag when the recipe takes fewer or more."""
        if found < self.minimum or (self.maximum is not None and found > self.maximum):
            raise RecipeError(f"recipe {recipe}: expected {self.count()} {self.tag} file(s) "
                              f"({self.what}), found {found}")


@dataclass(frozen=True)
class RecipeProduct:
    """One product of a recipe: its ``ESO PRO CATG`` and the files that hold it."""

    tag: str
    what: str


@dataclass(frozen=True)
class RecipeSpec:
    """Everything about a recipe that can be known without running it.

    ``function`` is the Python entry (``'muse.recipes.bias:make_master_bias'``);
    ``run_inputs`` the one the command calls with the classified inputs
    (``run_inputs(inputs_by_tag, params, out_dir, processes=, progress=)``). ``unit`` is
    what the recipe makes products per: ``'IFU'`` or ``'exposure'``. ``step`` orders the
    recipes as the processing chain runs them.
    """

    name: str
    eso_name: str
    step: int
    summary: str
    details: str
    inputs: tuple[RecipeInput, ...]
    products: tuple[RecipeProduct, ...]
    parameters: Mapping[str, Parameter]
    function: str
    run_inputs: str
    unit: str = "IFU"

    @property
    def tags(self) -> tuple[str, ...]:
        """The SOF tags of the inputs, in declaration order."""
        return tuple(item.tag for item in self.inputs)

    def load(self, entry: str | None = None) -> Callable[..., Any]:
        """Import the recipe module and return ``entry`` (default: ``run_inputs``)."""
        module_name, _, attribute = (entry or self.run_inputs).partition(":")
        return getattr(importlib.import_module(module_name), attribute)


_RECIPES: dict[str, RecipeSpec] = {}


def register(spec: RecipeSpec) -> RecipeSpec:
    """Add ``spec`` to the registry (a name registered twice is refused); return it."""
    known = _RECIPES.get(spec.name)
    if known is not None and known != spec:
        raise RecipeError(f"recipe {spec.name}: registered twice ({known.eso_name} and "
                          f"{spec.eso_name})")
    _RECIPES[spec.name] = spec
    return spec


def recipes() -> dict[str, RecipeSpec]:
    """Every registered recipe by name, in processing order (declarations loaded once)."""
    for info in pkgutil.iter_modules(muse.recipes.specs.__path__):
        importlib.import_module(f"muse.recipes.specs.{info.name}")
    return dict(sorted(_RECIPES.items(), key=lambda item: item[1].step))


def get(name: str) -> RecipeSpec:
    """The recipe called ``name``; an unknown name is refused with the known ones."""
    known = recipes()
    if name not in known:
        raise RecipeError(f"recipe {name!r}: unknown; expected one of {', '.join(known)}")
    return known[name]
