"""The QA portal: ``awe portal serve [--host H] [--port P] [--cert C --key K] --tokens FILE``.

Serves the nights, products, trends, alerts and audited overrides of the configured database
and store in the browser; users sign in with their data-server token (the users file of
``awe dataserver serve --tokens``). Prints ``listening on PORT`` once it accepts.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common.errors import ConfigError

HELP = "serve the QA portal (nights, products, trends, alerts, overrides) over HTTP(S)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One action, ``serve``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    serve = sub.add_parser("serve", help="run the portal until SIGTERM or SIGINT")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8470,
                       help="port to bind (0: a free port; printed as 'listening on PORT')")
    serve.add_argument("--cert", type=Path, metavar="FILE", help="TLS certificate (PEM)")
    serve.add_argument("--key", type=Path, metavar="FILE", help="TLS private key (PEM)")
    serve.add_argument("--tokens", type=Path, required=True, metavar="FILE",
                       help="users file of 'USER SHA256' lines (the data server's --tokens)")
    serve.add_argument("--database", metavar="URL", help="database (default: 'database')")
    serve.add_argument("--cache", type=Path, metavar="DIR",
                       help="cache of retrieved files, headers and previews "
                            "(default: AWE_HOME/portal-cache)")


def run(args: argparse.Namespace) -> int:
    """Serve until a signal."""
    if (args.cert is None) != (args.key is None):
        args._parser.error("--cert and --key go together")
    for option, path in (("--cert", args.cert), ("--key", args.key),
                         ("--tokens", args.tokens)):
        if path is not None and not path.is_file():
            raise ConfigError(f"awe portal serve {option} {path}: no such file")
    # lazy for start-up speed: aiohttp, Jinja2, SQLAlchemy and the data model load here
    import asyncio
    import logging

    from awe.portal.app import PortalSettings
    from awe.portal.server import serve
    from common.config import load_config
    from common.database import connect
    from dataserver.factory import open_store
    from dataserver.tokens import TokenRegistry

    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    logging.getLogger("awe.portal").setLevel(logging.INFO)
    config = load_config()
    database = connect(args.database or config.database, site=config.site,
                       target=config.target)
    settings = PortalSettings(database=database, store=open_store(config),
                              tokens=TokenRegistry(users_file=args.tokens),
                              cache=args.cache or config.home / "portal-cache",
                              project=config.project, secure_cookie=args.cert is not None)
    try:
        asyncio.run(serve(settings, args.host, args.port, cert=args.cert, key=args.key))
    finally:
        database.dispose()
    return 0
