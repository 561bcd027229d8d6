"""A DPU daemon with --cert/--key speaks TLS; clients verify it through Pyro5's SSL settings."""

from __future__ import annotations

import os
import subprocess

import pytest

from common.errors import DpuError
from dpu.client import RemoteDpu

CLIENT = ("import sys; from dpu.client import RemoteDpu; "
          "print(RemoteDpu(sys.argv[1], sys.argv[2]).info()['name'])")


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1 and its key."""
    cert, key = tmp_path / "dpu.crt", tmp_path / "dpu.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_tls_daemon(dpu_site, certificate, python) -> None:
    cert, key = certificate
    server = dpu_site.start("secure", "--cert", str(cert), "--key", str(key))
    uri = dpu_site.uri(server)
    env = {**os.environ, **dpu_site.env, "PYRO_SSL": "1", "PYRO_SSL_CACERTS": str(cert)}
    done = subprocess.run([python, "-c", CLIENT, uri, dpu_site.token], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "secure"
    with pytest.raises(DpuError, match="cannot reach the DPU"):
        RemoteDpu(uri, dpu_site.token).info()  # this process speaks plain TCP


def test_tls_needs_both_files(dpu_site, certificate, python) -> None:
    cert, _ = certificate
    done = subprocess.run([python, "-m", "awe.cli", "dpu", "serve", "--port", "0", "--cert",
                           str(cert)], env={**os.environ, **dpu_site.env}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "awe: DpuError: TLS: expected both --cert and --key, found only one" in done.stderr
