"""Adapters on the small simulated night: single-IFU inputs, products that verify, bad QC."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from common.config import Context
from common.database import connect
from common.errors import RecipeError
from common.persistent import session
from muse.datamodel import (
    BiasParameters,
    FlatParameters,
    MasterBias,
    MasterFlat,
    RawBiasChip,
    RawFlatChip,
    TraceTable,
)
from muse.datamodel.extract import HduRange, fetch_single_ifu, hdu_ranges, write_single_ifu
from muse.datamodel.make import master_bias, master_flat, single_ifu
from muse.datamodel.products import record_products

IFU = 7


@pytest.fixture
def sqlite_session(sqlite_url, local_store):
    """The adapters run once, on SQLite (the mapping is tested on both backends)."""
    database = connect(sqlite_url, site=0)
    context = Context(user="tester", project="test", privileges=1, site=0)
    with session(database, context, store=local_store) as opened:
        yield opened
    database.dispose()


def _local_inputs(store, chips, directory):
    directory.mkdir(parents=True, exist_ok=True)
    return [fetch_single_ifu(store.read_range, chip.raw_frame.filename,
                             chip.raw_frame.primary_size, HduRange(chip.hdu_offset, chip.hdu_size),
                             directory / chip.raw_frame.filename) for chip in chips]


def test_single_ifu_file_is_the_raw_extension(small_night, tmp_path):
    raw = small_night.bias_files[0]
    primary, chips = hdu_ranges(raw)
    assert sorted(chips) == list(range(1, 25))
    data = raw.read_bytes()
    span = chips[IFU]
    single = write_single_ifu(data[:primary.size], data[span.offset:span.offset + span.size],
                              tmp_path / raw.name)
    with fits.open(raw) as whole, fits.open(single) as part:
        assert len(part) == 2 and part[1].header["EXTNAME"] == f"CHAN{IFU:02d}"
        assert part[0].header == whole[0].header
        np.testing.assert_array_equal(part[1].data, whole[f"CHAN{IFU:02d}"].data)
    with pytest.raises(RecipeError, match="expected whole 2880-byte FITS blocks starting with "
                                          "XTENSION"):
        write_single_ifu(data[:primary.size], data[1:2881], tmp_path / "bad.fits")
    other = write_single_ifu(data[:primary.size], data[chips[1].offset:chips[1].offset
                                                        + chips[1].size], tmp_path / "one.fits")
    with pytest.raises(RecipeError, match="expected inputs of one IFU"):
        single_ifu([single, other], "test")


def _noisier(path, factor):
    with fits.open(path) as hdus:
        primary, chip = hdus[0].header, hdus[1]
        data = chip.data.astype(np.float64)
        level = np.median(data)
        noisy = np.clip(level + factor * (data - level), 0, 65535).astype(np.uint16)
        header = chip.header.copy()
    fits.HDUList([fits.PrimaryHDU(header=primary),
                  fits.ImageHDU(noisy, header=header)]).writeto(path, overwrite=True)


@pytest.mark.slow
def test_bias_and_flat_adapters_make_products_that_verify(small_night, sqlite_session,
                                                          ingest_raw, tmp_path):
    store = sqlite_session.store
    for path in small_night.bias_files:
        ingest_raw(path)
    for path in small_night.flat_files:
        ingest_raw(path)
    bias_chips = list((RawBiasChip.ifu == IFU) & (RawBiasChip.night == small_night.night))
    assert len(bias_chips) == len(small_night.bias_files)
    parameters = BiasParameters().commit()
    inputs = _local_inputs(store, bias_chips, tmp_path / "bias-in")
    result = master_bias({"raw_chips": inputs}, parameters.recipe_parameters(),
                         tmp_path / "bias-out")
    assert result.attributes["MasterBias"]["ifu"] == IFU
    spec = MasterBias.__process__
    (bias,) = record_products(spec, result, keys={"night": small_night.night, "ifu": IFU},
                              inputs={"raw_chips": bias_chips}, calibrations={},
                              parameters=parameters)
    assert bias.is_committed and bias.quality_flags == 0, bias.qc_failures()
    assert bias.filename == f"MASTER_BIAS-{IFU:02d}.{bias.object_id:016x}.fits"
    assert bias.night == small_night.night and list(bias.raw_chips) == bias_chips
    assert 2.0 < bias.QC_BIAS_MASTER1_RON < 3.5
    assert bias.DET_READ_CURID == 1 and bias.ncombined == len(bias_chips)
    assert bias.timestamp_start <= min(chip.DATE_OBS for chip in bias_chips)
    with fits.open(bias.retrieve(tmp_path)) as product:
        assert product[0].header["HIERARCH ESO PRO CATG"] == "MASTER_BIAS"

    flat_chips = list((RawFlatChip.ifu == IFU) & (RawFlatChip.night == small_night.night))
    chosen = MasterBias.select_for_date(flat_chips[0].DATE_OBS, ifu=IFU, DET_READ_CURID=1)
    assert chosen is bias
    flat_parameters = FlatParameters().commit()
    result = master_flat({"raw_chips": _local_inputs(store, flat_chips, tmp_path / "flat-in"),
                          "master_bias": [chosen.retrieve(tmp_path / "bias-copy.fits")]},
                         flat_parameters.recipe_parameters(), tmp_path / "flat-out")
    flat, trace = record_products(MasterFlat.__process__, result,
                                  keys={"night": small_night.night, "ifu": IFU},
                                  inputs={"raw_chips": flat_chips},
                                  calibrations={"master_bias": chosen},
                                  parameters=flat_parameters)
    assert isinstance(trace, TraceTable) and trace.master_bias is bias
    assert (flat.quality_flags, trace.quality_flags) == (0, 0), (flat.qc_failures(),
                                                                  trace.qc_failures())
    assert flat.creation_date == trace.creation_date  # committed together
    assert trace.filename.startswith(f"TRACE_TABLE-{IFU:02d}.")
    assert trace.QC_TRACE_WIDTHS_STDEV is not None and flat.QC_FLAT_MASTER_SLICE1_MEAN > 0
    assert list(MasterFlat.QC_FLAT_MASTER_INTFLUX > 0) == [flat]

    # a bias set with three times the read noise: committed, flagged ron_high, not selectable
    noisy = _local_inputs(store, bias_chips, tmp_path / "noisy-in")
    for path in noisy:
        _noisier(path, 3.0)
    result = master_bias({"raw_chips": noisy}, parameters.recipe_parameters(),
                         tmp_path / "noisy-out")
    (bad,) = record_products(spec, result, keys={"night": small_night.night, "ifu": IFU},
                             inputs={"raw_chips": bias_chips}, calibrations={},
                             parameters=parameters)
    assert bad.quality_flags == 1 << MasterBias.quality_bits["ron_high"]
    assert any("BIAS MASTER1 RON" in failure for failure in bad.qc_failures())
    assert MasterBias.select_for_date(flat_chips[0].DATE_OBS, ifu=IFU) is bias
