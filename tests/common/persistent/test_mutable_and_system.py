"""Audited mutators, system classes and DataObject files, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from common.errors import ImmutableError, IntegrityError, PersistenceError, StoreError
from common.persistent import DataObject, DBObject, commit, persistent, transaction
from common.persistent.identity import IdentityMap
from common.persistent.objects import AuditRecord
from common.persistent.system import ParameterSet

START = dt.datetime(2016, 3, 14, 20, 40)
END = dt.datetime(2016, 3, 15, 20, 40)


class SysParameters(ParameterSet):
    tag = persistent("test isolation tag", str, None, length=40)
    threshold = persistent("rejection threshold", float, 3.0)
    method = persistent("combination method", str, "median")
    start_night = persistent("a date parameter", dt.date)


class SysProduct(DataObject):
    tag = persistent("test isolation tag", str, None, length=40)
    ifu = persistent("IFU 1-24", int)
    is_valid = persistent("0 invalid, 1 valid, 2 proposed", int, 1)
    qc_override = persistent("accepted despite QC flags", bool, False)
    quality_flags = persistent("QC flag bits, written once", int, 0)
    timestamp_start = persistent("start of validity (inclusive)", dt.datetime)
    timestamp_end = persistent("end of validity (exclusive)", dt.datetime)
    parameters = persistent("parameters used", SysParameters)
    product_category = "MASTER_BIAS"


class SysPlain(DBObject):
    tag = persistent("test isolation tag", str, None, length=40)


class SysFile(DataObject):
    tag = persistent("test isolation tag", str, None, length=40)


def _product(tag: str, tmp_path, **values) -> SysProduct:
    path = tmp_path / f"{tag}-{values.get('ifu', 1)}.fits"
    path.write_bytes(b"SIMPLE  =                    T" + tag.encode())
    product = SysProduct(tag=tag, ifu=values.pop("ifu", 1), timestamp_start=START,
                         timestamp_end=END, **values)
    product.store(path)
    return product


def _audit(obj: DBObject) -> list[tuple]:
    return [(record.field, record.old_value, record.new_value, record.reason, record.creator)
            for record in (AuditRecord.target == obj).order_by("object_id")]


def test_set_valid_is_audited(db_session, tag, tmp_path):
    product = _product(tag, tmp_path)
    product.commit()
    product.set_valid(0, reason="ringing in port 3")
    assert product.is_valid == 0
    assert _audit(product) == [("is_valid", "1", "0", "ringing in port 3", "tester")]
    record = (AuditRecord.target == product)[0]
    assert record.target is product and record.creation_date >= product.creation_date
    with pytest.raises(ImmutableError, match="changes only through set_valid"):
        product.is_valid = 1
    with pytest.raises(PersistenceError, match="expected 0, 1 or 2"):
        product.set_valid(5, reason="x")
    with pytest.raises(PersistenceError, match="a reason is required"):
        product.set_valid(1, reason=" ")


def test_other_mutators_are_audited(db_session, tag, tmp_path):
    product = _product(tag, tmp_path)
    product.commit()
    product.override_qc("checked by eye")
    product.set_validity(START - dt.timedelta(days=1), None, reason="valid from the night before")
    product.publish(3)
    assert (product.qc_override, product.timestamp_start, product.timestamp_end,
            product.privileges) == (True, START - dt.timedelta(days=1), None, 3)
    assert _audit(product) == [
        ("qc_override", "False", "True", "checked by eye", "tester"),
        ("timestamp_start", START.isoformat(timespec="microseconds"),
         (START - dt.timedelta(days=1)).isoformat(timespec="microseconds"),
         "valid from the night before", "tester"),
        ("timestamp_end", END.isoformat(timespec="microseconds"), None,
         "valid from the night before", "tester"),
        ("privileges", "1", "3", "published at level 3", "tester"),
    ]
    catalogue = db_session.database.table("awe_object")
    with db_session.database.read() as connection:
        assert connection.execute(select(catalogue.c.privileges).where(
            catalogue.c.object_id == product.object_id)).scalar_one() == 3
    with pytest.raises(PersistenceError, match="the end .* is not after the start"):
        product.set_validity(END, START, reason="backwards")
    with pytest.raises(PersistenceError, match="expected a level 1-5"):
        product.publish(9)


def test_mutators_need_the_field_and_a_committed_object(db_session, tag, tmp_path):
    plain = SysPlain(tag=tag)
    with pytest.raises(PersistenceError, match="not committed"):
        plain.publish(2)
    plain.commit()
    with pytest.raises(PersistenceError, match="SysPlain.set_valid: the class has no is_valid"):
        plain.set_valid(0, reason="no such field")


def test_queries_refresh_mutable_fields_changed_elsewhere(db_session, database, tester, tag,
                                                         tmp_path):
    from common.persistent import session

    product = _product(tag, tmp_path)
    product.commit()
    with session(database, tester, store=db_session.store):
        seen = SysProduct.get(product.object_id)
        assert seen is not product
        with session(database, tester, store=db_session.store):
            SysProduct.get(product.object_id).set_valid(0, reason="bad")
        assert seen.is_valid == 1
        assert (SysProduct.tag == tag)[0] is seen
        assert seen.is_valid == 0, "a query refreshes the mutable fields"


def test_mutations_in_a_transaction_are_atomic(db_session, tag, tmp_path):
    product = _product(tag, tmp_path)
    product.commit()
    with pytest.raises(RuntimeError), transaction():
        product.set_valid(0, reason="first")
        raise RuntimeError("abandon")
    assert product.is_valid == 1 and _audit(product) == []
    with transaction():
        product.set_valid(2, reason="propose")
        product.override_qc("fine")
        assert product.is_valid == 1, "applied when the block ends"
    assert (product.is_valid, product.qc_override) == (2, True)
    assert [row[0] for row in _audit(product)] == ["is_valid", "qc_override"]


def test_parameter_sets_are_values(db_session, tag, tmp_path):
    first = SysParameters(tag=tag, threshold=2.5)
    assert first == SysParameters(tag=tag, threshold=2.5)
    assert first != SysParameters(tag=tag, threshold=2.6)
    assert hash(first) == hash(SysParameters(tag=tag, threshold=2.5))
    committed = first.commit()
    assert committed is first and len(first.params_hash) == 64
    equal = SysParameters(tag=tag, threshold=2.5)
    assert equal.commit() is first, "an equal set returns the committed one"
    assert not equal.is_committed
    product = _product(tag, tmp_path, parameters=SysParameters(tag=tag, threshold=2.5))
    other = _product(tag, tmp_path, ifu=2, parameters=SysParameters(tag=tag, threshold=7.0))
    twin = _product(tag, tmp_path, ifu=3, parameters=SysParameters(tag=tag, threshold=7.0))
    commit(product, other, twin)
    assert product.parameters is first
    assert other.parameters is twin.parameters, "equal new sets in one batch become one"
    assert len(SysParameters.tag == tag) == 2
    db_session.identity = IdentityMap()
    loaded = (SysProduct.tag == tag).order_by("ifu")
    assert [p.parameters.threshold for p in loaded] == [2.5, 7.0, 7.0]


def test_parameter_hash_covers_class_and_values():
    a = SysParameters(threshold=1.0, start_night=dt.date(2016, 3, 14))
    assert a.compute_hash() == SysParameters(threshold=1.0, start_night=dt.date(2016, 3, 14)) \
        .compute_hash()
    assert a.compute_hash() != SysParameters(threshold=1.0).compute_hash()
    assert a.parameter_values() == {"tag": None, "threshold": 1.0, "method": "median",
                                    "start_night": dt.date(2016, 3, 14)}


def test_store_names_products_and_retrieve_verifies(db_session, tag, tmp_path):
    product = _product(tag, tmp_path, ifu=5)
    assert product.filename == f"MASTER_BIAS-05.{product.object_id:016x}.fits"
    assert product.file_size == len(b"SIMPLE  =                    T") + len(tag)
    product.commit()
    back = product.retrieve(tmp_path / "out")  # a new directory is a file path
    assert back.read_bytes().endswith(tag.encode())
    (tmp_path / "dir").mkdir()
    assert product.retrieve(tmp_path / "dir").name == product.filename
    with pytest.raises(ImmutableError, match="its file cannot be replaced"):
        product.store(back)


def test_generic_data_objects_get_a_name_from_the_class_hook(db_session, tag, tmp_path):
    source = tmp_path / "table.csv"
    source.write_text("a,b\n")
    item = SysFile(tag=tag)
    item.store(source)
    assert item.filename == f"sys_file.{item.object_id:016x}.csv"
    raw = SysFile(tag=tag)
    raw.filename = "MUSE.2016-03-15T02:10:11.123.fits"
    raw.store(source)
    assert raw.filename == "MUSE.2016-03-15T02:10:11.123.fits", "a preset name is kept"
    commit(item, raw)


def test_commit_refuses_a_data_object_whose_file_is_not_in_the_store(db_session, tag,
                                                                    tmp_path):
    missing = SysFile(tag=tag)
    with pytest.raises(StoreError, match="no file was stored; call store"):
        missing.commit()
    other = SysFile(tag=tag, filename="never-stored.fits", checksum="0" * 64)
    with pytest.raises(StoreError, match="never-stored.fits is not in the store"):
        commit(SysPlain(tag=tag), other)
    assert len(SysPlain.tag == tag) == 0, "nothing of the batch is written"
    path = tmp_path / "x.dat"
    path.write_bytes(b"x")
    wrong = SysFile(tag=tag)
    wrong.store(path)
    wrong.__dict__["checksum"] = "f" * 64
    with pytest.raises(IntegrityError, match="has sha256"):
        wrong.commit()
    with pytest.raises(StoreError, match="is not a file"):
        SysFile(tag=tag).store(tmp_path / "absent.fits")
