"""The other servers of the logical store, as one server (or scrub) talks to them.

Every request carries the hop marker, so a peer answers from its own disk only, and the
federation token. A peer that is down fails at once (connection refused); a peer that hangs
is given ``timeout`` seconds to say whether it has a file; a peer whose data stalls for
``stall_timeout`` seconds is abandoned. So a dead or slow peer never blocks the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from common.errors import CorruptFile, StoreUnavailable
from dataserver.protocol import CHECKSUM_HEADER, HOP_HEADER
from dataserver.store import LocalStore, Tombstone, check_name, verify_digest
from dataserver.streams import HashingWriter

__all__ = ["PeerCopy", "Peers", "Relay"]

log = logging.getLogger(__name__)

PROBE_GRACE = 0.25
READ_BUFFER = 1 << 20
_PEER_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError)


@dataclass(frozen=True)
class PeerCopy:
    """A peer that holds a file: its URL and the file's recorded sha256 and size."""

    url: str
    sha256: str
    size: int


class Relay(Protocol):
    """Where a peer's bytes go besides the cache: the client that asked for the file."""

    async def start(self, copy: PeerCopy) -> None:
        """The transfer begins: ``copy`` tells the size and checksum to announce."""
        ...

    async def write(self, chunk: bytes) -> None:
        """Pass on one chunk (a client that went away must not stop the transfer)."""
        ...


class Peers:
    """Ask peers, in configured order (nearest first), for files, deletes and tombstones.

    Use as ``async with Peers(urls, token=…) as peers: …`` (the HTTP session lives inside).
    """

    def __init__(self, urls: tuple[str, ...], *, token: str | None, timeout: float = 2.0,
                 stall_timeout: float | None = None) -> None:
        self.urls = urls
        self.timeout = timeout
        self.stall_timeout = stall_timeout if stall_timeout is not None else max(30.0,
                                                                                 10 * timeout)
        self._headers = {HOP_HEADER: "1"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._session: aiohttp.ClientSession | None = None
        self.probes_sent = 0

    async def __aenter__(self) -> Peers:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.timeout,
                                          sock_read=self.stall_timeout),
            read_bufsize=READ_BUFFER, auto_decompress=False,
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The open HTTP session (inside ``async with``)."""
        if self._session is None:
            raise RuntimeError("Peers is used outside 'async with'")
        return self._session

    # -- finding a file -----------------------------------------------------------------------

    async def probe(self, url: str, name: str) -> PeerCopy | None:
        """Ask one peer whether it has ``name``; None if not, or if it fails to answer in time."""
        self.probes_sent += 1
        try:
            async with self.session.head(f"{url}/files/{name}", headers=self._headers,
                                         allow_redirects=False,
                                         timeout=aiohttp.ClientTimeout(total=self.timeout)
                                         ) as response:
                if response.status == 200:
                    return PeerCopy(url, response.headers[CHECKSUM_HEADER],
                                    int(response.headers["Content-Length"]))
                if response.status != 404:
                    log.warning("peer %s answered HEAD %s with %s", url, name, response.status)
        except (*_PEER_ERRORS, KeyError) as exc:
            log.info("peer %s did not answer HEAD %s: %s", url, name,
                     exc.__class__.__name__ if isinstance(exc, asyncio.TimeoutError) else exc)
        return None

    async def locate(self, name: str) -> PeerCopy | None:
        """The nearest peer holding ``name``, asking all of them at once.

        The answer of an earlier (nearer) peer is preferred, but once some peer has said yes an
        earlier one that has not answered gets only :data:`PROBE_GRACE` seconds more.
        """
        if not self.urls:
            return None
        tasks = [asyncio.create_task(self.probe(url, name)) for url in self.urls]
        try:
            pending = set(tasks)
            first_yes: float | None = None
            while True:
                for task in tasks:
                    if not task.done():
                        break
                    if task.result() is not None:
                        return task.result()
                else:
                    return None
                answered = [task.result() for task in tasks if task.done() and task.result()]
                if answered and first_yes is None:
                    first_yes = time.monotonic()
                if first_yes is not None and time.monotonic() >= first_yes + PROBE_GRACE:
                    return answered[0]
                wait = None if first_yes is None else first_yes + PROBE_GRACE - time.monotonic()
                _, pending = await asyncio.wait(pending, timeout=wait,
                                                return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()

    async def locate_all(self, name: str) -> list[PeerCopy]:
        """Every peer that answers that it holds ``name``, in configured order."""
        found = await asyncio.gather(*(self.probe(url, name) for url in self.urls))
        return [copy for copy in found if copy is not None]

    @contextlib.asynccontextmanager
    async def download(self, copy: PeerCopy, name: str) -> AsyncIterator[AsyncIterator[bytes]]:
        """Open ``name`` on the peer of ``copy``; yield an iterator over its body's chunks.

        Raises :class:`StoreUnavailable` when the peer does not answer with the copy it
        announced (status, checksum or size differ).
        """
        try:
            async with self.session.get(f"{copy.url}/files/{name}", headers=self._headers,
                                        allow_redirects=False) as response:
                if response.status != 200:
                    raise StoreUnavailable(f"peer {copy.url}: GET {name} answered "
                                           f"{response.status} after announcing the file")
                sha256 = response.headers.get(CHECKSUM_HEADER)
                size = response.content_length
                if sha256 != copy.sha256 or size != copy.size:
                    raise StoreUnavailable(
                        f"peer {copy.url}: {name} changed between HEAD and GET (sha256 "
                        f"{copy.sha256} size {copy.size} then {sha256} size {size})")
                yield response.content.iter_any()
        except _PEER_ERRORS as exc:
            raise StoreUnavailable(f"peer {copy.url}: GET {name} failed: {exc!r}") from exc

    async def copy_into(self, store: LocalStore, copy: PeerCopy, name: str, *,
                        executor: Executor, relay: Relay | None = None,
                        cache: bool = True) -> bool:
        """Download ``name`` from the peer of ``copy``, verified, into ``store``.

        Each chunk also goes to ``relay`` as it arrives, so a client is served while the file
        is cached, except the last: it is passed on only once the whole content has matched
        the peer's checksum, so a corrupt copy never reaches a client complete. With
        ``cache=False`` (no room) the file is only relayed. Returns True if the file is new
        in ``store``. Raises :class:`CorruptFile` when the content does not match the peer's
        checksum (nothing is cached and the peer is asked to verify itself) and
        :class:`StoreUnavailable` when the transfer fails.
        """
        loop = asyncio.get_running_loop()
        fd, tmp = store.temp_file() if cache else (None, None)
        writer = HashingWriter(fd, executor, writeback=False)
        try:
            held_back = b""
            async with self.download(copy, name) as chunks:
                if relay is not None:
                    await relay.start(copy)
                async for chunk in chunks:
                    if relay is not None and held_back:
                        await relay.write(held_back)
                    held_back = chunk
                    await writer.write(chunk)
                found, _ = await writer.finish()
            try:
                verify_digest(found, copy.sha256, f"{name} from peer {copy.url}")
            except CorruptFile:
                await self.report_bad(copy.url, name)
                raise
            if relay is not None and held_back:
                await relay.write(held_back)
            if fd is None or tmp is None:
                return False
            await loop.run_in_executor(executor, os.fsync, fd)
            return await loop.run_in_executor(executor, store.link_temp, tmp, name, copy.sha256)
        finally:
            if fd is not None and tmp is not None:
                writer.release(lambda: (os.close(fd), tmp.unlink(missing_ok=True)))

    async def report_bad(self, url: str, name: str) -> None:
        """Ask the peer at ``url`` to re-hash ``name``, whose copy from it failed its checksum."""
        try:
            async with self.session.post(f"{url}/verify/{name}", headers=self._headers,
                                         timeout=aiohttp.ClientTimeout(total=self.stall_timeout)
                                         ) as response:
                log.warning("peer %s sent %s with a wrong checksum; its verification: %s %s",
                            url, name, response.status, await response.text())
        except _PEER_ERRORS as exc:
            log.warning("peer %s sent %s with a wrong checksum and cannot verify it: %r",
                        url, name, exc)

    # -- deletes and tombstones ---------------------------------------------------------------

    async def _delete_one(self, url: str, name: str) -> str:
        try:
            async with self.session.delete(f"{url}/files/{name}", headers=self._headers,
                                           timeout=aiohttp.ClientTimeout(total=self.timeout * 5)
                                           ) as response:
                if response.status == 200:
                    return "deleted"
                if response.status == 404:
                    return "absent"
                return f"refused: {response.status} {await response.text()}"
        except _PEER_ERRORS as exc:
            return f"unreachable: {exc!r}"

    async def delete(self, name: str) -> dict[str, str]:
        """Delete ``name`` on every peer at once; per URL ``deleted``, ``absent`` or why not."""
        check_name(name)
        results = await asyncio.gather(*(self._delete_one(url, name) for url in self.urls))
        return dict(zip(self.urls, results, strict=True))

    async def tombstones(self, url: str) -> list[Tombstone]:
        """The tombstones of the peer at ``url``."""
        try:
            async with self.session.get(f"{url}/tombstones", headers=self._headers,
                                        allow_redirects=False) as response:
                if response.status != 200:
                    raise StoreUnavailable(f"peer {url}: GET /tombstones answered "
                                           f"{response.status}: {await response.text()}")
                return [Tombstone.from_json(json.loads(line))
                        async for line in response.content if line.strip()]
        except _PEER_ERRORS as exc:
            raise StoreUnavailable(f"peer {url}: GET /tombstones failed: {exc!r}") from exc
