"""Generated classes on SQLite and PostgreSQL: mapping, QC queries, best-for-date selection."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from common.persistent import commit
from muse.datamodel import (
    BiasParameters,
    ExtinctTable,
    MasterBias,
    RawBias,
    RawBiasChip,
)
from muse.datamodel.rules import validity_of

T = dt.datetime(2016, 3, 15, 2, 10)
NIGHT = dt.date(2016, 3, 14)
_files = itertools.count()


def _bias(tmp_path, *, night=NIGHT, ifu=5, parameters=None, ron=2.9, curid=1, widen=0,
          chip="CCD-A", **values):
    product = MasterBias(ifu=ifu, night=night, DET_READ_CURID=curid, DET_CHIP_NAME=chip,
                         parameters=parameters or BiasParameters(), **values)
    product.timestamp_start, product.timestamp_end = validity_of(night, widen)
    product.set_qc({"BIAS MASTER1 RON": ron, "BIAS MASTER NBADPIX": 10})
    path = tmp_path / f"bias-{next(_files)}.fits"
    path.write_bytes(path.name.encode())
    product.store(path)
    product.verify()
    return product


def test_raw_frames_chips_and_links_map(db_session, tmp_path):
    # a name no simulated night has: ingest refuses a name taken by other content
    path = tmp_path / "MUSE.2016-03-15T11:30:04.999.fits"
    path.write_bytes(b"raw")
    frame = RawBias(ARCFILE=path.name, DATE_OBS=dt.datetime(2016, 3, 15, 11, 30, 4, 35000),
                    night=NIGHT, DET_READ_CURID=1, primary_size=2880, filename=path.name)
    frame.store(path)
    chips = [RawBiasChip(raw_frame=frame, ifu=ifu, night=NIGHT, hdu_offset=2880 * ifu,
                         hdu_size=2880, INS_TEMP7_VAL=11.3) for ifu in (4, 5)]
    commit(frame, *chips)
    assert frame.chip(5) is chips[1]
    arcfile = RawBiasChip.raw_frame.ARCFILE
    found = (arcfile == path.name) & (RawBiasChip.ifu == 5)
    assert list(found) == [chips[1]]
    assert len(RawBiasChip.selectable() & (RawBiasChip.raw_frame == frame)) == 2


def test_qc_values_are_queryable_columns(db_session, tmp_path, assert_query_count):
    good = _bias(tmp_path, ron=2.9, software_release="t1")
    noisy = _bias(tmp_path, ron=4.2, software_release="t1")
    commit(good, noisy)
    assert (good.quality_flags, noisy.quality_flags) == (0, 1)
    with assert_query_count(1):
        found = list((MasterBias.QC_BIAS_MASTER1_RON > 3.5) & (MasterBias.software_release == "t1"))
    assert found == [noisy]
    assert list(MasterBias.selectable() & (MasterBias.software_release == "t1")) == [good]
    assert list(MasterBias.quality_flags.any_bits(1 << MasterBias.quality_bits["ron_high"])
                & (MasterBias.software_release == "t1")) == [noisy]


def test_best_calibration_ranking(db_session, tmp_path, assert_query_count):
    reference, other = BiasParameters().commit(), BiasParameters(combine="median").commit()
    ifu = 11
    older_same_night = _bias(tmp_path, ifu=ifu, parameters=reference)
    commit(older_same_night)
    newest_same_night = _bias(tmp_path, ifu=ifu, parameters=reference)
    other_parameters = _bias(tmp_path, ifu=ifu, parameters=other)
    near_night = _bias(tmp_path, ifu=ifu, parameters=reference, night=NIGHT - dt.timedelta(1),
                       widen=2)
    flagged = _bias(tmp_path, ifu=ifu, parameters=reference, ron=9.0)
    other_mode = _bias(tmp_path, ifu=ifu, parameters=reference, curid=2)
    commit(newest_same_night, other_parameters, near_night, flagged, other_mode)
    with assert_query_count(1):  # ranking and loading in one statement
        best = MasterBias.select_for_date(T, ifu=ifu, DET_READ_CURID=1)
    assert best is newest_same_night
    assert MasterBias.select_for_date(T, ifu=ifu, parameters=BiasParameters(combine="median"),
                                      DET_READ_CURID=1) is other_parameters
    assert MasterBias.select_for_date(T, ifu=ifu, DET_READ_CURID=2) is other_mode
    newest_same_night.set_valid(0, reason="ringing in port 3")
    older_same_night.set_valid(0, reason="ringing in port 3")
    # the same night gone: the reference set of another night, never the optimised set
    assert MasterBias.select_for_date(T, ifu=ifu, DET_READ_CURID=1) is near_night
    near_night.set_valid(0, reason="test")
    # only the optimised product is left: a reference request never selects it
    with pytest.raises(MasterBias.NotFound, match="no selectable MasterBias"):
        MasterBias.select_for_date(T, ifu=ifu, DET_READ_CURID=1)
    assert MasterBias.select_for_date(T, ifu=ifu, parameters=BiasParameters(combine="median"),
                                      DET_READ_CURID=1) is other_parameters
    flagged.override_qc(reason="noise acceptable for this programme")
    assert MasterBias.select_for_date(T, ifu=ifu, DET_READ_CURID=1) is flagged


def test_nearest_night_then_newest(db_session, tmp_path):
    ifu = 12
    two_before = _bias(tmp_path, ifu=ifu, night=NIGHT - dt.timedelta(2), widen=3)
    one_after = _bias(tmp_path, ifu=ifu, night=NIGHT + dt.timedelta(1), widen=3)
    commit(two_before, one_after)
    assert MasterBias.select_for_date(T, ifu=ifu) is one_after
    one_before = _bias(tmp_path, ifu=ifu, night=NIGHT - dt.timedelta(1), widen=3)
    commit(one_before)
    assert MasterBias.select_for_date(T, ifu=ifu) is one_before  # tie at 1 night: newest
    assert MasterBias.select_for_date(T + dt.timedelta(days=1), ifu=ifu) is one_after


def test_a_batch_is_one_ranking_statement(db_session, tmp_path, assert_query_count):
    ifu = 13
    nights = [NIGHT + dt.timedelta(days) for days in range(4)]
    products = [_bias(tmp_path, ifu=ifu, night=night) for night in nights]
    commit(*products)
    BiasParameters().commit()
    moments = [dt.datetime.combine(night + dt.timedelta(1), dt.time(3)) for night in nights]
    with assert_query_count(1):
        found = MasterBias.select_for_dates([*moments, T - dt.timedelta(days=5)], ifu=ifu)
    assert found == [*products, None]


def test_static_calibration_newest_start_wins(db_session, tmp_path):
    tables = []
    for start in (dt.datetime(2015, 1, 1), dt.datetime(2016, 1, 1), dt.datetime(2017, 1, 1)):
        table = ExtinctTable(timestamp_start=start, DATE_OBS=start, software_release="static")
        path = tmp_path / f"extinct-{next(_files)}.fits"
        path.write_bytes(path.name.encode())
        table.store(path)
        tables.append(table)
    commit(*tables)
    assert ExtinctTable.select_for_date(T) is tables[1]
    assert ExtinctTable.select_for_date(dt.datetime(2015, 6, 1)) is tables[0]
    with pytest.raises(ExtinctTable.NotFound):
        ExtinctTable.select_for_date(dt.datetime(2014, 6, 1))


def test_a_batch_of_mixed_ifus_and_setups_is_one_statement(db_session, tmp_path,
                                                           assert_query_count):
    ifus = (14, 15, 16)
    products = [_bias(tmp_path, ifu=ifu, night=NIGHT + dt.timedelta(days), curid=curid)
                for ifu in ifus for days in range(2) for curid in (1, 2)]
    commit(*products)
    BiasParameters().commit()
    targets = [(dt.datetime.combine(NIGHT + dt.timedelta(days + 1), dt.time(3)), ifu,
                {"DET_READ_CURID": curid})
               for ifu in ifus for days in range(2) for curid in (1, 2)]
    targets.append((T, 17, {"DET_READ_CURID": 1}))  # an IFU without a master bias
    with assert_query_count(1):
        found = MasterBias.select_for_targets(targets)
    assert found == [*products, None]
    one_by_one = [MasterBias.select_for_dates([moment], ifu=ifu, **setup)[0]
                  for moment, ifu, setup in targets]
    assert found == one_by_one


def test_the_nearest_night_beats_a_newer_product_of_another_night(db_session, tmp_path):
    ifu = 18
    same_night = _bias(tmp_path, ifu=ifu, night=NIGHT)
    commit(same_night)
    newer_other_night = _bias(tmp_path, ifu=ifu, night=NIGHT - dt.timedelta(1), widen=2)
    commit(newer_other_night)
    assert newer_other_night.creation_date >= same_night.creation_date
    assert MasterBias.select_for_date(T, ifu=ifu) is same_night


def test_validity_start_is_inclusive_and_end_exclusive(db_session, tmp_path):
    ifu = 19
    product = _bias(tmp_path, ifu=ifu)
    commit(product)
    start, end = product.timestamp_start, product.timestamp_end
    assert MasterBias.select_for_date(start, ifu=ifu) is product
    assert MasterBias.select_for_date(end - dt.timedelta(microseconds=1), ifu=ifu) is product
    assert MasterBias.select_for_targets([(end, ifu, {}),
                                          (start - dt.timedelta(microseconds=1), ifu, {})]) \
        == [None, None]


def test_selection_functions_compile_for_oracle():
    from sqlalchemy import column, select
    from sqlalchemy.dialects import oracle

    from muse.datamodel.selection import days_before, not_indexed, validity_days

    start, end, ifu = column("timestamp_start"), column("timestamp_end"), column("ifu")
    sql = str(select(validity_days(start, end), days_before(end, 2), not_indexed(ifu))
              .compile(dialect=oracle.dialect()))
    assert "(CAST(timestamp_end AS DATE) - CAST(timestamp_start AS DATE))" in sql
    assert "(timestamp_end - NUMTODSINTERVAL(:days_before_2, 'DAY'))" in sql
    assert ", ifu" in sql and "+ifu" not in sql
