"""Raw-QC monitoring: ``awe monitor --night D [--nights N] [--out DIR]``.

Prints the per-IFU raw QC of night D (IFU temperature INS.TEMP7, saturated pixels, bias median
level, from the raw BIAS chips), writes one PNG trend plot per quantity over the N nights
ending with D into DIR, and lists the values outside the data model's thresholds as alerts. Alerts
do not change the exit status.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from awe.progress import StepProgress
from common.files import write_bytes_atomically

HELP = "show a night's raw QC per IFU, plot its trend over N nights and list the alerts"


def _night(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a night YYYY-MM-DD, found {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--night``, ``--nights`` and ``--out``."""
    parser.add_argument("--night", type=_night, required=True, metavar="D",
                        help="the night to show (YYYY-MM-DD)")
    parser.add_argument("--nights", type=int, default=30, metavar="N",
                        help="trend over the N nights ending with D (default 30)")
    parser.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                        help="directory of the PNG plots (default: here)")


def run(args: argparse.Namespace) -> int:
    """Table of the night, PNG plots, alerts."""
    # The data model (SQLAlchemy, numpy) loads only when the command runs: `awe --help` imports
    # every command module.
    from muse.datamodel.monitor import raw_qc_trends

    trends = raw_qc_trends(args.night, args.nights,
                           progress=StepProgress(sys.stderr, "awe monitor", "quantities"))
    for trend in trends:
        quantity = trend.quantity
        print(f"{quantity.label} [{quantity.unit}] on {args.night}:")
        rows = trend.of_night(args.night)
        for value in rows:
            print(f"  IFU {value.ifu:02d}: mean {value.mean:g} min {value.minimum:g} "
                  f"max {value.maximum:g} ({value.chips} chips)")
        if not rows:
            print("  no raw BIAS chips")
    # lazy for start-up speed: matplotlib is imported only when plots are written
    from awe.trend_plot import trend_png

    args.out.mkdir(parents=True, exist_ok=True)
    for trend in trends:
        first, last = trend.nights[0], trend.nights[-1]
        png = trend_png(trend.quantity, trend.values,
                        [(alert.night, alert.value) for alert in trend.alerts], "alert",
                        f"{trend.quantity.label} of raw BIAS chips, nights {first} to {last}",
                        first, last, width=9)
        path = write_bytes_atomically(args.out / f"monitor-{trend.quantity.attribute}.png", png)
        print(f"plot {path}")
    alerts = [alert for trend in trends for alert in trend.alerts]
    for alert in alerts:
        print(f"ALERT {alert.describe()}")
    print(f"{len(alerts)} alert(s)")
    return 0
