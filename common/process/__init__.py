"""Target processing: process specifications, the planner, the up-to-date rule and jobs.

- :mod:`~common.process.spec`: the types a data model declares its processable classes with;
- :mod:`~common.process.plan` and :mod:`~common.process.planner`: the plan of a request;
- :mod:`~common.process.worker`, :mod:`~common.process.executor`,
  :mod:`~common.process.local`: database-free workers and the executors that run them;
- :mod:`~common.process.target`: ``process_target`` (plan, run bottom-up, store, verify,
  commit);
- :mod:`~common.process.jobs`: the job table ``awe_job`` (imported here so that every connect
  of a data model using process specs declares it).
"""

from __future__ import annotations

from common.process import jobs as _jobs  # noqa: F401  (registers awe_job)
from common.process.spec import Calib, Input, MakeResult, ProcessSpec, load_adapter

__all__ = ["Calib", "Input", "MakeResult", "ProcessSpec", "load_adapter"]
