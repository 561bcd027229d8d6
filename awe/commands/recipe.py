"""Run a MUSE recipe on files, outside the database, as ESO's esorex does.

awe recipe NAME [FILES... | F.sof] [--sof F] [--out DIR] [--name=value...] runs one recipe;
"awe recipe NAME --help" lists its inputs, products and parameters. Inputs are recognised by
their FITS headers (ESO PRO CATG of products, ESO DPR CATG/TYPE of raw frames) or by their
tags in ESO set-of-frames files (lines 'PATH TAG'), given with --sof or, as esorex takes them,
as a FILES argument ending in .sof. Inputs the recipe does not use are reported and ignored;
too few or too many of an input is an error. Products go to --out; the last line of the
output says how many files were written for how many IFUs or exposures.
"""

# Each recipe declares itself in muse.recipes.registry; this command has no table of its own.

from __future__ import annotations

import argparse
import logging
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from awe.commands._arguments import positive_int
from awe.progress import StepProgress
from common.errors import RecipeError
from muse.recipes.registry import RecipeSpec, get, recipes

if TYPE_CHECKING:
    from muse.recipes.products import RecipeOutcome

HELP = f"run a MUSE recipe ({', '.join(recipes())}) on files, like ESO's esorex"

_WIDTH = 92


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(text, _WIDTH, initial_indent=indent, subsequent_indent=indent)


def _files_of(spec: RecipeSpec, tag: str) -> str:
    if spec.unit != "IFU":
        return ""
    if "merge" in spec.parameters:
        return f"{tag}-NN.fits per IFU, or {tag}.fits for all IFUs with --merge=true"
    return ""


def describe(spec: RecipeSpec) -> str:
    """The user's help text of a recipe: what it does, its inputs, products and examples."""
    width = max(len(item.tag) for item in (*spec.inputs, *spec.products)) + 2
    lines = [f"{spec.eso_name}: {spec.summary}.", "", _wrap(spec.details), "",
             "Inputs, recognised by their FITS headers or by their tag in a set-of-frames file:"]
    for item in spec.inputs:
        need = "required" if item.required else "optional"
        lines.append(f"  {item.tag:<{width}}{need}, {item.count()}: {item.what}")
    lines += ["", "Products, written to --out:"]
    for product in spec.products:
        lines.append(f"  {product.tag:<{width}}{product.what}")
        files = _files_of(spec, product.tag)
        if files:
            lines.append(f"  {'':<{width}}{files}")
    if spec.unit == "IFU":
        lines.append(_wrap("Each IFU also gets a PNG preview. The IFUs processed are those of "
                           "the inputs (or --nifu); an IFU missing from any input is an error.",
                           "  "))
    lines.append(_wrap("Nothing is written unless the whole run succeeds.", "  "))
    tags = " ".join(item.tag for item in spec.inputs)
    lines += ["", "Examples:",
              f"  awe recipe {spec.name} FILES... --out products",
              f"  awe recipe {spec.name} {spec.name}.sof --out products",
              "", _wrap("A set-of-frames file has one 'PATH TAG' line per input, the tag being "
                        f"one of the input names above ({tags}); '#' starts a comment."),
              "", f"From Python: {spec.function.replace(':', '.')}(...)"]
    return "\n".join(lines)


def _add_recipe(sub: argparse._SubParsersAction, spec: RecipeSpec) -> None:
    command = sub.add_parser(spec.name, help=f"{spec.summary} ({spec.eso_name})",
                             description=describe(spec),
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    command.add_argument("files", nargs="*", type=Path, metavar="FILES",
                         help="input files, and set-of-frames files ending in .sof")
    command.add_argument("--sof", type=Path, metavar="F",
                         help="set-of-frames file: one 'PATH TAG' line per input")
    command.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                         help="directory for the products (default: the current directory)")
    if spec.unit == "IFU":
        command.add_argument("--processes", type=positive_int, metavar="N",
                             help="worker processes for the IFUs (default: all cores with "
                                  "--nifu=-1, else 1)")
    parameters = command.add_argument_group(f"parameters of {spec.eso_name} (ESO's names)")
    for parameter in spec.parameters.values():
        if parameter.kind is bool:
            parameters.add_argument(f"--{parameter.name}", nargs="?", const="true",
                                    metavar="true|false",
                                    help=f"{parameter.help} (default: "
                                         f"{str(parameter.default).lower()})")
        else:
            parameters.add_argument(f"--{parameter.name}", metavar="VALUE",
                                    help=f"{parameter.help}; {parameter.describe()} "
                                         f"(default: {parameter.default})")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One sub-command per registered recipe, each with ESO's parameters as ``--name=value``."""
    sub = parser.add_subparsers(dest="recipe", metavar="RECIPE", required=True)
    for spec in recipes().values():
        _add_recipe(sub, spec)


def _inputs(args: argparse.Namespace, spec: RecipeSpec) -> dict[str, list[Path]]:
    """The input files by tag, from the positional files and set-of-frames files."""
    # imported here for start-up speed: classifying reads FITS headers with astropy
    from muse.recipes.sof import classify_files, read_sof

    sofs = [path for path in args.files if path.suffix.lower() == ".sof"]
    if args.sof:
        sofs.append(args.sof)
    tags: dict[Path, str] = {}
    for sof in sofs:
        tags.update(read_sof(sof))
    named = [path for path in args.files if path.suffix.lower() != ".sof"]
    files = list(dict.fromkeys([*tags, *named]))
    if not files:
        raise RecipeError(f"awe recipe {spec.name}: no input files (give FILES or a "
                          "set-of-frames file)")
    chosen: dict[str, list[Path]] = {tag: [] for tag in spec.tags}
    for path, tag in classify_files(files, tags).items():
        if tag in chosen:
            chosen[tag].append(path)
        else:
            print(f"awe recipe {spec.name}: ignoring {path}: category {tag} is not an input "
                  f"of this recipe (expected {', '.join(spec.tags)})", file=sys.stderr)
    for item in spec.inputs:
        item.check(len(chosen[item.tag]), spec.eso_name)
    return chosen


def _report(result: RecipeOutcome, out: Path) -> None:
    products = [path for path in result.files if path.suffix == ".fits"]
    previews = len(result.files) - len(products)
    for path in products:
        print(path)
    print(f"{result.recipe}: {len(result.units)} {result.unit_kind}(s), {len(products)} "
          f"product file(s) and {previews} preview(s) in {out}")


def _params(args: argparse.Namespace, spec: RecipeSpec) -> Mapping[str, object]:
    return {name: getattr(args, name) for name in spec.parameters
            if getattr(args, name, None) is not None}


def run(args: argparse.Namespace) -> int:
    """Classify the inputs, run the recipe and list the products."""
    spec = get(args.recipe)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    inputs = _inputs(args, spec)
    # the recipe (numpy, astropy, the kernels) is imported only now, for start-up speed
    run_inputs = spec.load()
    progress = StepProgress(sys.stderr, f"awe recipe {spec.name}",
                            "IFUs" if spec.unit == "IFU" else "steps")
    result = run_inputs(inputs, _params(args, spec), args.out,
                        processes=getattr(args, "processes", None), progress=progress)
    _report(result, args.out)
    return 0
