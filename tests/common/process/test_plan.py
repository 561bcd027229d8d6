"""Plans as plain data and as a tree; request keys coerced and checked before any query."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from common.errors import ConfigError
from common.process.plan import Plan, PlanNode, node_id_of, shown_failures
from common.process.requests import coerce_keys, resolve_class
from muse.datamodel import MasterBias, MasterFlat, RawBias


def _plan() -> Plan:
    bias = PlanNode(node_id_of("MasterBias", {"night": "2016-03-14", "ifu": 5}), "MasterBias",
                    {"night": "2016-03-14", "ifu": 5}, "reuse", "up to date", object_id=0x3e9,
                    spec_products=("MasterBias",))
    flat = PlanNode("MasterFlat(night=2016-03-14,ifu=5)", "MasterFlat",
                    {"night": "2016-03-14", "ifu": 5}, "make", "no MasterFlat yet",
                    depends_on=[bias.node_id], spec_products=("MasterFlat", "TraceTable"),
                    inputs={"raw_chips": [1, 2, 3], "master_bias": [0x3e9]})
    wavecal = PlanNode("WavecalTable(night=2016-03-14,ifu=5)", "WavecalTable",
                       {"night": "2016-03-14", "ifu": 5}, "stop", "too few inputs",
                       depends_on=[bias.node_id, flat.node_id], spec_products=("WavecalTable",))
    return Plan([bias, flat, wavecal], wavecal.node_id)


def test_a_plan_round_trips_through_json_and_prints_as_a_tree():
    plan = _plan()
    data = json.loads(json.dumps(plan.to_dict()))
    again = Plan.from_dict(data)
    assert again.to_dict() == plan.to_dict()
    assert [node.node_id for node in again.to_make()] == ["MasterFlat(night=2016-03-14,ifu=5)"]
    assert (again.count("reuse"), again.count("make"), again.count("stop")) == (1, 1, 1)
    assert plan.text().splitlines() == [
        "stop  WavecalTable(night=2016-03-14,ifu=5): too few inputs",
        "  reuse MasterBias(night=2016-03-14,ifu=5) 0x3e9: up to date",
        "  make  MasterFlat(night=2016-03-14,ifu=5): no MasterFlat yet",
        "    reuse MasterBias(night=2016-03-14,ifu=5) 0x3e9 (see above)"]
    with pytest.raises(ValueError, match="root Nope is not one of its nodes"):
        Plan(plan.nodes, "Nope")
    with pytest.raises(ValueError, match="action expected one of reuse, make, stop, found 'x'"):
        PlanNode.from_dict({**data["nodes"][0], "action": "x"})


def test_failures_are_shortened():
    assert shown_failures(["a", "b"]) == "a; b"
    assert shown_failures(list("abcde")) == "a; b; c; and 2 more"


def test_request_keys_are_coerced_and_checked():
    assert coerce_keys(MasterBias, {"night": "2016-03-14", "ifu": "5"}) == [
        {"night": dt.date(2016, 3, 14), "ifu": 5}]
    assert [keys["ifu"] for keys in coerce_keys(MasterFlat, {"night": "2016-03-14",
                                                             "ifu": "1,2,3"})] == [1, 2, 3]
    assert len(coerce_keys(MasterFlat, {"night": "2016-03-14", "ifu": [4, 5]})) == 2
    with pytest.raises(ConfigError, match=r"MasterBias.night: expected an ISO date "
                                          r"\(2016-03-14\), found 'soon'"):
        coerce_keys(MasterBias, {"night": "soon", "ifu": 1})
    with pytest.raises(ConfigError, match="MasterBias.ifu: expected an integer, found 'x'"):
        coerce_keys(MasterBias, {"night": "2016-03-14", "ifu": "x"})
    with pytest.raises(ConfigError, match="expected the keys night, ifu; missing ifu"):
        coerce_keys(MasterBias, {"night": "2016-03-14"})
    with pytest.raises(ConfigError, match="expected the keys night, ifu; unknown colour"):
        coerce_keys(MasterBias, {"night": "2016-03-14", "ifu": 1, "colour": "red"})


def test_target_classes_are_found_by_name():
    assert resolve_class("DataCube").__name__ == "DataCube"
    assert resolve_class(MasterFlat) is MasterFlat
    with pytest.raises(ConfigError, match="target class 'Cube': not in muse.datamodel; "
                                          "processable classes are DataCube, ImageFov"):
        resolve_class("Cube")
    with pytest.raises(ConfigError, match="RawBias: it has no process specification"):
        resolve_class(RawBias)
