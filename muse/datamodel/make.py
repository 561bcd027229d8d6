"""Adapters: run one recipe for one IFU and say what the products are (DESIGN §4, §6).

``make(inputs: dict[str, list[Path]], params: dict, workdir: Path) -> MakeResult``: every
input path is a local FITS file with the primary header and the one ``CHANnn`` extension
needed (:mod:`muse.datamodel.extract`); ``params`` are ESO-named recipe parameters
(``ParameterSet.recipe_parameters()``). The adapter calls ``muse.recipes`` with
``ifus=[ifu], processes=1`` and returns, per product class, the file, the QC values and the
attributes the recipe measured. No database: the caller stores, verifies and commits.

The science recipes are first versions: ``muse_scibasic`` and ``muse_scipost`` take a subset
of ESO's parameters, which the parameter classes declare in full. Their adapters pass the
parameters the recipe declares; the others (``skylines``; ``save``, ``crtype``,
``autocalib``, ``rvcorr``…) are left out until the recipes implement them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from astropy.io import fits

from common.errors import RecipeError
from common.process.spec import MakeResult
from muse.datamodel.generated import (
    DataCube,
    ImageFov,
    MasterBias,
    MasterFlat,
    PixTable,
    TraceTable,
    WavecalTable,
)
from muse.datamodel.rules import night_of
from muse.layout import ifu_from_extname

__all__ = ["data_cube", "master_bias", "master_flat", "pix_table", "wavecal_table"]

_SETUP_KEYWORDS = (("DET_READ_CURID", "HIERARCH ESO DET READ CURID"),
                   ("INS_MODE", "HIERARCH ESO INS MODE"),
                   ("INS_OPTI2_NAME", "HIERARCH ESO INS OPTI2 NAME"))
_MEASURED = ("DET_CHIP_NAME", "DET_CHIP_ID", "ncombined")
# muse_scipost's per-source FWHM QC: as many as sources found, kept in the file's header only
_PER_SOURCE_QC = re.compile(r"SCIPOST FWHM\d+ [XY]")
_EXPOSURE_KEYWORDS = (("INS_MODE", "HIERARCH ESO INS MODE"),
                      ("OBS_TARG_NAME", "HIERARCH ESO OBS TARG NAME"))


def single_ifu(paths: Sequence[Path], what: str) -> int:
    """The one IFU all ``paths`` hold (the EXTNAME of their first extension)."""
    if not paths:
        raise RecipeError(f"{what}: expected input files, found none")
    found = {}
    for path in paths:
        try:
            found[path] = ifu_from_extname(fits.getval(path, "EXTNAME", ext=1))
        except (OSError, IndexError, KeyError, ValueError) as exc:
            raise RecipeError(f"{path}: expected a primary HDU and one CHANnn extension, "
                              f"found {exc}") from None
    ifus = set(found.values())
    if len(ifus) != 1:
        listing = ", ".join(f"{path.name}: {ifu}" for path, ifu in found.items())
        raise RecipeError(f"{what}: expected inputs of one IFU, found {listing}")
    return ifus.pop()


def _attributes(paths: Sequence[Path], ifu: int, measured: Mapping[str, Any]) -> dict[str, Any]:
    header = fits.getheader(paths[0], 0)
    values: dict[str, Any] = {"ifu": ifu}
    for name, keyword in _SETUP_KEYWORDS:
        if keyword in header:
            values[name] = header[keyword]
    values.update({name: measured[name] for name in _MEASURED if name in measured})
    return values


def _split_qc(qc: Mapping[str, float | int], classes: Sequence[type]) -> dict[str, dict]:
    """QC values per product class, by the keys each declares; an unclaimed key is refused."""
    split: dict[str, dict] = {cls.__name__: {} for cls in classes}
    for key, value in qc.items():
        owner = next((cls for cls in classes if key in cls.qc_keys), None)
        if owner is None:
            raise RecipeError(f"QC {key}: expected a key declared in muse.xml by "
                              f"{' or '.join(cls.__name__ for cls in classes)}")
        split[owner.__name__][key] = value
    return split


def master_bias(inputs: dict[str, list[Path]], params: dict[str, Any],
                workdir: Path) -> MakeResult:
    """MASTER_BIAS of one IFU from ``inputs['raw_chips']`` (≥ 3 single-IFU raw BIAS files)."""
    # Imported here, not at the top: recipes pull in numpy kernels and astropy tables, and
    # the data model must import fast (it is imported on every connect).
    from muse.recipes.bias import make_master_bias

    raws = [Path(p) for p in inputs["raw_chips"]]
    ifu = single_ifu(raws, "master_bias raw_chips")
    result = make_master_bias(raws, params, workdir, ifus=[ifu], processes=1)
    output = result.ifus[ifu]
    name = MasterBias.__name__
    return MakeResult(files={name: output.files[MasterBias.product_category]},
                      qc=_split_qc(output.qc, (MasterBias,)),
                      attributes={name: _attributes(raws, ifu, output.attributes)})


def master_flat(inputs: dict[str, list[Path]], params: dict[str, Any],
                workdir: Path) -> MakeResult:
    """MASTER_FLAT and TRACE_TABLE of one IFU from ``raw_chips`` (≥ 3) and ``master_bias``."""
    # Imported here for start-up speed, as in master_bias.
    from muse.recipes.flat import make_master_flat

    raws = [Path(p) for p in inputs["raw_chips"]]
    ifu = single_ifu(raws, "master_flat raw_chips")
    biases = [Path(p) for p in inputs["master_bias"]]
    if len(biases) != 1:
        raise RecipeError(f"master_flat: expected one master_bias file, found {len(biases)}")
    result = make_master_flat(raws, biases[0], params, workdir, ifus=[ifu], processes=1)
    output = result.ifus[ifu]
    if TraceTable.product_category not in output.files:
        raise RecipeError("master_flat: expected a TRACE_TABLE; the parameter trace is off")
    attributes = _attributes(raws, ifu, output.attributes)
    return MakeResult(
        files={MasterFlat.__name__: output.files[MasterFlat.product_category],
               TraceTable.__name__: output.files[TraceTable.product_category]},
        qc=_split_qc(output.qc, (MasterFlat, TraceTable)),
        attributes={MasterFlat.__name__: attributes, TraceTable.__name__: attributes})


def _one(inputs: Mapping[str, Sequence[Path]], name: str, what: str) -> Path:
    """The one file ``inputs[name]`` holds."""
    paths = [Path(p) for p in inputs.get(name, ())]
    if len(paths) != 1:
        raise RecipeError(f"{what}: expected one {name} file, found {len(paths)}")
    return paths[0]


def _implemented(params: Mapping[str, Any], table: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of ``params`` a first-version recipe declares in ``table``."""
    return {name: value for name, value in params.items() if name in table}


def wavecal_table(inputs: dict[str, list[Path]], params: dict[str, Any],
                  workdir: Path) -> MakeResult:
    """WAVECAL_TABLE of one IFU from ``raw_chips`` (≥ 3 arcs) and its calibrations.

    ``master_bias``, ``trace_table`` and ``line_catalog``: one file each; ``master_flat``,
    optional in the spec, is not used by the recipe.
    """
    # Imported here for start-up speed, as in master_bias.
    from muse.recipes.wavecal import make_wavecal

    raws = [Path(p) for p in inputs["raw_chips"]]
    ifu = single_ifu(raws, "wavecal_table raw_chips")
    what = "wavecal_table"
    result = make_wavecal(raws, _one(inputs, "master_bias", what),
                          _one(inputs, "trace_table", what),
                          _one(inputs, "line_catalog", what), params, workdir, ifus=[ifu],
                          processes=1)
    output = result.ifus[ifu]
    name = WavecalTable.__name__
    attributes = {"ncombined": len(raws), **_attributes(raws, ifu, output.attributes)}
    # muse_wavecal writes 29 QC values per slice (1392 per IFU); muse.xml records the four
    # ESO trends per slice, the others stay in the product's header
    recorded = {key: value for key, value in output.qc.items() if key in WavecalTable.qc_keys}
    return MakeResult(files={name: output.files[WavecalTable.product_category]},
                      qc=_split_qc(recorded, (WavecalTable,)),
                      attributes={name: attributes})


def _exposure_attributes(header: fits.Header) -> dict[str, Any]:
    return {name: header[keyword] for name, keyword in _EXPOSURE_KEYWORDS if keyword in header}


def pix_table(inputs: dict[str, list[Path]], params: dict[str, Any],
              workdir: Path) -> MakeResult:
    """PIXTABLE_OBJECT of one IFU of one exposure from ``raw_chip`` and its calibrations.

    ``master_bias``, ``master_flat``, ``trace_table``, ``wavecal_table`` and
    ``geometry_table``: one file each.
    """
    # Imported here for start-up speed, as in master_bias.
    from muse.recipes.params import SCIBASIC_PARAMETERS
    from muse.recipes.scibasic import make_pixtable

    what = "pix_table"
    raw = _one(inputs, "raw_chip", what)
    ifu = single_ifu([raw], "pix_table raw_chip")
    calibrations = {category: [_one(inputs, name, what)] for name, category in (
        ("master_bias", "MASTER_BIAS"), ("master_flat", "MASTER_FLAT"),
        ("trace_table", "TRACE_TABLE"), ("wavecal_table", "WAVECAL_TABLE"),
        ("geometry_table", "GEOMETRY_TABLE"))}
    result = make_pixtable([raw], calibrations, _implemented(params, SCIBASIC_PARAMETERS),
                           workdir, ifus=[ifu], processes=1)
    output = result.ifus[ifu]
    name = PixTable.__name__
    return MakeResult(
        files={name: output.files[f"{PixTable.product_category}_0001"]},
        # muse_scibasic numbers its QC by exposure (``SCIBASIC NSATURATED 1``); one here
        qc=_split_qc({key.removesuffix(" 1"): value for key, value in output.qc.items()},
                     (PixTable,)),
        attributes={name: {"ifu": ifu, **_exposure_attributes(fits.getheader(raw, 0))}})


def data_cube(inputs: dict[str, list[Path]], params: dict[str, Any],
              workdir: Path) -> MakeResult:
    """DATACUBE_FINAL and IMAGE_FOV of one exposure from its 24 ``pix_tables``.

    ``extinct_table``, ``std_response`` and the optional ``filter_list``: one file each.
    The data model keeps one IMAGE_FOV per exposure: ``params['filter']`` names one filter.
    """
    # Imported here for start-up speed, as in master_bias.
    from muse.recipes.params import resolve
    from muse.recipes.scipost import RECIPE, SCIPOST_PARAMETERS, make_scipost

    what = "data_cube"
    params = _implemented(params, SCIPOST_PARAMETERS)
    tables = [Path(p) for p in inputs["pix_tables"]]
    if not tables:
        raise RecipeError(f"{what}: expected the pix_tables of one exposure, found none")
    filters = [name.strip() for name in
               str(resolve(SCIPOST_PARAMETERS, params, RECIPE)["filter"]).split(",")]
    if len(filters) != 1:
        raise RecipeError(f"{what}: parameter filter: expected one filter (one IMAGE_FOV per "
                          f"exposure), found {', '.join(filters)}")
    filter_list = _one(inputs, "filter_list", what) if inputs.get("filter_list") else None
    result = make_scipost(tables, extinct_table=_one(inputs, "extinct_table", what),
                          std_response=_one(inputs, "std_response", what),
                          filter_list=filter_list, out_dir=workdir, params=params, nthreads=1)
    image = result.products[f"{ImageFov.product_category} {filters[0]}"]
    cube = result.products[DataCube.product_category]
    header = fits.getheader(cube, 0)
    date_obs = dt.datetime.fromisoformat(header["DATE-OBS"])
    observed = {"DATE_OBS": date_obs, "night": night_of(date_obs),
                **_exposure_attributes(header)}
    return MakeResult(
        files={DataCube.__name__: cube, ImageFov.__name__: image},
        qc=_split_qc({key: value for key, value in result.qc.items()
                      if not _PER_SOURCE_QC.fullmatch(key)}, (DataCube,)),
        attributes={DataCube.__name__: observed,
                    ImageFov.__name__: {**observed, "filter_name": filters[0]}})
