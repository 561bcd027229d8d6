"""Declaring persistent classes: descriptors, metaclass rules, values, query building (no SQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

import common.persistent as persistent_package
from common.database import registered_tables
from common.errors import ImmutableError, NotFound, PersistenceError, QueryError
from common.persistent import DataObject, DBObject, persistent
from common.persistent.query import Attribute, Query
from common.persistent.record import ClassRecord, InsertPlan
from common.persistent.state import ObjectState, set_state
from common.persistent.system import ParameterSet


class DeclChip(DBObject):
    """A raw chip for declaration tests."""

    ifu = persistent("IFU 1-24", int, 0)
    night = persistent("night", dt.date)
    extname = persistent("extension", str, None, length=8)
    DATE_OBS = persistent("observation start", dt.datetime, fits="DATE-OBS")
    gain = persistent("gain", float)
    saturated = persistent("saturated", bool, False)
    header = persistent("extra header values", dict, {"a": 1})


class DeclProduct(DataObject):
    ifu = persistent("IFU 1-24", int, 0)
    raw_chips = persistent("raw chips used", DeclChip, [])
    first_chip = persistent("first chip", DeclChip)
    later = persistent("a class declared later", "DeclLater")
    scales = persistent("scale factors", float, [])


class DeclLater(DBObject):
    label = persistent("label", str)


class DeclAbstract(DBObject, abstract=True):
    level_of_detail = persistent("detail", int, 0)


class DeclConcrete(DeclAbstract):
    pass


def test_exports():
    assert set(persistent_package.__all__) == {"DBObject", "DataObject", "persistent", "commit",
                                               "transaction", "session", "context"}


def test_constructor_sets_defaults_and_values():
    chip = DeclChip(ifu=5, extname="CHAN05")
    assert (chip.ifu, chip.extname, chip.gain, chip.saturated) == (5, "CHAN05", None, False)
    assert chip.object_id is None and not chip.is_committed
    assert chip.header == {"a": 1}
    chip.header["b"] = 2
    assert DeclChip().header == {"a": 1}, "a dict default is copied per object"
    assert DeclProduct().raw_chips == [] and DeclProduct().raw_chips is not DeclProduct().raw_chips


def test_unknown_constructor_argument_names_class_and_attribute():
    with pytest.raises(PersistenceError, match="DeclChip has no persistent attribute 'ifo'"):
        DeclChip(ifo=5)


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("ifu", "five", "DeclChip.ifu: expected an integer, found 'five' \\(str\\)"),
    ("ifu", True, "DeclChip.ifu: expected an integer"),
    ("gain", float("nan"), "not NaN"),
    ("extname", "CHAN0005X", "at most 8 characters, not 9"),
    ("night", dt.datetime(2016, 3, 14), "a date \\(not a datetime\\)"),
    ("DATE_OBS", "2016-03-14", "a datetime"),
    ("saturated", 1, "True or False"),
    ("header", {"x": object()}, "a dict of JSON values"),
])
def test_wrong_values_are_refused_with_class_attribute_expected_found(name, value, expected):
    with pytest.raises(PersistenceError, match=expected):
        DeclChip(**{name: value})


def test_values_are_normalised():
    aware = dt.datetime(2016, 3, 15, 4, 10, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    chip = DeclChip(DATE_OBS=aware, gain=2)
    assert chip.DATE_OBS == dt.datetime(2016, 3, 15, 2, 10)  # noqa: SIM300
    assert chip.gain == 2.0 and isinstance(chip.gain, float)


def test_links_and_lists_check_their_class():
    with pytest.raises(PersistenceError, match="DeclProduct.first_chip: expected a DeclChip"):
        DeclProduct(first_chip=DeclLater())
    with pytest.raises(PersistenceError, match=r"DeclProduct.raw_chips\[1\]: expected a DeclChip"):
        DeclProduct(raw_chips=[DeclChip(), DeclLater()])
    with pytest.raises(PersistenceError, match="expected a list"):
        DeclProduct(scales=3.0)
    product = DeclProduct(later=DeclLater(label="x"), scales=(1, 2.5))
    assert product.scales == [1.0, 2.5]


def test_system_fields_are_set_by_commit():
    with pytest.raises(PersistenceError, match="DeclChip.object_id is set by commit"):
        DeclChip(object_id=5)


def test_reserved_words_are_refused_with_a_message():
    for word in ("size", "level", "date", "user", "order"):
        with pytest.raises(PersistenceError, match=f"'{word}' is a reserved word"):
            type(f"DeclReserved_{word}", (DBObject,), {word: persistent("x", int)})


def test_query_method_names_and_bad_identifiers_are_refused():
    with pytest.raises(PersistenceError, match="'like' is a query method"):
        type("DeclLikeName", (DBObject,), {"like": persistent("x", int)})
    with pytest.raises(PersistenceError, match="a letter followed by"):
        type("DeclUnderscore", (DBObject,), {"_hidden": persistent("x", int)})


def test_shadowing_names_attribute_class_and_base():
    with pytest.raises(PersistenceError,
                       match="DeclShadow.ifu shadows the persistent attribute 'ifu' of its base "
                             "DeclChip"):
        type("DeclShadow", (DeclChip,), {"ifu": persistent("again", int)})
    with pytest.raises(PersistenceError, match="DeclShadowMethod.ifu shadows"):
        type("DeclShadowMethod", (DeclChip,), {"ifu": lambda self: 5})
    with pytest.raises(PersistenceError,
                       match="DeclShadowCommit.commit shadows the attribute 'commit' of its base "
                             "DBObject"):
        type("DeclShadowCommit", (DBObject,), {"commit": persistent("x", int)})


def test_two_attributes_on_one_column_are_refused():
    with pytest.raises(PersistenceError, match="map to the same column 'date_obs'"):
        type("DeclCase", (DBObject,), {"DATE_OBS": persistent("a", int),
                                       "date_obs": persistent("b", int)})


def test_duplicate_class_names_are_refused():
    with pytest.raises(PersistenceError, match="persistent class DeclChip .* already declared"):
        type("DeclChip", (DBObject,), {})


def test_bad_declarations():
    with pytest.raises(PersistenceError, match="type must be int, float"):
        persistent("x", list)
    with pytest.raises(PersistenceError, match="length= applies to str only"):
        persistent("x", int, length=5)
    with pytest.raises(PersistenceError, match="default: expected an integer"):
        persistent("x", int, "zero")
    with pytest.raises(PersistenceError, match="a list attribute's default must be \\[\\]"):
        persistent("x", int, [1])
    with pytest.raises(PersistenceError, match="first argument is the documentation"):
        persistent(int, 0)


def test_each_class_has_its_own_not_found():
    assert issubclass(DeclChip.NotFound, NotFound) and issubclass(DeclChip.NotFound, LookupError)
    assert issubclass(DeclConcrete.NotFound, DeclAbstract.NotFound)
    assert DeclChip.NotFound is not DeclLater.NotFound
    assert DeclChip.NotFound.__qualname__ == "DeclChip.NotFound"


def test_tables_follow_the_naming_rules():
    tables = {spec.name: spec for spec in registered_tables()}
    chip = tables["awe_decl_chip"]
    columns = [column.name for column in chip.columns]
    assert columns[:5] == ["object_id", "creator", "project", "privileges", "creation_date"]
    assert "date_obs" in columns and "DATE_OBS" not in columns
    assert chip.column("extname").length == 8 and chip.column("ifu").index
    assert chip.column("night").index and chip.column("creation_date").index
    product = tables["awe_decl_product"]
    assert product.column("first_chip").kind == "link" and product.column("first_chip").index
    assert product.column("filename").index
    assert "raw_chips" not in [column.name for column in product.columns]
    chips = tables["awe_decl_product__raw_chips"]
    assert chips.primary_key == ("object_id", "position") and chips.column("value").kind == "link"
    assert "awe_decl_abstract" not in tables and "awe_decl_concrete" in tables
    assert DeclAbstract._meta.table is None


def test_each_class_keeps_one_frozen_record():
    record = DeclProduct._meta
    assert isinstance(record, ClassRecord) and record.cls is DeclProduct
    assert record.table == "awe_decl_product" and record.is_concrete and not record.is_abstract
    assert record.is_stored and not record.is_value
    assert list(record.properties)[:5] == ["object_id", "creator", "project", "privileges",
                                           "creation_date"]
    assert record.links == ("first_chip", "later") and record.lists == ("raw_chips", "scales")
    assert record.list_tables == {"raw_chips": "awe_decl_product__raw_chips",
                                  "scales": "awe_decl_product__scales"}
    assert record.link_targets == (("first_chip", DeclChip), ("later", DeclLater))
    assert record.link_lists == ("raw_chips",)
    assert isinstance(record.insert, InsertPlan) and "first_chip" not in record.insert.columns
    assert record.insert.links == (("first_chip", "first_chip"), ("later", "later"))
    assert DeclChip._meta.dicts == ("header",) and not DeclChip._meta.is_stored
    assert DeclAbstract._meta.is_abstract and DeclConcrete._meta.is_concrete
    assert DeclConcrete._meta.properties["level_of_detail"] is \
        DeclAbstract._meta.properties["level_of_detail"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.table = "other"
    with pytest.raises(TypeError):
        record.properties["ifu"] = None


class DeclParameters(ParameterSet):
    sigma = persistent("clipping sigma", float, 3.0)


def test_value_and_stored_kinds_are_inherited():
    assert DeclParameters._meta.is_value and not DeclParameters._meta.is_stored
    assert not DeclChip._meta.is_value


class DeclAbstractOnly(DBObject, abstract=True):
    pass


def test_abstract_classes_are_not_committed():
    with pytest.raises(PersistenceError, match="DeclAbstractOnly is abstract"):
        DeclAbstractOnly().commit()


def test_class_attributes_are_query_columns():
    column = DeclProduct.first_chip.ifu
    assert isinstance(column, Attribute) and repr(column) == "DeclProduct.first_chip.ifu"
    query = (DeclChip.ifu == 5) & (DeclChip.night == dt.date(2016, 3, 14))
    assert isinstance(query, Query) and query.cls is DeclChip


def test_unknown_class_attribute_names_the_persistent_ones():
    with pytest.raises(AttributeError, match="DeclChip has no attribute 'ifo'; its persistent "
                                             "attributes are object_id, .*ifu"):
        DeclChip.ifo  # noqa: B018


def test_truth_value_of_columns_and_queries_raises():
    with pytest.raises(QueryError, match="use & and \\||combine conditions with &"):
        bool(DeclChip.ifu)
    with pytest.raises(QueryError, match="has no truth value"):
        bool(DeclChip.ifu == 5)
    with pytest.raises(QueryError):
        1 < DeclChip.ifu < 3  # noqa: B015 - a chained comparison must fail
    with pytest.raises(QueryError, match="any_bits"):
        DeclChip.ifu & 4
    with pytest.raises(TypeError):
        iter(DeclChip.ifu)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: DeclProduct.first_chip.ifo == 5,
     "DeclProduct.first_chip.ifo: DeclChip has no persistent attribute 'ifo'"),
    (lambda: DeclChip.select_all().order_by("ifo"), "DeclChip has no persistent attribute"),
    (lambda: DeclProduct.first_chip == "CHAN05",
     "DeclProduct.first_chip is a link to DeclChip: compare it with a DeclChip object or an "
     "object id, not 'CHAN05'"),
    (lambda: DeclChip.ifu.like("5*"), "DeclChip.ifu.like\\(\\): like applies to strings"),
    (lambda: DeclChip.extname == 5, "DeclChip.extname: expected a string, found 5"),
    (lambda: DeclChip.night < dt.datetime(2016, 3, 14), "DeclChip.night: expected a date"),
    (lambda: DeclChip.saturated < True, "DeclChip.saturated: a bool has no order"),
    (lambda: DeclChip.gain > None, "only == None and != None"),
    (lambda: DeclChip.header == {}, "a dict \\(JSON\\) attribute cannot be compared"),
    (lambda: DeclProduct.raw_chips.ifu == 5, "a list cannot be followed"),
    (lambda: DeclChip.ifu.ifu == 5, "int is not a link and cannot be followed"),
    (lambda: DeclChip.ifu.in_([1, None]), "None is never equal"),
    (lambda: DeclChip.ifu.in_("12"), "expected a list of values"),
    (lambda: DeclChip.select_all().order_by("header"), "has no order"),
    (lambda: DeclProduct.select_all().prefetch("ifu"), "is not a link or a list"),
    (lambda: (DeclChip.ifu == 5) & (DeclLater.label == "x"), "no class in common"),
    (lambda: DeclChip.select_all()[1:2] & (DeclChip.ifu == 5), "sliced query"),
])
def test_bad_queries_name_class_and_attribute(build, message):
    with pytest.raises(QueryError, match=message):
        build()


def test_queries_round_trip_through_plain_data():
    import json

    query = ((DeclChip.night == dt.date(2016, 3, 14)) & ~(DeclChip.ifu.in_([1, 2]))
             | (DeclChip.DATE_OBS >= dt.datetime(2016, 3, 15, 2, 10, 0, 5))  # noqa: SIM300
             | DeclChip.extname.like("CHAN*") | (DeclChip.gain == None)  # noqa: E711
             | DeclChip.ifu.any_bits(6) | (DeclChip.gain < float("inf")))
    query = query.order_by("night", desc=True).order_by(DeclChip.ifu)[2:10]
    data = json.loads(json.dumps(query.to_dict()))
    rebuilt = Query.from_dict(data)
    assert rebuilt.to_dict() == query.to_dict()
    assert rebuilt.where == query.where and rebuilt.order == query.order
    assert (rebuilt.offset, rebuilt.limit) == (2, 8)
    linked = (DeclProduct.first_chip == 2**60 + 5).prefetch("raw_chips")
    data = json.loads(json.dumps(linked.to_dict()))
    assert data["where"]["value"] == {"object_id": str(2**60 + 5)}
    assert Query.from_dict(data).where == linked.where


def test_bad_plain_data_is_refused():
    with pytest.raises(QueryError, match="no persistent class 'Nope'"):
        Query.from_dict({"class": "Nope"})
    with pytest.raises(QueryError, match="unknown operator"):
        Query.from_dict({"class": "DeclChip", "where": {"op": "~~", "path": "ifu", "value": 1}})
    with pytest.raises(QueryError, match="DeclChip.ifu: expected an integer|expected"):
        Query.from_dict({"class": "DeclChip",
                         "where": {"op": "==", "path": "night", "value": 5}})


def test_slicing_composes():
    query = DeclChip.select_all()[10:100][5:20]
    assert (query.offset, query.limit) == (15, 15)
    assert DeclChip.select_all()[3:][:2].limit == 2
    with pytest.raises(QueryError, match="no step"):
        DeclChip.select_all()[::2]


def test_uncommitted_objects_are_mutable_committed_ones_are_not():
    chip = DeclChip(ifu=1)
    chip.ifu = 2
    set_state(chip, ObjectState(committed=True))  # as commit marks it
    chip.__dict__["object_id"] = 12
    with pytest.raises(ImmutableError, match="DeclChip 0x000000000000000c is committed and "
                                             "immutable: cannot set ifu"):
        chip.ifu = 3
    chip.scratch = "non-persistent attributes stay free"
