"""Show what MUSE-WISE does on the embedded defaults, step by step.

1. The effective configuration.
2. A simulated night (small test geometry): 5 BIAS and 5 FLAT,LAMP raw files in the real
   MUSE layout, with the truth they were drawn from.
3. The raw files stored in the configured file store under their ARCFILE names (sha256
   recorded), and one IFU read back by byte range, as a DPU reads one CHANnn.
4. MASTER_BIAS and MASTER_FLAT + TRACE_TABLE for all 24 IFUs from the stored raw files,
   their QC next to the simulator's truth, and the products stored.

Running it again re-uses what the store already holds (stored files are immutable).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path
from statistics import median

from awe.progress import StepProgress
from common.config import load_config
from common.errors import IntegrityError
from dataserver.factory import open_store
from dataserver.store import DataStore, sha256_of

HELP = "run the demonstration: simulate a night, store it, make its master calibrations"
NIGHT = date(2016, 3, 14)
SHOWN_IFU = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--dir D`` runs the demo with ``D`` as its home instead of ``~/.awe``."""
    parser.add_argument("--dir", type=Path, metavar="D",
                        help="home directory for the demo's database and store (AWE_HOME)")


def _store_products(store: DataStore, files: tuple[Path, ...]) -> list[str]:
    """Store product files under content-derived names (no database ids before the data model).

    Returns the names.
    """
    names = []
    for path in files:
        name = f"{path.stem}.{sha256_of(path)[:16]}{path.suffix}"
        store.put(path, name)
        names.append(name)
    return names


def run(args: argparse.Namespace) -> int:
    """Run the four steps and print what each one did."""
    # The simulator and the recipes (numpy, astropy, Cython) load only when the demo runs.
    from muse.instrument import NightTruth, simulate_night
    from muse.recipes.bias import make_master_bias
    from muse.recipes.flat import make_master_flat
    from muse.recipes.frames import RawFile

    if args.dir is not None:
        os.environ["AWE_HOME"] = str(args.dir.expanduser().resolve())
    config = load_config()
    print("1. Configuration (awe config)")
    for key, value, source in config.describe():
        print(f"   {key:17} {value or '(empty)':50} {source}")

    raw_dir = config.home / "demo" / f"night-{NIGHT.isoformat()}"
    print(f"\n2. Simulating night {NIGHT} (small geometry) into {raw_dir}")
    # Today's story processes calibrations only: no arcs or science frames to simulate.
    night = simulate_night(NIGHT, raw_dir, counts={"BIAS": 5, "FLAT": 5},
                           progress=StepProgress(sys.stderr, "simulate", "extensions"))
    truth = NightTruth.load(raw_dir, NIGHT)
    print(f"   {len(night.bias_files)} BIAS and {len(night.flat_files)} FLAT,LAMP files, "
          f"truth in {night.truth_directory}")

    store = open_store(config)
    print(f"\n3. Storing the raw files in {store!r}")
    for path in night.bias_files + night.flat_files:
        checksum = store.put(path, path.name)
        print(f"   {path.name}  sha256 {checksum[:16]}…")
    first = night.bias_files[0]
    location = RawFile(first).location(SHOWN_IFU)
    chunk = store.read_range(first.name, location.data_offset, 2880)
    with open(first, "rb") as local:
        local.seek(location.data_offset)
        if chunk != local.read(2880):
            raise IntegrityError(f"{first.name}: byte range of CHAN{SHOWN_IFU:02d} differs")
    print(f"   read CHAN{SHOWN_IFU:02d} of {first.name} by byte range at offset "
          f"{location.data_offset}: matches the file")

    with tempfile.TemporaryDirectory(prefix="awe-demo-") as scratch:
        work = Path(scratch)
        retrieved = {path.name: store.get(path.name, work / path.name)
                     for path in night.bias_files + night.flat_files}
        print("\n4. MASTER_BIAS for 24 IFUs from the stored BIAS frames")
        bias = make_master_bias([retrieved[p.name] for p in night.bias_files], {},
                                work / "bias",
                                progress=StepProgress(sys.stderr, "muse_bias", "IFUs"))
        qc = bias.qc[SHOWN_IFU]
        frames = [truth.frame(path.name) for path in night.bias_files]
        for port, model in enumerate(truth.ifu(SHOWN_IFU).ports, start=1):
            offset = sum(f.port_offsets[SHOWN_IFU - 1][port - 1] for f in frames) / len(frames)
            level = model.overscan_level + model.data_offset + offset
            print(f"   IFU {SHOWN_IFU} port {port}: RON {qc[f'BIAS MASTER{port} RON']:.3f} e- "
                  f"(truth {model.ron:.3f}), raw level {qc[f'BIAS LEVEL{port} MEAN']:.2f} adu "
                  f"(truth {level:.2f})")
        masters = [path for path in bias.files
                   if path.name.startswith("MASTER_BIAS-") and path.suffix == ".fits"]
        print("   MASTER_FLAT + TRACE_TABLE for 24 IFUs")
        flat = make_master_flat([retrieved[p.name] for p in night.flat_files], masters, {},
                                work / "flat",
                                progress=StepProgress(sys.stderr, "muse_flat", "IFUs"))
        flat_qc = flat.qc[SHOWN_IFU]
        widths = [key for key in flat_qc if key.startswith("TRACE WIDTHS MEDIAN")]
        if widths:
            middle = truth.geometry.detector.trimmed_ny / 2
            true_width = median(s.width(middle) for s in truth.ifu(SHOWN_IFU).slices)
            print(f"   IFU {SHOWN_IFU}: median slice width {flat_qc[widths[0]]:.2f} px "
                  f"(truth {true_width:.2f})")
        names = _store_products(store, bias.files + flat.files)
        print(f"   stored {len(names)} product files, e.g. {names[0]}")
    print("\nDone. The next releases record all of this in the database, with its lineage.")
    return 0
