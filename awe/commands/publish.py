"""``awe publish ID --level N [--dry-run]``: raise an object and its whole dependency tree.

All in one transaction, audited; nothing changes when you may not raise every node (you must
be its creator or a manager of its project): the message lists the nodes and their owners.
Levels: 1 creator, 2 project, 3 every user, 4 world, 5 published.
"""

from __future__ import annotations

import argparse

HELP = "raise the privileges of an object and everything it depends on"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The object id, the level and ``--dry-run``."""
    parser.add_argument("object_id", metavar="ID", help="object id (decimal or 0x hex)")
    parser.add_argument("--level", type=int, required=True, choices=range(1, 6), metavar="N",
                        help="the privilege level, 1-5")
    parser.add_argument("--dry-run", action="store_true",
                        help="list what would be raised, change nothing")
    parser.add_argument("--reason", default="", help="kept in the audit records")


def run(args: argparse.Namespace) -> int:
    """Publish (or with ``--dry-run`` list) the tree; one line per node."""
    # lazy for start-up speed: `awe --help` imports every command module
    from common.persistent import DBObject

    obj = DBObject.get(args.object_id)
    nodes = obj.publish(args.level, args.dry_run, reason=args.reason)
    verb = "would raise" if args.dry_run else "raised"
    for node in nodes:
        print(f"{verb} {node}")
    print(f"{len(nodes)} object(s) {verb} to level {args.level}")
    return 0
