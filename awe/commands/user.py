"""Users: ``awe user create NAME``, ``awe user list``.

``create`` (run by an administrator: a PostgreSQL superuser, after ``awe db init``) adds the
user to ``awe_user`` and, on PostgreSQL, makes the login role ``<AWE_ROLE_PREFIX>NAME`` (a
member of ``awe_user``, granted to ``awe_service``). It also makes the user's data-server write
token: printed, written to ``--token-file`` (default ``$AWE_HOME/tokens/NAME``, mode 0600) and,
when ``store_users_file`` is configured, added to that data-server users file (the server
re-reads it). Without a data server nothing more is needed: the token waits until one exists.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "create and list users (login role and data-server token)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``create NAME [--token-file FILE]`` and ``list``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a user, its login role and its token")
    create.add_argument("name", metavar="NAME", help="user name: a-z, 0-9, _ (letter first)")
    create.add_argument("--token-file", type=Path, metavar="FILE",
                        help="where the user's data-server token goes (default "
                             "$AWE_HOME/tokens/NAME)")
    sub.add_parser("list", help="list the users")


def _write_token(name: str, out: Path, users_file: Path | None) -> str:
    """Make the token, write it (0600) and add its hash to ``users_file``; return the token."""
    # lazy for start-up speed: `awe --help` imports every command module
    from common.config import read_token
    from dataserver.tokens import issue_token, write_new_token

    out.parent.mkdir(parents=True, exist_ok=True)
    if users_file is None:
        return write_new_token(out)
    issue_token(out, user=name, users_file=users_file)
    return read_token(out, what=f"user {name}")


def run(args: argparse.Namespace) -> int:
    """Create or list users in the configured database."""
    # lazy for start-up speed: `awe --help` imports every command module
    from common.config import load_config
    from common.database.accounts import create_user
    from common.errors import ConfigError
    from common.persistent.projects import users
    from common.persistent.session import current_session

    config = load_config()
    if args.action == "list":
        for user in users():
            print(f"{user.name:30} created {user.created:%Y-%m-%d %H:%M}")
        return 0
    out = args.token_file or config.home / "tokens" / args.name
    if out.exists():
        raise ConfigError(f"token file {out} exists; remove it first or give --token-file")
    database = current_session().database
    role = create_user(database, args.name)
    token = _write_token(args.name, out, config.store_users_file)
    roles = f"login role {role}" if database.backend.row_security else "no login role (" \
        f"{database.dialect} has no roles)"
    print(f"user {args.name}: {roles}")
    print(f"data-server token: {token}")
    print(f"  written to {out}" + (f"; its hash added to {config.store_users_file}"
                                   if config.store_users_file else
                                   "; set store_users_file to add it to a data server"))
    return 0
