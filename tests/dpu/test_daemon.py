"""The DPU daemon on a loopback port: token handshake, serpent only, errors by error_type."""

from __future__ import annotations

import threading

import pytest

from common.errors import NotFound, PermissionDenied
from dpu.client import Processor, RemoteDpu


def test_wrong_token_refused_right_token_served(dpu_site) -> None:
    server = dpu_site.start("alpha")
    uri = dpu_site.uri(server)
    with pytest.raises(PermissionDenied, match="token does not match"):
        RemoteDpu(uri, "not-the-token").info()
    with pytest.raises(PermissionDenied):
        Processor([uri], token="").jobs()
    info = RemoteDpu(uri, dpu_site.token).info()
    assert info["name"] == "alpha" and info["executor"] == "local" and info["tls"] is False
    assert Processor([uri], token=dpu_site.token).jobs() == []


def test_errors_travel_as_their_class(dpu_site) -> None:
    server = dpu_site.start("alpha")
    processor = Processor([dpu_site.uri(server)], token=dpu_site.token)
    with pytest.raises(NotFound, match="no job 123456789"):
        processor.status(123456789)


def test_only_serpent(dpu_site) -> None:
    import Pyro5.api

    server = dpu_site.start("alpha")
    with Pyro5.api.Proxy(dpu_site.uri(server)) as proxy:
        proxy._pyroSerializer = "json"
        proxy._pyroHandshake = {"token": dpu_site.token}
        reply = proxy.info()
    assert reply["error_type"] == "PermissionDenied" and "serpent" in reply["message"]


def test_two_clients_at_once(dpu_site) -> None:
    server = dpu_site.start("alpha")
    uri = dpu_site.uri(server)
    answers: list[object] = []

    def client(token: str) -> None:
        for _ in range(10):
            try:
                answers.append(RemoteDpu(uri, token).info()["name"])
            except PermissionDenied as exc:
                answers.append(exc)

    threads = [threading.Thread(target=client, args=(token,))
               for token in (dpu_site.token, "wrong")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers.count("alpha") == 10
    assert sum(isinstance(item, PermissionDenied) for item in answers) == 10


def test_select_among_two_dpus(dpu_site, user_session) -> None:
    first, second = dpu_site.start("alpha"), dpu_site.start("beta")
    processor = Processor([dpu_site.uri(first), dpu_site.uri(second)], token=dpu_site.token)
    assert processor.info()["name"] == "alpha"
    beta = processor.select("beta")
    assert beta.info()["name"] == "beta" and beta.dpus == [dpu_site.uri(second)]
    # a night without raw data: the job runs on beta and stops, saying why
    row = beta.wait(beta.run("MasterBias", night="1999-01-01", ifu=3), timeout=120)
    assert row["dpu"] == "beta" and row["state"] == "stopped", row
    assert "too few inputs" in row["error"]
    assert row["job_id"] in [job["job_id"] for job in beta.jobs()]
    assert row["job_id"] not in [job["job_id"] for job in processor.jobs()], "alpha's own"
    with pytest.raises(NotFound, match="DPU gamma: not among the configured DPUs"):
        processor.select("gamma")
