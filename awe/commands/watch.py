"""Watch a directory: ingest new raw files, calibrate each night once its set is complete.

  awe watch DIR [--settle 10m] [--interval 5] [--dpu NAME] [--privileges N]

Every ``--interval`` seconds DIR is scanned (with its sub-directories) for ``*.fits`` files;
a file is taken once its size and time stamp held still for one scan (it is written
completely), then ingested (stored and committed, as ``awe ingest --commit``). When a night's
calibration set is complete — every exposure of each calibration template seen
(``ESO TPL NEXP`` / ``ESO TPL EXPNO``) and a complete BIAS, FLAT and WAVE template — or no new
file of it arrived for ``--settle``, the nightly calibration targets (MasterFlat and
WavecalTable for all IFUs, with their MASTER_BIAS and TRACE_TABLE) are submitted to the DPU
(``AWE_DPU``; none: an in-process DPU). Runs until interrupted (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from awe.commands._arguments import age, privilege_level

# The data model, the astropy readers and the DPU client are imported in run(): `awe` imports
# every command module to build its parser.

HELP = "ingest new raw files of a directory and submit each complete night's calibrations"


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, found {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """DIR, ``--settle``, ``--interval``, ``--dpu``, ``--privileges``."""
    parser.add_argument("directory", type=Path, metavar="DIR", help="directory to watch")
    parser.add_argument("--settle", type=age, default=600.0, metavar="AGE",
                        help="submit a night this long after its last new file even when its "
                             "templates are incomplete (default 10m; 30s, 1h…)")
    parser.add_argument("--interval", type=_seconds, default=5.0, metavar="S",
                        help="seconds between scans (default 5)")
    parser.add_argument("--dpu", metavar="NAME", help="the DPU of AWE_DPU to submit to")
    parser.add_argument("--privileges", type=privilege_level, default=None, metavar="N",
                        help="visibility of the ingested objects: 1 creator, 2 project, 3 all")


class Scanner:
    """The ``*.fits`` files of a directory that are new and no longer being written."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._last: dict[Path, tuple[int, int]] = {}
        self._taken: set[Path] = set()

    def scan(self) -> list[Path]:
        """New files whose size and time stamp did not change since the previous scan."""
        seen = {}
        for path in sorted(self.directory.rglob("*.fits")):
            try:
                stat = path.stat()
            except FileNotFoundError:  # moved away between listing and stat
                continue
            seen[path] = (stat.st_size, stat.st_mtime_ns)
        stable = [path for path, signature in seen.items()
                  if path not in self._taken and self._last.get(path) == signature]
        self._last = seen
        self._taken.update(stable)
        return stable


def run(args: argparse.Namespace) -> int:
    """Scan, ingest, submit; until interrupted."""
    # Imported here for start-up speed (astropy, the data model, the DPU client).
    from awe.nightly import NightTracker, frame_of, submit_night
    from common.persistent import context
    from dpu.client import Processor
    from muse.datamodel.ingest import ingest_file

    if not args.directory.is_dir():
        print(f"awe: ConfigError: watch: {args.directory} is not a directory", file=sys.stderr)
        return 1
    if args.privileges is not None:
        context.set_privileges(args.privileges)
    processor: Any = Processor()
    if args.dpu:
        processor = processor.select(args.dpu)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    scanner = Scanner(args.directory)
    tracker = NightTracker(settle=args.settle)
    print(f"watching {args.directory} every {args.interval:g} s (settle {args.settle:g} s, "
          f"DPU {processor.backend_name()})", flush=True)
    while not stop.is_set():
        for path in scanner.scan():
            result = ingest_file(path, commit_it=True)
            if result.status == "refused":
                print(f"refused  {result.message}", flush=True)
                continue
            print(f"{result.status:8} {path}: {result.message}", flush=True)
            frame = frame_of(path)
            if frame is not None:
                tracker.add(frame)
        for night in tracker.ready():
            missing = tracker.missing(night)
            state = f"settled ({'; '.join(missing)})" if missing else "complete"
            jobs = submit_night(processor, night)
            print(f"night {night}: calibration set {state}; submitted jobs "
                  f"{', '.join(map(str, jobs))}", flush=True)
        stop.wait(args.interval)
    print("watch stopped", flush=True)
    return 0
