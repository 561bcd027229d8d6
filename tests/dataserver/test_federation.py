"""Two or three real servers as one store: peer fetch, misses, failures, healing, deletes."""

import hashlib
import os
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from common.errors import NotFound, PermissionDenied, StoreUnavailable
from dataserver.client import HttpStore
from dataserver.store import sha256_of

ARCFILE = "MUSE.2016-03-15T02:10:11.123.fits"
MiB = 1 << 20
HOP = {"X-Awe-Peer-Hop": "1"}


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def pair(cluster, *, args_a=(), args_b=()):
    """Servers a and b, each the other's peer."""
    port_a, port_b = cluster.free_port(), cluster.free_port()
    a = cluster.start("a", port=port_a, peers=[f"http://127.0.0.1:{port_b}"], args=list(args_a))
    b = cluster.start("b", port=port_b, peers=[f"http://127.0.0.1:{port_a}"], args=list(args_b))
    return a, b


def cached(node, name, timeout=10.0):
    """Wait for a relayed file to be cached: the client has all bytes slightly before the
    server has fsynced and linked its copy."""
    deadline = time.monotonic() + timeout
    while not node.disk().exists(name):
        assert time.monotonic() < deadline, f"{name} was not cached on {node.url}"
        time.sleep(0.02)
    return node.disk().path(name)


def flip_byte(path, offset):
    with open(path, "r+b") as stream:
        stream.seek(offset)
        value = stream.read(1)[0]
        stream.seek(offset)
        stream.write(bytes([value ^ 0xFF]))


def test_peer_fetch_verifies_caches_and_serves(cluster, make_file, tmp_path, raw):
    origin = cluster.start("origin")
    edge = cluster.start("edge", peers=[origin.url])
    source = make_file("f", 5 * MiB + 3)
    digest = origin.client().put(source, ARCFILE)
    assert not edge.disk().exists(ARCFILE)
    alice = bearer(cluster.tokens.alice)
    head = raw(edge.url, "HEAD", f"/files/{ARCFILE}", alice)
    assert head.status == 200 and head.headers["X-Checksum-Sha256"] == digest
    assert int(head.headers["Content-Length"]) == source.stat().st_size
    assert not edge.disk().exists(ARCFILE), "HEAD answers from the peer without copying"
    back = edge.client().get(ARCFILE, tmp_path / "back")
    assert sha256_of(back) == digest
    assert sha256_of(cached(edge, ARCFILE)) == digest == edge.disk().checksum(ARCFILE)
    fetched = edge.health()["counters"]["peer_fetches"]
    assert edge.client().read_range(ARCFILE, 100, 50) == source.read_bytes()[100:150]
    assert edge.health()["counters"]["peer_fetches"] == fetched == 1
    # a Range request on a miss caches the whole file first
    other = make_file("g", MiB)
    origin.client().put(other, "other.fits")
    assert edge.client().read_range("other.fits", 10, 5) == other.read_bytes()[10:15]
    assert edge.disk().checksum("other.fits") == sha256_of(other)
    assert edge.temp_files() == [] and origin.temp_files() == []


def test_two_servers_that_both_miss_do_not_loop(cluster, raw):
    a, b = pair(cluster)
    started = time.monotonic()
    reply = raw(a.url, "GET", "/files/nowhere.fits", bearer(cluster.tokens.alice))
    assert reply.status == 404 and reply.json()["error_type"] == "NotFound"
    assert "no such file on this server or its peers" in reply.json()["message"]
    assert time.monotonic() - started < 2
    a_counters, b_counters = a.health()["counters"], b.health()["counters"]
    assert a_counters["peer_probes_sent"] == 1 and b_counters["hop_requests"] == 1
    assert b_counters["peer_probes_sent"] == 0 and "hop_requests" not in a_counters
    # the miss is remembered: asking again within the TTL does not ask the peer
    assert raw(a.url, "GET", "/files/nowhere.fits", bearer(cluster.tokens.alice)).status == 404
    assert a.health()["counters"]["peer_probes_sent"] == 1
    assert a.health()["counters"]["miss_cache_hits"] == 1
    # ... but a file stored meanwhile is found at once
    a.client().put(_write(a.root.parent / "x", b"now here"), "nowhere.fits")
    assert b.client().get("nowhere.fits", a.root.parent / "y").read_bytes() == b"now here"


def _write(path, content):
    path.write_bytes(content)
    return path


class Blackhole:
    """A TCP port that accepts connections and never answers (a hung peer)."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def close(self):
        self.socket.close()


def test_dead_and_hung_peers_do_not_block(cluster, make_file, tmp_path):
    dead = f"http://127.0.0.1:{cluster.free_port()}"
    hung = Blackhole()
    try:
        origin = cluster.start("origin")
        edge = cluster.start("edge", peers=[dead, hung.url, origin.url])
        source = make_file("f", MiB)
        origin.client().put(source, ARCFILE)
        store = edge.client()
        started = time.monotonic()
        assert store.get(ARCFILE, tmp_path / "back").read_bytes() == source.read_bytes()
        assert time.monotonic() - started < 0.9, "a hung nearer peer held up the answer"
        started = time.monotonic()
        with pytest.raises(NotFound):
            store.get("nowhere.fits", tmp_path / "none")
        assert time.monotonic() - started < 2.5, "--peer-timeout 1 bounds a miss"
    finally:
        hung.close()


def test_client_fails_over_between_servers(cluster, make_file, tmp_path):
    dead = f"http://127.0.0.1:{cluster.free_port()}"
    a = cluster.start("a")
    b = cluster.start("b", peers=[a.url])
    source = make_file("f", 2 * MiB)
    store = HttpStore([dead, a.url, b.url], token=cluster.tokens.alice, retries=1,
                      backoff=0.05)
    digest = store.put(source, ARCFILE)
    assert a.disk().checksum(ARCFILE) == digest
    b.client().get(ARCFILE, tmp_path / "cached")
    cached(b, ARCFILE)
    a.process.stop()
    assert store.get(ARCFILE, tmp_path / "back").read_bytes() == source.read_bytes()
    assert store.read_range(ARCFILE, 5, 5) == source.read_bytes()[5:10]
    assert store.exists(ARCFILE) and store.checksum(ARCFILE) == digest
    b.process.stop()
    with pytest.raises(StoreUnavailable, match="no data server answered"):
        store.get(ARCFILE, tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()


def test_a_corrupted_byte_is_detected_on_read_and_healed_from_a_peer(cluster, make_file,
                                                                     tmp_path):
    a, b = pair(cluster)
    source = make_file("f", 3 * MiB)
    digest = a.client().put(source, ARCFILE)
    b.client().get(ARCFILE, tmp_path / "cached")
    cached(b, ARCFILE)
    flip_byte(a.disk().path(ARCFILE), 123_456)
    assert sha256_of(a.disk().path(ARCFILE)) != digest
    store = HttpStore([a.url, b.url], token=cluster.tokens.alice, retries=0)
    back = store.get(ARCFILE, tmp_path / "back")
    assert sha256_of(back) == digest
    assert sha256_of(a.disk().path(ARCFILE)) == digest, "server a healed its copy from b"
    quarantined = list((a.root / "quarantine").iterdir())
    assert len(quarantined) == 1 and quarantined[0].name.startswith(ARCFILE)
    assert a.health()["counters"]["verify_healed"] == 1
    # reading through the stream also checks the checksum
    flip_byte(a.disk().path(ARCFILE), 10)
    with a.client().open(ARCFILE) as stream, pytest.raises(Exception, match="expected"):
        while stream.read(1 << 16):
            pass


def test_scrub_heals_from_a_peer_and_reports_what_it_cannot(cluster, make_file, python):
    a, b = pair(cluster)
    good, lonely = make_file("good", MiB), make_file("lonely", MiB)
    digest = a.client().put(good, ARCFILE)
    b.client().get(ARCFILE, b.root.parent / "cached")
    cached(b, ARCFILE)
    b.client().put(lonely, "lonely.fits")
    a.process.stop()
    flip_byte(b.disk().path(ARCFILE), 999)
    flip_byte(b.disk().path("lonely.fits"), 5)
    orphan = b.root / "tmp" / "upload-orphan"
    orphan.write_bytes(b"left by a killed upload")
    a_again = cluster.start("a", port=a.port, peers=[b.url])
    result = subprocess.run(
        [python, "-m", "awe.cli", "dataserver", "scrub", "--root", str(b.root),
         "--peer", a_again.url, "--peer-token", str(cluster.tokens.peer_file)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert f"healed: {ARCFILE}" in result.stdout
    assert "LOST (no peer has the recorded content): lonely.fits" in result.stdout
    assert "checked 2 files" in result.stdout and "1 orphaned uploads removed" in result.stdout
    assert sha256_of(b.disk().path(ARCFILE)) == digest
    assert not b.disk().exists("lonely.fits") and not orphan.exists()
    # a damaged checksum record (not file) is repaired, not quarantined
    b.disk()._sidecar(ARCFILE).write_text("0" * 64 + "\n")
    result = subprocess.run(
        [python, "-m", "awe.cli", "dataserver", "scrub", "--root", str(b.root), "--name",
         ARCFILE, "--peer", a_again.url, "--peer-token", str(cluster.tokens.peer_file)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and f"checksum record repaired: {ARCFILE}" in result.stdout
    assert b.disk().checksum(ARCFILE) == digest


def test_delete_propagates_and_leaves_tombstones(cluster, make_file, tmp_path, raw):
    ports = [cluster.free_port() for _ in range(3)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    nodes = [cluster.start(name, port=port, peers=[url for url in urls if url != own])
             for name, port, own in zip("abc", ports, urls, strict=True)]
    a, b, c = nodes
    source = make_file("f", MiB)
    digest = a.client().put(source, ARCFILE)
    for node in (b, c):
        node.client().get(ARCFILE, tmp_path / f"copy-{node.port}")
        cached(node, ARCFILE)
        assert node.disk().checksum(ARCFILE) == digest
    with pytest.raises(PermissionDenied):
        a.client("alice").delete(ARCFILE)
    b.client("service").delete(ARCFILE)
    service = bearer(cluster.tokens.service)
    for node in nodes:
        assert not node.disk().exists(ARCFILE)
        assert raw(node.url, "HEAD", f"/files/{ARCFILE}", {**service, **HOP}).status == 404
        tombstone = node.disk().tombstone(ARCFILE)
        assert tombstone is not None and tombstone.sha256 == digest
    reply = raw(c.url, "GET", f"/files/{ARCFILE}", service)
    assert reply.status == 404 and "deleted at" in reply.json()["message"]
    assert not HttpStore(urls, token=cluster.tokens.alice).exists(ARCFILE)
    with pytest.raises(NotFound):
        b.client("service").delete(ARCFILE)
    # storing the name again is an explicit act: it clears the tombstone where it lands
    a.client().put(source, ARCFILE)
    assert a.disk().tombstone(ARCFILE) is None and a.client().exists(ARCFILE)


def test_a_peer_that_missed_a_delete_catches_up_in_scrub(cluster, make_file, tmp_path, python):
    a, b = pair(cluster)
    source = make_file("f", MiB)
    a.client().put(source, ARCFILE)
    b.client().get(ARCFILE, tmp_path / "cached")
    cached(b, ARCFILE)
    b.process.stop()
    answer = HttpStore([a.url], token=cluster.tokens.service, retries=0)
    answer.delete(ARCFILE)
    assert b.disk().exists(ARCFILE)
    result = subprocess.run(
        [python, "-m", "awe.cli", "dataserver", "scrub", "--root", str(b.root),
         "--peer", a.url, "--peer-token", str(cluster.tokens.peer_file)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"deleted (peer tombstone): {ARCFILE}" in result.stdout
    assert not b.disk().exists(ARCFILE) and b.disk().tombstone(ARCFILE) is not None


@pytest.mark.slow
def test_fifty_concurrent_clients(cluster, tmp_path):
    a, b = pair(cluster)
    sources = []
    for index in range(50):
        path = tmp_path / f"src-{index}"
        path.write_bytes(os.urandom(64 * 1024 + index))
        sources.append(path)

    def round_trip(index):
        name = f"PIXTABLE-{index % 24 + 1:02d}.{index:016x}.fits"
        writer = HttpStore([a.url], token=cluster.tokens.alice)
        reader = HttpStore([b.url], token=cluster.tokens.bob)
        digest = writer.put(sources[index], name)
        back = reader.get(name, tmp_path / f"back-{index}")
        return digest == sha256_of(back) == sha256_of(sources[index])

    with ThreadPoolExecutor(50) as pool:
        assert all(pool.map(round_trip, range(50)))
    # fifty clients asking b at once for a file only a has: one peer fetch serves them all
    shared = tmp_path / "shared"
    shared.write_bytes(os.urandom(8 * MiB))
    digest = HttpStore([a.url], token=cluster.tokens.alice).put(shared, ARCFILE)
    fetches = b.health()["counters"]["peer_fetches"]
    barrier = threading.Barrier(50)

    def read(index):
        store = HttpStore([b.url], token=cluster.tokens.alice)
        barrier.wait()
        return sha256_of(store.get(ARCFILE, tmp_path / f"shared-{index}"))

    with ThreadPoolExecutor(50) as pool:
        assert set(pool.map(read, range(50))) == {digest}
    assert b.health()["counters"]["peer_fetches"] == fetches + 1
    assert hashlib.sha256(shared.read_bytes()).hexdigest() == b.disk().checksum(ARCFILE)
