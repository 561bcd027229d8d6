"""Commit and query on real SQLite and PostgreSQL: the same backend-neutral suite on both."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from common.database import OBJECT_TABLE, count_statements
from common.errors import ImmutableError, IntegrityError, PersistenceError, QueryError
from common.persistent import DBObject, commit, context, persistent, transaction
from common.persistent.identity import IdentityMap
from common.persistent.query import Query

NIGHT = dt.date(2016, 3, 14)


class CoreRaw(DBObject):
    tag = persistent("test isolation tag", str, None, length=40, index=True)
    ifu = persistent("IFU 1-24", int)
    night = persistent("night", dt.date)
    extname = persistent("extension", str, None, length=20)
    DATE_OBS = persistent("observation start", dt.datetime)
    median = persistent("median level", float)
    saturated = persistent("saturated", bool)
    header = persistent("extra values", dict)


class CoreMaster(DBObject):
    tag = persistent("test isolation tag", str, None, length=40)
    ifu = persistent("IFU 1-24", int)
    raw_chips = persistent("raw chips used", CoreRaw, [])
    first_chip = persistent("first chip", CoreRaw)
    previous = persistent("the master it replaces", "CoreMaster")
    quality_flags = persistent("QC flag bits", int, 0)


class CoreMasterSub(CoreMaster):
    note = persistent("a note", str)


def _chips(tag: str, count: int = 6) -> list[CoreRaw]:
    return [CoreRaw(tag=tag, ifu=i % 3 + 1, night=NIGHT, extname=f"CHAN{i:02d}",
                    DATE_OBS=dt.datetime(2016, 3, 15, 2, 10, i, 123456), median=1000.0 + i,
                    saturated=i % 2 == 0, header={"i": i}) for i in range(count)]


def test_commit_a_graph_in_one_transaction(db_session, tag, backend):
    chips = _chips(tag)
    master = CoreMaster(tag=tag, ifu=1, raw_chips=chips[:3], first_chip=chips[0])
    assert master.commit() is master
    assert master.is_committed and all(chip.is_committed for chip in chips[:3])
    assert not chips[4].is_committed
    assert master.creator == "tester" and master.project == "test" and master.privileges == 1
    assert isinstance(master.creation_date, dt.datetime)
    assert master.raw_chips == tuple(chips[:3])
    catalogue = db_session.database.table(OBJECT_TABLE.name)
    with db_session.database.read() as connection:
        rows = connection.execute(select(catalogue.c.class_name, catalogue.c.project).where(
            catalogue.c.object_id.in_([master.object_id, chips[0].object_id]))).all()
    assert sorted(rows) == [("CoreMaster", "test"), ("CoreRaw", "test")]


def test_values_round_trip_exactly(db_session, tag):
    chips = _chips(tag)
    commit(*chips)
    ids = [chip.object_id for chip in chips]
    db_session.identity = IdentityMap()
    loaded = list((CoreRaw.tag == tag).order_by("extname"))
    assert [chip.object_id for chip in loaded] == ids
    first = loaded[0]
    assert first is not chips[0], "a new identity map loads new objects"
    assert (first.ifu, first.night, first.extname, first.median, first.saturated) == \
        (1, NIGHT, "CHAN00", 1000.0, True)
    assert first.DATE_OBS == dt.datetime(2016, 3, 15, 2, 10, 0, 123456)  # noqa: SIM300
    assert dict(first.header) == {"i": 0}
    with pytest.raises(TypeError):
        first.header["i"] = 5


def test_identity_map_returns_the_same_object(db_session, tag):
    chips = _chips(tag)
    commit(*chips)
    assert next(iter(CoreRaw.tag == tag)) is chips[0]
    assert CoreRaw.get(chips[2].object_id) is chips[2]
    again = list(CoreRaw.tag == tag)
    assert all(a is b for a, b in zip(again, chips, strict=True))


def test_committed_objects_are_immutable(db_session, tag):
    chip = _chips(tag, 1)[0]
    chip.commit()
    with pytest.raises(ImmutableError, match=rf"CoreRaw {chip.object_id:#018x} is committed and "
                                             r"immutable: cannot set ifu"):
        chip.ifu = 7
    with pytest.raises(ImmutableError, match="changes only through publish"):
        chip.privileges = 3
    assert chip.ifu == 1


def test_operators(db_session, tag):
    commit(*_chips(tag))
    base = CoreRaw.tag == tag

    def extnames(query: Query) -> list[str]:
        return [chip.extname for chip in (base & query).order_by("extname")]

    assert extnames(CoreRaw.ifu == 1) == ["CHAN00", "CHAN03"]
    assert extnames(CoreRaw.ifu != 1) == ["CHAN01", "CHAN02", "CHAN04", "CHAN05"]
    assert extnames(CoreRaw.median < 1002) == ["CHAN00", "CHAN01"]
    assert extnames(CoreRaw.median <= 1002) == ["CHAN00", "CHAN01", "CHAN02"]
    assert extnames(CoreRaw.median > 1004) == ["CHAN05"]
    assert extnames(CoreRaw.median >= 1004) == ["CHAN04", "CHAN05"]
    assert extnames((CoreRaw.ifu == 1) | (CoreRaw.ifu == 2)) == \
        ["CHAN00", "CHAN01", "CHAN03", "CHAN04"]
    assert extnames(~(CoreRaw.ifu == 1)) == ["CHAN01", "CHAN02", "CHAN04", "CHAN05"]
    assert extnames(CoreRaw.extname.like("CHAN0*")) == [f"CHAN0{i}" for i in range(6)]
    assert extnames(CoreRaw.extname.like("*5")) == ["CHAN05"]
    assert extnames(CoreRaw.extname.like("chan*")) == [], "like is case-sensitive"
    assert extnames(CoreRaw.ifu.in_([2, 3])) == ["CHAN01", "CHAN02", "CHAN04", "CHAN05"]
    assert extnames(CoreRaw.ifu.in_([])) == []
    assert extnames(CoreRaw.saturated == True) == ["CHAN00", "CHAN02", "CHAN04"]  # noqa: E712
    late = CoreRaw.DATE_OBS > dt.datetime(2016, 3, 15, 2, 10, 4)  # noqa: SIM300
    assert extnames(late) == ["CHAN04", "CHAN05"]
    assert extnames(CoreRaw.night == NIGHT) == [f"CHAN0{i}" for i in range(6)]
    assert extnames(CoreRaw.ifu.any_bits(2)) == ["CHAN01", "CHAN02", "CHAN04", "CHAN05"]


def test_null_semantics(db_session, tag):
    commit(CoreRaw(tag=tag, extname="A", ifu=1), CoreRaw(tag=tag, extname="B"))
    base = CoreRaw.tag == tag
    names = lambda query: sorted(chip.extname for chip in base & query)  # noqa: E731
    assert names(CoreRaw.ifu == None) == ["B"]  # noqa: E711
    assert names(CoreRaw.ifu != None) == ["A"]  # noqa: E711
    assert names(CoreRaw.ifu != 1) == [], "a comparison with NULL is false"
    assert names(CoreRaw.ifu < 5) == ["A"]
    assert names(~(CoreRaw.ifu < 5)) == ["B"], "~ is 'not (q is true)'"
    assert names(~(CoreRaw.ifu == 1)) == ["B"]
    assert names(~((CoreRaw.ifu == 1) | (CoreRaw.median > 3))) == ["B"]


def test_strings_compare_binary(db_session, tag):
    commit(*(CoreRaw(tag=tag, extname=name) for name in ["b", "B", "a", "A", "_", "ä"]))
    ordered = [chip.extname for chip in (CoreRaw.tag == tag).order_by("extname")]
    assert ordered == ["A", "B", "_", "a", "b", "ä"]
    assert len((CoreRaw.tag == tag) & (CoreRaw.extname > "Z")) == 4
    assert [c.extname for c in (CoreRaw.tag == tag) & CoreRaw.extname.like("_")] == ["_"]


def test_ordering_nulls_last_and_by_id(db_session, tag):
    chips = [CoreRaw(tag=tag, ifu=ifu, extname=str(n)) for n, ifu in enumerate([2, None, 1, 2])]
    commit(*chips)
    base = CoreRaw.tag == tag
    assert [c.extname for c in base.order_by("ifu")] == ["2", "0", "3", "1"]
    assert [c.extname for c in base.order_by("ifu", desc=True)] == ["1", "3", "0", "2"]
    assert [c.extname for c in base] == ["0", "1", "2", "3"], "unordered: by object_id"
    assert base.max("ifu").extname == "3", "max ignores NULL; ties go to the largest id"
    with pytest.raises(CoreRaw.NotFound):
        (base & (CoreRaw.ifu > 5)).max("ifu")


def test_len_index_and_slices(db_session, tag):
    commit(*_chips(tag))
    query = (CoreRaw.tag == tag).order_by("extname")
    assert len(query) == 6
    assert query[0].extname == "CHAN00" and query[-1].extname == "CHAN05"
    assert [c.extname for c in query[1:3]] == ["CHAN01", "CHAN02"]
    assert [c.extname for c in query[4:]] == ["CHAN04", "CHAN05"]
    assert len(query[4:]) == 2 and len(query[1:3][1:]) == 1
    assert [c.extname for c in query[-2:]] == ["CHAN04", "CHAN05"]
    with pytest.raises(CoreRaw.NotFound, match="has no element 6"):
        query[6]


def test_link_paths_join(db_session, tag):
    chips = _chips(tag)
    old = CoreMaster(tag=tag, ifu=1, first_chip=chips[0], raw_chips=chips[:2])
    new = CoreMaster(tag=tag, ifu=2, first_chip=chips[1], previous=old)
    lone = CoreMasterSub(tag=tag, ifu=3, note="no links")
    commit(old, new, lone)
    base = CoreMaster.tag == tag
    assert list(base & (CoreMaster.first_chip.ifu == 2)) == [new]
    assert list(base & (CoreMaster.previous.first_chip.extname == "CHAN00")) == [new]
    assert list(base & (CoreMaster.first_chip == chips[0])) == [old]
    assert list(base & (CoreMaster.previous == None)) == [old, lone]  # noqa: E711
    assert list(base & ~(CoreMaster.first_chip.ifu == 2)) == [old, lone], \
        "a missing link makes the comparison false, so its negation true"
    assert list(base.order_by("first_chip.extname", desc=True)) == [lone, new, old]


def test_polymorphic_queries(db_session, tag):
    master = CoreMaster(tag=tag, ifu=1)
    sub = CoreMasterSub(tag=tag, ifu=2, note="sub")
    commit(master, sub)
    assert list(CoreMaster.tag == tag) == [master, sub]
    assert list(CoreMasterSub.tag == tag) == [sub]
    assert len(CoreMaster.tag == tag) == 2
    assert list((CoreMaster.tag == tag) & (CoreMasterSub.note == "sub")) == [sub]
    assert (CoreMaster.tag == tag).order_by("ifu", desc=True)[0] is sub
    assert CoreMaster.get(sub.object_id) is sub
    with pytest.raises(CoreMasterSub.NotFound):
        CoreMasterSub.get(master.object_id)


@pytest.mark.parametrize("count", [3, 40])
def test_iterate_and_touch_a_link_costs_constant_queries(db_session, tag, count,
                                                         assert_query_count):
    chips = _chips(tag, count)
    commit(*(CoreMaster(tag=tag, ifu=1, first_chip=chip, raw_chips=[chip]) for chip in chips))
    db_session.identity = IdentityMap()
    # ids over the class hierarchy, the CoreMaster rows, the linked chips, the list rows
    with assert_query_count(4):
        for master in CoreMaster.tag == tag:
            assert master.first_chip.tag == tag
            assert master.raw_chips[0] is master.first_chip
    db_session.identity = IdentityMap()
    with assert_query_count(4):
        masters = list((CoreMaster.tag == tag).prefetch("raw_chips", "first_chip"))
    with assert_query_count(0):
        assert all(master.raw_chips[0] is master.first_chip for master in masters)
    db_session.identity = IdentityMap()
    with assert_query_count(1):
        for chip in CoreRaw.tag == tag:
            assert chip.header["i"] >= 0


def test_batch_commit_is_one_executemany_per_table(db_session, tag, database):
    masters = [CoreMaster(tag=tag, ifu=i, raw_chips=_chips(tag, 2)) for i in range(20)]
    with count_statements(database) as log:
        commit(*masters)
    inserts = [s for s in log.statements if s.startswith("INSERT")]
    assert len(inserts) == 4, "awe_object, two class tables, one list table"
    others = [s for s in log.statements if not s.startswith("INSERT")]
    assert len(others) <= 1 and all("awe_id_block" in s or "nextval" in s for s in others), \
        "at most the reservation of an id block"
    assert len(CoreRaw.tag == tag) == 40


def test_transaction_block_commits_at_its_end(db_session, tag):
    with transaction():
        first = CoreRaw(tag=tag, ifu=1)
        first.commit()
        commit(CoreRaw(tag=tag, ifu=2))
        assert not first.is_committed
    assert first.is_committed and len(CoreRaw.tag == tag) == 2


def test_rollback_leaves_nothing(db_session, tag, database):
    chips = _chips(tag, 3)
    with pytest.raises(RuntimeError, match="stop"), transaction():
        commit(*chips)
        raise RuntimeError("stop")
    assert not any(chip.is_committed for chip in chips) and len(CoreRaw.tag == tag) == 0
    master = CoreMaster(tag=tag, first_chip=chips[0])
    master.__dict__["previous"] = 2**47  # a link to an object that does not exist
    with pytest.raises(IntegrityError, match="refused by the database"):
        master.commit()
    assert not master.is_committed and master.creator is None
    assert len(CoreRaw.tag == tag) == 0, "no half graph"
    master.__dict__["previous"] = None
    master.commit()
    assert len(CoreRaw.tag == tag) == 1 and chips[0].is_committed


def test_ids_carry_the_site_and_are_unique(db_session, tag):
    chips = _chips(tag, 5)
    commit(*chips)
    ids = [chip.object_id for chip in chips]
    assert len(set(ids)) == 5 and all(i >> 48 == 0 for i in ids)
    catalogue = db_session.database.table(OBJECT_TABLE.name)
    with db_session.database.read() as connection:
        assert connection.execute(select(func.count()).where(
            catalogue.c.object_id.in_(ids))).scalar_one() == 5


def test_context_project_and_privileges(db_session, tag):
    context.set_project("GTO")
    context.set_privileges(2)
    chip = CoreRaw(tag=tag)
    chip.commit()
    assert (chip.project, chip.privileges) == ("GTO", 2)
    assert context.whoami().project == "GTO" and context.user == "tester"
    explicit = CoreRaw(tag=tag, privileges=3, project="other")
    explicit.commit()
    assert (explicit.project, explicit.privileges) == ("other", 3)


def test_link_targets_are_checked_at_commit(db_session, tag):
    master = CoreMaster(tag=tag)
    master.__dict__["first_chip"] = CoreMaster(tag=tag)
    with pytest.raises(PersistenceError, match="first_chip: links to a CoreMaster, expected a "
                                               "CoreRaw"):
        master.commit()


class CoreNoTable(DBObject, abstract=True):
    ifu = persistent("IFU", int)


def test_query_on_a_class_without_a_table_is_empty(db_session):
    assert len(CoreNoTable.ifu == 1) == 0 and list(CoreNoTable.select_all()) == []


def test_query_errors_at_run_time(db_session):
    with pytest.raises(QueryError, match="a query on CoreRaw has no truth value"):
        if CoreRaw.ifu == 1:
            pass
