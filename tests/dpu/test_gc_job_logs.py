"""``awe dataserver gc`` keeps the job logs the job table references (``awe_job.log_file``)."""

from __future__ import annotations

import secrets

from awe.commands.dataserver import referenced_names
from common.process.jobs import Job


def test_job_log_is_referenced(site_url, user_session, tmp_path) -> None:
    job = Job.submit("MasterBias", {"night": "2016-03-14", "ifu": 1})
    name = f"job-{job.job_id}.log"
    log = tmp_path / name
    log.write_text(f"log of job {job.job_id} {secrets.token_hex(4)}\n", encoding="utf-8")
    user_session.store.put(log, name)
    assert name not in referenced_names(site_url), "not yet referenced by the job row"
    job.finish("done", result={}, log_file=name)
    assert name in referenced_names(site_url)
