"""One real data server on loopback: transfers, integrity, names, tokens, limits, TLS."""

import base64
import hashlib
import os
import socket
import subprocess
import threading
import time

import psutil
import pytest

from common.errors import (
    ChecksumMismatch,
    IntegrityError,
    NotFound,
    PermissionDenied,
    StoreFull,
    StoreRequestError,
    StoreUnavailable,
    error_from_wire,
)
from dataserver.client import HttpStore
from dataserver.store import sha256_of
from dataserver.tokens import hash_token

ARCFILE = "MUSE.2016-03-15T02:10:11.123.fits"
MiB = 1 << 20


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


class PeakRss:
    """Sample the resident memory of some processes every few milliseconds."""

    def __init__(self, *pids):
        self.processes = [psutil.Process(pid) for pid in pids]
        self.peaks = [process.memory_info().rss for process in self.processes]
        self.start = list(self.peaks)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.005):
            for index, process in enumerate(self.processes):
                self.peaks[index] = max(self.peaks[index], process.memory_info().rss)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def growth(self, index):
        return self.peaks[index] - self.start[index]


@pytest.mark.slow
def test_200_mb_round_trip_with_bounded_memory(cluster, make_file, tmp_path):
    server = cluster.start("a")
    source = make_file("big.fits", 200 * MiB)
    store = server.client()
    store.health()  # warm up the connection and the server's first request
    with PeakRss(os.getpid(), server.process.process.pid) as rss:
        digest = store.put(source, ARCFILE)
        back = store.get(ARCFILE, tmp_path / "back.fits")
    assert digest == sha256_of(source) == sha256_of(back)
    assert back.stat().st_size == 200 * MiB
    assert rss.growth(0) < 48 * MiB, f"client grew by {rss.growth(0) / MiB:.0f} MiB"
    assert rss.growth(1) < 64 * MiB, f"server grew by {rss.growth(1) / MiB:.0f} MiB"
    assert server.temp_files() == []


def test_range_head_and_conditional_requests(cluster, make_file, raw):
    server = cluster.start("a")
    source = make_file("f", 3 * MiB + 5)
    data = source.read_bytes()
    store = server.client()
    digest = store.put(source, ARCFILE)
    assert store.read_range(ARCFILE, 2880, 5760) == data[2880:2880 + 5760]
    assert store.read_range(ARCFILE, len(data) - 3, 100) == data[-3:]
    assert store.read_range(ARCFILE, len(data) + 10, 100) == b""
    assert store.read_range(ARCFILE, 7, 0) == b""
    with pytest.raises(StoreRequestError, match="offset >= 0"):
        store.read_range(ARCFILE, -1, 10)
    with pytest.raises(NotFound):
        store.read_range("missing.fits", 0, 0)

    auth = bearer(cluster.tokens.alice)
    head = raw(server.url, "HEAD", f"/files/{ARCFILE}", auth)
    assert head.status == 200 and head.body == b""
    assert int(head.headers["Content-Length"]) == len(data)
    assert head.headers["ETag"] == f'"{digest}"'
    assert head.headers["X-Checksum-Sha256"] == digest
    assert head.headers["Repr-Digest"] == \
        f"sha-256=:{base64.b64encode(bytes.fromhex(digest)).decode()}:"
    assert head.headers["Accept-Ranges"] == "bytes"
    suffix = raw(server.url, "GET", f"/files/{ARCFILE}", {**auth, "Range": "bytes=-10"})
    assert suffix.status == 206 and suffix.body == data[-10:]
    assert suffix.headers["Content-Range"] == f"bytes {len(data) - 10}-{len(data) - 1}/{len(data)}"
    cached = raw(server.url, "GET", f"/files/{ARCFILE}", {**auth, "If-None-Match": f'"{digest}"'})
    assert cached.status == 304 and cached.body == b""
    wrong = raw(server.url, "GET", f"/files/{ARCFILE}", {**auth, "If-Match": '"0123"'})
    assert wrong.status == 412
    matched = raw(server.url, "GET", f"/files/{ARCFILE}", {**auth, "If-Match": f'"{digest}"'})
    assert matched.status == 200 and matched.body == data
    assert store.checksum(ARCFILE) == digest and store.exists(ARCFILE)
    assert not store.exists("missing.fits")
    with store.open(ARCFILE) as stream:
        assert stream.read(1000) == data[:1000]
        assert stream.read() == data[1000:]


def test_immutability_same_content_accepted_other_refused(cluster, make_file, tmp_path, raw):
    server = cluster.start("a")
    source = make_file("one", 20 * MiB)
    store = server.client()
    digest = store.put(source, ARCFILE)
    assert store.put(source, ARCFILE) == digest
    other = make_file("two", 20 * MiB)
    with pytest.raises(IntegrityError, match="already stored"):
        store.put(other, ARCFILE)
    small = tmp_path / "small"
    small.write_bytes(b"other small content")
    reply = raw(server.url, "PUT", f"/files/{ARCFILE}",
                {**bearer(cluster.tokens.alice),
                 "X-Checksum-Sha256": hashlib.sha256(b"other small content").hexdigest()},
                small.read_bytes())
    assert reply.status == 409 and reply.json()["error_type"] == "IntegrityError"
    assert ARCFILE in reply.json()["message"]
    same = raw(server.url, "PUT", f"/files/{ARCFILE}",
               {**bearer(cluster.tokens.alice), "X-Checksum-Sha256": digest},
               source.read_bytes())
    assert same.status == 200 and same.json()["created"] is False
    assert server.disk().checksum(ARCFILE) == digest
    assert server.temp_files() == []


def test_checksums_wrong_missing_malformed_and_repr_digest(cluster, raw):
    server = cluster.start("a")
    body = os.urandom(100_000)
    digest = hashlib.sha256(body).hexdigest()
    auth = bearer(cluster.tokens.alice)
    wrong = raw(server.url, "PUT", "/files/wrong.fits",
                {**auth, "X-Checksum-Sha256": hashlib.sha256(b"x").hexdigest()}, body)
    assert wrong.status == 422 and wrong.json()["error_type"] == "ChecksumMismatch"
    assert "nothing stored" in wrong.json()["message"]
    assert not server.disk().exists("wrong.fits") and server.temp_files() == []
    missing = raw(server.url, "PUT", "/files/missing.fits", auth, body)
    assert missing.status == 400 and "X-Checksum-Sha256" in missing.json()["message"]
    malformed = raw(server.url, "PUT", "/files/bad.fits", {**auth, "X-Checksum-Sha256": "abc"},
                    body)
    assert malformed.status == 400
    repr_digest = "sha-256=:" + base64.b64encode(bytes.fromhex(digest)).decode() + ":"
    created = raw(server.url, "PUT", "/files/digest.fits", {**auth, "Repr-Digest": repr_digest},
                  body)
    assert created.status == 201
    assert server.disk().checksum("digest.fits") == digest
    disagree = raw(server.url, "PUT", "/files/both.fits",
                   {**auth, "Repr-Digest": repr_digest, "X-Checksum-Sha256": "0" * 64}, body)
    assert disagree.status == 400 and "disagree" in disagree.json()["message"]
    assert isinstance(error_from_wire(wrong.json()["error_type"], wrong.json()["message"]),
                      ChecksumMismatch)


BAD_NAMES = [  # (path as sent, the name as the error message shows it)
    ("/files/a%2Fb", "'a/b'"), ("/files/a/b", "'a/b'"), ("/files/%2E%2E", "'..'"),
    ("/files/..", "'..'"), ("/files/a%00b", "'a\\x00b'"), ("/files/", "''"),
    ("/files/" + "x" * 256, "'" + "x" * 256 + "'"), ("/files/.hidden", "'.hidden'"),
    ("/files/-dash", "'-dash'"), ("/files/a%20b", "'a b'"), ("/files/%C3%A9", "'é'"),
]


def test_every_bad_name_is_a_400(cluster, raw):
    server = cluster.start("a")
    body = b"content"
    put_headers = {**bearer(cluster.tokens.alice),
                   "X-Checksum-Sha256": hashlib.sha256(body).hexdigest()}
    for path, shown in BAD_NAMES:
        for method in ("PUT", "GET", "HEAD", "DELETE", "POST"):
            headers = bearer(cluster.tokens.service) if method == "DELETE" else put_headers
            if method == "POST":
                path = path.replace("/files/", "/verify/")
            reply = raw(server.url, method, path, headers, body if method == "PUT" else None)
            assert reply.status == 400, (method, path, reply)
            if method != "HEAD":
                assert reply.json()["error_type"] == "StoreRequestError"
                assert f"bad file name {shown}" in reply.json()["message"]
    assert list(server.disk().names()) == [] and server.temp_files() == []
    with pytest.raises(StoreRequestError, match="bad file name 'a/b'"):
        server.client().put(_file(server.root.parent, body), "a/b")


def test_eso_names_with_colons_and_long_names_are_accepted(cluster, tmp_path, raw):
    server = cluster.start("a")
    source = tmp_path / "raw.fits"
    source.write_bytes(os.urandom(5000))
    store = server.client()
    for name in (ARCFILE, "MUSE.2016-03-15T02:10:11.123.NL.fits", "M" * 255,
                 "MASTER_BIAS-05.0001000000000a3f.fits"):
        store.put(source, name)
        assert store.get(name, tmp_path / "back").read_bytes() == source.read_bytes()
    assert raw(server.url, "HEAD", f"/files/{ARCFILE}", bearer(cluster.tokens.bob)).status == 200


def test_tokens_users_service_peer_and_public_read(cluster, tmp_path, raw):
    server = cluster.start("a")
    t = cluster.tokens
    body = b"token test"
    checksum = {"X-Checksum-Sha256": hashlib.sha256(body).hexdigest()}

    def put(name, headers):
        return raw(server.url, "PUT", f"/files/{name}", {**headers, **checksum}, body)

    none, wrong = put("n.fits", {}), put("w.fits", bearer("not-a-token"))
    assert none.status == wrong.status == 401
    assert none.headers["WWW-Authenticate"].startswith("Bearer")
    assert none.json()["error_type"] == wrong.json()["error_type"] == "PermissionDenied"
    assert put("basic.fits", {"Authorization": "Basic YWxpY2U6eA=="}).status == 401
    assert put("peer.fits", bearer(t.peer)).status == 403
    assert put("alice.fits", bearer(t.alice)).status == 201
    assert put("dpu.fits", bearer(t.service)).status == 201

    for token in (t.alice, t.bob, t.service, t.peer):
        assert raw(server.url, "GET", "/files/alice.fits", bearer(token)).body == body
    assert raw(server.url, "GET", "/files/alice.fits").status == 401
    assert raw(server.url, "GET", "/files/alice.fits", bearer("nope")).status == 401

    assert raw(server.url, "DELETE", "/files/alice.fits", bearer(t.alice)).status == 403
    assert raw(server.url, "DELETE", "/files/alice.fits", bearer(t.peer)).status == 403
    with pytest.raises(PermissionDenied, match="needs a service token"):
        server.client("bob").delete("alice.fits")
    assert raw(server.url, "DELETE", "/files/alice.fits", bearer(t.service)).status == 200
    assert raw(server.url, "GET", "/files", bearer(t.alice)).status == 403
    assert raw(server.url, "GET", "/files", bearer(t.service)).status == 200
    assert raw(server.url, "GET", "/health").status == 200

    # a user added to the users file while the server runs can write at once
    with open(t.users_file, "a") as stream:
        stream.write(f"carol {hash_token('carol-token')}\n")
    assert put("carol.fits", bearer("carol-token")).status == 201

    public = cluster.start("public", args=["--public-read"])
    assert raw(public.url, "PUT", "/files/x.fits", checksum, body).status == 401
    HttpStore([public.url], token=t.alice).put(_file(tmp_path, body), "x.fits")
    assert raw(public.url, "GET", "/files/x.fits").body == body
    assert raw(public.url, "GET", "/files/x.fits", bearer("bad")).status == 401


def _file(directory, content):
    path = directory / "content"
    path.write_bytes(content)
    return path


def test_expect_100_continue_refuses_before_the_body(cluster):
    server = cluster.start("a")
    body = os.urandom(64 * 1024)
    digest = hashlib.sha256(body).hexdigest()

    def send_headers(token):
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        connection.sendall((f"PUT /files/expect.fits HTTP/1.1\r\nHost: x\r\n"
                            f"Authorization: Bearer {token}\r\nX-Checksum-Sha256: {digest}\r\n"
                            f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
                            ).encode())
        return connection

    refused = send_headers("wrong")
    assert refused.recv(4096).startswith(b"HTTP/1.1 401")
    refused.close()
    accepted = send_headers(cluster.tokens.alice)
    assert accepted.recv(4096) == b"HTTP/1.1 100 Continue\r\n\r\n"
    accepted.sendall(body)
    assert accepted.recv(4096).startswith(b"HTTP/1.1 201")
    accepted.close()
    again = send_headers(cluster.tokens.alice)
    assert again.recv(4096).startswith(b"HTTP/1.1 200")
    again.close()
    assert server.disk().checksum("expect.fits") == digest


def test_space_limit_and_minimum_free_space_give_507(cluster, make_file, raw):
    limited = cluster.start("limited", args=["--space-limit", "3M"])
    store = limited.client()
    store.put(make_file("a", 2 * MiB), "a.fits")
    second = make_file("b", 2 * MiB)
    with pytest.raises(StoreFull, match="limit"):
        store.put(second, "b.fits")
    assert not limited.disk().exists("b.fits") and limited.temp_files() == []
    store.put(make_file("c", MiB // 2), "c.fits")
    health = limited.health()
    assert health["used_bytes"] == 2 * MiB + MiB // 2 and health["space_limit"] == 3 * MiB

    full = cluster.start("full", args=["--min-free", "1P"])
    reply = raw(full.url, "PUT", "/files/d.fits",
                {**bearer(cluster.tokens.alice),
                 "X-Checksum-Sha256": hashlib.sha256(b"d").hexdigest()}, b"d")
    assert reply.status == 507 and reply.json()["error_type"] == "StoreFull"
    assert "free" in reply.json()["message"]
    # the client moves on to a server with room
    both = HttpStore([full.url, limited.url], token=cluster.tokens.alice, retries=0)
    both.put(make_file("d", MiB // 4), "moved.fits")
    assert limited.disk().exists("moved.fits") and not full.disk().exists("moved.fits")


def test_tls_client_and_peer(cluster, tmp_path, python):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    secure = cluster.start("secure", args=["--cert", str(cert), "--key", str(key)],
                           command=[python, "-m", "awe.cli", "dataserver", "serve"])
    url = f"https://127.0.0.1:{secure.port}"
    store = HttpStore([url], token=cluster.tokens.alice, ca_file=cert, retries=0)
    source = _file(tmp_path, os.urandom(300_000))
    store.put(source, ARCFILE)
    assert store.get(ARCFILE, tmp_path / "back").read_bytes() == source.read_bytes()
    untrusted = HttpStore([url], token=cluster.tokens.alice, retries=0)
    with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
        untrusted.checksum(ARCFILE)
    # a plain-HTTP server fetches from its TLS peer, trusting the certificate via SSL_CERT_FILE
    relay = cluster.start("relay", peers=[url], env={"SSL_CERT_FILE": str(cert)})
    assert relay.client().get(ARCFILE, tmp_path / "relayed").read_bytes() == source.read_bytes()


def test_server_refuses_bad_settings_with_a_message(python, tmp_path):
    result = subprocess.run([python, "-m", "dataserver", "--root", str(tmp_path / "r"),
                             "--cert", str(tmp_path / "missing.pem")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "ConfigError" in result.stderr and "--cert and --key go together" in result.stderr
    bad_users = tmp_path / "users"
    bad_users.write_text("alice not-a-hash\n")
    result = subprocess.run([python, "-m", "dataserver", "--root", str(tmp_path / "r"),
                             "--tokens", str(bad_users)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1 and f"{bad_users}:1" in result.stderr


def test_unreachable_servers_are_retried_with_back_off(cluster):
    dead = f"http://127.0.0.1:{cluster.free_port()}"
    store = HttpStore([dead], token="x", retries=2, backoff=0.05)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match=f"no data server answered after 3 rounds.*{dead}"):
        store.exists(ARCFILE)
    assert 0.15 <= time.monotonic() - started < 5
