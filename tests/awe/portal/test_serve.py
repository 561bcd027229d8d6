"""``awe portal serve``: TLS with a secure cookie, bad options refused with one line."""

from __future__ import annotations

import http.client
import ssl
import subprocess
import sys
import urllib.parse

from tests.awe.portal.conftest import copy_database, start_portal


def test_tls_and_a_secure_cookie(portal_data, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    server = start_portal(copy_database(portal_data, tmp_path / "db"), "--cert", str(cert),
                          "--key", str(key))
    try:
        context = ssl.create_default_context(cafile=str(cert))
        connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=context,
                                                 timeout=60)
        connection.request("POST", "/login",
                           body=urllib.parse.urlencode({"token": portal_data.alice}),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        answer = connection.getresponse()
        answer.read()
        connection.close()
        assert answer.status == 303
        cookie = answer.getheader("Set-Cookie")
        assert "Secure" in cookie and "HttpOnly" in cookie
    finally:
        server.stop()


def _serve(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "awe.cli", "portal", "serve", *argv],
                          capture_output=True, text=True, timeout=120)


def test_bad_options(tmp_path):
    users = tmp_path / "users"
    users.write_text("")
    result = _serve("--tokens", str(users), "--cert", str(tmp_path / "c.pem"))
    assert result.returncode == 2 and "--cert and --key go together" in result.stderr
    result = _serve("--tokens", str(tmp_path / "nope"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"awe: ConfigError: awe portal serve --tokens {tmp_path / 'nope'}: no such file")
    users.write_text("alice not-a-hash\n")
    result = _serve("--tokens", str(users), "--port", "0")
    assert result.returncode == 1 and f"{users}:1" in result.stderr
