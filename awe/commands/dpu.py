"""Run a DPU daemon, and submit and follow its jobs.

  awe dpu serve [--host H] [--port P] [--token-file F] [--workers N] [--name NAME]
                [--executor local|dask --scheduler ADDR] [--cert C --key K]
  awe dpu run TARGET KEY=VALUE… [--parameters CLASS=ID…] [--wait]
  awe dpu status JOB | wait JOB | logs JOB | cancel JOB | jobs     [--dpu NAME]

``serve`` prints ``listening on PORT`` once it accepts calls; its URI ``PYRO:awe.dpu@H:P`` is
what the ``dpu`` setting (``AWE_DPU``) lists, and clients read the shared token from
``token_file`` (``AWE_TOKEN_FILE``). The other actions go to the first DPU of ``AWE_DPU`` (or
the one ``--dpu NAME`` selects); with none configured an in-process DPU runs the job.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from pathlib import Path
from typing import Any

from awe.commands._arguments import positive_int
from common.config import load_config, read_token
from common.errors import ConfigError

# Pyro5, the database layer and the executors are imported inside the actions: `awe` imports
# every command module to build its parser.

HELP = "run a DPU daemon (serve); submit targets and follow their jobs"
DEFAULT_PORT = 7571


def _key_value(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, found {text!r}")
    return name, value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One sub-command per action."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    serve = sub.add_parser("serve", help="run a DPU daemon (Pyro5) on this node")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help=f"port (default {DEFAULT_PORT}; 0: any free port)")
    serve.add_argument("--token-file", type=Path, metavar="FILE",
                       help="file with the handshake token (default: 'token_file')")
    serve.add_argument("--workers", type=positive_int, default=None,
                       help="worker processes per job (default: 'workers', else the cores)")
    serve.add_argument("--jobs", type=positive_int, default=None,
                       help="jobs run at once (default: the workers)")
    serve.add_argument("--name", default=None,
                       help="the DPU's name for select() (default: the host name)")
    serve.add_argument("--executor", choices=("local", "dask"), default="local",
                       help="local worker processes, or a Dask cluster (default local)")
    serve.add_argument("--scheduler", metavar="ADDR",
                       help="Dask scheduler address tcp://host:port (with --executor dask)")
    serve.add_argument("--cert", type=Path, help="TLS certificate (PEM), with --key")
    serve.add_argument("--key", type=Path, help="TLS private key (PEM), with --cert")
    serve.add_argument("--log-dir", type=Path, default=None,
                       help="where running jobs' logs are written (default: HOME/dpu-logs)")
    run = sub.add_parser("run", help="submit TARGET for KEY=VALUE keys; print the job id")
    run.add_argument("target", help="class of the product to make (MasterFlat…)")
    run.add_argument("keys", nargs="*", type=_key_value, metavar="KEY=VALUE")
    run.add_argument("--parameters", nargs="*", type=_key_value, default=[],
                     metavar="CLASS=ID", help="parameter-set ids per parameter class")
    run.add_argument("--wait", action="store_true", help="wait for the job and show progress")
    for name, text in (("status", "show a job's row"), ("wait", "wait for a job to end"),
                       ("logs", "print a job's log"), ("cancel", "cancel a job")):
        action = sub.add_parser(name, help=text)
        action.add_argument("job", type=int, help="job id")
    sub.add_parser("jobs", help="list the DPU's jobs")
    for action in sub.choices.values():
        if action.prog.split()[-1] != "serve":
            action.add_argument("--dpu", metavar="NAME", help="the DPU of AWE_DPU to use")


def run(args: argparse.Namespace) -> int:
    """Dispatch to the chosen action."""
    if args.action == "serve":
        return _serve(args)
    from dpu.client import Processor

    processor = Processor()
    if args.dpu:
        processor = processor.select(args.dpu)
    if args.action == "run":
        parameters = {name: int(value) for name, value in args.parameters} or None
        job_id = processor.run(args.target, parameters=parameters, **dict(args.keys))
        print(job_id)
        if args.wait:
            return _show_final(_wait(processor, job_id))
        return 0
    if args.action == "status":
        print(json.dumps(processor.status(args.job), indent=2))
    elif args.action == "wait":
        return _show_final(_wait(processor, args.job))
    elif args.action == "logs":
        print(processor.logs(args.job), end="")
    elif args.action == "cancel":
        print(f"job {args.job}: {processor.cancel(args.job)['state']}")
    else:
        for row in processor.jobs():
            print(f"{row['job_id']:>8} {row['state']:<9} {row['creator']:<12} {row['target']} "
                  f"{json.dumps(row['keys'])}")
    return 0


def _wait(processor: Any, job_id: int) -> dict[str, Any]:
    from awe.progress import StepProgress

    return processor.wait(job_id, progress=StepProgress(sys.stderr, f"job {job_id}", "nodes"))


def _show_final(row: dict[str, Any]) -> int:
    print(f"job {row['job_id']} {row['state']}" + (f": {row['error']}" if row["error"] else ""))
    return 0 if row["state"] == "done" else 1


def _serve(args: argparse.Namespace) -> int:
    # Imported here: Pyro5, the database and the executors are needed only by the daemon.
    from common.config import Context
    from common.database import connect
    from common.process.local import default_workers
    from dataserver.factory import open_store
    from dpu.daemon import serve
    from dpu.executors import executor_factory
    from dpu.scheduler import Scheduler

    config = load_config()
    token = read_token(args.token_file or config.token_file, what="DPU handshake")
    if args.executor == "dask" and not args.scheduler:
        raise ConfigError("awe dpu serve --executor dask: expected --scheduler tcp://HOST:PORT")
    name = args.name or socket.gethostname()
    workers = args.workers or default_workers()
    factory = executor_factory(args.executor, workers=workers, scheduler=args.scheduler)
    database = connect(config.database, site=config.site, target=config.target)
    context = Context(user=database.current_user or config.user, project=config.project,
                      privileges=config.privileges, site=database.site)
    scheduler = Scheduler(database, name=name, executor_factory=factory,
                          log_dir=args.log_dir or config.home / "dpu-logs",
                          concurrency=args.jobs or workers, context=context,
                          store=open_store(config))
    info = {"name": name, "host": socket.gethostname(), "executor": args.executor,
            "workers": workers, "scheduler": args.scheduler}
    return serve(scheduler, host=args.host, port=args.port, token=token, info=info,
                 cert=args.cert, key=args.key)
