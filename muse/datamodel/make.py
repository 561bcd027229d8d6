"""Adapters: run one recipe for one IFU and say what the products are (DESIGN §4, §6).

``make(inputs: dict[str, list[Path]], params: dict, workdir: Path) -> MakeResult``: every
input path is a local FITS file with the primary header and the one ``CHANnn`` extension
needed (:mod:`muse.datamodel.extract`); ``params`` are ESO-named recipe parameters
(``ParameterSet.recipe_parameters()``). The adapter calls ``muse.recipes`` with
``ifus=[ifu], processes=1`` and returns, per product class, the file, the QC values and the
attributes the recipe measured. No database: the caller stores, verifies and commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from astropy.io import fits

from common.errors import RecipeError
from common.process.spec import MakeResult
from muse.datamodel.generated import MasterBias, MasterFlat, TraceTable
from muse.layout import ifu_from_extname

__all__ = ["master_bias", "master_flat"]

_SETUP_KEYWORDS = (("DET_READ_CURID", "HIERARCH ESO DET READ CURID"),
                   ("INS_MODE", "HIERARCH ESO INS MODE"),
                   ("INS_OPTI2_NAME", "HIERARCH ESO INS OPTI2 NAME"))
_MEASURED = ("DET_CHIP_NAME", "DET_CHIP_ID", "ncombined")


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
