"""Simulate raw MUSE data with a known truth.

``awe simulate night --date D --out DIR`` writes the raw files of MuseWise night D (every
DATE-OBS in [D 20:40, D+1 20:40) UT) into DIR, in the real raw layout (24 ``CHANnn``
extensions, 4 ports, 32-px pre- and overscans), plus the truth they were drawn from in
``DIR/truth-D/`` (``night.json``, the pixel-response maps, and with arc or science frames
``wavelength.json`` and ``scene.json``). By default the night has 5 BIAS, 5 FLAT,LAMP, 3 ARC
(Ne, Xe, HgCd) and 1 OBJECT frame; with arcs or science frames the static calibrations ESO
ships (LINE_CATALOG, GEOMETRY_TABLE, EXTINCT_TABLE, STD_RESPONSE, FILTER_LIST) are written
beside them. The default is the small test geometry (688 × 640 raw pixels per IFU, 8-px
slices, 10 Å per pixel); ``--full-size`` writes real 4224 × 4240 extensions (≈ 860 MB per
file). The same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from awe.progress import StepProgress
from common.errors import ConfigError

HELP = "simulate raw MUSE data (a night of calibrations and science) with a known truth"


def _night(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, found {text!r}") from None


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, found {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``night`` and its options."""
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    night = sub.add_parser("night", help="the raw frames of one MuseWise night",
                           description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    night.add_argument("--date", type=_night, required=True, metavar="D",
                       help="the night (YYYY-MM-DD): frames fall in [D 20:40, D+1 20:40) UT")
    night.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="directory for the raw files and truth-D/ (created if missing)")
    night.add_argument("--full-size", action="store_true",
                       help="real 4224 x 4240 extensions instead of the small test geometry")
    night.add_argument("--seed", type=_count, default=1, metavar="N",
                       help="seed of the instrument and the noise (default 1)")
    night.add_argument("--bias", type=_count, default=None, metavar="N",
                       help="number of BIAS frames (default 5)")
    night.add_argument("--flats", type=_count, default=None, metavar="N",
                       help="number of FLAT,LAMP frames (default 5)")
    night.add_argument("--arcs", type=_count, default=None, metavar="N",
                       help="number of ARC frames, lamps Ne, Xe, HgCd in turn (default 3)")
    night.add_argument("--science", type=_count, default=None, metavar="N",
                       help="number of OBJECT frames (default 1)")


def run(args: argparse.Namespace) -> int:
    """Simulate the night and print where its files and truth are."""
    # imported here for start-up speed: these load numpy and astropy, which `awe --help` must not
    from muse.instrument.night import simulate_night
    from muse.layout import FULL, SMALL

    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: expected a directory (or a path to create), found a "
                          "file")
    geometry = FULL if args.full_size else SMALL
    counts = dict(geometry.frame_counts)
    if args.bias is not None:
        counts["BIAS"] = args.bias
    if args.flats is not None:
        counts["FLAT"] = args.flats
    if args.arcs is not None:
        counts["ARC"] = args.arcs
    if args.science is not None:
        counts["OBJECT"] = args.science
    progress = StepProgress(sys.stderr, "simulate", "extensions written")
    try:
        night = simulate_night(args.date, out, geometry=geometry, seed=args.seed,
                               counts=counts, progress=progress)
    except ValueError as exc:
        raise ConfigError(f"awe simulate night: {exc}") from exc
    kinds = ", ".join(f"{len(files)} {kind}" for kind, files in night.files.items())
    print(f"night {night.night}: {sum(len(f) for f in night.files.values())} raw files "
          f"({kinds}, {geometry.name} geometry, seed {night.seed}) in {night.directory}")
    if night.statics:
        print(f"static calibrations: {', '.join(p.name for p in night.statics.values())}")
    print(f"truth: {night.truth_directory / 'night.json'}")
    return 0
