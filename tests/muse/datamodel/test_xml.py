"""muse.xml and muse.xsd: validation errors with file and line, the generator, completeness."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

import muse.datamodel as datamodel
from common.errors import ConfigError
from common.persistent import ParameterSet
from common.process.spec import ProcessSpec, load_adapter
from muse.datamodel import generate
from muse.datamodel.rules import mean_datetime, night_of, validity_of
from muse.recipes.params import BIAS_PARAMETERS, FLAT_PARAMETERS

XML = generate.DEFAULT_XML.read_text(encoding="utf-8")
EXECUTION_OPTIONS = {"nifu", "merge"}


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in XML
    path = tmp_path / "broken.xml"
    path.write_text(XML.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('name="EXPTIME" type="float"', 'name="EXPTIME" type="double"',
     "expected content valid by muse.xsd.*'double' is not an element of the set"),
    ('<threshold max="3.5" flag="ron_high"/>', '<threshold max="3.5" flag="ron_hihg"/>',
     "expected content valid by muse.xsd.*ron_hihg"),
    ('<input name="raw_chips" class="RawBiasChip"', '<input name="raw_chips" class="RawBiasChp"',
     "expected content valid by muse.xsd.*RawBiasChp"),
    ('<class name="MasterBias" base="NightlyCalibration">',
     '<class name="MasterBias" base="NightlyCalibraton">',
     "expected base 'NightlyCalibraton' of MasterBias to be DBObject"),
    ('<parameter eso="nsum" type="int" default="32"',
     '<parameter eso="nsum" type="int" default="x"',
     "expected a default of type int for nsum, found 'x'"),
    ('<list name="raw_chips" class="RawBiasChip" doc="the raw bias extensions combined"/>',
     '<list name="raw_chips" class="RawBiasChip" doc="the raw bias extensions combined"/>'
     '<attribute name="ifu" type="int" doc="again"/>',
     "expected a new attribute name in MasterBias, found 'ifu'"),
    ('<key name="night"/>\n      <key name="ifu"/>\n      <product class="MasterBias"/>',
     '<key name="nigth"/>\n      <key name="ifu"/>\n      <product class="MasterBias"/>',
     "expected key 'nigth' an attribute of MasterBias"),
])
def test_broken_xml_names_file_and_line(tmp_path, old, new, expected):
    path = _broken(tmp_path, old, new)
    with pytest.raises(ConfigError, match=expected) as raised:
        generate.load(path)
    message = str(raised.value)
    text = path.read_text()
    line = int(message.split(":")[1])
    assert message.startswith(f"{path}:{line}: expected")
    # the line named is the element at fault (or the class or process that holds it)
    assert line in {_line_of(text, new.split("\n")[0]), _line_of(text, new[:40])} or \
        "<class" in text.splitlines()[line - 1] or "<process" in text.splitlines()[line - 1]


def test_malformed_xml_gives_the_line(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text(XML.replace("</class>", "</klass>", 3), encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^{path}:\d+: expected well-formed XML"):
        generate.load(path)


def test_generate_command_reports_errors(tmp_path, capsys):
    path = _broken(tmp_path, 'type="float"', 'type="real"')
    assert generate.main([str(path), "--out", str(tmp_path / "out.py")]) == 1
    assert "ConfigError" in capsys.readouterr().err
    assert not (tmp_path / "out.py").exists()


def test_committed_generated_module_is_what_the_xml_makes(tmp_path):
    committed = generate.DEFAULT_OUTPUT.read_text(encoding="utf-8")
    assert generate.render(generate.load(generate.DEFAULT_XML)) == committed, \
        "generated.py is stale: run python -m muse.datamodel.generate"
    out = tmp_path / "generated.py"
    assert generate.main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == committed


def test_generated_module_is_ruff_clean_and_formatted():
    path = str(generate.DEFAULT_OUTPUT)
    for command in (["check", "--no-cache", path], ["format", "--check", "--no-cache", path]):
        run = subprocess.run([sys.executable, "-m", "ruff", *command], capture_output=True,
                             text=True, check=False)
        assert run.returncode == 0, run.stdout + run.stderr


def test_generated_module_is_plain_code():
    source = generate.DEFAULT_OUTPUT.read_text(encoding="utf-8")
    assert "type(" not in source and "setattr" not in source and "exec(" not in source
    assert datamodel.__all__ == sorted(datamodel.__all__, key=lambda n: (not n.isupper(), n))
    version = datamodel.DATAMODEL_VERSION
    assert version == generate.load(generate.DEFAULT_XML).version


def test_every_design_class_is_declared():
    expected = {
        "RawFrame", "RawChip", "RawBias", "RawBiasChip", "RawFlat", "RawFlatChip", "RawArc",
        "RawArcChip", "RawTwilight", "RawTwilightChip", "RawScience", "RawScienceChip",
        "RawStd", "RawStdChip", "RawIllum", "RawDark", "RawSky", "RawMask", "RawOther",
        "CalibrationProduct", "MasterBias", "MasterFlat", "TraceTable", "WavecalTable",
        "GeometryTable", "LineCatalog", "ExtinctTable", "StdResponse", "FilterList",
        "PixTable", "DataCube", "ImageFov", "BiasParameters", "FlatParameters",
        "WavecalParameters", "ScibasicParameters", "ScipostParameters"}
    assert expected <= set(datamodel.__all__)
    for name in ("is_valid", "quality_flags", "qc_override", "INS_TEMP7_VAL", "hdu_offset",
                 "hdu_size", "night", "ifu", "extname", "DET_CHIP_NAME", "DET_CHIP_ID",
                 "DET_OUT3_GAIN", "DET_OUT3_RON", "saturated_pixels", "median_level"):
        assert hasattr(datamodel.RawChip, name), name
    assert datamodel.RawBias.chip_class is datamodel.RawBiasChip
    assert datamodel.RawBias.do_category == "BIAS" and datamodel.RawOther.do_category is None


def _specs() -> list[ProcessSpec]:
    found = {id(cls.__process__): cls.__process__ for name in datamodel.__all__
             if isinstance(cls := getattr(datamodel, name), type)
             and getattr(cls, "__process__", None) is not None}
    return list(found.values())


def test_every_process_spec_is_complete():
    specs = _specs()
    assert {spec.recipe for spec in specs} == {"bias", "flat", "wavecal", "scibasic", "scipost"}
    for spec in specs:
        assert issubclass(spec.parameters, ParameterSet)
        defaults = spec.parameters().recipe_parameters()
        assert defaults and None not in defaults.values(), spec.recipe
        for product in spec.products:
            assert product.__process__ is spec
            assert set(product.quality_bits.values()) == {
                threshold.bit for threshold in product.qc_thresholds} | set(
                product.quality_bits.values())
            for threshold in product.qc_thresholds:
                assert product.quality_bits[threshold.flag] == threshold.bit
                assert product.qc_keys[threshold.key] == threshold.attribute
            for key in spec.keys:
                assert hasattr(product, key)
        for item in (*spec.inputs, *spec.calibrations):
            assert isinstance(item.cls, type) and item.cls.__name__ in datamodel.__all__
        for calib in spec.calibrations:
            for name in calib.match:
                assert hasattr(calib.cls, name)
    flat = datamodel.MasterFlat.__process__
    assert flat.products == (datamodel.MasterFlat, datamodel.TraceTable)
    assert datamodel.TraceTable.__process__ is flat


def test_adapters_resolve_or_say_they_are_missing():
    for cls in (datamodel.MasterBias, datamodel.MasterFlat, datamodel.WavecalTable,
                datamodel.PixTable, datamodel.DataCube, datamodel.ImageFov):
        assert callable(cls.__process__.adapter())
    with pytest.raises(ConfigError, match="muse.datamodel.make has no function no_such"):
        load_adapter("muse.datamodel.make:no_such")


@pytest.mark.parametrize(("cls", "table"), [
    (datamodel.BiasParameters, BIAS_PARAMETERS), (datamodel.FlatParameters, FLAT_PARAMETERS)])
def test_parameters_are_esos_with_the_reference_defaults(cls, table):
    reference = cls().recipe_parameters()
    expected = {name: p.default for name, p in table.items() if name not in EXECUTION_OPTIONS}
    assert reference == expected
    assert not EXECUTION_OPTIONS & set(cls.eso_names.values())


def test_reserved_eso_names_map_to_declared_attributes():
    flat = datamodel.FlatParameters.from_recipe_parameters({"order": 3, "nsum": 16})
    assert flat.trace_order == 3 and flat.nsum == 16
    assert flat.recipe_parameters()["order"] == 3
    assert flat.compute_hash() != datamodel.FlatParameters().compute_hash()
    with pytest.raises(ConfigError, match="unknown muse_flat parameter.*nifu"):
        datamodel.FlatParameters.from_recipe_parameters({"nifu": 5})
    assert datamodel.ScipostParameters().recipe_parameters()["filter"] == "white"


def test_qc_values_are_attributes_named_by_the_fits_rule():
    assert datamodel.MasterBias.qc_keys["BIAS MASTER1 RON"] == "QC_BIAS_MASTER1_RON"
    assert datamodel.TraceTable.qc_keys["TRACE SLICE_L XPOS"] == "QC_TRACE_SLICE_L_XPOS"
    assert "QC_FLAT_MASTER_SLICE48_STDEV" in datamodel.MasterFlat.qc_keys.values()
    bias = datamodel.MasterBias(ifu=1)
    with pytest.raises(ConfigError, match="QC BIAS MASTER9 RON not declared"):
        bias.set_qc({"BIAS MASTER9 RON": 1.0})
    bias.set_qc({"BIAS MASTER2 RON": 4.0, "BIAS MASTER NBADPIX": 3})
    assert bias.verify() == 1 << datamodel.MasterBias.quality_bits["ron_high"]
    assert bias.qc_failures() == [
        "QC BIAS MASTER2 RON = 4.0, expected <= 3.5 (ron_high, bit 0)"]


@pytest.mark.parametrize(("moment", "night"), [
    (dt.datetime(2016, 3, 15, 2, 10), dt.date(2016, 3, 14)),
    (dt.datetime(2016, 3, 15, 20, 39, 59), dt.date(2016, 3, 14)),
    (dt.datetime(2016, 3, 15, 20, 40), dt.date(2016, 3, 15)),
    (dt.datetime(2016, 3, 14, 23, 0), dt.date(2016, 3, 14)),
])
def test_night_rule(moment, night):
    assert night_of(moment) == night
    start, end = validity_of(night)
    assert start <= moment < end


def test_validity_and_observation_date():
    assert validity_of(dt.date(2016, 3, 14), 2) == (dt.datetime(2016, 3, 12, 20, 40),
                                                     dt.datetime(2016, 3, 17, 20, 40))
    moments = [dt.datetime(2016, 3, 15, 11, 30), dt.datetime(2016, 3, 15, 11, 34)]
    assert mean_datetime(moments) == dt.datetime(2016, 3, 15, 11, 32)


TINY = """<?xml version="1.0"?>
<datamodel version="0.1">
  <class name="TinyThing" base="DBObject">
    <doc>A thing.</doc>
    <attribute name="size_mm" type="float" default="1.5" renamed_from="old_size" doc="size"/>
    <attribute name="seen" type="datetime" default="2016-03-14T20:40:00" doc="first seen"/>
    <attribute name="extra" type="dict" doc="free-form values"/>
    <link name="later" class="TinyLater" doc="a class declared below"/>
    <list name="parts" class="TinyLater" doc="a list of links"/>
  </class>
  <class name="TinyLater" base="DBObject">
    <doc>Declared after its first use.</doc>
  </class>
</datamodel>
"""


def test_generator_renders_every_declaration(tmp_path):
    path = tmp_path / "tiny.xml"
    path.write_text(TINY, encoding="utf-8")
    source = generate.render(generate.load(path))
    assert ('size_mm = persistent("size", float, 1.5, renamed_from="old_size")' in source)
    assert ('seen = persistent("first seen", dt.datetime, '
            'dt.datetime.fromisoformat("2016-03-14T20:40:00"))') in source
    assert 'later = persistent("a class declared below", "TinyLater")' in source
    assert 'parts = persistent("a list of links", "TinyLater", [])' in source
    assert 'extra = persistent("free-form values", dict)' in source
    out = tmp_path / "tiny.py"
    out.write_text(source, encoding="utf-8")
    for command in (["check", "--no-cache", str(out)], ["format", "--check", "--no-cache",
                                                        str(out)]):
        run = subprocess.run([sys.executable, "-m", "ruff", *command], capture_output=True,
                             text=True, check=False)
        assert run.returncode == 0, run.stdout + run.stderr


def test_day_number_compiles_for_every_backend():
    from sqlalchemy import Column, Date, MetaData, Table, select
    from sqlalchemy.dialects import oracle, postgresql, sqlite

    from muse.datamodel.selection import day_number

    table = Table("t", MetaData(), Column("night", Date))
    statement = select(day_number(table.c.night))
    assert "julianday(t.night)" in str(statement.compile(dialect=sqlite.dialect()))
    for dialect in (postgresql.dialect(), oracle.dialect()):
        assert "t.night - DATE '1970-01-01'" in str(statement.compile(dialect=dialect))
