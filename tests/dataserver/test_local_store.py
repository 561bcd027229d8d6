import os
import subprocess
import sys
import textwrap

import pytest

from common.errors import IntegrityError, NotFound, StoreError
from dataserver.store import DataStore, LocalStore, check_name, sha256_of

ARCFILE = "MUSE.2016-03-15T02:10:11.123.fits"


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "source.fits"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    return path


def test_local_store_implements_the_protocol(local_store):
    assert isinstance(local_store, DataStore)


def test_round_trip_verifies_and_records_sha256(local_store, source, tmp_path):
    digest = local_store.put(source, ARCFILE)
    assert digest == sha256_of(source) == local_store.checksum(ARCFILE)
    assert local_store.exists(ARCFILE)
    copy = local_store.get(ARCFILE, tmp_path / "copy.fits")
    assert copy.read_bytes() == source.read_bytes()
    with local_store.open(ARCFILE) as stream:
        assert stream.read() == source.read_bytes()
    assert not list((local_store.root / "tmp").iterdir())


def test_same_content_again_is_accepted_other_content_refused(local_store, source, tmp_path):
    local_store.put(source, ARCFILE)
    assert local_store.put(source, ARCFILE) == sha256_of(source)
    other = tmp_path / "other"
    other.write_bytes(b"other content")
    with pytest.raises(IntegrityError, match=f"{ARCFILE}: already stored with sha256"):
        local_store.put(other, ARCFILE)
    assert local_store.checksum(ARCFILE) == sha256_of(source)
    assert not list((local_store.root / "tmp").iterdir())


def test_read_range_returns_the_bytes_at_an_offset(local_store, source):
    local_store.put(source, ARCFILE)
    data = source.read_bytes()
    assert local_store.read_range(ARCFILE, 2880, 5760) == data[2880:2880 + 5760]
    assert local_store.read_range(ARCFILE, len(data) - 3, 100) == data[-3:]
    with pytest.raises(StoreError, match="offset >= 0"):
        local_store.read_range(ARCFILE, -1, 10)


def test_corruption_is_detected_on_get_and_on_open(local_store, source, tmp_path):
    local_store.put(source, ARCFILE)
    path = local_store.path(ARCFILE)
    data = bytearray(path.read_bytes())
    data[1000] ^= 0xFF
    path.write_bytes(bytes(data))
    destination = tmp_path / "copy.fits"
    with pytest.raises(IntegrityError, match="corrupted"):
        local_store.get(ARCFILE, destination)
    assert not destination.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".copy")] == []
    with local_store.open(ARCFILE) as stream, pytest.raises(IntegrityError, match="expected"):
        while stream.read(65536):
            pass


@pytest.mark.parametrize("name", ["", "a/b", "../etc/passwd", "..", ".hidden", "a\0b",
                                  "x" * 256, "space name", "-leading-dash", "é"])
def test_bad_names_are_refused_with_the_rule(local_store, source, name):
    with pytest.raises(StoreError, match="bad file name .*expected"):
        local_store.put(source, name)
    with pytest.raises(StoreError):
        local_store.exists(name)


def test_good_names(local_store):
    for name in (ARCFILE, "MASTER_BIAS-05.0001000000000a3f.fits", "x" * 255, "job-17.log"):
        assert check_name(name) == name


def test_missing_files_raise_not_found(local_store, tmp_path):
    for call in (lambda: local_store.get("missing.fits", tmp_path / "x"),
                 lambda: local_store.checksum("missing.fits"),
                 lambda: local_store.open("missing.fits"),
                 lambda: local_store.read_range("missing.fits", 0, 1),
                 lambda: local_store.delete("missing.fits")):
        with pytest.raises(NotFound, match="missing.fits: no such file"):
            call()


def test_delete_and_names(local_store, source):
    local_store.put(source, "a.fits")
    local_store.put(source, "b.fits")
    assert sorted(local_store.names()) == ["a.fits", "b.fits"]
    local_store.delete("a.fits")
    assert not local_store.exists("a.fits") and sorted(local_store.names()) == ["b.fits"]


def test_lost_sidecar_is_recomputed(local_store, source):
    digest = local_store.put(source, ARCFILE)
    next(local_store.root.joinpath("sha256").rglob(ARCFILE)).unlink()
    assert local_store.checksum(ARCFILE) == digest


def test_unusable_root_raises_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot be created"):
        LocalStore(blocker / "store")


def test_kill_during_put_leaves_no_visible_file(tmp_path):
    """A writer killed mid-copy leaves the name absent; the next put works."""
    root = tmp_path / "store"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        from dataserver.store import LocalStore
        LocalStore({str(root)!r}).put({str(fifo)!r}, "victim.fits")
    """)])
    with open(fifo, "wb") as pipe:
        pipe.write(os.urandom(1 << 20))
        pipe.flush()
        writer.kill()
    writer.wait()
    store = LocalStore(root)
    assert not store.exists("victim.fits")
    good = tmp_path / "good"
    good.write_bytes(b"complete")
    store.put(good, "victim.fits")
    assert store.get("victim.fits", tmp_path / "back").read_bytes() == b"complete"
