"""The ``serve`` and ``scrub`` commands of ``awe dataserver`` and ``python -m dataserver``."""

from __future__ import annotations

import argparse
import asyncio
import logging

from common.config import read_token
from dataserver.app import serve
from dataserver.peers import Peers
from dataserver.scrub import ScrubReport, open_server_store, scrub
from dataserver.settings import settings_from_args

__all__ = ["configure_logging", "run_release", "run_scrub", "run_serve"]


def configure_logging() -> None:
    """Log lines with time, source and level on stderr (stdout carries ``listening on``)."""
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")


def run_serve(args: argparse.Namespace) -> int:
    """Run a data server with the parsed ``serve`` options until SIGTERM or SIGINT."""
    configure_logging()
    asyncio.run(serve(settings_from_args(args)))
    return 0


async def _scrub(args: argparse.Namespace) -> ScrubReport:
    store = open_server_store(args.root)
    if not args.peer:
        return await scrub(store, None, names=args.name)
    token = read_token(args.peer_token, what="federation token") if args.peer_token else None
    async with Peers(tuple(args.peer), token=token, timeout=args.peer_timeout) as peers:
        return await scrub(store, peers, names=args.name)


def run_scrub(args: argparse.Namespace) -> int:
    """Re-hash the store's files, heal bad ones from the peers; exit 1 if any is lost."""
    configure_logging()
    report = asyncio.run(_scrub(args))
    for label, names in (("healed", report.healed),
                         ("checksum record repaired", report.sidecars_repaired),
                         ("deleted (peer tombstone)", report.tombstones_applied),
                         ("LOST (no peer has the recorded content)", report.lost)):
        for name in names:
            print(f"{label}: {name}")
    for url in report.peers_unreachable:
        print(f"peer unreachable: {url}")
    print(report.summary())
    return 1 if report.lost else 0


def run_release(args: argparse.Namespace) -> int:
    """Free quarantined names for other content (an operator's decision).

    A name that is not quarantined raises :class:`~common.errors.NotFound`.
    """
    store = open_server_store(args.root)
    for name in args.name:
        record = store.release(name)
        print(f"released: {record.describe()}")
    return 0
