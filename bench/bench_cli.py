"""Start-up time of the awe command, next to bare Python on the same machine in the same run.

Measures, each as the median of N (default 7) fresh processes:

1. ``python -c pass``: the interpreter alone (the floor);
2. ``awe --help``: every command module imported and every parser built (goal: no numpy,
   astropy, SQLAlchemy, so well under a second);
3. ``awe recipe bias --help``: the deepest help (recipe registry, parameter groups);
4. ``awe`` prompt start to its first input and exit (IPython, the namespace of the target
   package, the session on a fresh SQLite database), with stdin from a pipe.

Usage: python bench/bench_cli.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _median_seconds(argv: list[str], runs: int, env: dict[str, str], stdin: str = "") -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, input=stdin, env=env, capture_output=True, text=True, check=True,
                       timeout=300)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Print each figure next to the bare interpreter's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--runs", type=int, default=7, help="processes per figure (default 7)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as home:
        env = {**os.environ, "AWE_HOME": home,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                          os.environ.get("PYTHONPATH")]))}
        awe = [sys.executable, "-m", "awe.cli"]
        floor = _median_seconds([sys.executable, "-c", "pass"], args.runs, env)
        print(f"python -c pass           {floor:6.3f} s  (reference)")
        for label, argv, stdin in (("awe --help", [*awe, "--help"], ""),
                                   ("awe recipe bias --help", [*awe, "recipe", "bias", "--help"],
                                    ""),
                                   ("awe prompt start+exit", awe, "exit\n")):
            seconds = _median_seconds(argv, args.runs, env, stdin)
            print(f"{label:<24} {seconds:6.3f} s  ({seconds / floor:4.1f}x python -c pass)")


if __name__ == "__main__":
    main()
