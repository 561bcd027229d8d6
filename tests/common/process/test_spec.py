"""ProcessSpec, Input, Calib, MakeResult: frozen plain data, checked on construction."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from common.errors import ConfigError
from common.process import Calib, Input, MakeResult, ProcessSpec, load_adapter


class Raw:
    pass


class Product:
    pass


class Parameters:
    pass


def _spec(**changes):
    values = {"keys": ("night", "ifu"), "recipe": "bias", "parameters": Parameters,
              "inputs": (Input("raw_chips", Raw, select="night", min=3),),
              "calibrations": (Calib("master", Product, match=("DET_READ_CURID",)),),
              "make": "pathlib:Path", "products": (Product,)}
    values.update(changes)
    return ProcessSpec(**values)


def test_spec_is_frozen_and_names_its_adapter():
    spec = _spec()
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.recipe = "flat"
    assert spec.adapter() is Path
    assert spec.calibrations[0].select == "best_for_date" and spec.validity_nights == 0


@pytest.mark.parametrize(("build", "message"), [
    (lambda: Input("raw", Raw, select="yesterday"), "select expected one of night"),
    (lambda: Input("raw", Raw, select="night", min=3, max=2), "expected 0 <= min <= max"),
    (lambda: Calib("bias", Product, select="any"), "select expected one of"),
    (lambda: _spec(make="pathlib.Path"), "make expected 'module:function'"),
    (lambda: _spec(products=()), "names no product"),
    (lambda: _spec(validity_nights=-1), "validity_nights expected >= 0"),
])
def test_bad_specs_are_refused(build, message):
    with pytest.raises(ConfigError, match=message):
        build()


def test_adapter_names_are_checked():
    with pytest.raises(ConfigError, match="module no_such_module not found"):
        load_adapter("no_such_module:make")
    with pytest.raises(ConfigError, match="pathlib has no function nothing"):
        load_adapter("pathlib:nothing")


def test_make_result_is_read_only_and_consistent(tmp_path):
    result = MakeResult(files={"MasterBias": tmp_path / "a.fits"},
                        qc={"MasterBias": {"BIAS MASTER1 RON": 2.9}},
                        attributes={"MasterBias": {"ifu": 5}})
    with pytest.raises(TypeError):
        result.qc["MasterBias"]["BIAS MASTER1 RON"] = 9.0
    with pytest.raises(ConfigError, match="values for TraceTable, which has no file"):
        MakeResult(files={"MasterFlat": tmp_path / "f.fits"}, qc={"TraceTable": {}})
