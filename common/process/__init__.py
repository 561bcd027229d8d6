"""Target processing: process specifications, the planner, the up-to-date rule and jobs.

Only :mod:`common.process.spec` exists so far (the types a data model declares with);
the planner, the up-to-date rule and the job table come later.
"""

from __future__ import annotations

from common.process.spec import Calib, Input, MakeResult, ProcessSpec, load_adapter

__all__ = ["Calib", "Input", "MakeResult", "ProcessSpec", "load_adapter"]
