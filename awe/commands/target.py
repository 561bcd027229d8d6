"""Make a target up to date: ``awe target CLASS KEY=VALUE… [--dry-run] [--parameters RECIPE=ID…]``.

Plans the request (what is reused, what is made and why, what stops it), then, unless
``--dry-run``, runs it in this process on a local pool of workers with a progress bar, as a
job in ``awe_job``; prints what was reused, made and stopped. ``KEY=a,b`` asks for each value
(``ifu=1,2,3``). Exit status 0 when the target is up to date, 1 when a node failed, 2 when
the plan stopped.
"""

from __future__ import annotations

import argparse
import sys

from awe.progress import StepProgress

HELP = "make a product up to date from raw data (plan, run, record), or show the plan"


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, found {text!r}")
    return name, value


def _parameter(text: str) -> tuple[str, int]:
    name, value = _pair(text)
    try:
        return name, int(value, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--parameters {text}: expected RECIPE=ID with an "
                                         f"object id, found {value!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The class, its keys, ``--dry-run``, ``--parameters`` and ``--workers``."""
    parser.add_argument("target", metavar="CLASS", help="processable class, e.g. DataCube")
    parser.add_argument("keys", nargs="+", type=_pair, metavar="KEY=VALUE",
                        help="the keys of the target (night=2016-03-14 ifu=5, exposure=…); "
                             "a,b asks for each value")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the plan with the reason of each node; make nothing")
    parser.add_argument("--parameters", nargs="+", type=_parameter, default=[],
                        metavar="RECIPE=ID",
                        help="parameter set (object id) per recipe; the others use the "
                             "reference set")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="worker processes (default: 'workers', else the usable cores)")


def run(args: argparse.Namespace) -> int:
    """Plan, print the plan on --dry-run, else run it as a job and print the outcome."""
    # lazy for start-up speed: `awe --help` imports every command module
    from common.process.jobs import Job
    from common.process.local import LocalExecutor
    from common.process.target import process_target, run_job

    keys = dict(args.keys)
    parameters = dict(args.parameters)
    if args.dry_run:
        result = process_target(args.target, keys, parameters=parameters, dry_run=True)
        print(result.plan.text())
        plan = result.plan
        print(f"{plan.count('reuse')} up to date, {plan.count('make')} to make, "
              f"{plan.count('stop')} stopped")
        return 0
    executor = LocalExecutor(args.workers) if args.workers is not None else None
    job = Job.submit(args.target, keys, parameters)
    print(f"job {job.job_id}", file=sys.stderr)
    try:
        result = run_job(job, executor=executor,
                         progress=StepProgress(sys.stderr, "awe target", "nodes"))
    finally:
        if executor is not None:
            executor.shutdown(cancel=True)
    print(result.summary())
    return {"done": 0, "failed": 1}.get(result.state, 2)
