"""Fetch an object's file from the store, verified: ``awe retrieve ID|NAME [--out DIR]``.

``ID`` is an object id (decimal or ``0x`` hex, as ``awe find`` shows it); ``NAME`` a file
name in the store (a raw file's ARCFILE). The file's sha256 is checked against the database.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from common.errors import NotFound

HELP = "fetch the file of an object (by id or file name) from the store, verified"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The object and the output directory."""
    parser.add_argument("what", metavar="ID|NAME", help="object id or file name")
    parser.add_argument("--out", type=Path, default=Path.cwd(), metavar="DIR",
                        help="directory for the file (default: the current directory)")


def find_data_object(what: str) -> Any:
    """The DataObject with id ``what`` (decimal or hex) or file name ``what``."""
    # lazy for start-up speed: `awe --help` imports every command module
    import muse.datamodel  # noqa: F401 - registers the MUSE classes
    from common.persistent import DataObject

    if what.isdigit() or what.lower().startswith("0x"):
        return DataObject.get(what)
    found = DataObject.filename == what
    if not len(found):
        raise NotFound(f"{what}: no object with this file name (or it is not visible)")
    return found[0]


def run(args: argparse.Namespace) -> int:
    """Write the file into ``--out`` and print its path."""
    obj = find_data_object(args.what)
    args.out.mkdir(parents=True, exist_ok=True)
    print(obj.retrieve(args.out))
    return 0
