"""The logical store of data servers, through the :class:`~dataserver.store.DataStore` protocol.

:class:`HttpStore` tries its servers in the configured order (nearest first). A server that
cannot be reached, answers 5xx, runs out of space or sends a copy that fails its checksum is
skipped for the next one; when none answers, the round is retried after a back-off
(``backoff``, doubling). A definite answer — not found everywhere asked, other content under
the name, a bad name, a refused token — is raised at once as the same :mod:`common.errors`
class the server sent.

Transfers stream: uploads are read from the file in large blocks, downloads are hashed and
written by a worker thread while the next block arrives, and land atomically (temporary file,
fsync, rename) only when their sha256 is the server's. Large transfers report progress.

The HTTP plumbing is urllib3's: a pool of kept-alive connections per server, connect and read
timeouts, and its retry policy for a kept-alive connection the server closed meanwhile. What is
ours: the fail-over order, back-off rounds across servers, verification, range reads, progress.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar
from urllib.parse import urlsplit

import urllib3
from urllib3.util import Retry, Timeout

from common.config import Progress
from common.errors import (
    AweError,
    CorruptFile,
    NotFound,
    StoreError,
    StoreFull,
    StoreRequestError,
    StoreUnavailable,
    error_from_wire,
)
from common.files import sync_and_place
from dataserver.protocol import CHECKSUM_HEADER, HOP_HEADER, error_class_for_status
from dataserver.store import (
    CHUNK_SIZE,
    StoredFile,
    VerifyingReader,
    check_name,
    check_same_content,
    hash_all,
    verify_digest,
    write_all,
)

__all__ = ["HttpStore"]

log = logging.getLogger(__name__)

T = TypeVar("T")

RECEIVE_BLOCK = 4 << 20
SEND_BLOCK = 1 << 20
PREFLIGHT_SIZE = 8 << 20
POOL_SIZE = 8
# One more try on a fresh connection when a kept-alive one was closed by the server (a read
# error before any response, idempotent methods only); every other failure moves on to the
# next server at once, and whole rounds are retried with back-off by HttpStore itself.
CONNECTION_RETRY = Retry(total=None, connect=0, read=1, status=0, other=0, redirect=False,
                         raise_on_status=False)
_TRANSPORT_ERRORS = (urllib3.exceptions.HTTPError, OSError)
LARGE_TRANSFER = 64 << 20


class _Transfer:
    """Bytes done of one transfer, passed on to a :class:`Progress` callback if any."""

    def __init__(self, progress: Progress | None, total: int, what: str) -> None:
        self._progress = progress if total >= LARGE_TRANSFER else None
        self.total = total
        self.what = what
        self.done = 0

    def advance(self, count: int) -> None:
        """Count ``count`` more bytes done."""
        self.done += count
        if self._progress is not None:
            self._progress(self.done, self.total, self.what)


class _Unavailable(Exception):
    """One server failed one request (unreachable, 5xx, broken transfer): try another."""


@dataclass(frozen=True)
class _Stat:
    sha256: str
    size: int


def _finish(response: urllib3.BaseHTTPResponse) -> None:
    """Give a streamed response's connection back to its pool.

    Kept alive if the body was read to its end, else closed: unread bytes would otherwise be
    taken for the next response.
    """
    if not response.isclosed():
        response.close()
    response.release_conn()


class _Server:
    """One data server: its base URL and urllib3's connection pool to it."""

    def __init__(self, url: str, pools: urllib3.PoolManager) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise StoreRequestError(f"data server URL {url!r}: expected http(s)://HOST[:PORT]")
        self.url = url.rstrip("/")
        self.prefix = parts.path.rstrip("/")
        self.pool = pools.connection_from_url(self.url)


class _Upload:
    """A file as a request body that reports the bytes read to a :class:`_Transfer`."""

    def __init__(self, stream: BinaryIO, progress: _Transfer) -> None:
        self._stream = stream
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        """The next block of the file."""
        data = self._stream.read(size)
        self._progress.advance(len(data))
        return data

    def tell(self) -> int:
        """Where the next read starts (urllib3 rewinds here to send the body again)."""
        return self._stream.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Rewind for a retry; progress counts from there again."""
        self._progress.done = offset
        return self._stream.seek(offset, whence)


class _Download:
    """The body of one GET; closing it gives the connection back (or drops a broken one)."""

    def __init__(self, response: urllib3.BaseHTTPResponse, where: str) -> None:
        self._response = response
        self._where = where

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the body (all of it when negative)."""
        try:
            return self._response.read(None if size is None or size < 0 else size,
                                       decode_content=False)
        except _TRANSPORT_ERRORS as exc:
            raise StoreUnavailable(f"reading from {self._where}: {exc!r}") from exc

    def close(self) -> None:
        """Finish the response: a completely read one keeps its connection alive."""
        _finish(self._response)


class HttpStore:
    """A :class:`~dataserver.store.DataStore` over data servers, nearest first.

    ``token`` is sent as ``Authorization: Bearer`` (a user token to read and store; the
    service token also to delete). ``ca_file`` adds a certificate authority for ``https``
    servers (``SSL_CERT_FILE`` works too). ``progress(done, total, what)`` is told the bytes
    done of every transfer of 64 MiB and more (``awe`` passes its bar).
    """

    def __init__(self, urls: Sequence[str], *, token: str | None = None,
                 connect_timeout: float = 5.0, timeout: float = 60.0, retries: int = 2,
                 backoff: float = 0.5, ca_file: Path | None = None,
                 progress: Progress | None = None) -> None:
        if not urls:
            raise StoreRequestError("HttpStore needs at least one data server URL")
        context = ssl.create_default_context(cafile=ca_file) if ca_file else None
        self._pools = urllib3.PoolManager(
            num_pools=max(10, len(urls)), maxsize=POOL_SIZE, block=False,
            timeout=Timeout(connect=connect_timeout, read=timeout), retries=CONNECTION_RETRY,
            ssl_context=context, blocksize=SEND_BLOCK)
        self._servers = [_Server(url, self._pools) for url in urls]
        self._token = token
        self.retries = retries
        self.backoff = backoff
        self._progress = progress
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"HttpStore({[server.url for server in self._servers]!r})"

    def config(self) -> dict[str, object]:
        """Plain data another process reopens this store from (``open_store_config``)."""
        return {"open": "dataserver.factory:open_store_config", "kind": "http",
                "urls": self.urls, "token": self._token}

    @property
    def urls(self) -> list[str]:
        """The servers, in the order they are tried."""
        return [server.url for server in self._servers]

    # -- one request ----------------------------------------------------------------------

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        return {**headers, **(extra or {})}

    def _exchange(self, server: _Server, method: str, path: str,
                  headers: dict[str, str] | None = None, body: object = None, *,
                  stream: bool = False) -> urllib3.BaseHTTPResponse:
        """Send one request to ``server``; return the response (read unless ``stream``).

        A streamed response must be read to its end or closed. Any failure to talk to the
        server raises :class:`_Unavailable`.
        """
        try:
            return server.pool.urlopen(method, server.prefix + path, body=body,
                                       headers=self._headers(headers), assert_same_host=False,
                                       preload_content=not stream, decode_content=False,
                                       release_conn=not stream)
        except _TRANSPORT_ERRORS as exc:
            raise _Unavailable(f"{server.url}: {method} {path}: {exc!r}") from exc

    def _failure(self, server: _Server, method: str, name: str,
                 response: urllib3.BaseHTTPResponse) -> Exception:
        """The error a non-success response stands for (its body is consumed)."""
        try:
            body = response.data
        except _TRANSPORT_ERRORS:
            body = b""
        finally:
            response.release_conn()
        where = f"{server.url}: {method} {name}: HTTP {response.status} {response.reason}"
        error: AweError
        try:
            data = json.loads(body)
            error = error_from_wire(str(data["error_type"]), str(data["message"]))
        except (ValueError, KeyError, TypeError):
            error_type = response.headers.get("X-Awe-Error-Type")
            error = (error_from_wire(error_type, where) if error_type
                     else error_class_for_status(response.status)(where))
        if response.status >= 500 and not isinstance(error, StoreFull | CorruptFile):
            return _Unavailable(f"{where}: {error}")
        return error

    def _stat(self, server: _Server, name: str, *, local_only: bool = False) -> _Stat | None:
        """HEAD ``name`` on ``server``: its checksum and size, or None if it has no such file."""
        response = self._exchange(server, "HEAD", f"/files/{name}",
                                  {HOP_HEADER: "1"} if local_only else None)
        if response.status == 404:
            return None
        if response.status != 200:
            raise self._failure(server, "HEAD", name, response)
        return _Stat(response.headers.get(CHECKSUM_HEADER, ""),
                     int(response.headers.get("Content-Length", "0")))

    # -- fail-over --------------------------------------------------------------------------

    def _across_servers(self, what: str, attempt: Callable[[_Server], T]) -> T:
        """Run ``attempt`` on each server in turn until one gives an answer.

        :class:`NotFound`, :class:`StoreFull` and :class:`CorruptFile` move on to the next
        server and are raised only when no server did better (a corrupt copy first: it says
        more than "not found"); :class:`_Unavailable` rounds are retried with back-off.
        """
        missing: AweError | None = None
        full: AweError | None = None
        corrupt: AweError | None = None
        failures: list[str] = []
        for round_number in range(self.retries + 1):
            if round_number:
                time.sleep(self.backoff * 2 ** (round_number - 1))
            failures = []
            for server in self._servers:
                try:
                    return attempt(server)
                except _Unavailable as exc:
                    log.info("%s: %s", what, exc)
                    failures.append(str(exc))
                except NotFound as exc:
                    missing = missing or exc
                except StoreFull as exc:
                    full = full or exc
                except CorruptFile as exc:
                    corrupt = corrupt or exc
            if missing is not None or full is not None or corrupt is not None:
                break
        if corrupt is not None:
            raise corrupt
        if full is not None:
            raise full
        if missing is not None:
            raise missing
        raise StoreUnavailable(f"{what}: no data server answered after {self.retries + 1} "
                               "rounds: " + "; ".join(failures))

    # -- the protocol ---------------------------------------------------------------------

    def put(self, src: Path, name: str) -> str:
        """Upload ``src`` as ``name`` to the first server that takes it; return its sha256."""
        check_name(name)
        src = Path(src)
        try:
            size = src.stat().st_size
            sha256 = self._hash_file(src, name, size)
        except OSError as exc:
            raise StoreError(f"{name}: cannot read {src} ({exc})") from exc
        return self._across_servers(f"put {name}",
                                    lambda server: self._put_on(server, src, name, size, sha256))

    def _hash_file(self, src: Path, name: str, size: int) -> str:
        digest = hashlib.sha256()
        progress = self._transfer(f"hashing {name}", size)
        with open(src, "rb") as stream:
            while chunk := stream.read(CHUNK_SIZE * 4):
                digest.update(chunk)
                progress.advance(len(chunk))
        return digest.hexdigest()

    def _transfer(self, what: str, size: int) -> _Transfer:
        return _Transfer(self._progress, size, what)

    def _put_on(self, server: _Server, src: Path, name: str, size: int, sha256: str) -> str:
        if size >= PREFLIGHT_SIZE:
            existing = self._stat(server, name, local_only=True)
            if existing is not None:
                check_same_content(name, existing.sha256, sha256,
                                   f"already stored on {server.url}")
                return sha256
        progress = self._transfer(f"{name} → {server.url}", size)
        with open(src, "rb") as stream:
            response = self._exchange(server, "PUT", f"/files/{name}", {
                "Content-Length": str(size), CHECKSUM_HEADER: sha256,
                "Content-Type": "application/octet-stream"}, _Upload(stream, progress))
        if response.status not in (200, 201):
            raise self._failure(server, "PUT", name, response)
        return sha256

    def _executor_for_downloads(self) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(4, thread_name_prefix="httpstore")
            return self._executor

    def get(self, name: str, dst: Path) -> Path:
        """Download ``name`` to ``dst`` (atomically, sha256 verified); return ``dst``."""
        check_name(name)
        dst = Path(dst)
        return self._across_servers(f"get {name}",
                                    lambda server: self._get_from(server, name, dst))

    def _receive(self, response: urllib3.BaseHTTPResponse, fd: int, size: int,
                 label: str) -> tuple[str, int]:
        """Read the body into ``fd``; return its sha256 hex and byte count.

        Worker threads hash and write each block while the next one arrives.
        """
        digest = hashlib.sha256()
        executor = self._executor_for_downloads()
        pending: list[Future[object]] = []
        received = 0
        progress = self._transfer(label, size)
        try:
            while True:
                data = response.read(RECEIVE_BLOCK, decode_content=False)
                for job in pending:
                    job.result()
                if not data:
                    break
                block = [data]
                pending = [executor.submit(hash_all, digest, block),
                           executor.submit(write_all, fd, block)]
                received += len(data)
                progress.advance(len(data))
        finally:
            for job in pending:
                job.result()
        return digest.hexdigest(), received

    def _get_from(self, server: _Server, name: str, dst: Path) -> Path:
        response = self._exchange(server, "GET", f"/files/{name}", stream=True)
        if response.status != 200:
            raise self._failure(server, "GET", name, response)
        expected = response.headers.get(CHECKSUM_HEADER, "")
        size = int(response.headers.get("Content-Length", "-1"))
        fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.")
        try:
            try:
                found, received = self._receive(response, fd, size, f"{name} ← {server.url}")
            except urllib3.exceptions.HTTPError as exc:
                raise _Unavailable(f"{server.url}: GET {name} broke off: {exc!r}") from exc
            except OSError as exc:
                raise StoreError(f"{name}: cannot write {dst} ({exc})") from exc
            finally:
                _finish(response)
            if received != size:
                raise _Unavailable(f"{server.url}: GET {name}: {received} of {size} bytes")
            try:
                verify_digest(found, expected, f"{server.url}: GET {name}")
            except CorruptFile:
                self._report_corrupt(server, name)
                raise
            sync_and_place(fd, tmp, dst)
        finally:
            os.close(fd)
            Path(tmp).unlink(missing_ok=True)
        return dst

    def _report_corrupt(self, server: _Server, name: str) -> None:
        """Ask ``server`` to re-hash ``name`` (it quarantines and heals a bad copy)."""
        try:
            response = self._exchange(server, "POST", f"/verify/{name}")
            log.warning("%s on %s failed its checksum; the server's verification: %s %s",
                        name, server.url, response.status, response.data[:500])
        except _Unavailable as exc:
            log.warning("%s on %s failed its checksum and cannot be verified: %s", name,
                        server.url, exc)

    def open(self, name: str) -> BinaryIO:
        """Stream ``name``; reading to the end verifies its sha256."""
        check_name(name)

        def attempt(server: _Server) -> BinaryIO:
            response = self._exchange(server, "GET", f"/files/{name}", stream=True)
            if response.status != 200:
                raise self._failure(server, "GET", name, response)
            return VerifyingReader(_Download(response, server.url),  # type: ignore[arg-type]
                                   response.headers.get(CHECKSUM_HEADER, ""),
                                   f"{name} from {server.url}")

        return self._across_servers(f"open {name}", attempt)

    def exists(self, name: str) -> bool:
        """Whether any server (or a peer of one) holds ``name``."""
        check_name(name)

        def attempt(server: _Server) -> bool:
            if self._stat(server, name) is None:
                raise NotFound(name)
            return True

        try:
            return self._across_servers(f"exists {name}", attempt)
        except NotFound:
            return False

    def checksum(self, name: str) -> str:
        """The recorded sha256 of ``name``."""
        check_name(name)

        def attempt(server: _Server) -> str:
            found = self._stat(server, name)
            if found is None:
                raise NotFound(f"{name}: no such file on {server.url} or its peers")
            return found.sha256

        return self._across_servers(f"checksum {name}", attempt)

    def read_range(self, name: str, offset: int, size: int) -> bytes:
        """``size`` bytes of ``name`` from ``offset`` (fewer at the end), by an HTTP Range."""
        check_name(name)
        if offset < 0 or size < 0:
            raise StoreRequestError(f"{name}: byte range needs offset >= 0 and size >= 0, "
                                    f"found offset={offset} size={size}")
        if size == 0:
            if not self.exists(name):
                raise NotFound(f"{name}: no such file on {', '.join(self.urls)}")
            return b""

        def attempt(server: _Server) -> bytes:
            response = self._exchange(server, "GET", f"/files/{name}",
                                      {"Range": f"bytes={offset}-{offset + size - 1}"},
                                      stream=True)
            if response.status == 416:
                _finish(response)
                return b""
            if response.status == 200:
                _finish(response)
                raise _Unavailable(f"{server.url}: GET {name} ignored the byte range")
            if response.status != 206:
                raise self._failure(server, "GET", name, response)
            try:
                return response.read(decode_content=False)
            except _TRANSPORT_ERRORS as exc:
                raise _Unavailable(f"{server.url}: GET {name} range broke off: {exc!r}") \
                    from exc
            finally:
                _finish(response)

        return self._across_servers(f"read_range {name}", attempt)

    def delete(self, name: str) -> None:
        """Delete ``name`` everywhere (needs the service token; the server tells its peers)."""
        check_name(name)

        def attempt(server: _Server) -> None:
            response = self._exchange(server, "DELETE", f"/files/{name}")
            if response.status != 200:
                raise self._failure(server, "DELETE", name, response)
            log.info("deleted %s: %s", name, response.data.decode(errors="replace"))

        self._across_servers(f"delete {name}", attempt)

    # -- administration (one server: the first that answers) -------------------------------

    def _json(self, method: str, path: str, body: object | None = None) -> object:
        payload = json.dumps(body).encode() if body is not None else None

        def attempt(server: _Server) -> object:
            headers = {"Content-Length": str(len(payload)),
                       "Content-Type": "application/json"} if payload is not None else None
            response = self._exchange(server, method, path, headers, payload)
            if response.status != 200:
                raise self._failure(server, method, path, response)
            text = response.data.decode()
            if response.headers.get("Content-Type", "").startswith("application/x-ndjson"):
                return [json.loads(line) for line in text.splitlines() if line.strip()]
            return json.loads(text)

        return self._across_servers(f"{method} {path}", attempt)

    def health(self) -> dict[str, object]:
        """The first answering server's ``/health``: space and counters."""
        return self._json("GET", "/health")  # type: ignore[return-value]

    def list_files(self, older_than: float = 0.0) -> Iterator[StoredFile]:
        """The files the first answering server holds, stored ``older_than`` s ago or more."""
        for item in self._json("GET", f"/files?older_than={older_than:g}"):  # type: ignore
            yield StoredFile(item["name"], int(item["size"]), float(item["stored"]))

    def collect(self, names: Sequence[str], older_than: float) -> dict[str, object]:
        """Delete ``names`` (older than ``older_than`` s) on the first answering server only."""
        for name in names:
            check_name(name)
        return self._json("POST", "/gc", {"names": list(names),  # type: ignore[return-value]
                                          "older_than": older_than})

