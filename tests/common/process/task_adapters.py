"""Real adapters for the executor tests: they read their inputs and write a product file.

``joined`` writes the bytes of every input, in order, into one file (``Product``), measures
its size (QC ``JOINED SIZE``) and reports the worker's ``OMP_NUM_THREADS`` and pid;
``params['sleep']`` seconds of waiting first (``params['started']``: a file touched when it
begins) let a test kill the worker mid-recipe; ``params['fail']`` raises.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

from common.process.spec import MakeResult


def joined(inputs: dict[str, list[Path]], params: dict[str, Any], workdir: Path) -> MakeResult:
    """One file holding every input's bytes, in name then list order."""
    if params.get("started"):
        Path(params["started"]).write_text(str(os.getpid()))
    time.sleep(float(params.get("sleep", 0)))
    if params.get("fail"):
        raise ValueError(f"asked to fail: {params['fail']}")
    product = workdir / "joined.bin"
    with open(product, "wb") as stream:
        for name in sorted(inputs):
            for path in inputs[name]:
                stream.write(Path(path).read_bytes())
    return MakeResult(files={"Product": product},
                      qc={"Product": {"JOINED SIZE": product.stat().st_size}},
                      attributes={"Product": {"threads": os.environ.get("OMP_NUM_THREADS"),
                                              "pid": os.getpid(),
                                              "made": dt.datetime(2016, 3, 15, 1, 2, 3)}})
