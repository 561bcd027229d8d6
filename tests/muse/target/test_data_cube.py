"""DataCube end to end from raw data: every node of the small night's exposure, then nothing.

The fewest frames the recipes take: 3 BIAS, 3 FLAT,LAMP, 3 ARC (one per lamp), the OBJECT
and the static calibrations; 24 IFUs (muse_scipost needs them all). The scipost parameter
set is ``skymethod='none'`` (the recipe has no sky model yet); a second set (``pixfrac``
changed) is the optimised request.

The small geometry's WAVECAL_TABLEs fail the full-geometry fit-RMS limit of muse.xml (see
tests/muse/datamodel/test_make.py): when they are flagged, the first request stops at them
(with the QC message), and the test takes the documented way on — ``override_qc`` with a
reason — before asking again. The thresholds are not touched.
"""

from __future__ import annotations

import pytest

from common.process.local import LocalExecutor
from common.process.planner import plan_target
from common.process.target import process_target
from muse.datamodel import DataCube, ImageFov, PixTable, ScipostParameters, WavecalTable


@pytest.mark.slow
def test_data_cube_from_raw_data(small_night, night_db):
    night = small_night
    night_db([*night.bias_files[:3], *night.flat_files[:3], *night.arc_files[:3],
              night.object_files[0], *night.statics.values()])
    exposure = night.object_files[0].name.removesuffix(".fits")
    reference = ScipostParameters(skymethod="none").commit()
    optimised = ScipostParameters(skymethod="none", pixfrac="0.6,0.6").commit()
    keys = {"exposure": exposure}
    executor = LocalExecutor(2)
    try:
        first = process_target("DataCube", keys, parameters={"scipost": reference.object_id},
                               executor=executor)
        assert not first.failed, first.summary()
        if first.stopped:
            flagged = [outcome for outcome in first.stopped
                       if outcome.class_name == "WavecalTable"]
            assert flagged and all("failed QC: QC WAVECAL" in outcome.reason
                                   for outcome in flagged), first.summary()
            assert all(outcome.reason.startswith("needs ") for outcome in first.stopped
                       if outcome.class_name != "WavecalTable"), first.summary()
            for outcome in flagged:
                WavecalTable.get(outcome.object_id).override_qc(
                    "small test geometry: the fit-RMS limit is a full-geometry one")
            first = process_target("DataCube", keys,
                                   parameters={"scipost": reference.object_id},
                                   executor=executor)
        assert not first.stopped and not first.failed, first.summary()
        cube = DataCube.get(first.root_id)
        assert cube.exposure == exposure and cube.is_selectable, cube.qc_failures()
        assert len(cube.pix_tables) == 24 and cube.parameters == reference
        assert len(ImageFov.exposure == exposure) == 1
        assert len(PixTable.exposure == exposure) == 24

        again = plan_target("DataCube", keys, parameters={"scipost": reference.object_id})
        assert again.count("make") == 0 and again[again.root].object_id == cube.object_id

        # the optimised request makes one cube from the same pixel tables
        other = process_target("DataCube", keys, parameters={"scipost": optimised.object_id},
                               executor=executor)
        assert [outcome.class_name for outcome in other.made] == ["DataCube"], other.summary()
        assert set(DataCube.get(other.root_id).pix_tables) == set(cube.pix_tables)
        # and the reference cube is still up to date
        still = plan_target("DataCube", keys, parameters={"scipost": reference.object_id})
        assert still.count("make") == 0 and still[still.root].object_id == cube.object_id
    finally:
        executor.shutdown()
