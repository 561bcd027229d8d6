"""The job table: submitted through the user's session, changed in place under row locks."""

from __future__ import annotations

import pytest

from common.config import Context
from common.database import connect
from common.errors import NotFound, QueryError
from common.persistent import session
from common.process.jobs import Job


@pytest.fixture
def job_session(database_url, local_store):
    database = connect(database_url, site=0)
    context = Context(user=database.current_user or "tester", project="test", privileges=1,
                      site=0)
    with session(database, context, store=local_store) as opened:
        yield opened
    database.dispose()


def test_a_job_goes_from_queued_to_done(job_session):
    job = Job.submit("MasterBias", {"night": "2016-03-14", "ifu": 5}, {"bias": 7},
                     session=job_session)
    assert (job.state, job.creator, job.keys, job.parameters) == (
        "queued", job_session.context.user, {"night": "2016-03-14", "ifu": 5}, {"bias": 7})
    assert job.job_id in [found.job_id for found in Job.unfinished()]
    job.mark_running("host-a", "dpu-1")
    job.set_plan({"root": "MasterBias(night=2016-03-14,ifu=5)", "nodes": []})
    job.report_progress(1, 3, "MasterBias(night=2016-03-14,ifu=5)")
    again = Job.get(job.job_id)
    assert (again.state, again.host, again.dpu, again.progress_done, again.progress_total) == (
        "running", "host-a", "dpu-1", 1, 3)
    assert again.plan["root"].startswith("MasterBias") and again.started is not None
    job.finish("done", {"made": [1, 2]}, log_file="job-1.log")
    again = Job.get(job.job_id)
    assert (again.state, again.result, again.log_file) == ("done", {"made": [1, 2]}, "job-1.log")
    assert again.finished >= again.started
    assert job.job_id not in [found.job_id for found in Job.unfinished()]
    with pytest.raises(QueryError, match=rf"job {job.job_id}: expected state queued or running, "
                                         "found done"):
        job.finish("failed", error="again")
    with pytest.raises(QueryError, match="finish expected one of done, failed, stopped, "
                                         "cancelled, found 'finished'"):
        job.finish("finished")
    with pytest.raises(NotFound, match="no job 12345"):
        Job.get(12345)
