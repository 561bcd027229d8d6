"""Portal speed: a night page with 24 IFUs from a cold cache, a trend over 365 nights.

Goals (issue 19): the night page in < 300 ms, a 365-night trend in < 1 s, measured over HTTP
against ``awe portal serve`` next to the floor of the same run: a small static file served by
``python -m dataserver``. The database (SQLite) holds raw BIAS chips for every IFU of 365
nights (5 a night, committed through the persistence layer with simulated QC values) and, for
the last night, the 4 calibrations × 24 IFUs with small stored FITS files.

    python bench/bench_portal.py [--nights 365] [--chips 5] [--repeat 5] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from astropy.io import fits

from common.config import Context
from common.database import connect
from common.persistent import commit, session
from dataserver.store import LocalStore
from dataserver.tokens import issue_token
from muse.datamodel import MasterBias, MasterFlat, RawBiasChip, TraceTable, WavecalTable

LAST = dt.date(2016, 3, 14)


def _populate(url: str, store: LocalStore, nights: int, chips: int, work: Path) -> None:
    database = connect(url, site=0)
    rng = random.Random(1)
    try:
        with session(database, Context(user="alice", project="p1", privileges=2, site=0),
                     store=store):
            for day in range(nights):
                night = LAST - dt.timedelta(days=nights - 1 - day)
                start = dt.datetime.combine(night, dt.time(21, 0))
                commit(*[RawBiasChip(night=night, ifu=ifu, extname=f"CHAN{ifu:02d}",
                                     DATE_OBS=start + dt.timedelta(minutes=n),
                                     hdu_offset=2880, hdu_size=2880, is_valid=1,
                                     quality_flags=0, INS_TEMP7_VAL=rng.gauss(12, 2),
                                     saturated_pixels=rng.randint(0, 50),
                                     median_level=rng.gauss(1000, 5))
                         for ifu in range(1, 25) for n in range(chips)])
            products = []
            for cls in (MasterBias, MasterFlat, TraceTable, WavecalTable):
                for ifu in range(1, 25):
                    path = work / f"{cls.__name__}-{ifu}.fits"
                    header = fits.Header({"HIERARCH ESO PRO CATG": cls.product_category})
                    fits.PrimaryHDU(header=header).writeto(path, overwrite=True)
                    start = dt.datetime.combine(LAST, dt.time(12))
                    product = cls(night=LAST, ifu=ifu, DATE_OBS=start, is_valid=1,
                                  timestamp_start=start, timestamp_end=start + dt.timedelta(1),
                                  quality_flags=0)
                    if cls is MasterBias:
                        product.QC_BIAS_MASTER1_RON = rng.gauss(2.8, 0.2)
                    product.store(path)
                    products.append(product)
            commit(*products)
    finally:
        database.dispose()


def _server(argv: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen, int]:
    import os

    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, env={**os.environ, **(env or {})})
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("listening on "):
            port = int(line.split()[2])
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return process, port
    raise RuntimeError(f"{argv[:4]}: exited before listening")


def _get(port: int, path: str, cookie: str = "") -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    if answer.status != 200:
        raise RuntimeError(f"GET {path}: {answer.status} {body[:200]!r}")
    return time.perf_counter() - started


def _median(port: int, path: str, repeat: int, cookie: str = "") -> float:
    return statistics.median(_get(port, path, cookie) for _ in range(repeat))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--chips", type=int, default=5, help="raw BIAS chips per IFU a night")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database and store")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    processes = []
    try:
        url = f"sqlite:///{work / 'portal.sqlite'}"
        store = LocalStore(work / "store")
        started = time.perf_counter()
        _populate(url, store, args.nights, args.chips, work)
        print(f"populated {args.nights} nights × 24 IFUs × {args.chips} raw BIAS chips and "
              f"96 calibrations in {time.perf_counter() - started:.1f} s")
        issue_token(work / "alice.token", user="alice", users_file=work / "users")
        token = (work / "alice.token").read_text().strip()
        portal, port = _server([sys.executable, "-m", "awe.cli", "portal", "serve", "--port",
                                "0", "--tokens", str(work / "users"), "--cache",
                                str(work / "cache")],
                               {"AWE_DATABASE": url, "AWE_STORE_ROOT": str(work / "store")})
        processes.append(portal)
        data, data_port = _server([sys.executable, "-m", "dataserver", "--root",
                                   str(work / "store"), "--port", "0", "--public-read"])
        processes.append(data)
        connection = http.client.HTTPConnection("127.0.0.1", port)
        connection.request("POST", "/login", body=urllib.parse.urlencode({"token": token}),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        answer = connection.getresponse()
        answer.read()
        cookie = answer.getheader("Set-Cookie").split(";", 1)[0]
        connection.close()
        name = next(iter(sorted(p.name for p in (work / "store" / "files").rglob("*.fits"))))
        floor = _median(data_port, f"/files/{name}", args.repeat)
        cold = _get(port, f"/night/{LAST}", cookie)
        warm = _median(port, f"/night/{LAST}", args.repeat, cookie)
        trend_path = f"/trends/temp7.json?last={LAST}&nights={args.nights}"
        trend_cold = _get(port, trend_path, cookie)
        trend = _median(port, trend_path, args.repeat, cookie)
        png_path = f"/trends/temp7.png?last={LAST}&nights={args.nights}"
        png_first = _get(port, png_path, cookie)
        png = _median(port, png_path, args.repeat, cookie)
        overview = _median(port, f"/nights?last={LAST}&nights={args.nights}", args.repeat,
                           cookie)
        print(f"floor: static file from the data server      {floor * 1000:8.1f} ms")
        print(f"night page, 24 IFUs × 4 classes, first       {cold * 1000:8.1f} ms "
              "(goal < 300 ms)")
        print(f"night page, median of {args.repeat}                   {warm * 1000:8.1f} ms "
              "(goal < 300 ms)")
        print(f"trend JSON over {args.nights} nights, first           {trend_cold * 1000:8.1f} ms"
              " (goal < 1000 ms)")
        print(f"trend JSON over {args.nights} nights, median          {trend * 1000:8.1f} ms "
              "(goal < 1000 ms)")
        print(f"trend PNG over {args.nights} nights, first            {png_first * 1000:8.1f} ms")
        print(f"trend PNG over {args.nights} nights, median           {png * 1000:8.1f} ms")
        print(f"nights overview, {args.nights} nights, median         {overview * 1000:8.1f} ms")
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
            if process.stdout is not None:
                process.stdout.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
