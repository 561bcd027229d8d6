"""awe compare on real products: two MASTER_BIAS of one IFU made with different parameters."""

import datetime as dt
import re
import warnings

import numpy as np
import pytest
from astropy.io import fits
from PIL import Image

from awe.cli import main
from common.config import Context
from common.database import connect
from common.errors import QueryError
from common.persistent import session
from dataserver.store import LocalStore
from muse.datamodel import (
    BiasParameters,
    DataCube,
    FlatParameters,
    MasterBias,
    MasterFlat,
    RawBias,
    RawBiasChip,
    RawFlatChip,
    ScipostParameters,
)
from muse.datamodel.compare import compare_products
from muse.datamodel.extract import HduRange, fetch_single_ifu
from muse.datamodel.ingest import ingest_file
from muse.datamodel.make import master_bias, master_flat
from muse.datamodel.products import record_products

IFU = 5


@pytest.fixture(scope="module")
def two_biases(small_night, module_database_url, tmp_path_factory):
    """IFU 5's MASTER_BIAS made twice from the same raw chips: sigclip and median."""
    tmp_path = tmp_path_factory.mktemp("two-biases")
    local_store = LocalStore(tmp_path / "store")
    (tmp_path / "in").mkdir()
    database = connect(module_database_url, site=0)
    context = Context(user="tester", project="test", privileges=1, site=0)
    with session(database, context, store=local_store) as opened:
        for path in small_night.bias_files:
            result = ingest_file(path, commit_it=True)
            assert result.status == "ingested", result.message
        chips = list((RawBiasChip.ifu == IFU) & (RawBiasChip.night == small_night.night))
        inputs = [fetch_single_ifu(local_store.read_range, chip.raw_frame.filename,
                                   chip.raw_frame.primary_size,
                                   HduRange(chip.hdu_offset, chip.hdu_size),
                                   tmp_path / "in" / chip.raw_frame.filename)
                  for chip in chips]
        products = []
        for combine in ("sigclip", "median"):
            parameters = BiasParameters(combine=combine).commit()
            made = master_bias({"raw_chips": inputs}, parameters.recipe_parameters(),
                               tmp_path / combine)
            (product,) = record_products(MasterBias.__process__, made,
                                         keys={"night": small_night.night, "ifu": IFU},
                                         inputs={"raw_chips": chips}, calibrations={},
                                         parameters=parameters)
            products.append(product)
        yield opened, products[0], products[1]
    database.dispose()


def _data(product, directory):
    with fits.open(product.retrieve(directory)) as hdus:
        return np.asarray(hdus["DATA"].data, dtype=np.float64)


@pytest.mark.slow
def test_compare_two_master_biases(two_biases, tmp_path):
    _, reference, median = two_biases
    png = tmp_path / "difference.png"
    report = compare_products(reference, median, png=png)

    assert report.kind == "MasterBias"
    assert [(item.name, item.a, item.b) for item in report.parameters] == [
        ("combine", "sigclip", "median")]
    ron = next(row for row in report.qc if row.key == "BIAS MASTER1 RON")
    assert (ron.a, ron.b) == (reference.QC_BIAS_MASTER1_RON, median.QC_BIAS_MASTER1_RON)
    assert ron.difference == pytest.approx(median.QC_BIAS_MASTER1_RON
                                           - reference.QC_BIAS_MASTER1_RON)
    assert {row.key for row in report.qc} == {
        key for key, attribute in MasterBias.qc_keys.items()
        if getattr(reference, attribute) is not None}
    assert report.common_inputs == len(list(reference.raw_chips)) and not report.only_a

    # the pixel statistics are those of B - A computed here from the stored files
    expected = _data(median, tmp_path / "b.fits") - _data(reference, tmp_path / "a.fits")
    finite = expected[np.isfinite(expected)]
    image = report.image
    assert image.shape == expected.shape and image.compared == finite.size
    assert image.max_abs == pytest.approx(np.abs(finite).max()) and image.max_abs > 0
    assert image.differing == np.count_nonzero(finite)
    assert image.rms == pytest.approx(np.sqrt(np.mean(finite ** 2)))

    with Image.open(png) as picture:
        assert picture.format == "PNG" and picture.size == (1300, 460)
        colours = np.asarray(picture.convert("RGB"))
    assert len(np.unique(colours.reshape(-1, 3), axis=0)) > 50  # an image, not a blank

    text = report.text()
    assert re.search(r"combine\s+A\s+sigclip\s+B\s+median", text)
    assert re.search(r"BIAS MASTER1 RON\s+\S+\s+\S+\s+\S+", text)
    assert f"difference image: {png}" in text
    assert report.to_dict()["parameters"] == [{"name": "combine", "a": "sigclip",
                                               "b": "median"}]


@pytest.mark.slow
def test_a_product_against_itself_differs_nowhere(two_biases):
    _, reference, _ = two_biases
    report = compare_products(reference, reference, png=None)
    assert report.parameters == [] and report.image.differing == 0
    assert report.image.max_abs == 0 and report.image.png is None
    assert all(row.difference == 0 for row in report.qc if row.difference is not None)
    assert f"parameters: the same set ({reference.parameters.object_id:#018x})" in report.text()


@pytest.mark.slow
def test_different_kinds_are_refused(two_biases):
    _, reference, _ = two_biases
    raw = reference.raw_chips[0].raw_frame
    assert isinstance(raw, RawBias)
    message = (rf"compare: {raw.object_id:#x} is a RawBias and {reference.object_id:#x} a "
               r"MasterBias; expected two products of the same kind")
    with pytest.raises(QueryError, match=message):
        compare_products(raw, reference, png=None)


@pytest.mark.slow
def test_awe_compare_command(two_biases, tmp_path, capsys, monkeypatch):
    _, reference, median = two_biases
    monkeypatch.chdir(tmp_path)
    assert main(["compare", f"{reference.object_id:#x}", median.filename]) == 0
    out = capsys.readouterr().out
    default_png = f"compare-{reference.object_id:x}-{median.object_id:x}.png"
    assert out.startswith(f"MasterBias: A = {reference.object_id:#018x} {reference.filename}")
    assert f"difference image: {default_png}" in out and (tmp_path / default_png).is_file()
    assert main(["compare", reference.filename, median.filename, "--no-png"]) == 0
    assert "difference image" not in capsys.readouterr().out
    raw = reference.raw_chips[0].raw_frame
    assert main(["compare", raw.filename, reference.filename, "--no-png"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("awe: QueryError: compare: ") and "same kind" in err


@pytest.mark.slow
def test_trace_tables_are_compared_column_by_column(two_biases, small_night, tmp_path):
    opened, reference_bias, _ = two_biases
    chips = list((RawFlatChip.ifu == IFU) & (RawFlatChip.night == small_night.night))
    if not chips:
        for path in small_night.flat_files:
            assert ingest_file(path, commit_it=True).status == "ingested"
        chips = list((RawFlatChip.ifu == IFU) & (RawFlatChip.night == small_night.night))
    (tmp_path / "in").mkdir()
    inputs = [fetch_single_ifu(opened.store.read_range, chip.raw_frame.filename,
                               chip.raw_frame.primary_size,
                               HduRange(chip.hdu_offset, chip.hdu_size),
                               tmp_path / "in" / chip.raw_frame.filename) for chip in chips]
    bias_file = reference_bias.retrieve(tmp_path / "bias.fits")
    traces = []
    for edgefrac in (0.5, 0.4):
        parameters = FlatParameters(edgefrac=edgefrac).commit()
        made = master_flat({"raw_chips": inputs, "master_bias": [bias_file]},
                           parameters.recipe_parameters(), tmp_path / f"flat-{edgefrac}")
        _, trace = record_products(MasterFlat.__process__, made,
                                   keys={"night": small_night.night, "ifu": IFU},
                                   inputs={"raw_chips": chips},
                                   calibrations={"master_bias": reference_bias},
                                   parameters=parameters)
        traces.append(trace)
    report = compare_products(*traces, png=tmp_path / "trace.png")
    assert [(item.name, item.a, item.b) for item in report.parameters] == [
        ("edgefrac", 0.5, 0.4)]
    assert report.image is None and not (tmp_path / "trace.png").exists()
    assert report.notes == ["no difference image: a TraceTable is a table"]
    with fits.open(traces[0].retrieve(tmp_path / "a.fits")) as a, \
            fits.open(traces[1].retrieve(tmp_path / "b.fits")) as b:
        table_a, table_b = a[1].data, b[1].data
        prefix = f"{a[1].name}." if a[1].name else ""  # TRACE_TABLE's one table is unnamed
        expected = {f"{prefix}{name}": float(np.nanmax(np.abs(
            table_b[name].astype(np.float64) - table_a[name].astype(np.float64))))
            for name in table_a.names if table_a[name].dtype.kind in "iuf"}
    assert report.columns == pytest.approx(expected)
    assert any(value > 0 for value in report.columns.values())
    assert "table columns, max |B - A|:" in report.text()


def test_a_cube_is_compared_by_its_mean_over_wavelength(sqlite_url, local_store, tmp_path):
    """Two DATACUBE_FINAL files (real FITS, DATA + STAT) with a NaN spaxel, as scipost writes."""
    cubes = []
    for seed in (1, 2):
        data = np.random.default_rng(seed).normal(size=(6, 8, 9)).astype(np.float32)
        data[:, 0, 0] = np.nan
        path = tmp_path / f"cube-{seed}.fits"
        fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data, name="DATA"),
                      fits.ImageHDU(np.abs(data), name="STAT")]).writeto(path)
        cubes.append((path, data))
    database = connect(sqlite_url, site=0)
    context = Context(user="tester", project="test", privileges=1, site=0)
    try:
        with session(database, context, store=local_store):
            parameters = ScipostParameters().commit()
            products = []
            for path, _ in cubes:
                cube = DataCube(exposure="MUSE.2016-03-15T02:10:11.123", parameters=parameters,
                                DATE_OBS=dt.datetime(2016, 3, 15, 2, 10, 11),
                                night=dt.date(2016, 3, 14))
                cube.store(path)
                products.append(cube.commit())
            report = compare_products(*products, png=tmp_path / "cube.png")
    finally:
        database.dispose()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmean(cubes[1][1], axis=0) - np.nanmean(cubes[0][1], axis=0)
    finite = expected[np.isfinite(expected)]
    assert report.image.what == "DATA, mean over wavelength" and report.image.shape == (8, 9)
    assert report.image.compared == 71 == finite.size
    assert report.image.max_abs == pytest.approx(np.abs(finite).max(), rel=1e-6)
    assert report.parameters == [] and report.image.png == tmp_path / "cube.png"
    with Image.open(tmp_path / "cube.png") as picture:
        assert picture.format == "PNG"
