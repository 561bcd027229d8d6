"""Fixtures of the data-model tests: a session per backend and raw files put into the store.

``ingest_raw(path, frame_cls, ifus)`` is a minimal ingest for the tests (the ingest rules are
not part of the data model yet): it reads the FITS keywords each attribute declares, records
the byte range of every requested ``CHANnn`` and commits the frame with its chips.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from astropy.io import fits

from common.config import Context
from common.database import Database, connect, count_statements
from common.persistent import commit, persistent
from common.persistent import session as persistent_session
from muse.datamodel.extract import hdu_ranges
from muse.datamodel.rules import night_of
from muse.layout import extname


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    """The test database of the backend, connected (and initialised) once."""
    connected = connect(database_url, site=0)
    yield connected
    connected.dispose()


@pytest.fixture
def db_session(database: Database, local_store):
    """A fresh session on the test database with a local store."""
    context = Context(user="tester", project="test", privileges=1, site=0)
    with persistent_session(database, context, store=local_store) as opened:
        yield opened


@pytest.fixture
def assert_query_count(database: Database):
    """``with assert_query_count(n): …`` fails unless exactly n statements ran."""

    @contextmanager
    def check(expected: int):
        with count_statements(database) as log:
            yield log
        assert len(log) == expected, (f"expected {expected} statements, ran {len(log)}:\n"
                                      + "\n---\n".join(log.statements))

    return check


def fits_attributes(cls: type) -> dict[str, persistent]:
    """The attributes of ``cls`` read from a FITS keyword, by name."""
    found: dict[str, persistent] = {}
    for klass in reversed(inspect.getmro(cls)):
        for name, value in vars(klass).items():
            if isinstance(value, persistent) and value.fits:
                found[name] = value
    return found


def _value(prop: persistent, header: fits.Header) -> object:
    keyword = prop.fits if not prop.fits.startswith("ESO ") else f"HIERARCH {prop.fits}"
    if keyword not in header:
        return None
    value = header[keyword]
    if prop.kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if prop.kind == "str":
        return str(value).strip()
    if prop.kind == "float":
        return float(value)
    return value


def read_keywords(cls: type, header: fits.Header) -> dict[str, object]:
    """The FITS-declared attribute values of ``cls`` found in ``header``."""
    values = {name: _value(prop, header) for name, prop in fits_attributes(cls).items()}
    return {name: value for name, value in values.items() if value is not None}


def ingest(path: Path, frame_cls: type, ifus: Sequence[int]) -> object:
    """Store raw file ``path`` as a ``frame_cls`` with the chips of ``ifus``; commit them."""
    primary = fits.getheader(path, 0)
    frame = frame_cls(**read_keywords(frame_cls, primary))
    frame.night = night_of(frame.DATE_OBS)
    frame.exposure = path.name.removesuffix(".fits")
    frame.do_catg = frame_cls.do_category
    frame.filename = path.name
    primary_range, ranges = hdu_ranges(path)
    frame.primary_size = primary_range.size
    frame.store(path)
    chip_cls = frame_cls.chip_class
    chips = []
    for ifu in ifus:
        header = fits.getheader(path, extname(ifu))
        merged = fits.Header(primary)
        merged.update(header)
        chip = chip_cls(**read_keywords(chip_cls, merged), raw_frame=frame, ifu=ifu,
                        night=frame.night, hdu_offset=ranges[ifu].offset,
                        hdu_size=ranges[ifu].size)
        chips.append(chip)
    commit(frame, *chips)
    return frame


@pytest.fixture
def ingest_raw() -> Callable[..., object]:
    """``ingest_raw(path, frame_cls, ifus)``: see :func:`ingest`."""
    return ingest
