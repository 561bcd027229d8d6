"""The one atomic-write helper: whole file or nothing, replace or refuse to."""

import os

import pytest

from common.files import atomic_write, hidden_temporary, place, write_bytes_atomically


def _leftovers(directory):
    return sorted(path.name for path in directory.iterdir() if path.name.startswith("."))


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "night.json"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_write(target) as stream:
        stream.write(b"half of the new")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_replace_overwrites_and_no_overwrite_refuses(tmp_path):
    target = tmp_path / "a.fits"
    write_bytes_atomically(target, b"one")
    write_bytes_atomically(target, lambda stream: stream.write(b"two"))
    assert target.read_bytes() == b"two"
    with pytest.raises(FileExistsError):
        write_bytes_atomically(target, b"three", replace=False)
    assert target.read_bytes() == b"two"
    assert _leftovers(tmp_path) == []
    assert write_bytes_atomically(tmp_path / "b.fits", b"new", replace=False).read_bytes() \
        == b"new"


def test_place_links_without_overwriting_and_keeps_the_temporary_on_refusal(tmp_path):
    temporary = hidden_temporary(tmp_path / "x")
    assert temporary.parent == tmp_path and temporary.name.startswith(".x.")
    temporary.write_bytes(b"content")
    place(temporary, tmp_path / "x", replace=False)
    assert (tmp_path / "x").read_bytes() == b"content" and not temporary.exists()
    temporary.write_bytes(b"other")
    with pytest.raises(FileExistsError):
        place(temporary, tmp_path / "x", replace=False)
    assert temporary.exists() and (tmp_path / "x").read_bytes() == b"content"


def test_the_data_reaches_the_disk_before_the_name(tmp_path, monkeypatch):
    order = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (order.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace",
                        lambda *args: (order.append("replace"), real_replace(*args))[1])
    write_bytes_atomically(tmp_path / "f", b"data")
    # file fsync, rename, then the directory's fsync
    assert order == ["fsync", "replace", "fsync"]
