"""The parts of the data server that need no server: wire rules, tokens, store bookkeeping."""

import asyncio
import base64
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from common.config import load_config
from common.errors import (
    ChecksumMismatch,
    ConfigError,
    IntegrityError,
    NotFound,
    PermissionDenied,
    StoreFull,
    StoreRequestError,
    StoreUnavailable,
)
from dataserver.client import HttpStore
from dataserver.factory import open_store
from dataserver.protocol import (
    declared_checksum,
    error_class_for_status,
    parse_age,
    parse_size,
    repr_digest,
    status_for_error,
)
from dataserver.store import DataStore, LocalStore, Quarantine, Tombstone
from dataserver.streams import HashingWriter
from dataserver.tokens import Identity, TokenRegistry, hash_token, issue_token

DIGEST = hashlib.sha256(b"pixels").hexdigest()


def test_declared_checksum_from_either_header():
    assert declared_checksum({"X-Checksum-Sha256": DIGEST.upper()}, "f") == DIGEST
    assert declared_checksum({"Repr-Digest": repr_digest(DIGEST)}, "f") == DIGEST
    both = {"Repr-Digest": "sha-512=:AAAA:, " + repr_digest(DIGEST), "X-Checksum-Sha256": DIGEST}
    assert declared_checksum(both, "f") == DIGEST
    for headers, message in [
        ({}, "needs the file's sha256"),
        ({"Repr-Digest": "sha-512=:AAAA:"}, "needs the file's sha256"),
        ({"X-Checksum-Sha256": "xyz"}, "64 hex digits"),
        ({"Repr-Digest": "sha-256=abc"}, "expected sha-256=:BASE64:"),
        ({"Repr-Digest": "sha-256=:!!:"}, "not base64"),
        ({"Repr-Digest": "sha-256=:" + base64.b64encode(b"short").decode() + ":"}, "32 bytes"),
        ({"Repr-Digest": repr_digest(DIGEST), "X-Checksum-Sha256": "0" * 64}, "disagree"),
    ]:
        with pytest.raises(StoreRequestError, match=message):
            declared_checksum(headers, "f")


def test_status_codes_of_errors_and_back():
    assert status_for_error(StoreRequestError("x")) == 400
    assert status_for_error(PermissionDenied("x")) == 403
    assert status_for_error(NotFound("x")) == 404
    assert status_for_error(IntegrityError("x")) == 409
    assert status_for_error(ChecksumMismatch("x")) == 422
    assert status_for_error(StoreFull("x")) == 507
    assert status_for_error(StoreUnavailable("x")) == 503
    for status, cls in [(400, StoreRequestError), (401, PermissionDenied), (404, NotFound),
                        (409, IntegrityError), (422, ChecksumMismatch), (507, StoreFull),
                        (502, StoreUnavailable)]:
        assert error_class_for_status(status) is cls


def test_sizes_and_ages():
    assert parse_size("2048") == 2048
    assert parse_size("3M") == 3 << 20 and parse_size("1.5T") == int(1.5 * (1 << 40))
    assert parse_size("20GiB") == 20 << 30 and parse_size("1p") == 1 << 50
    assert parse_age("90") == 90 and parse_age("30m") == 1800 and parse_age("7d") == 604800
    for bad in ("", "-1", "1X"):
        with pytest.raises(ValueError, match="expected a size"):
            parse_size(bad)
    with pytest.raises(ValueError, match="expected an age"):
        parse_age("soon")


def test_token_registry(tmp_path):
    users = tmp_path / "users"
    users.write_text(f"alice {hash_token('a')}\n# comment\nbob {hash_token('b').upper()}\n")
    service = tmp_path / "service"
    service.write_text(hash_token("s"))
    peer = tmp_path / "peer"
    peer.write_text("p\n")
    registry = TokenRegistry(users_file=users, service_file=service, peer_file=peer)
    assert registry.identify("a") == Identity("user", "alice")
    assert registry.identify("b") == Identity("user", "bob")
    assert registry.identify("s") == Identity("service", "service")
    assert registry.identify("p") == Identity("peer", "peer")
    assert registry.identify("nobody") is None
    assert registry.peer_token == "p" and registry.accepts_writes
    users.write_text(f"carol {hash_token('c')}\n")
    assert registry.identify("c") == Identity("user", "carol")
    assert registry.identify("a") is None
    users.write_text("broken line\n")
    assert registry.identify("c") == Identity("user", "carol"), "a broken file keeps the old"
    assert not TokenRegistry().accepts_writes


@pytest.mark.parametrize(("content", "message"), [
    ("alice\n", ":1: expected 'USER SHA256-HEX'"),
    (f"alice {hash_token('a')}\nalice {hash_token('b')}\n", ":2: user 'alice' appears twice"),
    ("9lives " + "0" * 64, ":1:"),
])
def test_bad_users_files(tmp_path, content, message):
    users = tmp_path / "users"
    users.write_text(content)
    with pytest.raises(ConfigError, match=message):
        TokenRegistry(users_file=users)


def test_service_file_must_hold_a_hash(tmp_path):
    service = tmp_path / "service"
    service.write_text("the-token-itself")
    with pytest.raises(ConfigError, match="not the token itself"):
        TokenRegistry(service_file=service)


def test_issue_token(tmp_path):
    users = tmp_path / "users"
    digest = issue_token(tmp_path / "alice.token", user="alice", users_file=users)
    token = (tmp_path / "alice.token").read_text().strip()
    assert hash_token(token) == digest and users.read_text() == f"alice {digest}\n"
    assert (tmp_path / "alice.token").stat().st_mode & 0o777 == 0o600
    with pytest.raises(ConfigError, match="already has a token"):
        issue_token(tmp_path / "again.token", user="alice", users_file=users)
    assert not (tmp_path / "again.token").exists()
    with pytest.raises(ConfigError, match="exists"):
        issue_token(tmp_path / "alice.token", user="bob", users_file=users)
    service = tmp_path / "service"
    digest = issue_token(tmp_path / "service.token", service_file=service)
    assert TokenRegistry(service_file=service).identify(
        (tmp_path / "service.token").read_text().strip()) == Identity("service", "service")
    with pytest.raises(ConfigError, match="either a user's"):
        issue_token(tmp_path / "x", user="bob", users_file=users, service_file=service)


def test_tombstones_quarantine_and_orphaned_temp_files(tmp_path):
    store = LocalStore(tmp_path / "store")
    source = tmp_path / "f"
    source.write_bytes(b"content")
    digest = store.put(source, "a.fits")
    assert store.tombstone("a.fits") is None
    store.delete("a.fits")
    buried = store.bury("a.fits", digest)
    assert store.tombstone("a.fits") == buried and list(store.tombstones()) == [buried]
    assert Tombstone.from_json(buried.to_json()) == buried
    assert buried.describe().startswith("a.fits: deleted at 20")
    store.unbury("a.fits")
    assert store.tombstone("a.fits") is None

    store.put(source, "b.fits")
    moved = store.quarantine("b.fits", digest, "scrub found sha256 0000")
    assert moved.read_bytes() == b"content" and moved.parent.name == "quarantine"
    assert not store.exists("b.fits")
    held = store.quarantined("b.fits")
    assert held.sha256 == digest and held.reason == "scrub found sha256 0000"
    assert Quarantine.from_json(held.to_json()) == held
    assert "quarantined at 20" in held.describe()
    other = tmp_path / "other"
    other.write_bytes(b"other content")
    with pytest.raises(IntegrityError, match="quarantined"):
        store.put(other, "b.fits")
    assert store.put(source, "b.fits") == digest, "a good copy can take its place again"
    assert store.quarantined("b.fits") is None, "and ends the quarantine"
    with pytest.raises(NotFound, match="not quarantined"):
        store.release("b.fits")

    held_fd, held = store.temp_file()
    orphan = store.root / "tmp" / "upload-orphan"
    orphan.write_bytes(b"x")
    try:
        assert store.clean_temp() == 1
        assert held.exists() and not orphan.exists()
    finally:
        os.close(held_fd)
        held.unlink()
    assert [entry.name for entry in store.entries()] == ["b.fits"]
    assert store.used_bytes() == len(b"content")


def test_hashing_writer_releases_only_after_the_last_write(tmp_path):
    path = tmp_path / "out"

    async def run():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT)
        closed = []
        with ThreadPoolExecutor(1) as executor:
            writer = HashingWriter(fd, executor, batch_size=1000)
            for _ in range(10):
                await writer.write(b"x" * 300)
            found, size = await writer.finish()
            writer.release(lambda: (os.close(fd), closed.append(True)))
            assert closed == [True]
            hash_only = HashingWriter(None, executor, batch_size=1000)
            await hash_only.write(b"x" * 3000)
            assert (await hash_only.finish())[0] == found
        return found, size

    found, size = asyncio.run(run())
    assert size == 3000 and found == hashlib.sha256(b"x" * 3000).hexdigest()
    assert path.read_bytes() == b"x" * 3000


def test_open_store_follows_the_configuration(tmp_path, monkeypatch):
    assert isinstance(open_store(load_config()), LocalStore)
    monkeypatch.setenv("AWE_DATASERVERS", "http://127.0.0.1:1,https://example.org:8443/store")
    token_file = tmp_path / "store-token"
    monkeypatch.setenv("AWE_STORE_TOKEN_FILE", str(token_file))
    store = open_store(load_config())
    assert isinstance(store, HttpStore) and isinstance(store, DataStore)
    assert store.urls == ["http://127.0.0.1:1", "https://example.org:8443/store"]
    assert store._token is None
    token_file.write_text("my-token\n")
    assert open_store(load_config())._token == "my-token"
