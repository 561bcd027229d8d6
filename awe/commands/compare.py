"""Compare two products of the same kind: awe compare ID1|NAME ID2|NAME [--png FILE].

Prints the parameters that differ between the two parameter sets, every QC value of both side
by side with B - A, the quality flags, the inputs they do not share, and statistics of the
pixel difference B - A (for a cube: of its mean over wavelength; for a table: the largest
difference per column). For images and cubes it also writes a PNG with A, B and B - A.
Two products of different kinds (a MASTER_BIAS and a MASTER_FLAT) are refused.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from awe.commands.retrieve import find_data_object

HELP = "compare two products of the same kind: parameters, QC and a difference image"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The two products and where the difference image goes."""
    parser.add_argument("a", metavar="ID1|NAME", help="the first product (A): id or file name")
    parser.add_argument("b", metavar="ID2|NAME", help="the second product (B): id or file name")
    picture = parser.add_mutually_exclusive_group()
    picture.add_argument("--png", type=Path, metavar="FILE",
                         help="difference image to write (default: compare-ID1-ID2.png here)")
    picture.add_argument("--no-png", action="store_true", help="write no difference image")


def run(args: argparse.Namespace) -> int:
    """Print the comparison; write the PNG."""
    # The data model (numpy, astropy, SQLAlchemy) loads only when the command runs.
    from muse.datamodel.compare import compare_products

    a, b = find_data_object(args.a), find_data_object(args.b)
    png = None
    if not args.no_png:
        png = args.png or Path(f"compare-{a.object_id:x}-{b.object_id:x}.png")
    print(compare_products(a, b, png=png).text(), end="")
    return 0
