"""The parameters of the recipes: ESO's names, types, defaults and allowed values.

Each recipe has a table of :class:`Parameter` (MUSE-FORMATS §5; ``muse_flat`` adds its tracing
and normalisation parameters, ``muse_scipost`` its resampling ones). :func:`resolve` turns user
values (Python values or the strings of ``--name=value``) into a complete, checked mapping in
table order, which is what the recipes run with and what goes into the product headers as
``ESO PRO REC1 PARAMi NAME/VALUE``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from common.errors import RecipeError

__all__ = [
    "BIAS_PARAMETERS",
    "FLAT_PARAMETERS",
    "SCIBASIC_PARAMETERS",
    "SCIPOST_PARAMETERS",
    "WAVECAL_PARAMETERS",
    "Parameter",
    "ParameterValue",
    "format_value",
    "resolve",
]

ParameterValue = bool | int | float | str


@dataclass(frozen=True)
class Parameter:
    """One recipe parameter: ESO name, type, default, allowed values or range, help text."""

    name: str
    kind: type
    default: ParameterValue
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    def convert(self, value: object, recipe: str) -> ParameterValue:
        """``value`` (a Python value or its command-line text) as this parameter's type.

        Raises :class:`RecipeError` naming the recipe, the parameter, what was expected and
        what was found.
        """
        where = f"recipe {recipe}: parameter {self.name}"
        try:
            converted = self._parse(value)
        except (TypeError, ValueError):
            raise RecipeError(f"{where}: expected {self.describe()}, found {value!r}") from None
        if self.choices and converted not in self.choices:
            raise RecipeError(f"{where}: expected one of {', '.join(self.choices)}, found "
                              f"{value!r}")
        if self.minimum is not None and converted < self.minimum:
            raise RecipeError(f"{where}: expected a value >= {self.minimum}, found {value!r}")
        if self.maximum is not None and converted > self.maximum:
            raise RecipeError(f"{where}: expected a value <= {self.maximum}, found {value!r}")
        return converted

    def _parse(self, value: object) -> ParameterValue:
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "1", "yes"):
                return True
            if text in ("false", "0", "no"):
                return False
            raise ValueError(value)
        if self.kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(str(value).strip()) if isinstance(value, str) else int(value)
        if self.kind is float:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if not isinstance(value, str):
            raise TypeError(value)
        return value.strip().lower() if self.choices else value.strip()

    def describe(self) -> str:
        """What the parameter accepts, for messages and ``--help``."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        kind = {bool: "true or false", int: "an integer", float: "a number"}.get(self.kind,
                                                                                  "a string")
        if self.minimum is not None and self.maximum is not None:
            return f"{kind} in {self.minimum:g}..{self.maximum:g}"
        if self.minimum is not None:
            return f"{kind} >= {self.minimum:g}"
        return kind


def _table(*parameters: Parameter) -> Mapping[str, Parameter]:
    return MappingProxyType({p.name: p for p in parameters})


_NIFU = Parameter("nifu", int, 0, "IFU to process: 0 all in turn, -1 all in parallel "
                  "processes, 1..24 only that one", minimum=-1, maximum=24)
_OVERSCAN = (
    Parameter("overscan", str, "vpoly", "overscan correction: none, offset (the overscan "
              "mean) or vpoly (a polynomial in y fitted to the vertical overscan)",
              choices=("none", "offset", "vpoly")),
    Parameter("ovscreject", str, "dcr", "rejection for the overscan statistics: none, dcr "
              "(boxes of 128 x 32 along the strips) or fit (iterative mean with ovscsigma)",
              choices=("none", "dcr", "fit")),
    Parameter("ovscsigma", float, 30.0, "rejection level (sigma) of the vpoly fit and of "
              "ovscreject=fit", minimum=0.1),
    Parameter("ovscignore", int, 3, "overscan columns/rows next to the data left out",
              minimum=0),
)
_COMBINE = (
    Parameter("combine", str, "sigclip", "combination of the inputs",
              choices=("average", "median", "minmax", "sigclip")),
    Parameter("nlow", int, 1, "minmax: lowest values rejected per pixel", minimum=0),
    Parameter("nhigh", int, 1, "minmax: highest values rejected per pixel", minimum=0),
    Parameter("nkeep", int, 1, "minmax: values kept at least", minimum=1),
    Parameter("lsigma", float, 3.0, "sigclip: low rejection in mean absolute deviations",
              minimum=0.0),
    Parameter("hsigma", float, 3.0, "sigclip: high rejection in mean absolute deviations",
              minimum=0.0),
)
_MERGE = Parameter("merge", bool, False, "write one file with all IFUs (CHANnn.DATA, ...) "
                   "instead of one file per IFU")

BIAS_PARAMETERS = _table(
    _NIFU, *_OVERSCAN, *_COMBINE,
    Parameter("losigmabadpix", float, 30.0, "dark-column search: low cut in mean absolute "
              "deviations of the column means", minimum=0.0),
    Parameter("hisigmabadpix", float, 3.0, "bright-column search: high cut in mean absolute "
              "deviations of the column means", minimum=0.0),
    _MERGE,
)

FLAT_PARAMETERS = _table(
    _NIFU, *_OVERSCAN, *_COMBINE,
    Parameter("normalize", bool, True, "divide the master flat by its mean within the slices"),
    Parameter("trace", bool, True, "trace the slices and write the TRACE_TABLE"),
    Parameter("nsum", int, 32, "rows averaged per trace point", minimum=1),
    Parameter("order", int, 5, "order of the trace polynomials", minimum=0, maximum=5),
    Parameter("edgefrac", float, 0.5, "fraction of the slice level that marks an edge",
              minimum=0.05, maximum=0.95),
    Parameter("losigmabadpix", float, 5.0, "dark-pixel search in the master flat (sigma)",
              minimum=0.0),
    Parameter("hisigmabadpix", float, 5.0, "bright-pixel search in the master flat (sigma)",
              minimum=0.0),
    Parameter("scale", bool, True, "scale the inputs to the exposure time of the first"),
    _MERGE,
)

WAVECAL_PARAMETERS = _table(
    _NIFU, *_OVERSCAN, _COMBINE[0],
    Parameter("lampwise", bool, True, "identify the lines of each lamp in its own exposures"),
    Parameter("sigma", float, 1.0, "detection level of arc lines above the median background "
              "in the S/N of the central column of each slice", minimum=0.0),
    Parameter("dres", float, 0.05, "allowed range of dispersions in the pattern match, as a "
              "fraction of the nominal", minimum=0.0, maximum=0.5),
    Parameter("tolerance", float, 0.1, "match tolerance of detected and catalogue lines, as a "
              "fraction of the line spacing", minimum=0.0, maximum=0.5),
    Parameter("xorder", int, 2, "order of the wavelength solution across the slice",
              minimum=0, maximum=6),
    Parameter("yorder", int, 6, "order of the wavelength solution along the dispersion",
              minimum=1, maximum=8),
    Parameter("linesigma", float, -1.0, "rejection (sigma) of deviant line positions along "
              "each arc line; <= 0 means 3"),
    Parameter("fitsigma", float, -1.0, "rejection (sigma) in the final fit; <= 0 means 3"),
    Parameter("fitweighting", str, "cerrscatter", "weights of the final fit: uniform, cerr "
              "(centroid errors), scatter (scatter along each line) or cerrscatter (both)",
              choices=("uniform", "cerr", "scatter", "cerrscatter")),
    _MERGE,
)

SCIBASIC_PARAMETERS = _table(
    _NIFU, *_OVERSCAN,
    Parameter("crop", bool, True, "keep only pixels in the useful wavelength range of the "
              "mode (4750-9350 Angstrom nominal)"),
)

SCIPOST_PARAMETERS = _table(
    Parameter("resample", str, "drizzle", "resampling kernel: drizzle (drops of pixfrac "
              "times the input pixel, weighted by overlap) or nearest",
              choices=("drizzle", "nearest")),
    Parameter("dx", float, 0.0, "spaxel size along x (arcsec); 0: 0.2 in WFM, 0.025 in NFM",
              minimum=0.0),
    Parameter("dy", float, 0.0, "spaxel size along y (arcsec); 0: as dx", minimum=0.0),
    Parameter("dlambda", float, 0.0, "plane step (Angstrom); 0: 1.25", minimum=0.0),
    Parameter("pixfrac", str, "0.8,0.8", "drizzle drop size in input pixels: one value for "
              "all axes, two (spatial, spectral) or three (x, y, spectral)"),
    Parameter("filter", str, "white", "comma-separated filters for IMAGE_FOV, EXTNAMEs of "
              "FILTER_LIST; white is built in"),
    Parameter("skymethod", str, "none", "sky subtraction: none or simple (median of the "
              "faintest spaxels per plane)", choices=("none", "simple")),
    Parameter("lambdamin", float, 4000.0, "shortest wavelength used (Angstrom)"),
    Parameter("lambdamax", float, 10000.0, "longest wavelength used (Angstrom)"),
    Parameter("skymodel_fraction", float, 0.1, "fraction of the field taken as sky",
              minimum=0.001, maximum=1.0),
    Parameter("skymodel_ignore", float, 0.05, "faintest fraction of the field left out of "
              "the sky", minimum=0.0, maximum=0.9),
)


def resolve(table: Mapping[str, Parameter], values: Mapping[str, object] | None,
            recipe: str, *, merge: bool | None = None) -> dict[str, ParameterValue]:
    """Every parameter of ``table`` with its default or the value given in ``values``.

    ``merge``, when given, overrides ``values["merge"]`` (the recipes' keyword argument).
    Unknown names are refused with the list of known ones.
    """
    values = dict(values or {})
    if merge is not None:
        values["merge"] = merge
    unknown = sorted(set(values) - set(table))
    if unknown:
        raise RecipeError(f"recipe {recipe}: unknown parameter(s) {', '.join(unknown)}; "
                          f"expected some of {', '.join(table)}")
    return {name: parameter.convert(values[name], recipe) if name in values
            else parameter.default for name, parameter in table.items()}


def format_value(value: ParameterValue) -> str:
    """A parameter value as ESO writes it in ``PRO REC1 PARAMi VALUE`` (``true``, ``3``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
