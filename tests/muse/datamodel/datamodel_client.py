"""A client of whichever ``muse.datamodel`` is first on ``PYTHONPATH`` (a test's copy).

    python datamodel_client.py URL STORE write|read

``write`` commits one MasterBias tagged ``evolution``; ``read`` prints it as one JSON line
(its ``evo_note`` too, when the data model has one) and commits an ``EvoExtra`` when that
class exists. A refused connect prints ``ErrorType: message`` and exits 1.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from pathlib import Path


def main(url: str, store_root: str, action: str) -> int:
    """Run the client; see the module docstring."""
    import muse.datamodel as datamodel
    from common.config import Context
    from common.database import connect
    from common.errors import AweError
    from common.persistent import session
    from dataserver.store import LocalStore

    try:
        database = connect(url, site=0)
    except AweError as exc:
        print(f"{type(exc).__name__}: {exc}", flush=True)
        return 1
    context = Context(user="tester", project="test", privileges=1, site=0)
    with session(database, context, store=LocalStore(Path(store_root))):
        if action == "write":
            bias = datamodel.MasterBias(ifu=3, night=dt.date(2016, 3, 14),
                                        software_release="evolution")
            with tempfile.TemporaryDirectory() as scratch:
                path = Path(scratch) / "bias.fits"
                path.write_bytes(b"evolution")
                bias.store(path)
            bias.verify()
            bias.commit()
        else:
            bias = (datamodel.MasterBias.software_release == "evolution")[0]
            extra = getattr(datamodel, "EvoExtra", None)
            if extra is not None:
                extra(label="added class").commit()
            print(json.dumps({"version": datamodel.DATAMODEL_VERSION, "ifu": bias.ifu,
                              "evo_note": getattr(bias, "evo_note", "absent"),
                              "extras": None if extra is None else len(extra.select_all())}),
                  flush=True)
    database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
