"""Keep a store's files true to their checksums and its deletes in step with its peers.

``check_file`` re-hashes one file. A file whose content differs from its recorded sha256 is
moved to ``quarantine/`` and fetched again from a peer that holds the recorded content; if a
peer holds exactly what is on disk, the sidecar was the damaged part and is rewritten instead.
An empty or malformed sidecar is a damaged record: a peer holding the content found on disk
repairs it, else the file is quarantined with that reason.
``scrub`` does that for every file, removes temporary files orphaned by killed uploads and
applies the tombstones of the peers (deletes a server missed while it was down).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from common.config import Progress
from common.errors import CorruptFile, IntegrityError, NotFound, StoreError, StoreUnavailable
from dataserver.peers import Peers
from dataserver.store import DamagedChecksumRecord, LocalStore, sha256_of, verify_digest

__all__ = ["ScrubReport", "Verdict", "check_file", "open_server_store", "scrub"]

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 10.0


class Verdict(Enum):
    """What :func:`check_file` found and did."""

    OK = "ok"
    HEALED = "healed"
    SIDECAR_REPAIRED = "sidecar repaired"
    LOST = "lost"


@dataclass
class ScrubReport:
    """Counts of one scrub run, and the names that could not be healed."""

    checked: int = 0
    bytes: int = 0
    healed: list[str] = field(default_factory=list)
    sidecars_repaired: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    temp_removed: int = 0
    tombstones_applied: list[str] = field(default_factory=list)
    peers_unreachable: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the log and the command's output."""
        return (f"checked {self.checked} files ({self.bytes / 2**30:.2f} GiB): "
                f"{len(self.healed)} healed, {len(self.sidecars_repaired)} checksum records "
                f"repaired, {len(self.lost)} lost; {self.temp_removed} orphaned uploads "
                f"removed; {len(self.tombstones_applied)} peer deletes applied")


async def check_file(store: LocalStore, peers: Peers | None, name: str,
                     executor: Executor) -> Verdict:
    """Re-hash ``name``; quarantine and re-fetch it, or repair its sidecar, when they differ."""
    loop = asyncio.get_running_loop()
    try:
        recorded: str | None = await loop.run_in_executor(executor, store.checksum, name)
        reason = None
    except DamagedChecksumRecord as exc:
        recorded, reason = None, f"damaged checksum record: {exc}"
    found = await loop.run_in_executor(executor, sha256_of, store.path(name))
    if recorded is not None:
        try:
            verify_digest(found, recorded, "re-hashed")
        except CorruptFile as exc:
            reason = str(exc)
        else:
            return Verdict.OK
    copies = await peers.locate_all(name) if peers is not None else []
    if any(copy.sha256 == found for copy in copies):
        await loop.run_in_executor(executor, store.repair_checksum, name, found)
        log.warning("%s: the recorded sha256 %s was wrong; peers hold the content found on "
                    "disk (%s); record repaired", name, recorded, found)
        return Verdict.SIDECAR_REPAIRED
    if recorded is None:
        reason = f"{reason}; no peer holds the content found on disk (sha256 {found})"
    moved = await loop.run_in_executor(executor, store.quarantine, name, recorded, reason)
    log.warning("%s: %s; moved to %s", name, reason, moved)
    for copy in copies:
        if recorded is None or copy.sha256 != recorded:
            continue
        try:
            await peers.copy_into(store, copy, name, executor=executor)
        except (IntegrityError, StoreUnavailable) as exc:
            log.warning("%s: re-fetch from %s failed: %s", name, copy.url, exc)
            continue
        log.warning("%s: healed from peer %s", name, copy.url)
        return Verdict.HEALED
    log.error("%s: no peer holds the recorded content (sha256 %s); quarantined here",
              name, recorded)
    return Verdict.LOST


async def _apply_tombstones(store: LocalStore, peers: Peers, report: ScrubReport,
                            on_delete: Callable[[str, int], None] | None) -> None:
    for url in peers.urls:
        try:
            tombstones = await peers.tombstones(url)
        except StoreUnavailable as exc:
            log.warning("tombstones of %s: %s", url, exc)
            report.peers_unreachable.append(url)
            continue
        for tombstone in tombstones:
            name = tombstone.name
            if store.tombstone(name) is not None:
                continue
            if store.exists(name):
                if tombstone.sha256 not in (None, store.checksum(name)):
                    continue
                size = store.path(name).stat().st_size
                store.delete(name)
                if on_delete is not None:
                    on_delete(name, size)
                report.tombstones_applied.append(name)
            store.bury(name, tombstone.sha256)


def _log_progress(done: int, total: int, what: str) -> None:
    log.info("scrub: %d/%d files (%s)", done, total, what)


async def scrub(store: LocalStore, peers: Peers | None, *,
                names: list[str] | None = None,
                progress: Progress = _log_progress,
                on_delete: Callable[[str, int], None] | None = None,
                on_verdict: Callable[[str, Verdict], None] | None = None) -> ScrubReport:
    """Check every file (or ``names``) of ``store``; heal from ``peers``; report.

    ``progress(done, total, what)`` is called every :data:`PROGRESS_INTERVAL` seconds and
    at the end; ``on_verdict(name, verdict)`` after each file checked.
    """
    report = ScrubReport(temp_removed=store.clean_temp())
    if peers is not None and names is None:
        await _apply_tombstones(store, peers, report, on_delete)
    todo = list(names) if names is not None else list(store.names())
    last = time.monotonic()
    with ThreadPoolExecutor(2, thread_name_prefix="scrub") as executor:
        for index, name in enumerate(todo, start=1):
            try:
                verdict = await check_file(store, peers, name, executor)
            except NotFound:
                continue
            except (OSError, StoreError) as exc:
                log.error("%s: cannot be checked: %s", name, exc)
                report.lost.append(name)
                continue
            report.checked += 1
            if on_verdict is not None:
                on_verdict(name, verdict)
            if store.exists(name):
                report.bytes += os.path.getsize(store.path(name))
            {Verdict.HEALED: report.healed, Verdict.SIDECAR_REPAIRED: report.sidecars_repaired,
             Verdict.LOST: report.lost}.get(verdict, []).append(name)
            if time.monotonic() - last >= PROGRESS_INTERVAL or index == len(todo):
                last = time.monotonic()
                progress(index, len(todo), f"{report.bytes / 2**30:.2f} GiB, "
                         f"{len(report.healed)} healed, {len(report.lost)} quarantined")
    return report


def open_server_store(path: Path) -> LocalStore:
    """The store at ``path``, which must already be a data server's root."""
    if not (path / "files").is_dir():
        raise StoreError(f"{path}: not a data-server store (no files/ directory)")
    return LocalStore(path)
