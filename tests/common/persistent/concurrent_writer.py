"""A writer process for the concurrency test: commits ITEMS objects and prints their ids.

Usage: python concurrent_writer.py WRITER ITEMS. The database comes from AWE_DATABASE alone
(the default session), as in any script.
"""

from __future__ import annotations

import json
import sys

from common.persistent import DBObject, commit, persistent, transaction


class ConcurrentItem(DBObject):
    writer = persistent("writer number", int)
    serial = persistent("serial within the writer", int)


def main() -> None:
    writer, count = int(sys.argv[1]), int(sys.argv[2])
    items = [ConcurrentItem(writer=writer, serial=serial) for serial in range(count)]
    half = count // 2
    commit(*items[:half])
    for item in items[half:half + 20]:
        item.commit()
    with transaction():
        commit(*items[half + 20:])
    print(json.dumps([item.object_id for item in items]))


if __name__ == "__main__":
    main()
