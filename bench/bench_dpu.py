"""DPU throughput: one night's calibration jobs (24 IFUs, MASTER_BIAS + MASTER_FLAT each).

In one run, on a simulated small-geometry night (``--bias`` BIAS and ``--flat`` FLAT,LAMP
frames), each on a fresh SQLite database and store with the raw files ingested first:

1. the reference: the recipes called directly (``make_master_bias`` then ``make_master_flat``
   per IFU, one process, in turn) — what the DPU adds nothing to;
2. a DPU daemon (``awe dpu serve``) on loopback with the local executor and 1 worker, then
   with 2 workers: 24 jobs ``MasterFlat(night, ifu)`` submitted through the client, timed from
   the first submit to the last job done;
3. the same DPU with the Dask executor on a 2-worker ``LocalCluster`` of processes.

Printed: each wall time, jobs per minute, the speed-up of 2 workers over 1, and the DPU's
overhead per job (1-worker DPU time minus the direct recipes, over the jobs).

Usage: python bench/bench_dpu.py [--ifus 24] [--bias 3] [--flat 3] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NIGHT = dt.date(2016, 3, 14)


def simulate(directory: Path, bias: int, flat: int) -> list[Path]:
    """The night's raw BIAS and FLAT files (small geometry)."""
    from muse.instrument import simulate_night

    night = simulate_night(NIGHT, directory, counts={"BIAS": bias, "FLAT": flat})
    return [*night.bias_files, *night.flat_files]


def direct(raws: list[Path], ifus: list[int], work: Path) -> float:
    """Seconds for the recipes called directly: bias then flat per IFU, one process."""
    from astropy.io import fits

    from muse.recipes.bias import make_master_bias
    from muse.recipes.flat import make_master_flat

    biases = [path for path in raws if fits.getval(path, "HIERARCH ESO DPR TYPE") == "BIAS"]
    flats = [path for path in raws if path not in biases]
    started = time.perf_counter()
    for ifu in ifus:
        out = work / f"direct-{ifu}"
        bias = make_master_bias(biases, {}, out, ifus=[ifu], processes=1)
        make_master_flat(flats, bias.ifus[ifu].files["MASTER_BIAS"], {}, out, ifus=[ifu],
                         processes=1)
    return time.perf_counter() - started


class Site:
    """A fresh database, store and token, with the night ingested."""

    def __init__(self, root: Path, raws: list[Path]) -> None:
        from common.config import Context
        from common.database import connect
        from common.persistent import session
        from dataserver.store import LocalStore
        from muse.datamodel.ingest import ingest_files

        root.mkdir(parents=True)
        self.root = root
        self.url = f"sqlite:///{root / 'awe.sqlite'}"
        self.token = secrets.token_hex(16)
        (root / "token").write_text(self.token, encoding="utf-8")
        self.database = connect(self.url, site=0)
        self.store = LocalStore(root / "store")
        self.context = Context(user="bench", project="bench")
        self.session = session
        with session(self.database, self.context, store=self.store):
            refused = [item.message for item in ingest_files(raws, commit_it=True)
                       if item.status == "refused"]
        if refused:
            raise RuntimeError(f"ingest refused: {refused}")

    def serve(self, *options: str) -> tuple[subprocess.Popen, int]:
        """Start a DPU daemon; return it and its port once it listens."""
        env = {**os.environ, "AWE_HOME": str(self.root), "AWE_DATABASE": self.url,
               "AWE_STORE_ROOT": str(self.root / "store"),
               "AWE_TOKEN_FILE": str(self.root / "token"), "PYTHONPATH": str(REPO)}
        process = subprocess.Popen([sys.executable, "-m", "awe.cli", "dpu", "serve", "--port",
                                    "0", "--name", "bench", *options], env=env, cwd=REPO,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("listening on "):
                return process, int(line.split()[2])
        raise RuntimeError(f"the DPU did not start (exit {process.wait()})")

    def run_jobs(self, port: int, ifus: list[int]) -> float:
        """Seconds from the first submit to the last of the jobs done."""
        from dpu.client import Processor

        with self.session(self.database, self.context, store=self.store):
            processor = Processor([f"PYRO:awe.dpu@127.0.0.1:{port}"], token=self.token)
            started = time.perf_counter()
            jobs = [processor.run("MasterFlat", night=NIGHT, ifu=ifu) for ifu in ifus]
            rows = [processor.wait(job, timeout=3600) for job in jobs]
            elapsed = time.perf_counter() - started
        failed = [row for row in rows if row["state"] != "done"]
        if failed:
            raise RuntimeError(f"jobs not done: {failed[0]}")
        return elapsed


def stop(process: subprocess.Popen) -> None:
    """Terminate a daemon and close its pipe."""
    process.terminate()
    process.wait(60)
    assert process.stdout is not None
    process.stdout.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ifus", type=int, default=24, help="IFUs (jobs) of the night")
    parser.add_argument("--bias", type=int, default=3, help="BIAS frames")
    parser.add_argument("--flat", type=int, default=3, help="FLAT,LAMP frames")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    ifus = list(range(1, args.ifus + 1))
    work = Path(tempfile.mkdtemp(prefix="bench-dpu-"))
    try:
        raws = simulate(work / "night", args.bias, args.flat)
        reference = direct(raws, ifus, work / "direct")
        figures: dict[str, float] = {}
        for label, options in (("local, 1 worker", ("--workers", "1")),
                               ("local, 2 workers", ("--workers", "2"))):
            site = Site(work / label.replace(", ", "-").replace(" ", ""), raws)
            process, port = site.serve(*options)
            try:
                figures[label] = site.run_jobs(port, ifus)
            finally:
                stop(process)
        from distributed import LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None) as cluster:
            site = Site(work / "dask", raws)
            process, port = site.serve("--executor", "dask", "--scheduler",
                                       cluster.scheduler_address, "--jobs", "2")
            try:
                figures["Dask, 2 workers"] = site.run_jobs(port, ifus)
            finally:
                stop(process)
        jobs = len(ifus)
        print(f"one night, {jobs} jobs MasterFlat(night, ifu) = MASTER_BIAS + MASTER_FLAT "
              f"+ TRACE_TABLE each, {args.bias} BIAS + {args.flat} FLAT frames, "
              f"{os.cpu_count()} cores")
        print(f"  recipes called directly (reference)   {reference:7.1f} s  "
              f"{jobs / reference * 60:6.1f} IFUs/min")
        for label, seconds in figures.items():
            print(f"  DPU {label:<34} {seconds:7.1f} s  {jobs / seconds * 60:6.1f} jobs/min")
        one, two = figures["local, 1 worker"], figures["local, 2 workers"]
        print(f"  speed-up of 2 local workers over 1: {one / two:.2f}x (ideal 2x on 2 free "
              "cores)")
        print(f"  DPU overhead per job (1 worker minus direct): "
              f"{(one - reference) / jobs * 1000:.0f} ms (reference: the recipes' "
              f"{reference / jobs * 1000:.0f} ms per IFU)")
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
