"""The data server: the application factory, the error middleware and the serving loop."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import signal
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from common.errors import AweError
from dataserver.handlers import error_response
from dataserver.keys import RESPONSE_STARTED, SERVICE, SETTINGS, TOKENS
from dataserver.peers import Peers
from dataserver.routes import setup_routes
from dataserver.service import FileService
from dataserver.settings import ServerSettings
from dataserver.store import LocalStore
from dataserver.tokens import TokenRegistry

__all__ = ["create_app", "error_middleware", "serve"]

log = logging.getLogger("dataserver")

READ_BUFFER = 1 << 20
REQUEST_BODY_LIMIT = 16 << 20
SHUTDOWN_TIMEOUT = 5.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer our errors with their status and ``{"error_type", "message"}``.

    Once a handler has sent headers itself (a file relayed from a peer) nothing can be
    answered any more: the error propagates and aiohttp drops the connection, so the client
    sees a short body rather than a wrong one.
    """
    try:
        return await handler(request)
    except AweError as error:
        if request.get(RESPONSE_STARTED):
            raise
        return error_response(request, error)
    except (web.HTTPException, asyncio.CancelledError):
        raise
    except Exception as error:
        if request.get(RESPONSE_STARTED):
            raise
        log.exception("%s %s failed", request.method, request.path)
        return error_response(request, AweError(
            f"{request.method} {request.path}: internal error {error.__class__.__name__}: "
            f"{error} (see the server's log)"))


async def _service_lifecycle(app: web.Application) -> AsyncIterator[None]:
    service = app[SERVICE]
    interval = app[SETTINGS].scrub_interval
    async with service.peers:
        await service.start()
        scrubbing = asyncio.create_task(service.scrub_every(interval)) if interval else None
        yield
        if scrubbing is not None:
            scrubbing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scrubbing
    service.close()


def create_app(settings: ServerSettings) -> web.Application:
    """Build the application for ``settings`` (tokens read, store opened, routes added)."""
    tokens = TokenRegistry(users_file=settings.tokens, service_file=settings.service_token,
                           peer_file=settings.peer_token)
    store = LocalStore(settings.root)
    peers = Peers(settings.peers, token=tokens.peer_token, timeout=settings.peer_timeout)
    app = web.Application(middlewares=[error_middleware], client_max_size=REQUEST_BODY_LIMIT,
                          handler_args={"read_bufsize": READ_BUFFER})
    app[SETTINGS] = settings
    app[TOKENS] = tokens
    app[SERVICE] = FileService(store, peers, space_limit=settings.space_limit,
                               min_free=settings.min_free, miss_ttl=settings.miss_ttl)
    app.cleanup_ctx.append(_service_lifecycle)
    setup_routes(app)
    return app


def _ssl_context(settings: ServerSettings) -> ssl.SSLContext | None:
    if settings.cert is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.cert, settings.key)
    return context


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host).is_loopback
    return False


async def serve(settings: ServerSettings) -> None:
    """Run the server until SIGTERM or SIGINT; print ``listening on PORT`` once it accepts."""
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=logging.getLogger("dataserver.access")
                           if settings.access_log else None,
                           shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port,
                           ssl_context=_ssl_context(settings), backlog=1024)
        await site.start()
        port = runner.addresses[0][1]
        if not _is_loopback(settings.host) and settings.cert is None:
            log.warning("serving on %s without TLS: tokens cross the network in clear; "
                        "use --cert/--key off loopback", settings.host)
        if not app[TOKENS].accepts_writes:
            log.warning("no --tokens and no --service-token: this server refuses every upload")
        log.info("serving %s on %s://%s:%d, peers: %s", settings.root, settings.scheme,
                 settings.host, port, ", ".join(settings.peers) or "none")
        print(f"listening on {port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        log.info("stopping")
    finally:
        await runner.cleanup()
