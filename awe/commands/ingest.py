"""Ingest raw MUSE files and static calibrations: ``awe ingest FILE… [--commit]``.

Without ``--commit`` each file is read, classified (DO.CATG from ``ESO DPR CATG/TYPE/TECH``,
or the ``ESO PRO CATG`` of a static calibration) and checked, raw QC included, and a line per
file says what it would become; nothing is stored. With ``--commit`` each good file goes into
the configured store (a raw file under its ARCFILE name) and its objects are committed. A file
already ingested (same sha256) is skipped. Bad files are reported and the batch goes on; the
exit status is 1 when any file was refused. ``--process-calibrations`` then submits the
nightly calibration targets (:mod:`awe.nightly`) of every night whose calibration set the
files complete.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from awe.commands._arguments import privilege_level
from awe.progress import StepProgress
from common.errors import ConfigError

HELP = "check raw MUSE files and static calibrations, and with --commit ingest them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Files, ``--commit`` and ``--privileges``."""
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE",
                        help="raw MUSE files (.fits) or static calibrations")
    parser.add_argument("--commit", action="store_true",
                        help="store and commit (default: check and report only)")
    parser.add_argument("--privileges", type=privilege_level, default=None, metavar="N",
                        help="visibility of the new objects: 1 creator, 2 project, 3 all users")
    parser.add_argument("--process-calibrations", action="store_true",
                        help="with --commit: submit the calibration targets of every night "
                             "whose calibration set is complete (awe watch does it for a "
                             "directory)")


def run(args: argparse.Namespace) -> int:
    """One line per file: ingested, checked, present or refused (with the reason)."""
    # lazy for start-up speed: `awe --help` imports every command module
    from common.persistent import context
    from muse.datamodel.ingest import ingest_files

    if args.process_calibrations and not args.commit:
        raise ConfigError("awe ingest --process-calibrations: expected --commit too (only "
                          "ingested files can be processed)")
    if args.privileges is not None:
        context.set_privileges(args.privileges)
    progress = StepProgress(sys.stderr, "awe ingest", "files")
    results = ingest_files(args.files, commit_it=args.commit, progress=progress)
    for result in results:
        if result.status == "refused":  # the message names the file
            print(f"refused  {result.message}", file=sys.stderr)
        else:
            print(f"{result.status:8} {result.path}: {result.message}")
    refused = sum(result.status == "refused" for result in results)
    counts = {status: sum(result.status == status for result in results)
              for status in ("ingested", "checked", "present", "refused")}
    print(", ".join(f"{count} {status}" for status, count in counts.items() if count))
    if args.process_calibrations:
        _process_calibrations(results)
    return 1 if refused else 0


def _process_calibrations(results: list) -> None:
    """Submit the calibrations of each complete night the ingested raw files touch."""
    # lazy for start-up speed, as in run()
    from awe.nightly import NightTracker, frame_of, submit_night
    from dpu.client import Processor

    tracker = NightTracker(settle=None)
    for result in results:
        if result.status in ("ingested", "present"):
            frame = frame_of(result.path)
            if frame is not None:
                tracker.add(frame)
    waiting = tracker.pending()
    ready = tracker.ready()
    processor = Processor()
    submitted = []
    for night in waiting:
        if night in ready:
            jobs = submit_night(processor, night)
            submitted += jobs
            print(f"night {night}: calibration set complete; submitted jobs "
                  f"{', '.join(map(str, jobs))} to {processor.backend_name()}")
        else:
            print(f"night {night}: calibration set incomplete, not submitted: "
                  f"{'; '.join(tracker.missing(night))}")
    if submitted and not processor.dpus:
        # the in-process DPU runs the jobs in this process: they end before it does
        for job_id in submitted:
            row = processor.wait(job_id, progress=StepProgress(sys.stderr, f"job {job_id}",
                                                               "steps"))
            print(f"job {job_id} {row['state']}" + (f": {row['error']}" if row["error"]
                                                     else ""))
