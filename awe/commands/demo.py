"""Tell the whole MUSE-WISE story on a small simulated night, with no configuration needed.

In a fresh directory ``./awe-demo-<time>/`` (or ``--dir D``) with its own SQLite database,
store and in-process DPU: simulate a night, ingest it (its calibrations are processed as soon
as the night is complete), ask for the DATACUBE of the science exposure (plan, lineage, QC),
invalidate one raw BIAS chip of IFU 5 and see only its branch remade, see a QC-failed MASTER
BIAS of IFU 7 stop its branch and not be remade for nothing, run an optimised scipost next to
the reference and compare the two cubes, and write the white-light image. ``--federated`` does
the same with two data servers and a DPU daemon as real processes on loopback ports (the
raw data on one, the products on the other, read through the peers). What
happened at each step (made, reused, stopped, with object ids) is left in ``summary.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from common.errors import ConfigError

HELP = "tell the whole story on a simulated night: ingest, target processing, QC, lineage"
LISTEN_TIMEOUT = 60.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--dir D`` and ``--federated``."""
    parser.add_argument("--dir", type=Path, metavar="D",
                        help="directory for the demo's database, store and files, new or "
                             "without a demo in it (default: a new ./awe-demo-<time>/)")
    parser.add_argument("--federated", action="store_true",
                        help="two data servers and a DPU daemon as processes on loopback")


@contextmanager
def _server(argv: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[int]:
    """Start ``argv``, wait for its ``listening on PORT`` line, stop it on exit; yield PORT."""
    with open(log, "ab") as errors:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors, text=True,
                                   env=env)
    try:
        deadline = time.monotonic() + LISTEN_TIMEOUT
        port = None
        assert process.stdout is not None
        while port is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith("listening on "):
                port = int(line.split()[-1])
        if port is None:
            raise ConfigError(f"{' '.join(argv[:4])}…: did not start listening within "
                              f"{LISTEN_TIMEOUT:g} s; see {log}")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _federation(stack: ExitStack, home: Path) -> None:
    """Two peered data servers and a DPU daemon on loopback; the environment points at them."""
    import socket

    from dataserver.tokens import issue_token

    servers = home / "servers"
    servers.mkdir(parents=True, exist_ok=True)
    users, token = servers / "users", home / "store-token"
    if not token.exists():
        issue_token(token, user=os.environ.get("USER") or "demo", users_file=users)
    peer_token = servers / "peer-token"
    if not peer_token.exists():
        peer_token.write_text(os.urandom(24).hex() + "\n")
    dpu_token = home / "dpu-token"
    if not dpu_token.exists():
        dpu_token.write_text(os.urandom(24).hex() + "\n")
        dpu_token.chmod(0o600)
    ports = []
    for _ in range(2):  # ports chosen first: each server names the other as its peer
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    for index, port in enumerate(ports):
        stack.enter_context(_server(
            [sys.executable, "-m", "dataserver", "--root", str(servers / f"store{index + 1}"),
             "--port", str(port), "--tokens", str(users), "--peer", urls[1 - index],
             "--peer-token", str(peer_token)], servers / f"dataserver{index + 1}.log"))
    os.environ["AWE_STORE_TOKEN_FILE"] = str(token)
    os.environ["AWE_TOKEN_FILE"] = str(dpu_token)
    # two nodes: the DPU's node stores on the first server, the user's on the second; each
    # reads the other's files through its own server's peer
    port = stack.enter_context(_server(
        [sys.executable, "-m", "awe", "dpu", "serve", "--port", "0", "--name", "demo",
         "--token-file", str(dpu_token), "--workers", str(os.cpu_count() or 1)],
        servers / "dpu.log", env={**os.environ, "AWE_DATASERVERS": ",".join(urls)}))
    os.environ["AWE_DATASERVERS"] = ",".join(reversed(urls))
    os.environ["AWE_DPU"] = f"PYRO:awe.dpu@127.0.0.1:{port}"
    print(f"   data servers {', '.join(urls)} (raw data on the second, products on the "
          f"first); DPU {os.environ['AWE_DPU']} (logs in {servers})")


def _fresh_environment(home: Path) -> None:
    """The demo runs on the embedded defaults under ``home``, whatever the caller configured."""
    for name in [name for name in os.environ if name.startswith("AWE_")]:
        del os.environ[name]
    os.environ["AWE_HOME"] = str(home)


def run(args: argparse.Namespace) -> int:
    """Run the story, print it, and write ``summary.json`` into the demo's directory."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    home = (args.dir or Path.cwd() / f"awe-demo-{stamp}").expanduser().resolve()
    if (home / "awe.sqlite").exists():
        raise ConfigError(f"awe demo --dir {home}: it already holds a demo's database; the "
                          "story starts from an empty directory, choose a new one")
    home.mkdir(parents=True, exist_ok=True)
    _fresh_environment(home)
    print(f"MUSE-WISE demo in {home}"
          + (" (federated: data servers and a DPU daemon)" if args.federated else
             " (SQLite, local store, in-process DPU)"))
    with ExitStack() as stack:
        if args.federated:
            _federation(stack, home)
        # lazy for start-up speed: the story imports the data model, recipes and plotting
        from awe.demo_story import tell_story
        from dpu.client import Processor

        summary = tell_story(home, Processor())
    summary["federated"] = args.federated
    from common.files import write_bytes_atomically

    path = home / "summary.json"
    write_bytes_atomically(path, (json.dumps(summary, indent=2, default=str) + "\n").encode())
    print(f"\nDone in {summary['seconds']:.0f} s. Everything is in {home}:")
    print(f"   database and store   {home}/awe.sqlite, {home}/store"
          if not args.federated else f"   database {home}/awe.sqlite; store on the data servers")
    print(f"   raw files            {home}/raw")
    print(f"   white-light image    {summary['white_light_png']}")
    print(f"   summary              {path}")
    cube = summary["reference_cube"]
    print(f"Look around: AWE_HOME={home} awe   (then print(DataCube.get({cube:#x}).lineage()))")
    return 0
