"""``awe delete ID [--recursive] [--force]``: delete an object's rows, audited.

Refused while anything depends on it (the dependents are listed; ``--recursive`` deletes them
first) and at level 3 or more unless a manager of its project gives ``--force``. The files stay
in the store until ``awe dataserver gc``.
"""

from __future__ import annotations

import argparse

HELP = "delete an object (and with --recursive what depends on it)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The object id, ``--recursive`` and ``--force``."""
    parser.add_argument("object_id", metavar="ID", help="object id (decimal or 0x hex)")
    parser.add_argument("--recursive", action="store_true",
                        help="also delete what depends on it (dependents first)")
    parser.add_argument("--force", action="store_true",
                        help="a project manager deletes a published object (level >= 3)")
    parser.add_argument("--reason", default="", help="kept in the audit record")


def run(args: argparse.Namespace) -> int:
    """Delete; one line per deleted object."""
    # lazy for start-up speed: `awe --help` imports every command module
    from common.persistent import DBObject

    obj = DBObject.get(args.object_id)
    nodes = obj.delete(args.recursive, args.force, reason=args.reason)
    for node in nodes:
        print(f"deleted {node}")
    print(f"{len(nodes)} object(s) deleted; their files go with the next `awe dataserver gc`")
    return 0
