"""kill -9 of a client or of the server in the middle of an upload."""

import hashlib
import os
import socket
import subprocess
import textwrap
import time

import pytest

from dataserver.store import sha256_of

NAME = "MUSE.2016-03-15T02:10:11.123.fits"
SIZE = 64 << 20


def wait_for(condition, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def partial_upload(port, token, sent_bytes):
    """A client that announces SIZE bytes, sends ``sent_bytes`` of them and hangs."""
    return textwrap.dedent(f"""
        import os, socket, sys, time
        body = os.urandom({sent_bytes})
        connection = socket.create_connection(("127.0.0.1", {port}))
        connection.sendall(("PUT /files/{NAME} HTTP/1.1\\r\\nHost: x\\r\\n"
                            "Authorization: Bearer {token}\\r\\n"
                            "X-Checksum-Sha256: {'0' * 64}\\r\\n"
                            "Content-Length: {SIZE}\\r\\n\\r\\n").encode())
        connection.sendall(body)
        print("sent", flush=True)
        time.sleep(600)
    """)


def growing_temp_file(node):
    return lambda: any(path.stat().st_size > 0 for path in node.temp_files())


def upload_works(node, tmp_path):
    good = tmp_path / "good.fits"
    good.write_bytes(os.urandom(3 << 20))
    assert node.client().put(good, NAME) == sha256_of(good)
    assert node.client().get(NAME, tmp_path / "back").read_bytes() == good.read_bytes()


def test_kill_9_of_the_client_mid_upload(cluster, python, tmp_path, raw):
    server = cluster.start("a")
    client = subprocess.Popen([python, "-c", partial_upload(server.port, cluster.tokens.alice,
                                                            8 << 20)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert client.stdout.readline().strip() == "sent"
        wait_for(growing_temp_file(server), "the upload never reached a temporary file")
    finally:
        client.kill()
        client.wait()
        client.stdout.close()
    wait_for(lambda: server.temp_files() == [], "the server kept the partial upload")
    head = raw(server.url, "HEAD", f"/files/{NAME}",
               {"Authorization": f"Bearer {cluster.tokens.alice}"})
    assert head.status == 404
    assert not server.disk().exists(NAME)
    assert "Traceback" not in server.output()
    upload_works(server, tmp_path)


def test_kill_9_of_the_server_mid_upload(cluster, tmp_path):
    server = cluster.start("a")
    connection = socket.create_connection(("127.0.0.1", server.port))
    body = os.urandom(8 << 20)
    connection.sendall((f"PUT /files/{NAME} HTTP/1.1\r\nHost: x\r\n"
                        f"Authorization: Bearer {cluster.tokens.alice}\r\n"
                        f"X-Checksum-Sha256: {hashlib.sha256(body).hexdigest()}\r\n"
                        f"Content-Length: {SIZE}\r\n\r\n").encode())
    connection.sendall(body)
    wait_for(growing_temp_file(server), "the upload never reached a temporary file")
    server.process.process.kill()
    server.process.process.wait()
    connection.close()
    assert len(server.temp_files()) == 1, "the killed upload left its temporary file"
    assert not server.disk().exists(NAME)
    restarted = cluster.start("a")
    assert restarted.temp_files() == [], "a restarted server removes orphaned uploads"
    assert not restarted.disk().exists(NAME)
    upload_works(restarted, tmp_path)


@pytest.mark.parametrize("shortfall", [1, 1 << 20])
def test_an_upload_that_stops_short_stores_nothing(cluster, shortfall):
    server = cluster.start("a")
    body = os.urandom(2 << 20)
    connection = socket.create_connection(("127.0.0.1", server.port))
    connection.sendall((f"PUT /files/{NAME} HTTP/1.1\r\nHost: x\r\n"
                        f"Authorization: Bearer {cluster.tokens.alice}\r\n"
                        f"X-Checksum-Sha256: {hashlib.sha256(body).hexdigest()}\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n").encode())
    connection.sendall(body[:-shortfall])
    connection.shutdown(socket.SHUT_WR)
    connection.recv(4096)
    connection.close()
    wait_for(lambda: server.temp_files() == [], "the server kept the partial upload")
    assert not server.disk().exists(NAME)
