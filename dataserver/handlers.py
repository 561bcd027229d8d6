"""HTTP handlers: check who asks, call :class:`~dataserver.service.FileService`, answer.

Errors are raised as :mod:`common.errors` classes; the middleware in :mod:`dataserver.app`
turns them into status codes with ``{"error_type", "message"}`` bodies.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re

from aiohttp import hdrs, web

from common.errors import (
    AweError,
    NotFound,
    PermissionDenied,
    RangeNotSatisfiable,
    StoreRequestError,
)
from dataserver.keys import IDENTITY, RESPONSE_STARTED, SERVICE, SETTINGS, TOKENS
from dataserver.peers import PeerCopy
from dataserver.protocol import (
    CHECKSUM_HEADER,
    DIGEST_HEADER,
    HOP_HEADER,
    declared_checksum,
    repr_digest,
    status_for_error,
)
from dataserver.service import LocalFile
from dataserver.store import check_name
from dataserver.tokens import Identity

__all__ = ["collect", "delete_file", "error_response", "expect_put", "get_file", "health",
           "list_files", "list_tombstones", "put_file", "verify_file"]

log = logging.getLogger(__name__)

LISTING_BATCH = 10_000
SMALL_FILE = 64 * 1024
_EMPTY_SUFFIX = re.compile(r"\s*bytes\s*=\s*-\s*0+\s*", re.IGNORECASE)

# -- who asks -----------------------------------------------------------------------------------


def _identify(request: web.Request) -> Identity | None:
    """The caller's identity from ``Authorization: Bearer TOKEN`` (None without a token)."""
    if IDENTITY in request:
        return request[IDENTITY]
    request[IDENTITY] = None
    header = request.headers.get(hdrs.AUTHORIZATION)
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise PermissionDenied("Authorization: expected 'Bearer TOKEN'")
    identity = request.app[TOKENS].identify(token.strip())
    if identity is None:
        raise PermissionDenied(f"{request.method} {request.path}: the token presented is not "
                               "valid on this server")
    request[IDENTITY] = identity
    return identity


def _require(request: web.Request, action: str, *kinds: str) -> Identity:
    """The caller's identity if it is one of ``kinds``, else :class:`PermissionDenied`."""
    identity = _identify(request)
    if identity is None:
        raise PermissionDenied(f"{action}: needs a token (Authorization: Bearer TOKEN)")
    if identity.kind not in kinds:
        raise PermissionDenied(f"{action}: not allowed with a {identity.kind} token; needs "
                               + " or ".join(f"a {kind} token" for kind in kinds))
    return identity


def _require_read(request: web.Request, action: str) -> None:
    if request.app[SETTINGS].public_read:
        _identify(request)
    else:
        _require(request, action, "user", "service", "peer")


def _name(request: web.Request) -> str:
    return check_name(request.match_info["name"])


def _check_range(request: web.Request, name: str) -> None:
    """Refuse a ``Range`` we will not serve with :class:`RangeNotSatisfiable` (416).

    One range ``bytes=FIRST-[LAST]`` or ``bytes=-SUFFIX`` is served; a malformed header,
    several ranges, another unit or the empty suffix ``bytes=-0`` (RFC 9110 §14.1.2) is
    refused before the file is even looked up, so a missing file answers the same way.
    """
    header = request.headers.get(hdrs.RANGE)
    if header is None:
        return
    expected = "expected one range bytes=FIRST-[LAST] or bytes=-SUFFIX with SUFFIX > 0"
    if _EMPTY_SUFFIX.fullmatch(header):
        raise RangeNotSatisfiable(f"{name}: Range {header!r} selects no bytes; {expected}")
    try:
        request.http_range  # noqa: B018 - parsing is the check
    except ValueError as exc:
        raise RangeNotSatisfiable(f"{name}: Range {header[:200]!r} ({exc}); {expected}") \
            from None


def error_response(request: web.Request, error: AweError) -> web.Response:
    """The JSON error answer for ``error``: 401 if no valid token came with a refusal."""
    status = status_for_error(error)
    headers = {"X-Awe-Error-Type": error.error_type}
    if isinstance(error, PermissionDenied) and request.get(IDENTITY) is None:
        status = 401
        headers[hdrs.WWW_AUTHENTICATE] = 'Bearer realm="awe-dataserver"'
    return web.json_response({"error_type": error.error_type, "message": str(error)},
                             status=status, headers=headers)


# -- files ----------------------------------------------------------------------------------------


def _file_headers(request: web.Request, sha256: str) -> dict[str, str]:
    privacy = "public" if request.app[SETTINGS].public_read else "private"
    return {
        CHECKSUM_HEADER: sha256,
        DIGEST_HEADER: repr_digest(sha256),
        hdrs.CACHE_CONTROL: f"{privacy}, max-age=31536000, immutable",
        hdrs.CONTENT_TYPE: "application/octet-stream",
    }


class _StoredFileResponse(web.FileResponse):
    """aiohttp's FileResponse (sendfile, Range, HEAD) with the file's sha256 as strong ETag."""

    def __init__(self, file: LocalFile, headers: dict[str, str]) -> None:
        super().__init__(file.path, headers=headers)
        self._sha256 = file.sha256

    @web.StreamResponse.etag.setter
    def etag(self, value: object) -> None:
        """Whatever FileResponse computes (mtime and size), announce the sha256."""
        web.StreamResponse.etag.fset(self, self._sha256)


def _matches(etags: tuple | None, sha256: str) -> bool:
    return etags is not None and any(tag.value in ("*", sha256) for tag in etags)


def _plain(request: web.Request) -> bool:
    """Whether a GET or HEAD is unconditional and for the whole file."""
    return (request.http_range.start is None and request.if_match is None
            and request.if_none_match is None and request.if_modified_since is None
            and request.if_unmodified_since is None and request.if_range is None)


def _announce(headers: dict[str, str], sha256: str, size: int) -> web.StreamResponse:
    """A response that announces a file without its body (HEAD, or headers of a relay)."""
    response = web.StreamResponse(headers=headers)
    response.etag = sha256
    response.content_length = size
    return response


async def _send_file(request: web.Request, file: LocalFile) -> web.StreamResponse:
    headers = _file_headers(request, file.sha256)
    if file.size <= SMALL_FILE and _plain(request):
        # aiohttp's FileResponse costs two thread hops and a sendfile per request; a small
        # file is read in one hop and sent from memory (several times the requests/s).
        headers[hdrs.ACCEPT_RANGES] = "bytes"
        if request.method == hdrs.METH_HEAD:
            return _announce(headers, file.sha256, file.size)
        body = await request.app[SERVICE].read_small(file)
        response = web.Response(body=body, headers=headers)
        response.etag = file.sha256
        return response
    if request.if_none_match is not None and _matches(request.if_none_match, file.sha256):
        return web.Response(status=304, headers={**headers, hdrs.ETAG: f'"{file.sha256}"'})
    if request.if_match is not None:
        if not _matches(request.if_match, file.sha256):
            return web.Response(status=412, headers={hdrs.ETAG: f'"{file.sha256}"'})
        # FileResponse would judge If-Match against its own mtime-size ETag: drop it.
        plain = request.clone(headers={key: value for key, value in request.headers.items()
                                       if key.lower() != "if-match"})
        response = _StoredFileResponse(file, headers)
        await response.prepare(plain)
        return response
    return _StoredFileResponse(file, headers)


class _Relay:
    """Pass a peer's file on to the client while the server caches it."""

    def __init__(self, request: web.Request) -> None:
        self.request = request
        self.response: web.StreamResponse | None = None
        self.client_gone = False

    async def start(self, copy: PeerCopy) -> None:
        """Send the headers of the file the peer announced."""
        response = _announce(_file_headers(self.request, copy.sha256), copy.sha256, copy.size)
        self.request[RESPONSE_STARTED] = True
        await response.prepare(self.request)
        self.response = response

    async def write(self, chunk: bytes) -> None:
        """Send a chunk; a client that went away stops getting them, the caching goes on."""
        if self.client_gone or self.response is None:
            return
        try:
            await self.response.write(chunk)
        except ConnectionError:
            self.client_gone = True
            log.info("%s: client went away; caching the file anyway", self.request.path)

    async def finish(self) -> web.StreamResponse:
        """End the response."""
        assert self.response is not None
        if not self.client_gone:
            await self.response.write_eof()
        return self.response


async def get_file(request: web.Request) -> web.StreamResponse:
    """GET and HEAD ``/files/NAME``: local files by sendfile, misses from the peers."""
    name = _name(request)
    _require_read(request, f"{request.method} {name}")
    _check_range(request, name)
    service = request.app[SERVICE]
    hop = HOP_HEADER in request.headers
    if hop:
        service.counters["hop_requests"] += 1
    file = await service.local(name)
    if file is not None:
        return await _send_file(request, file)
    if hop:
        raise NotFound(f"{name}: no such file on this server")
    if request.method == hdrs.METH_HEAD:
        copy = await service.locate(name)
        return _announce(_file_headers(request, copy.sha256), copy.sha256, copy.size)
    whole = _plain(request)
    for _ in range(2):
        relay = _Relay(request) if whole else None
        if await service.fetch(name, relay, cache_required=not whole) and relay is not None:
            return await relay.finish()
        file = await service.local(name)
        if file is not None:
            return await _send_file(request, file)
    raise NotFound(f"{name}: fetched from a peer but not kept here")


async def put_file(request: web.Request) -> web.Response:
    """PUT ``/files/NAME``: store the streamed body if its sha256 is the declared one."""
    name = _name(request)
    _require(request, f"PUT {name}", "user", "service")
    sha256 = declared_checksum(request.headers, name)
    created = await request.app[SERVICE].receive(name, sha256, request.content_length,
                                                 request.content.iter_any())
    return web.json_response({"name": name, "sha256": sha256, "created": created},
                             status=201 if created else 200,
                             headers={hdrs.ETAG: f'"{sha256}"', CHECKSUM_HEADER: sha256})


async def expect_put(request: web.Request) -> web.Response | None:
    """``Expect: 100-continue``: refuse a PUT before its body is sent when we already can."""
    if request.headers.get(hdrs.EXPECT, "").lower() != "100-continue":
        return web.Response(status=417, text=f"unknown Expect: {request.headers[hdrs.EXPECT]}")
    try:
        name = _name(request)
        _require(request, f"PUT {name}", "user", "service")
        sha256 = declared_checksum(request.headers, name)
        if await request.app[SERVICE].check_upload(name, sha256, request.content_length):
            return web.json_response({"name": name, "sha256": sha256, "created": False},
                                     headers={hdrs.ETAG: f'"{sha256}"', CHECKSUM_HEADER: sha256})
    except AweError as error:
        return error_response(request, error)
    await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    return None


async def delete_file(request: web.Request) -> web.Response:
    """DELETE ``/files/NAME``: service token; leaves a tombstone; propagates to the peers."""
    name = _name(request)
    hop = HOP_HEADER in request.headers
    if hop:
        _require(request, f"DELETE {name}", "service", "peer")
    else:
        _require(request, f"DELETE {name}", "service")
    return web.json_response(await request.app[SERVICE].delete(name, propagate=not hop))


async def verify_file(request: web.Request) -> web.Response:
    """POST ``/verify/NAME``: re-hash a file a client found corrupt; heal it from a peer."""
    name = _name(request)
    _require(request, f"verify {name}", "user", "service", "peer")
    verdict = await request.app[SERVICE].verify(name)
    return web.json_response({"name": name, "verdict": verdict.value})


# -- administration ---------------------------------------------------------------------------


def _older_than(request: web.Request) -> float:
    text = request.query.get("older_than", "0")
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise StoreRequestError(f"older_than: expected seconds >= 0, found {text!r}")
    return value


async def list_files(request: web.Request) -> web.StreamResponse:
    """GET ``/files?older_than=S``: every stored file as JSON lines (service token)."""
    _require(request, "list files", "service")
    service = request.app[SERVICE]
    entries = await asyncio.get_running_loop().run_in_executor(
        service.executor, service.listing, _older_than(request))
    response = web.StreamResponse(headers={hdrs.CONTENT_TYPE: "application/x-ndjson"})
    await response.prepare(request)
    for start in range(0, len(entries), LISTING_BATCH):
        lines = [json.dumps({"name": entry.name, "size": entry.size, "stored": entry.stored})
                 for entry in entries[start:start + LISTING_BATCH]]
        await response.write(("\n".join(lines) + "\n").encode())
    await response.write_eof()
    return response


async def collect(request: web.Request) -> web.Response:
    """POST ``/gc`` ``{"names": [...], "older_than": S}``: delete those files here only."""
    _require(request, "garbage collection", "service")
    try:
        body = await request.json()
    except ValueError:
        raise StoreRequestError("POST /gc: expected a JSON body") from None
    names = body.get("names") if isinstance(body, dict) else None
    older_than = body.get("older_than", 0) if isinstance(body, dict) else None
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names) or \
            not isinstance(older_than, int | float) or older_than < 0:
        raise StoreRequestError('POST /gc: expected {"names": [NAME, ...], "older_than": '
                                f"SECONDS>=0}}, found {str(body)[:200]}")
    return web.json_response(await request.app[SERVICE].collect(names, float(older_than)))


async def list_tombstones(request: web.Request) -> web.Response:
    """GET ``/tombstones``: the names deleted here, as JSON lines (service or peer token)."""
    _require(request, "list tombstones", "service", "peer")
    service = request.app[SERVICE]
    tombstones = await asyncio.get_running_loop().run_in_executor(service.executor,
                                                                  service.tombstones)
    text = "".join(json.dumps(tombstone.to_json()) + "\n" for tombstone in tombstones)
    return web.Response(text=text, content_type="application/x-ndjson")


async def health(request: web.Request) -> web.Response:
    """GET ``/health``: liveness, space and counters (no token needed)."""
    return web.json_response(request.app[SERVICE].health())
