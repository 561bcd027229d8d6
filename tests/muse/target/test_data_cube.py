"""DataCube end to end from raw data: every node of the small night's exposure, then nothing.

The fewest frames the recipes take: 3 BIAS, 3 FLAT,LAMP, 3 ARC (one per lamp), the OBJECT
and the static calibrations; 24 IFUs (muse_scipost needs them all). The request uses the
reference parameter sets; a second scipost set (``pixfrac`` changed) is the optimised request.
It runs on PostgreSQL: the demo (``tests/awe/test_demo.py``) makes the same cube on SQLite.
"""

from __future__ import annotations

import pytest

from common.process.local import LocalExecutor
from common.process.planner import plan_target
from common.process.target import process_target
from muse.datamodel import DataCube, ImageFov, PixTable, ScipostParameters


@pytest.mark.slow
@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_data_cube_from_raw_data(small_night, night_db):
    night = small_night
    night_db([*night.bias_files[:3], *night.flat_files[:3], *night.arc_files[:3],
              night.object_files[0], *night.statics.values()])
    exposure = night.object_files[0].name.removesuffix(".fits")
    optimised = ScipostParameters(pixfrac="0.6,0.6").commit()
    keys = {"exposure": exposure}
    executor = LocalExecutor(2)
    try:
        first = process_target("DataCube", keys, executor=executor)
        assert not first.stopped and not first.failed, first.summary()
        cube = DataCube.get(first.root_id)
        assert cube.exposure == exposure and cube.is_selectable, cube.qc_failures()
        assert len(cube.pix_tables) == 24
        assert cube.parameters.recipe_parameters() == ScipostParameters().recipe_parameters()
        assert len(ImageFov.exposure == exposure) == 1
        assert len(PixTable.exposure == exposure) == 24

        again = plan_target("DataCube", keys)
        assert again.count("make") == 0 and again[again.root].object_id == cube.object_id

        # the optimised request makes one cube from the same pixel tables
        other = process_target("DataCube", keys, parameters={"scipost": optimised.object_id},
                               executor=executor)
        assert [outcome.class_name for outcome in other.made] == ["DataCube"], other.summary()
        assert set(DataCube.get(other.root_id).pix_tables) == set(cube.pix_tables)
        # and the reference cube is still up to date
        still = plan_target("DataCube", keys)
        assert still.count("make") == 0 and still[still.root].object_id == cube.object_id
    finally:
        executor.shutdown()
