"""Run a MUSE recipe on files, outside the database, as ESO's esorex does.

``awe recipe bias FILES…`` makes MASTER_BIAS from raw BIAS frames; ``awe recipe flat FILES…``
makes MASTER_FLAT and TRACE_TABLE from raw FLAT,LAMP frames and a MASTER_BIAS;
``awe recipe wavecal FILES…`` makes WAVECAL_TABLE from raw ARC frames, a MASTER_BIAS, a
TRACE_TABLE and the LINE_CATALOG; ``awe recipe scibasic FILES…`` makes a PIXTABLE_OBJECT per
exposure and IFU from raw OBJECT frames and their calibrations. Inputs are
classified by their headers (``ESO PRO CATG`` of products, ``ESO DPR CATG/TYPE`` of raw
frames) or by the tags of an ESO set-of-frames file (``--sof``: lines ``PATH TAG``); inputs the
recipe does not use are reported and ignored. Each calibration is matched to the IFU being
processed (per-IFU ``MASTER_BIAS-NN.fits`` files or one merged file).

Recipe parameters are ESO's, given as ``--name=value`` (``--combine=median --lsigma=2.5``);
``awe recipe bias --help`` lists them with their defaults. Products go to ``--out`` (the
current directory by default) as ``CATG-NN.fits`` per IFU, or one ``CATG.fits`` with
``--merge``, each with a PNG preview; nothing is written unless every IFU succeeds.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from awe.progress import StepProgress
from common.errors import RecipeError
from muse.recipes.params import (
    BIAS_PARAMETERS,
    FLAT_PARAMETERS,
    SCIBASIC_PARAMETERS,
    WAVECAL_PARAMETERS,
    Parameter,
)

if TYPE_CHECKING:
    from muse.recipes.products import RecipeResult

HELP = "run a MUSE recipe (bias, flat, wavecal, scibasic) on files, like ESO's esorex"

_RECIPES: Mapping[str, tuple[Mapping[str, Parameter], str]] = {
    "bias": (BIAS_PARAMETERS, "MASTER_BIAS from raw BIAS frames (ESO's muse_bias)"),
    "flat": (FLAT_PARAMETERS, "MASTER_FLAT and TRACE_TABLE from raw FLAT frames and a "
                              "MASTER_BIAS (ESO's muse_flat)"),
    "wavecal": (WAVECAL_PARAMETERS, "WAVECAL_TABLE from raw ARC frames, a MASTER_BIAS, a "
                                    "TRACE_TABLE and the LINE_CATALOG (ESO's muse_wavecal)"),
    "scibasic": (SCIBASIC_PARAMETERS, "PIXTABLE_OBJECT per exposure and IFU from raw OBJECT "
                                      "frames and MASTER_BIAS, MASTER_FLAT, TRACE_TABLE, "
                                      "WAVECAL_TABLE, GEOMETRY_TABLE (ESO's muse_scibasic)"),
}


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One sub-command per recipe, each with ESO's parameters as ``--name=value``."""
    sub = parser.add_subparsers(dest="recipe", metavar="RECIPE", required=True)
    for name, (table, description) in _RECIPES.items():
        command = sub.add_parser(name, help=description, description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        command.add_argument("files", nargs="*", type=Path, metavar="FILES",
                             help="input files (raw frames and calibrations)")
        command.add_argument("--sof", type=Path, metavar="F",
                             help="ESO set-of-frames file: lines 'PATH TAG'")
        command.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                             help="directory for the products (default: current directory)")
        command.add_argument("--processes", type=_positive, metavar="N",
                             help="worker processes for the IFUs (default: all cores with "
                                  "--nifu=-1, else 1)")
        parameters = command.add_argument_group(f"{name} parameters (ESO's names)")
        for parameter in table.values():
            if parameter.kind is bool:
                parameters.add_argument(f"--{parameter.name}", nargs="?", const="true",
                                        metavar="true|false",
                                        help=f"{parameter.help} (default: "
                                             f"{str(parameter.default).lower()})")
            else:
                parameters.add_argument(f"--{parameter.name}", metavar="VALUE",
                                        help=f"{parameter.help}; {parameter.describe()} "
                                             f"(default: {parameter.default})")


def _inputs(args: argparse.Namespace) -> dict[Path, str]:
    from muse.recipes.sof import classify_files, read_sof

    tags = read_sof(args.sof) if args.sof else {}
    files = list(dict.fromkeys([*tags, *args.files]))
    if not files:
        raise RecipeError(f"awe recipe {args.recipe}: no input files (give FILES or --sof)")
    return classify_files(files, tags)


def _select(categories: Mapping[Path, str], wanted: tuple[str, ...],
            recipe: str) -> dict[str, list[Path]]:
    chosen: dict[str, list[Path]] = {catg: [] for catg in wanted}
    for path, catg in categories.items():
        if catg in chosen:
            chosen[catg].append(path)
        else:
            print(f"awe recipe {recipe}: ignoring {path}: category {catg} is not an input of "
                  f"this recipe (expected {', '.join(wanted)})", file=sys.stderr)
    return chosen


def _report(result: RecipeResult, out: Path) -> None:
    products = [path for path in result.files if path.suffix == ".fits"]
    previews = len(result.files) - len(products)
    for path in products:
        print(path)
    print(f"{result.recipe}: {len(result.ifus)} IFU(s), {len(products)} product file(s) and "
          f"{previews} preview(s) in {out}")


def run(args: argparse.Namespace) -> int:
    """Classify the inputs, run the recipe and list the products."""
    # the recipes (numpy, astropy, the kernels) load only when a recipe runs, not for --help
    from muse.recipes import bias, flat, scibasic, wavecal

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    table, _ = _RECIPES[args.recipe]
    params = {name: getattr(args, name) for name in table
              if getattr(args, name, None) is not None}
    categories = _inputs(args)
    progress = StepProgress(sys.stderr, f"awe recipe {args.recipe}", "IFUs")
    if args.recipe == "bias":
        chosen = _select(categories, (bias.RAW_CATG,), "bias")
        result = bias.make_master_bias(chosen[bias.RAW_CATG], params, args.out,
                                       processes=args.processes, progress=progress)
    elif args.recipe == "wavecal":
        chosen = _select(categories, (wavecal.RAW_CATG, wavecal.BIAS_CATG, wavecal.TRACE_CATG,
                                      wavecal.CATALOG_CATG), "wavecal")
        if len(chosen[wavecal.CATALOG_CATG]) != 1:
            raise RecipeError(f"awe recipe wavecal: expected one {wavecal.CATALOG_CATG}, "
                              f"found {len(chosen[wavecal.CATALOG_CATG])}")
        result = wavecal.make_wavecal(chosen[wavecal.RAW_CATG], chosen[wavecal.BIAS_CATG],
                                      chosen[wavecal.TRACE_CATG],
                                      chosen[wavecal.CATALOG_CATG][0], params, args.out,
                                      processes=args.processes, progress=progress)
    elif args.recipe == "scibasic":
        chosen = _select(categories, (scibasic.RAW_CATG, *scibasic.CALIBRATIONS), "scibasic")
        result = scibasic.make_pixtable(chosen[scibasic.RAW_CATG], chosen, params, args.out,
                                        processes=args.processes, progress=progress)
    else:
        chosen = _select(categories, (flat.RAW_CATG, flat.BIAS_CATG), "flat")
        result = flat.make_master_flat(chosen[flat.RAW_CATG], chosen[flat.BIAS_CATG], params,
                                       args.out, processes=args.processes, progress=progress)
    _report(result, args.out)
    return 0
