"""Show what an object was made from: ``awe lineage ID|NAME [--depth N] [--prov FILE]``.

Prints the tree of its dependencies (parameter sets, calibrations, raw chips, raw frames), one
object a line, indented by level; ``--depth`` cuts it (``…`` marks a cut node). ``--prov``
also writes the tree as W3C PROV-JSON.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from awe.commands.retrieve import find_data_object

HELP = "show the lineage of an object down to its raw data (optionally as PROV-JSON)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The object, the depth and the PROV file."""
    parser.add_argument("what", metavar="ID|NAME", help="object id (or a file name)")
    parser.add_argument("--depth", type=int, default=None, metavar="N",
                        help="levels shown at most (default: all)")
    parser.add_argument("--prov", type=Path, default=None, metavar="FILE",
                        help="also write the lineage as W3C PROV-JSON to FILE")


def run(args: argparse.Namespace) -> int:
    """Print the tree; write the PROV-JSON file when asked."""
    # lazy for start-up speed: `awe --help` imports every command module
    from common.persistent import DBObject
    from muse.datamodel.lineage import to_prov

    if args.what.isdigit() or args.what.lower().startswith("0x"):
        obj = DBObject.get(args.what)
    else:
        obj = find_data_object(args.what)
    tree = obj.lineage(args.depth)
    print(tree)
    if args.prov is not None:
        args.prov.write_text(to_prov(tree).serialize(format="json", indent=2))
        print(f"PROV-JSON written to {args.prov}")
    return 0
