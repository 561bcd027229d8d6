"""Print the effective configuration and where each value came from.

Precedence: defaults < the TOML file ($AWE_CONFIG or $AWE_HOME/awe.toml) < AWE_* variables.
"""

from __future__ import annotations

import argparse

from common.config import SETTINGS, load_config

HELP = "show the effective configuration and the source of each value"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: ``awe config`` always shows every key."""
    parser.add_argument("--keys", action="store_true",
                        help="list the keys with their variables and help instead")


def run(args: argparse.Namespace) -> int:
    """Print one line per key: key, value, source."""
    if args.keys:
        print(f"{'home':17} AWE_HOME              directory of the default file, database and "
              "store (~/.awe)")
        for setting in SETTINGS:
            print(f"{setting.key:17} {setting.variable:21} {setting.help}")
        return 0
    for key, value, source in load_config().describe():
        print(f"{key:17} {value or '(empty)':50} {source}")
    return 0
