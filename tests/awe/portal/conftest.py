"""A portal over a real database and store: the small night's BIAS ingested, MASTER_BIAS made.

``portal_data`` (per module, on a fresh SQLite file and a fresh PostgreSQL database): alice
(project ``p1``) ingested the night's raw BIAS and FLAT files (and a too warm raw BIAS of the
night before) and made, with the real
adapters, a good MASTER_BIAS of IFU 7 (and from it MASTER_FLAT and TRACE_TABLE) and a flagged
one of IFU 5 (its inputs made three times noisier, as in the data-model tests); bob (project
``p2``) owns nothing. It is a template: ``copy_database`` gives a test its own copy (a file
copy, or ``CREATE DATABASE … TEMPLATE``) and ``portal`` is ``awe portal serve --port 0`` on
the module's read-only copy, a real process.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import shutil
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from astropy.io import fits

from common.config import Context
from common.database import connect
from common.database.accounts import add_member, create_project, create_user
from common.database.evolution import prepare_owner_roles
from common.database.schema import secure_schema
from common.persistent import session
from dataserver.store import LocalStore
from dataserver.tokens import issue_token
from muse.datamodel import (
    BiasParameters,
    FlatParameters,
    MasterBias,
    MasterFlat,
    RawBiasChip,
    RawFlatChip,
)
from muse.datamodel.extract import HduRange, fetch_single_ifu
from muse.datamodel.ingest import ingest_file
from muse.datamodel.make import master_bias, master_flat
from muse.datamodel.products import record_products
from muse.instrument import amplified_noise
from tests.conftest import (
    POSTGRES_BASE,
    ServerProcess,
    _postgres_admin,
    launch_server,
    new_postgres_database,
)
from tests.muse.datamodel.test_ingest import write_raw

GOOD_IFU = 7
FLAGGED_IFU = 5
# a raw BIAS of the night before, too warm (INS.TEMP7 31 > 25) in every IFU: 24 raw-QC alerts
WARM_DATE_OBS = "2016-03-14T10:00:00.001"
WARM_NIGHT = "2016-03-13"


@dataclass
class PortalData:
    """The database, store and users of a portal test module."""

    url: str
    store_root: Path
    tokens: Path
    alice: str
    bob: str
    night: object
    good: int
    flagged: int
    cache: Path
    role_prefix: str = ""


def _inputs(store: LocalStore, chips: list, directory: Path, noise: float = 1.0) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = [fetch_single_ifu(store.read_range, chip.raw_frame.filename,
                              chip.raw_frame.primary_size,
                              HduRange(chip.hdu_offset, chip.hdu_size),
                              directory / chip.raw_frame.filename) for chip in chips]
    if noise != 1.0:
        for path in paths:
            with fits.open(path) as hdus:
                primary, chip = hdus[0].header, hdus[1]
                noisy, header = amplified_noise(chip.data, noise), chip.header.copy()
            fits.HDUList([fits.PrimaryHDU(header=primary),
                          fits.ImageHDU(noisy, header=header)]).writeto(path, overwrite=True)
    return paths


def _flat(store: LocalStore, night, bias: MasterBias, directory: Path) -> tuple:
    chips = list((RawFlatChip.ifu == bias.ifu) & (RawFlatChip.night == night.night))
    parameters = FlatParameters().commit()
    result = master_flat({"raw_chips": _inputs(store, chips, directory / "in"),
                          "master_bias": [bias.retrieve(directory / "bias.fits")]},
                         parameters.recipe_parameters(), directory / "out")
    return record_products(MasterFlat.__process__, result,
                           keys={"night": night.night, "ifu": bias.ifu},
                           inputs={"raw_chips": chips}, calibrations={"master_bias": bias},
                           parameters=parameters)


def _bias(store: LocalStore, night, ifu: int, directory: Path, noise: float) -> MasterBias:
    chips = list((RawBiasChip.ifu == ifu) & (RawBiasChip.night == night.night))
    parameters = BiasParameters().commit()
    result = master_bias({"raw_chips": _inputs(store, chips, directory / "in", noise)},
                         parameters.recipe_parameters(), directory / "out")
    (product,) = record_products(MasterBias.__process__, result,
                                 keys={"night": night.night, "ifu": ifu},
                                 inputs={"raw_chips": chips}, calibrations={},
                                 parameters=parameters)
    return product


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                                 marks=pytest.mark.postgres)])
def portal_data(request, small_night, tmp_path_factory) -> Iterator[PortalData]:
    """The night ingested and two MASTER_BIAS made by alice; tokens for alice and bob."""
    root = tmp_path_factory.mktemp("portal")
    with contextlib.ExitStack() as cleanup:
        environment = cleanup.enter_context(pytest.MonkeyPatch.context())
        prefix = ""
        if request.param == "sqlite":
            url = f"sqlite:///{root / 'portal.sqlite'}"
        else:
            name = f"awe_portal_{os.getpid()}_{secrets.token_hex(3)}"
            prefix = name + "_"  # the users' login roles, dropped with the database
            environment.setenv("AWE_ROLE_PREFIX", prefix)
            url = cleanup.enter_context(new_postgres_database(name))
        yield _populated(url, prefix, root, small_night)


def _populated(url: str, prefix: str, root: Path, small_night) -> PortalData:
    """Alice's night, her two MASTER_BIAS (one flagged) and flat in ``url``; both tokens."""
    store = LocalStore(root / "store")
    tokens = root / "users"
    for user in ("alice", "bob"):
        issue_token(root / f"{user}.token", user=user, users_file=tokens)
    database = connect(url, site=0)
    try:
        if prefix:
            prepare_owner_roles(database, prefix)
            assert secure_schema(database, prefix)
        for user, project in (("alice", "p1"), ("bob", "p2")):
            create_user(database, user)
            create_project(database, project, 2)
            add_member(database, project, user)
        with session(database, Context(user="alice", project="p1", privileges=2, site=0),
                     store=store):
            warm = write_raw(root / "warm.fits", date_obs=WARM_DATE_OBS, temperature=31.0)
            for path in (*small_night.bias_files, *small_night.flat_files, warm):
                assert ingest_file(path, commit_it=True).status == "ingested"
            good = _bias(store, small_night, GOOD_IFU, root / "good", 1.0)
            flagged = _bias(store, small_night, FLAGGED_IFU, root / "flagged", 3.0)
            assert good.quality_flags == 0 and flagged.quality_flags != 0
            flat, trace = _flat(store, small_night, good, root / "flat")
            assert flat.quality_flags == 0 and trace.quality_flags == 0
    finally:
        database.dispose()
    return PortalData(url, root / "store", tokens, (root / "alice.token").read_text().strip(),
                      (root / "bob.token").read_text().strip(), small_night.night,
                      good.object_id, flagged.object_id, root / "cache", prefix)


def copy_database(data: PortalData, directory: Path) -> PortalData:
    """A copy of the module's database (so a test may change it), sharing the store."""
    directory.mkdir(parents=True, exist_ok=True)
    if data.url.startswith("sqlite:///"):
        source = Path(data.url.removeprefix("sqlite:///"))
        target = directory / source.name
        shutil.copyfile(source, target)
        url = f"sqlite:///{target}"
    else:
        template = data.url.rsplit("/", 1)[1]
        copy = f"{template}_{secrets.token_hex(3)}"
        with _postgres_admin() as admin:
            admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')
        url = f"{POSTGRES_BASE}/{copy}"
    return PortalData(**{**data.__dict__, "url": url, "cache": directory / "cache"})


def start_portal(data: PortalData, *extra: str) -> ServerProcess:
    """``awe portal serve --port 0`` on ``data``'s database and store."""
    return launch_server([sys.executable, "-m", "awe.cli", "portal", "serve", "--port", "0",
                          "--tokens", str(data.tokens), "--cache", str(data.cache), *extra],
                         env={"AWE_DATABASE": data.url, "AWE_STORE_ROOT": str(data.store_root),
                              "AWE_PROJECT": "p1", "AWE_ROLE_PREFIX": data.role_prefix})


@pytest.fixture(scope="module")
def portal(portal_data, tmp_path_factory) -> Iterator[ServerProcess]:
    """The portal on a copy of the module's database (for tests that only read)."""
    server = start_portal(copy_database(portal_data, tmp_path_factory.mktemp("read-only")))
    yield server
    server.stop()


@dataclass
class Reply:
    """An HTTP answer: status, headers (lower-case names), body."""

    status_code: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> object:
        return json.loads(self.content)


class Client:
    """A plain HTTP/1.1 client over http.client that keeps the session cookie; no redirects."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.cookie: str | None = None

    def request(self, method: str, path: str, *, params: dict | None = None,
                data: dict | None = None, headers: dict | None = None) -> Reply:
        if params:
            path = f"{path}?{urllib.parse.urlencode(params)}"
        sent = dict(headers or {})
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookie:
            sent["Cookie"] = self.cookie
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            reply = Reply(answer.status, {k.lower(): v for k, v in answer.getheaders()},
                          answer.read())
        finally:
            connection.close()
        cookie = reply.headers.get("set-cookie", "")
        if cookie.startswith("awe_portal="):
            value = cookie.split(";", 1)[0]
            self.cookie = None if value == 'awe_portal=""' else value
        return reply

    def get(self, path: str, **options: object) -> Reply:
        return self.request("GET", path, **options)

    def post(self, path: str, **options: object) -> Reply:
        return self.request("POST", path, **options)

    def close(self) -> None:
        self.cookie = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
