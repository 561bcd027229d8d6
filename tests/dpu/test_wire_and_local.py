"""Plain data on the wire, errors rebuilt by error_type, and the in-process DPU."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from common.errors import DpuError, NotFound, PermissionDenied, QcFailed
from dpu.wire import check_token, failure, guarded, plain, success, unwrap


def test_plain_values() -> None:
    assert plain({"night": dt.date(2016, 3, 14), "ifu": [1, 2], "x": None}) == \
        {"night": "2016-03-14", "ifu": [1, 2], "x": None}
    with pytest.raises(DpuError, match=r"reply\.files\[0\]: expected plain data .* found a "
                                       r"PosixPath"):
        success({"files": [Path("a")]})
    with pytest.raises(DpuError, match="expected text keys on the wire, found 3"):
        plain({3: "x"})


def test_errors_cross_as_their_class() -> None:
    with pytest.raises(QcFailed, match="MASTER_BIAS 5: RON 9 > 5"):
        unwrap(failure(QcFailed("MASTER_BIAS 5: RON 9 > 5")), "status")
    with pytest.raises(DpuError, match="ZeroDivisionError: division by zero"):
        unwrap(guarded(lambda: 1 / 0), "status")
    assert unwrap(guarded(lambda: {"a": 1}), "status") == {"a": 1}
    with pytest.raises(DpuError, match="status: expected a DPU reply dict, found 'junk'"):
        unwrap("junk", "status")


def test_token_check() -> None:
    check_token("s3cret", {"token": "s3cret"})
    for data in ({"token": "s3cre"}, {}, "s3cret", None, {"token": 5}):
        with pytest.raises(PermissionDenied):
            check_token("s3cret", data)


def test_in_process_dpu(user_session, ingested_night, monkeypatch) -> None:
    """With no DPU configured, Processor runs the job in this process, same interface."""
    from dpu.client import Processor

    monkeypatch.delenv("AWE_DPU", raising=False)
    processor = Processor()
    assert processor.dpus == [] and processor.backend_name() == "in-process"
    job_id = processor.run("MasterBias", night="2016-03-14", ifu=10)
    row = processor.wait(job_id, timeout=300)
    assert row["state"] == "done", row["error"]
    assert row["creator"] == user_session.context.user
    assert f"job {job_id} done" in processor.logs(job_id)
    assert job_id in [item["job_id"] for item in processor.jobs()]
    assert processor.info()["executor"] == "local"
    with pytest.raises(NotFound):
        processor.status(987654321)
