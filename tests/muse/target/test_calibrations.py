"""Target processing of calibrations on the small night: made once, then exactly what changed.

Requests ``MasterFlat`` for three IFUs (each needs its ``MasterBias``); between requests one
thing changes, and the test checks that exactly the affected sub-tree is remade.
"""

from __future__ import annotations

import datetime as dt

import pytest

from common.database import count_statements
from common.process.local import LocalExecutor
from common.process.planner import plan_target
from common.process.target import process_target
from muse.datamodel import FlatParameters, MasterBias, MasterFlat, RawBiasChip
from muse.datamodel.ingest import ingest_file

IFUS = "1,2,3"


@pytest.fixture(scope="module")
def executor():
    """Two local workers for the module (started once)."""
    pool = LocalExecutor(2)
    yield pool
    pool.shutdown()


def _made(result) -> set[str]:
    return {outcome.node_id for outcome in result.made}


def _node(cls, night, ifu) -> str:
    return f"{cls.__name__}(night={night.isoformat()},ifu={ifu})"


@pytest.mark.slow
def test_made_once_then_exactly_the_affected_sub_tree(small_night, night_db, executor):
    night = small_night.night
    held_back = small_night.bias_files[-1]
    db = night_db([*small_night.bias_files[:-1], *small_night.flat_files[:3]])
    keys = {"night": night.isoformat(), "ifu": IFUS}

    first = process_target("MasterFlat", keys, executor=executor)
    assert not first.failed and not first.stopped, first.summary()
    assert _made(first) == {_node(cls, night, ifu) for cls in (MasterBias, MasterFlat)
                            for ifu in (1, 2, 3)}
    flats = {flat.ifu: flat for flat in MasterFlat.night == night}
    assert len(flats) == 3 and all(flat.master_bias.ifu == ifu for ifu, flat in flats.items())
    assert all(len(flat.raw_chips) == 3 for flat in flats.values())

    # asked again: nothing made, and the plan costs the same few statements for 1 or 3 IFUs
    with count_statements(db.database) as log:
        again = process_target("MasterFlat", keys, executor=executor)
    assert not again.made and len(again.reused) == 6, again.summary()
    with count_statements(db.database) as one:
        plan_target("MasterFlat", {"night": night, "ifu": 2})
    with count_statements(db.database) as three:
        plan_target("MasterFlat", keys)
    assert len(three) == len(one) <= 12, three.statements
    assert len(log) <= len(three) + 2

    # one raw bias chip of IFU 2 invalidated: IFU 2's bias (from the other 3) and flat remade
    chip = ((RawBiasChip.night == night) & (RawBiasChip.ifu == 2)).order_by("DATE_OBS")[0]
    chip.set_valid(0, "test: a cosmic-ray shower")
    result = process_target("MasterFlat", keys, executor=executor)
    assert _made(result) == {_node(MasterBias, night, 2), _node(MasterFlat, night, 2)}
    bias = MasterBias.get(next(o.object_id for o in result.made if o.class_name == "MasterBias"))
    assert len(bias.raw_chips) == 3 and chip not in bias.raw_chips
    plan = plan_target("MasterFlat", {"night": night, "ifu": 2})
    assert plan.count("make") == 0

    # IFU 3's bias validity shortened so it no longer covers its flats: bias 3 + flat 3
    bias3 = MasterBias.select_for_date(flats[3].DATE_OBS, ifu=3)
    bias3.set_validity(bias3.timestamp_start, flats[3].DATE_OBS - dt.timedelta(hours=1),
                       "test: detector warmed up")
    dry = plan_target("MasterFlat", keys)
    assert "does not cover" in dry[_node(MasterBias, night, 3)].reason, dry.text()
    result = process_target("MasterFlat", keys, executor=executor)
    assert _made(result) == {_node(MasterBias, night, 3), _node(MasterFlat, night, 3)}

    # another flat parameter set: three flats with it, the biases reused
    optimised = FlatParameters(nlow=2).commit()
    result = process_target("MasterFlat", keys, parameters={"flat": optimised.object_id},
                            executor=executor)
    assert _made(result) == {_node(MasterFlat, night, ifu) for ifu in (1, 2, 3)}
    assert all(MasterFlat.get(o.object_id).parameters == optimised for o in result.made)
    assert not process_target("MasterFlat", keys, executor=executor).made  # reference kept

    # a newer raw bias frame of the night: every bias and reference flat remade
    assert ingest_file(held_back, commit_it=True).status == "ingested"
    result = process_target("MasterFlat", keys, executor=executor)
    assert _made(result) == {_node(cls, night, ifu) for cls in (MasterBias, MasterFlat)
                            for ifu in (1, 2, 3)}
    assert {len(MasterBias.get(o.object_id).raw_chips) for o in result.made
            if o.class_name == "MasterBias"} == {5, 4}  # IFU 2 still without its bad chip
