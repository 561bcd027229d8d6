"""What one data server does, apart from HTTP: store uploads, find files, ask peers, delete.

The handlers translate requests into calls of :class:`FileService` and its answers into
responses; everything here is plain asyncio over a :class:`~dataserver.store.LocalStore` and
:class:`~dataserver.peers.Peers`. Blocking disk work runs on a thread pool.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import time
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from common.errors import (
    ChecksumMismatch,
    CorruptFile,
    NotFound,
    StoreError,
    StoreFull,
    StoreRequestError,
)
from dataserver.peers import PeerCopy, Peers, Relay
from dataserver.scrub import ScrubReport, Verdict, check_file, scrub
from dataserver.store import (
    DamagedChecksumRecord,
    LocalStore,
    Quarantine,
    StoredFile,
    Tombstone,
    check_name,
    check_same_content,
    verify_digest,
)
from dataserver.streams import HashingWriter

__all__ = ["FileService", "LocalFile"]

log = logging.getLogger(__name__)

T = TypeVar("T")

CHECKSUM_CACHE = 100_000
MISS_CACHE = 100_000
DISK_THREADS = 16


@dataclass(frozen=True)
class LocalFile:
    """A file this server holds: where it is, its recorded sha256 and its size."""

    path: Path
    sha256: str
    size: int


def _discard(fd: int, tmp: Path) -> None:
    """Close and remove a temporary file (after its data was linked into place, or not)."""
    os.close(fd)
    tmp.unlink(missing_ok=True)


def _gib(size: float) -> str:
    return f"{size / 2**30:.2f} GiB"


class FileService:
    """The store of one server with its peers, space accounting and miss cache."""

    def __init__(self, store: LocalStore, peers: Peers, *, space_limit: int | None = None,
                 min_free: int = 0, miss_ttl: float = 5.0) -> None:
        self.store = store
        self.peers = peers
        self.space_limit = space_limit
        self.min_free = min_free
        self.miss_ttl = miss_ttl
        self.executor = ThreadPoolExecutor(DISK_THREADS, thread_name_prefix="disk")
        self.counters: Counter[str] = Counter()
        self.used = 0
        self._reserved = 0
        self._checksums: OrderedDict[str, str] = OrderedDict()
        self._misses: OrderedDict[str, float] = OrderedDict()
        self._fetches: dict[str, asyncio.Future[None]] = {}

    async def _run(self, function: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    async def start(self) -> None:
        """Remove uploads orphaned by a crash; count the bytes held when a limit is set."""
        removed = await self._run(self.store.clean_temp)
        if removed:
            log.info("removed %d temporary files left by interrupted uploads", removed)
        if self.space_limit is not None:
            self.used = await self._run(self.store.used_bytes)
            log.info("store holds %s of its %s limit", _gib(self.used), _gib(self.space_limit))

    def close(self) -> None:
        """Stop the disk threads (after the server stopped taking requests)."""
        self.executor.shutdown(wait=True)

    # -- local files ---------------------------------------------------------------------------

    def _remember(self, name: str, sha256: str) -> None:
        self._checksums[name] = sha256
        if len(self._checksums) > CHECKSUM_CACHE:
            self._checksums.popitem(last=False)

    async def local(self, name: str, *, check_damage: bool = True) -> LocalFile | None:
        """The file ``name`` if this server holds it, else None.

        A name deleted here raises :class:`NotFound` naming when, so no peer is asked. A file
        whose checksum record is damaged is verified first (repaired, healed or quarantined).
        """
        path = self.store.path(name)
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            tombstone = await self._run(self.store.tombstone, name)
            if tombstone is not None:
                raise NotFound(tombstone.describe() + " (a re-upload would restore it)") \
                    from None
            return None
        sha256 = self._checksums.get(name)
        if sha256 is None:
            try:
                sha256 = await self._run(self.store.checksum, name)
            except NotFound:
                return None
            except DamagedChecksumRecord:
                if not check_damage:
                    raise
                log.warning("%s: damaged checksum record; verifying the file", name)
                await self.verify(name)
                return await self.local(name, check_damage=False)
            self._remember(name, sha256)
        return LocalFile(path, sha256, size)

    async def quarantined(self, name: str) -> Quarantine | None:
        """The quarantine record of ``name`` (it is bound to that content), or None."""
        return await self._run(self.store.quarantined, name)

    async def read_small(self, file: LocalFile) -> bytes:
        """The content of a small file (it is sent from memory)."""
        return await self._run(file.path.read_bytes)

    def _forget(self, name: str, size: int) -> None:
        self._checksums.pop(name, None)
        self.used = max(0, self.used - size)

    # -- uploads --------------------------------------------------------------------------------

    def _check_room(self, name: str, size: int) -> None:
        if self.space_limit is not None and self.used + self._reserved + size > self.space_limit:
            raise StoreFull(
                f"{name}: {size} bytes do not fit: the store holds {self.used} of its "
                f"{self.space_limit}-byte limit and {self._reserved} bytes are arriving")
        free = self.store.free_bytes() - self._reserved
        if free - size < self.min_free:
            raise StoreFull(
                f"{name}: {size} bytes would leave {free - size} bytes free on the disk of "
                f"{self.store.root}; the server keeps at least {self.min_free} free")

    async def check_upload(self, name: str, sha256: str, size: int | None) -> LocalFile | None:
        """Everything a PUT can be refused for before its body is read.

        Returns the existing file when the same content is already stored (nothing to do);
        raises :class:`IntegrityError` for other content under the name, :class:`StoreFull`
        when there is no room and :class:`StoreRequestError` without a length.
        """
        check_name(name)
        if size is None:
            raise StoreRequestError(f"PUT {name}: needs a Content-Length (the file's size)")
        try:
            existing = await self.local(name)
        except NotFound:
            existing = None
        if existing is not None:
            check_same_content(name, existing.sha256, sha256, "already stored")
            return existing
        held = await self.quarantined(name)
        if held is not None:
            check_same_content(name, held.sha256 or "unknown", sha256, held.describe())
        self._check_room(name, size)
        return None

    async def receive(self, name: str, sha256: str, size: int | None,
                      body: AsyncIterator[bytes]) -> bool:
        """Store the streamed ``body`` as ``name`` if its sha256 is ``sha256``.

        Returns True when the file is new, False when the same content was already stored.
        The body goes to a temporary file (hashed on the way), is fsynced and verified, and
        only then linked into place; any failure leaves no file under ``name``.
        """
        if await self.check_upload(name, sha256, size) is not None:
            return False
        assert size is not None
        self._reserved += size
        fd, tmp = self.store.temp_file()
        writer = HashingWriter(fd, self.executor)
        try:
            async for chunk in body:
                await writer.write(chunk)
            found, received = await writer.finish()
            if received != size:
                raise StoreRequestError(f"PUT {name}: received {received} bytes, the request "
                                        f"announced {size}; nothing stored")
            await self._run(os.fsync, fd)
            try:
                verify_digest(found, sha256, f"PUT {name}: the {received} bytes received",
                              error=ChecksumMismatch, outcome="the one declared; nothing stored")
            except ChecksumMismatch:
                self.counters["checksum_mismatches"] += 1
                raise
            created = await self._run(self.store.link_temp, tmp, name, sha256)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StoreFull(f"PUT {name}: the disk of {self.store.root} is full "
                                f"({exc.strerror}); nothing stored") from exc
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"PUT {name}: cannot write to {self.store.root} ({exc})") from exc
        finally:
            writer.release(lambda: _discard(fd, tmp))
            self._reserved -= size
        if created:
            self.used += size
            self.counters["files_stored"] += 1
            self._remember(name, sha256)
            self._misses.pop(name, None)
            await self._run(self.store.unbury, name)
        return created

    # -- misses: the peers ----------------------------------------------------------------------

    def _missing_recently(self, name: str) -> bool:
        until = self._misses.get(name)
        if until is None:
            return False
        if until > time.monotonic():
            self.counters["miss_cache_hits"] += 1
            return True
        del self._misses[name]
        return False

    def _record_miss(self, name: str) -> None:
        if self.miss_ttl <= 0:
            return
        self._misses[name] = time.monotonic() + self.miss_ttl
        self._misses.move_to_end(name)
        if len(self._misses) > MISS_CACHE:
            self._misses.popitem(last=False)

    async def locate(self, name: str) -> PeerCopy:
        """The nearest peer holding ``name``; :class:`NotFound` if none (remembered briefly).

        A name quarantined here takes only a copy of its recorded content; without one it
        raises :class:`CorruptFile` (the file exists but is damaged, it is not missing).
        """
        held = await self.quarantined(name)
        if not self.peers.urls:
            if held is not None:
                raise CorruptFile(held.describe() + "; this server has no peers to heal it from")
            raise NotFound(f"{name}: no such file on this server (it has no peers)")
        if held is None and self._missing_recently(name):
            raise NotFound(f"{name}: no such file on this server or its peers (asked less "
                           f"than {self.miss_ttl:g} s ago)")
        copy = await self.peers.locate(name)
        if held is not None and (copy is None or copy.sha256 != held.sha256):
            raise CorruptFile(held.describe() + "; no peer holds that content "
                              f"({', '.join(self.peers.urls)})")
        if copy is None:
            self._record_miss(name)
            raise NotFound(f"{name}: no such file on this server or its peers "
                           f"({', '.join(self.peers.urls)})")
        return copy

    async def fetch(self, name: str, relay: Relay | None = None, *,
                    cache_required: bool = False) -> bool:
        """Copy ``name`` from the nearest peer into this store, passing it on to ``relay``.

        Returns True if this call fetched the file (False: it was already being fetched for
        another request, whose completion this call waited for, so serve it locally). Raises
        :class:`NotFound` when no peer has it. Without room to cache the file it is only
        relayed, or :class:`StoreFull` is raised when ``cache_required``.
        """
        running = self._fetches.get(name)
        if running is not None:
            await asyncio.shield(running)
            return False
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._fetches[name] = done
        try:
            copy = await self.locate(name)
            try:
                self._check_room(name, copy.size)
                cache = True
            except StoreFull as exc:
                if cache_required or relay is None:
                    raise
                log.warning("relaying %s without caching it: %s", name, exc)
                cache = False
            self.counters["peer_fetches"] += 1
            if cache:
                self._reserved += copy.size
            try:
                created = await self.peers.copy_into(self.store, copy, name, relay=relay,
                                                     cache=cache, executor=self.executor)
            finally:
                if cache:
                    self._reserved -= copy.size
            if created:
                self.used += copy.size
                self._remember(name, copy.sha256)
            log.info("%s: fetched %d bytes from peer %s%s", name, copy.size, copy.url,
                     "" if cache else " (relayed, not cached)")
            return True
        finally:
            del self._fetches[name]
            done.set_result(None)

    async def verify(self, name: str) -> Verdict:
        """Re-hash ``name`` (a client found it corrupt); quarantine and heal it if so.

        A name already quarantined here (and not healed since) is :attr:`Verdict.LOST`.
        """
        check_name(name)
        if not self.store.exists(name) and await self.quarantined(name) is not None:
            return Verdict.LOST
        size = os.path.getsize(self.store.path(name)) if self.store.exists(name) else 0
        self._checksums.pop(name, None)
        verdict = await check_file(self.store, self.peers, name, self.executor)
        self._checked(name, verdict, size)
        return verdict

    def _checked(self, name: str, verdict: Verdict, size: int) -> None:
        """Account for a file verified by a client's report or a scrub."""
        self.counters[f"verify_{verdict.name.lower()}"] += 1
        if verdict is not Verdict.OK:
            self._checksums.pop(name, None)
        if verdict is Verdict.LOST:
            self._forget(name, size)

    async def scrub(self) -> ScrubReport:
        """Re-hash every file (quarantining and healing bad ones) and apply peer deletes."""
        sizes: dict[str, int] = {}

        def before(name: str, verdict: Verdict) -> None:
            self._checked(name, verdict, sizes.get(name, 0))

        for entry in await self._run(lambda: list(self.store.entries())):
            sizes[entry.name] = entry.size
        report = await scrub(self.store, self.peers if self.peers.urls else None,
                             on_delete=self._forget, on_verdict=before)
        self.counters["scrubs"] += 1
        log.info("scrub: %s", report.summary())
        return report

    async def scrub_every(self, interval: float) -> None:
        """Scrub every ``interval`` seconds until cancelled (``--scrub-interval``)."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.scrub()
            except (OSError, StoreError) as exc:
                log.error("scrub failed: %s", exc)

    # -- deletes, listing, garbage collection ----------------------------------------------------

    async def delete(self, name: str, *, propagate: bool) -> dict[str, object]:
        """Delete ``name`` here (leaving a tombstone) and, unless a peer asked, on the peers.

        Raises :class:`NotFound` when neither this server nor any peer had the file.
        """
        check_name(name)
        sha256: str | None = None
        deleted_here = False
        held = await self.quarantined(name)
        if held is not None:
            sha256 = held.sha256
            await self._run(self.store.release, name)
            deleted_here = True
        try:
            sha256 = await self._run(self.store.checksum, name)
        except NotFound:
            pass
        except DamagedChecksumRecord:
            sha256 = None
        if self.store.exists(name):
            size = os.path.getsize(self.store.path(name))
            await self._run(self.store.delete, name)
            self._forget(name, size)
            deleted_here = True
        if deleted_here:
            # Buried before the peers are told, so no request here fetches it back meanwhile.
            await self._bury(name, sha256)
        peers = await self.peers.delete(name) if propagate and self.peers.urls else {}
        self._misses.pop(name, None)
        if not deleted_here:
            if "deleted" not in peers.values():
                # Nothing was deleted anywhere: a name that never existed leaves no tombstone.
                raise NotFound(f"{name}: no such file on this server"
                               + (" or its peers" if peers else ""))
            await self._bury(name, sha256)
        self.counters["deletes"] += 1
        log.info("%s: deleted (here: %s, peers: %s)", name, deleted_here, peers or "-")
        return {"name": name, "deleted_here": deleted_here, "peers": peers}

    async def _bury(self, name: str, sha256: str | None) -> None:
        previous = await self._run(self.store.tombstone, name)
        if sha256 is None and previous is not None:
            sha256 = previous.sha256
        await self._run(self.store.bury, name, sha256)

    def listing(self, older_than: float) -> list[StoredFile]:
        """Every stored file stored at least ``older_than`` seconds ago (run on a thread)."""
        cutoff = time.time() - older_than
        return [entry for entry in self.store.entries() if entry.stored <= cutoff]

    async def collect(self, names: list[str], older_than: float) -> dict[str, object]:
        """Delete the files ``names`` that are older than ``older_than`` s (no tombstone).

        This is garbage collection of files no database references: nothing is propagated,
        and a peer may still hold (and serve again) its own copy.
        """
        cutoff = time.time() - older_than
        deleted: list[str] = []
        kept: dict[str, str] = {}
        for name in names:
            check_name(name)
            path = self.store.path(name)
            try:
                info = os.stat(path)
            except FileNotFoundError:
                kept[name] = "not stored here"
                continue
            if info.st_mtime > cutoff:
                kept[name] = f"stored less than {older_than:g} s ago"
                continue
            await self._run(self.store.delete, name)
            self._forget(name, info.st_size)
            deleted.append(name)
        self.counters["collected"] += len(deleted)
        log.info("garbage collection: deleted %d files, kept %d", len(deleted), len(kept))
        return {"deleted": deleted, "kept": kept}

    def tombstones(self) -> list[Tombstone]:
        """Every tombstone of this server (run on a thread)."""
        return list(self.store.tombstones())

    def health(self) -> dict[str, object]:
        """Plain data for ``GET /health``."""
        return {
            "status": "ok",
            "root": str(self.store.root),
            "peers": list(self.peers.urls),
            "free_bytes": self.store.free_bytes(),
            "used_bytes": self.used if self.space_limit is not None else None,
            "space_limit": self.space_limit,
            "min_free": self.min_free,
            "counters": {**self.counters, "peer_probes_sent": self.peers.probes_sent},
        }
