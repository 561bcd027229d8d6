"""Run the portal: bind, print ``listening on PORT``, serve until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
import ssl
from pathlib import Path

from aiohttp import web

from awe.portal.app import PortalSettings, create_app

__all__ = ["serve"]

log = logging.getLogger("awe.portal")


def _ssl_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    if cert is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def serve(settings: PortalSettings, host: str, port: int, *, cert: Path | None = None,
                key: Path | None = None) -> None:
    """Serve ``settings`` on ``host:port`` (TLS with ``cert``/``key``) until a signal."""
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, ssl_context=_ssl_context(cert, key))
        await site.start()
        bound = runner.addresses[0][1]
        log.info("portal on %s://%s:%d, database %s", "https" if cert else "http", host, bound,
                 settings.database.url)
        print(f"listening on {bound}", flush=True)
        loop = asyncio.get_running_loop()
        # matplotlib takes seconds to import: load it while no one waits for a PNG
        warming = loop.run_in_executor(None, importlib.import_module, "awe.trend_plot")
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        await warming
    finally:
        await runner.cleanup()
