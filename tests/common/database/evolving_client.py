"""A client process of one release of ``evolving_model``: connect, write runs, print all runs.

    python evolving_client.py URL RELEASE [LABEL…]

Connecting evolves the schema as that release needs it. Each LABEL becomes one committed
``EvoRun`` (release 2 also sets ``gain`` 2.5 and commits an ``EvoNote`` about it); then every
run is printed as one JSON line ``{"label", "count", "gain"}`` (``gain`` null in release 1).
Prints ``connecting`` first, so a test knows the process got that far, and ``sql: BEGIN
IMMEDIATE`` whenever it starts SQLite's write transaction (before SQLite takes the lock), so a
test can see the process enter the schema lock.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event


def _announce_write_lock(connection: Any, cursor: Any, statement: str, parameters: Any,
                         context: Any, executemany: bool) -> None:
    if statement == "BEGIN IMMEDIATE":
        print(f"sql: {statement}", flush=True)


def main(url: str, release: str, labels: list[str]) -> None:
    """Run the client; see the module docstring."""
    os.environ["EVOLVING_MODEL_RELEASE"] = release
    sys.path.insert(0, str(Path(__file__).parent))
    import evolving_model

    from common.config import Context
    from common.database import connect
    from common.persistent import commit, session

    event.listen(Engine, "before_cursor_execute", _announce_write_lock)
    print("connecting", flush=True)
    database = connect(url, site=0)
    context = Context(user="tester", project="test", privileges=1, site=0)
    with session(database, context):
        runs = [evolving_model.EvoRun(label=label) for label in labels]
        notes = []
        if evolving_model.RELEASE >= 2:
            for run in runs:
                run.gain = 2.5
                notes.append(evolving_model.EvoNote(text=f"about {run.label}", run=run))
        if runs:
            commit(*runs, *notes)
        for run in evolving_model.EvoRun.select_all():
            print(json.dumps({"label": run.label, "count": run.count,
                              "gain": getattr(run, "gain", None)}), flush=True)
    database.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
