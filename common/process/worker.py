"""Run one recipe of a plan in a worker process: plain data in, plain data out, no database.

``run_task(task)`` reopens the store from ``task['store']`` (a store's ``config()``),
fetches each input (a whole stored file, or the primary header and one ``CHANnn``
extension of a raw file by two range reads), calls the adapter ``task['adapter']`` on the
local copies, puts each product file into the store under the name the scheduler chose
(``task['outputs'][class_name]``) and returns the names, sizes, sha256 sums, QC values and
attributes. Both the task and the result are picklable and serpent-serializable (dates and
datetimes travel as ISO text). The scheduler records and commits the products; a worker
that dies leaves at most unreferenced files in the store, never a row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import re
import shutil
import tempfile
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from common.files import write_bytes_atomically
from common.process.spec import load_adapter

__all__ = ["RUN_MARKER", "SCHEDULER_PREFIX", "fetch_input", "open_task_store", "run_task"]

SCHEDULER_PREFIX = "awe-target-"
"""Name prefix of the per-run work directories a scheduler makes for its tasks."""

RUN_MARKER = ".run-active"
"""File a scheduler keeps in its work directory while its run lasts."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_.=-]+")


def open_task_store(config: Mapping[str, Any]) -> Any:
    """The store ``config`` describes, reopened through the function its ``open`` names."""
    opener = config.get("open")
    if not isinstance(opener, str):
        raise ValueError(f"task store: expected an 'open' function name, found {opener!r}")
    return load_adapter(opener)(dict(config))


def fetch_input(store: Any, ref: Mapping[str, Any], directory: Path) -> Path:
    """One input as a local file: a whole stored file, or a primary + one extension by range.

    ``ref`` is ``{'name', 'offset', 'size', 'primary_size'}``; ``offset`` None means the
    whole file.
    """
    name = ref["name"]
    target = directory / name
    if target.exists():
        target = directory / f"{ref.get('offset')}-{name}"
    if ref.get("offset") is None:
        return store.get(name, target)
    primary_size, offset, size = ref.get("primary_size"), ref["offset"], ref["size"]
    if not isinstance(primary_size, int) or primary_size <= 0:
        raise ValueError(f"input {name}: a byte range needs the primary header size, found "
                         f"{primary_size!r}")
    primary = store.read_range(name, 0, primary_size)
    extension = store.read_range(name, offset, size)
    if len(primary) != primary_size or len(extension) != size:
        raise ValueError(f"input {name}: expected {primary_size} + {size} bytes, found "
                         f"{len(primary)} + {len(extension)} (truncated file?)")
    return write_bytes_atomically(target, primary + extension)


def _plain(value: Any) -> Any:
    """A value as plain data: dates as ISO text, numpy scalars as Python numbers."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    """Run the adapter of ``task`` and store its products; return names, QC and attributes.

    Raises :class:`RuntimeError` naming the node on any failure (the worker's traceback
    is in the message).
    """
    node_id = task.get("node_id", "?")
    workdir = Path(task["workdir"])
    root: Path | None = None
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger()
    logger.addHandler(handler)
    try:
        store = open_task_store(task["store"])
        workdir.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix=_UNSAFE.sub("_", node_id) + "-", dir=workdir))
        inputs: dict[str, list[Path]] = {}
        for name, refs in task["inputs"].items():
            directory = root / "in" / name
            directory.mkdir(parents=True, exist_ok=True)
            inputs[name] = [fetch_input(store, ref, directory) for ref in refs]
        out = root / "out"
        out.mkdir()
        result = load_adapter(task["adapter"])(inputs, dict(task["params"]), out)
        outputs = task["outputs"]
        products: dict[str, dict[str, Any]] = {}
        for class_name, path in result.files.items():
            if class_name not in outputs:
                raise ValueError(f"the adapter made {class_name}, which the plan does not "
                                 f"name; expected {', '.join(outputs)}")
            name = outputs[class_name]
            digest = store.put(Path(path), name)
            products[class_name] = {"name": name, "size": Path(path).stat().st_size,
                                    "sha256": digest}
        return {"node_id": node_id, "files": [item["name"] for item in products.values()],
                "products": products, "qc": _plain(result.qc),
                "attributes": _plain(result.attributes), "log": log.getvalue()}
    except Exception as exc:
        raise RuntimeError(f"{node_id}: {type(exc).__name__}: {exc}\n"
                           f"{traceback.format_exc(limit=8)}") from None
    finally:
        logger.removeHandler(handler)
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)
        if workdir.name.startswith(SCHEDULER_PREFIX) and not (workdir / RUN_MARKER).exists():
            # the scheduler's run ended (e.g. cancelled) while this task ran: the last task
            # out leaves nothing behind
            with contextlib.suppress(OSError):
                workdir.rmdir()
