"""Run and look after a data server: serve, scrub, release, gc, token.

  awe dataserver serve --root DIR [--port P] [--peer URL…] [--tokens F] [--service-token F]
                       [--peer-token F] [--public-read] [--cert F --key F] [--space-limit B]
  awe dataserver scrub --root DIR [--peer URL… --peer-token F]   re-hash, quarantine, heal
  awe dataserver release --root DIR NAME…    free quarantined names for other content
  awe dataserver gc [--server URL] [--older-than 1d] [--delete]  files no database row names
  awe dataserver token --out FILE (--user NAME --tokens F | --service F)   make a token

``python -m dataserver`` is ``awe dataserver serve``. ``gc`` lists the server's files first,
then asks the database for every ``filename`` (and job ``log_file``) of every ``awe_*`` table,
and prints (with ``--delete``: deletes on that server only) the files no row names.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from awe.commands._arguments import age
from common.config import load_config, read_token
from common.errors import ConfigError, DatabaseError, PermissionDenied
from dataserver.settings import (
    add_release_arguments,
    add_scrub_arguments,
    add_serve_arguments,
    peer_url,
)
from dataserver.tokens import issue_token

# The server (aiohttp) and the database layer are imported where used: `awe` imports every
# command module to build its parser, and most invocations need neither.

HELP = ("run a data server (serve), check its files (scrub), free quarantined names (release), "
        "collect orphans (gc), make tokens")

GC_BATCH = 1000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One sub-command per task: ``serve``, ``scrub``, ``release``, ``gc``, ``token``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_serve_arguments(sub.add_parser("serve", help="run a data server (python -m dataserver)"))
    add_scrub_arguments(sub.add_parser(
        "scrub", help="re-hash every file; quarantine and re-fetch bad ones from the peers"))
    add_release_arguments(sub.add_parser(
        "release", help="free quarantined names so other content may be stored under them"))
    gc = sub.add_parser("gc", help="list (and with --delete remove) files no database row "
                                   "references")
    gc.add_argument("--server", type=peer_url, metavar="URL",
                    help="the data server to clean (default: the first of 'dataservers')")
    gc.add_argument("--token-file", type=Path, metavar="FILE",
                    help="file with the site service token (default: 'store_token_file')")
    gc.add_argument("--database", metavar="URL",
                    help="database whose rows reference files (default: 'database')")
    gc.add_argument("--older-than", type=age, default=86400.0, metavar="AGE",
                    help="only files stored at least this long ago (default 1d; 12h, 30m…)")
    gc.add_argument("--delete", action="store_true",
                    help="delete the unreferenced files (default: only list them)")
    token = sub.add_parser("token", help="make a random token: a user's or the service's")
    token.add_argument("--out", type=Path, required=True, metavar="FILE",
                       help="file to write the new token to (mode 0600; must not exist)")
    token.add_argument("--user", metavar="NAME", help="the user the token is for")
    token.add_argument("--tokens", type=Path, metavar="FILE",
                       help="users file to append 'NAME SHA256' to (with --user)")
    token.add_argument("--service", type=Path, metavar="FILE",
                       help="service-token file to write the token's sha256 to")


def run(args: argparse.Namespace) -> int:
    """Dispatch to the chosen action."""
    if args.action in ("serve", "scrub", "release"):
        from dataserver.cli import run_release, run_scrub, run_serve

        return {"serve": run_serve, "scrub": run_scrub, "release": run_release}[args.action](args)
    if args.action == "gc":
        return _run_gc(args)
    return _run_token(args)


def _run_token(args: argparse.Namespace) -> int:
    digest = issue_token(args.out, user=args.user, users_file=args.tokens,
                         service_file=args.service)
    target = f"user {args.user} in {args.tokens}" if args.user else f"service in {args.service}"
    print(f"token written to {args.out}; its sha256 {digest} recorded for {target}")
    return 0


# -- gc ---------------------------------------------------------------------------------------


FILE_COLUMNS = ("filename", "log_file")
"""Columns that name stored files: objects' files, and the job logs of ``awe_job``."""


def referenced_names(url: str) -> set[str]:
    """Every non-null ``filename`` or ``log_file`` in every ``awe_*`` table at ``url``.

    The database is opened as it is (no schema evolution, nothing created) and its tables are
    found by reflection, so this works on any backend and any data model. A database without
    such a table is refused: every file would look unreferenced. So is a role that does not see
    every row (row-level security would hide the rows of other users' files): gc runs as a
    superuser or a member of ``awe_owner``.
    """
    from sqlalchemy import column, inspect, select, table
    from sqlalchemy.exc import SQLAlchemyError

    from common.config import load_config
    from common.database import connect
    from common.database.roles import RoleNames

    database = connect(url, evolve=False)
    try:
        owner = RoleNames(load_config().role_prefix).owner
        with database.read() as connection:
            if not database.backend.sees_every_row(connection, owner):
                raise PermissionDenied(
                    f"gc: {database.url} is read by a role that does not see every row, so "
                    "the files of rows hidden from it would be taken for orphans; run gc as a "
                    f"superuser or a member of {owner}")
        columns = inspect(database.engine).get_multi_columns()
        tables = sorted(name for (_, name), found in columns.items()
                        if name.lower().startswith("awe_")
                        and any(item["name"].lower() == "filename" for item in found))
        if not tables:
            raise DatabaseError(
                f"{database.url}: no awe_* table has a filename column, so every file would "
                "look unreferenced; is this the site's database?")
        named = sorted((name, item["name"]) for (_, name), found in columns.items()
                       if name.lower().startswith("awe_") for item in found
                       if item["name"].lower() in FILE_COLUMNS)
        names: set[str] = set()
        with database.read() as connection:
            for name, column_name in named:
                filename = column(column_name)
                query = select(filename).select_from(table(name, filename)).where(
                    filename.is_not(None)).distinct()
                names.update(connection.execute(query).scalars())
        return names
    except SQLAlchemyError as exc:
        raise DatabaseError(f"{database.url}: cannot read the file names "
                            f"({exc.__class__.__name__}: {exc})") from exc
    finally:
        database.dispose()


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _run_gc(args: argparse.Namespace) -> int:
    # imported here for start-up speed: the HTTP client stack is slow to load for `awe --help`
    from dataserver.client import HttpStore

    config = load_config()
    server = args.server or (config.dataservers[0] if config.dataservers else None)
    if server is None:
        raise ConfigError("gc: no data server: give --server URL or set dataservers")
    token_file = args.token_file or config.store_token_file
    store = HttpStore([server], token=read_token(token_file, what="service token"))
    listed = list(store.list_files(args.older_than))
    referenced = referenced_names(args.database or config.database)
    orphans = sorted((entry for entry in listed if entry.name not in referenced),
                     key=lambda entry: entry.name)
    for entry in orphans:
        stamp = datetime.fromtimestamp(entry.stored, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        print(f"unreferenced {entry.name} {entry.size} bytes stored {stamp}")
    total = sum(entry.size for entry in orphans)
    print(f"{len(orphans)} of {len(listed)} files stored more than {args.older_than:g} s ago on "
          f"{server} are referenced by no row ({total / 2**30:.2f} GiB)")
    if not args.delete or not orphans:
        return 0
    deleted = 0
    started = last = time.monotonic()
    for batch in _batches([entry.name for entry in orphans], GC_BATCH):
        result = store.collect(batch, args.older_than)
        deleted += len(result["deleted"])  # type: ignore[arg-type]
        for name, reason in result["kept"].items():  # type: ignore[union-attr]
            print(f"kept {name}: {reason}")
        if time.monotonic() - last >= 10:
            last = time.monotonic()
            print(f"gc: {deleted} of {len(orphans)} deleted", flush=True)
    print(f"deleted {deleted} files in {time.monotonic() - started:.1f} s")
    return 0
