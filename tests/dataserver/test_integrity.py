"""Bytes that fail their checksum, damaged checksum records, quarantined names, odd Ranges.

Real servers on loopback; corruption is made by flipping a byte of the stored file on disk.
"""

import asyncio
import base64
import hashlib
import http.client
import subprocess
import time

import pytest

from common.errors import CorruptFile, IntegrityError, NotFound
from dataserver import client as client_module
from dataserver.scrub import scrub
from dataserver.store import LocalStore, sha256_of

ARCFILE = "MUSE.2016-03-15T02:10:11.123.fits"
MiB = 1 << 20


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def flip_byte(path, offset):
    with open(path, "r+b") as stream:
        stream.seek(offset)
        value = stream.read(1)[0]
        stream.seek(offset)
        stream.write(bytes([value ^ 0xFF]))


def digest_of_header(value):
    """The sha256 hex in an RFC 9530 ``Repr-Digest: sha-256=:B64:`` value."""
    assert value.startswith("sha-256=:") and value.endswith(":")
    return base64.b64decode(value[len("sha-256=:"):-1]).hex()


def relayed_get(port, path, headers):
    """GET through http.client; (status, body, complete) where complete is False on a cut."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        try:
            return response.status, response.read(), True
        except (http.client.IncompleteRead, ConnectionError) as exc:
            return response.status, getattr(exc, "partial", b""), False
    finally:
        connection.close()


def test_a_relay_of_a_corrupt_peer_copy_never_arrives_complete(cluster, make_file):
    a = cluster.start("a")
    b = cluster.start("b", peers=[a.url])
    source = make_file("f", 3 * MiB)
    a.client().put(source, ARCFILE)
    flip_byte(a.disk().path(ARCFILE), 2 * MiB + 17)
    status, body, complete = relayed_get(b.port, f"/files/{ARCFILE}",
                                         bearer(cluster.tokens.alice))
    assert status == 200 and not complete, "the relay must abort, never finish the body"
    assert len(body) < 3 * MiB
    assert not b.disk().exists(ARCFILE), "a corrupt copy is not cached"
    # b reported the bad copy to a, which re-hashed and quarantined it
    deadline = time.monotonic() + 20
    while a.disk().exists(ARCFILE) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not a.disk().exists(ARCFILE)
    assert "content has sha256" in a.disk().quarantined(ARCFILE).reason


def test_a_flipped_byte_served_directly_is_caught_reported_and_quarantined(cluster, make_file,
                                                                            tmp_path, raw):
    a = cluster.start("a")
    source = make_file("f", 2 * MiB)
    digest = a.client().put(source, ARCFILE)
    flip_byte(a.disk().path(ARCFILE), 1000)
    auth = bearer(cluster.tokens.alice)
    # sendfile serves what is on disk, but Repr-Digest lets any HTTP client see it is wrong
    reply = raw(a.url, "GET", f"/files/{ARCFILE}", auth)
    assert reply.status == 200 and digest_of_header(reply.headers["Repr-Digest"]) == digest
    assert hashlib.sha256(reply.body).hexdigest() != digest
    with pytest.raises(CorruptFile, match="content has sha256"):
        a.client().get(ARCFILE, tmp_path / "back")
    assert not (tmp_path / "back").exists()
    # the client reported it: the server quarantined the file and says so, not "not found"
    assert not a.disk().exists(ARCFILE)
    for method in ("GET", "HEAD"):
        reply = raw(a.url, method, f"/files/{ARCFILE}", auth)
        assert reply.status == 502 and reply.headers["X-Awe-Error-Type"] == "CorruptFile"
    with pytest.raises(CorruptFile, match="quarantined"):
        a.client().get(ARCFILE, tmp_path / "back")
    with pytest.raises(CorruptFile):
        a.client().checksum(ARCFILE)
    # the name stays bound to its content: other content is refused, the original heals it
    other = make_file("other", 1000)
    with pytest.raises(IntegrityError, match="quarantined"):
        a.client().put(other, ARCFILE)
    assert a.client().put(source, ARCFILE) == digest
    assert a.disk().quarantined(ARCFILE) is None
    assert a.client().get(ARCFILE, tmp_path / "back").read_bytes() == source.read_bytes()


def test_an_operator_releases_a_quarantined_name(cluster, make_file, tmp_path, python):
    a = cluster.start("a")
    source = make_file("f", 5000)
    a.client().put(source, ARCFILE)
    flip_byte(a.disk().path(ARCFILE), 10)
    with pytest.raises(CorruptFile):
        a.client().get(ARCFILE, tmp_path / "back")
    other = make_file("other", 1000)
    with pytest.raises(IntegrityError):
        a.client().put(other, ARCFILE)
    release = [python, "-m", "awe.cli", "dataserver", "release", "--root", str(a.root)]
    result = subprocess.run([*release, ARCFILE], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"released: {ARCFILE}: quarantined at" in result.stdout
    assert a.client().put(other, ARCFILE) == sha256_of(other)
    result = subprocess.run([*release, "never.fits"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1 and "NotFound: never.fits: not quarantined" in result.stderr


def test_the_background_scrub_finds_corruption_without_a_client(cluster, make_file, raw):
    a = cluster.start("a", args=["--scrub-interval", "0.5"])
    source = make_file("f", 100_000)
    a.client().put(source, ARCFILE)
    flip_byte(a.disk().path(ARCFILE), 99_999)
    deadline = time.monotonic() + 30
    while "verify_lost" not in a.health()["counters"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert a.health()["counters"]["verify_lost"] == 1
    assert a.disk().quarantined(ARCFILE) is not None and not a.disk().exists(ARCFILE)
    reply = raw(a.url, "GET", f"/files/{ARCFILE}", bearer(cluster.tokens.alice))
    assert reply.status == 502 and reply.json()["error_type"] == "CorruptFile"
    assert "content has sha256" in reply.json()["message"]


@pytest.mark.parametrize("record", ["", "\n", "zz" * 32, "not a checksum", "\xff\xfe"])
def test_a_damaged_checksum_record_is_checked_never_a_500(cluster, make_file, raw, record):
    a = cluster.start("a")
    good = make_file("good", 70_000)
    lonely = make_file("lonely", 70_000)
    a.client().put(good, ARCFILE)
    # b's files and their damaged records are on disk before b starts (nothing cached)
    disk = LocalStore(cluster.tmp_path / "b")
    digest = disk.put(good, ARCFILE)
    disk.put(lonely, "lonely.fits")
    for name in (ARCFILE, "lonely.fits"):
        disk._sidecar(name).write_bytes(record.encode("latin-1"))
    b = cluster.start("b", peers=[a.url])
    auth = bearer(cluster.tokens.alice)
    # a peer holds the content found on disk: the record is repaired and the file served
    reply = raw(b.url, "GET", f"/files/{ARCFILE}", auth)
    assert reply.status == 200 and reply.body == good.read_bytes()
    assert b.disk().checksum(ARCFILE) == digest
    # no peer vouches for it: quarantined with that reason, answered as corruption
    reply = raw(b.url, "GET", "/files/lonely.fits", auth)
    assert reply.status == 502 and reply.json()["error_type"] == "CorruptFile"
    assert "damaged checksum record" in b.disk().quarantined("lonely.fits").reason


def test_deleting_a_name_that_never_existed_leaves_no_tombstone(cluster, make_file, raw):
    a = cluster.start("a")
    b = cluster.start("b", peers=[a.url])
    with pytest.raises(NotFound):
        b.client("service").delete("never.fits")
    assert b.disk().tombstone("never.fits") is None
    assert a.disk().tombstone("never.fits") is None
    assert list((b.root / "tombstones").rglob("*")) == [] or \
        all(path.is_dir() for path in (b.root / "tombstones").rglob("*"))
    # a real delete still leaves one, on every server that had the file
    a.client().put(make_file("f", 100), "real.fits")
    b.client("service").delete("real.fits")
    assert a.disk().tombstone("real.fits") is not None
    assert b.disk().tombstone("real.fits") is not None


@pytest.mark.parametrize("size", [0, 1, 100, 70_000])
def test_bad_ranges_are_416_on_any_size_and_on_missing_files(cluster, tmp_path, raw, size):
    a = cluster.start("a")
    source = tmp_path / "f"
    source.write_bytes(bytes(range(256)) * (size // 256) + bytes(size % 256))
    a.client().put(source, ARCFILE)
    auth = bearer(cluster.tokens.alice)
    for header in ["bytes=-0", "bytes=0-1,3-4", "bytes=0-0, 5-6", "bytes=abc", "bytes=5-2",
                   "bytes=", "bytes=-", "items=0-1", "bytes=--1"]:
        for name in (ARCFILE, "missing.fits"):
            reply = raw(a.url, "GET", f"/files/{name}", {**auth, "Range": header})
            assert reply.status == 416, (header, name, size, reply.status, reply.body[:200])
            assert reply.json()["error_type"] == "RangeNotSatisfiable"


def test_transfers_and_scrub_report_through_the_one_progress_callback(cluster, make_file,
                                                                      tmp_path, monkeypatch):
    monkeypatch.setattr(client_module, "LARGE_TRANSFER", 0)
    calls = []

    def progress(done: int, total: int, what: str) -> None:
        calls.append((done, total, what))

    a = cluster.start("a")
    source = make_file("f", 3 * MiB)
    store = a.client(progress=progress)
    store.put(source, ARCFILE)
    store.get(ARCFILE, tmp_path / "back")
    whats = {what for _, _, what in calls}
    assert {f"hashing {ARCFILE}", f"{ARCFILE} → {a.url}", f"{ARCFILE} ← {a.url}"} <= whats
    for what in whats:
        mine = [(done, total) for done, total, label in calls if label == what]
        assert mine[-1] == (3 * MiB, 3 * MiB)
        assert [done for done, _ in mine] == sorted(done for done, _ in mine)
    calls.clear()
    report = asyncio.run(scrub(LocalStore(a.root), None, progress=progress))
    assert report.checked == 1 and calls[-1][:2] == (1, 1)
