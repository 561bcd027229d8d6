"""A plan names only inputs its user may see (SQLite: the compiler's rule, added by the planner).

On PostgreSQL row-level security hides the rows from the planner's statements; on SQLite the
planner adds the rule itself. Before, another user's level-1 raw chips were planned as inputs
and the job then failed with a KeyError when it loaded them.
"""

from __future__ import annotations

from common.config import Context
from common.database import connect
from common.persistent import session
from common.process.planner import plan_target
from dataserver.store import LocalStore
from muse.datamodel.ingest import ingest_file


def test_a_plan_never_uses_raw_data_its_user_cannot_see(small_night, tmp_path):
    database = connect(f"sqlite:///{tmp_path / 'visibility.sqlite'}", site=0)
    store = LocalStore(tmp_path / "store")
    keys = {"night": small_night.night.isoformat(), "ifu": 1}
    try:
        owner = Context(user="alice", project="test", privileges=1, site=0)
        with session(database, owner, store=store):
            for path in small_night.bias_files[:3]:
                assert ingest_file(path, commit_it=True).status == "ingested"
            plan = plan_target("MasterBias", keys)
            assert plan[plan.root].action == "make"
        with session(database, Context(user="bob", project="test", privileges=1, site=0),
                     store=store):
            plan = plan_target("MasterBias", keys)
            root = plan[plan.root]
            assert root.action == "stop" and "0" in root.reason, root.reason
    finally:
        database.dispose()
