"""Adapters on the small simulated night: single-IFU inputs, products that verify, bad QC."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from astropy.io import fits

from common.config import Context
from common.database import connect
from common.errors import RecipeError
from common.persistent import session
from muse.datamodel import (
    BiasParameters,
    DataCube,
    FlatParameters,
    ImageFov,
    MasterBias,
    MasterFlat,
    PixTable,
    RawBiasChip,
    RawFlatChip,
    ScibasicParameters,
    ScipostParameters,
    TraceTable,
    WavecalParameters,
    WavecalTable,
)
from muse.datamodel.extract import HduRange, fetch_single_ifu, hdu_ranges, write_single_ifu
from muse.datamodel.make import (
    data_cube,
    master_bias,
    master_flat,
    pix_table,
    single_ifu,
    wavecal_table,
)
from muse.datamodel.products import record_products
from muse.instrument import amplified_noise

IFU = 7


@pytest.fixture
def sqlite_session(tmp_path, local_store):
    """The adapters run once, on a SQLite database of their own (the mapping is tested on both
    backends; other tests' ingests of the same night must not answer 'present')."""
    database = connect(f"sqlite:///{tmp_path / 'make.sqlite'}", site=0)
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
        noisy, header = amplified_noise(chip.data, factor), chip.header.copy()
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


def _single_ifu_copy(path, ifu, directory):
    """The primary header and extension ``CHANnn`` of raw file ``path``, as a worker gets them."""
    directory.mkdir(parents=True, exist_ok=True)
    primary, chips = hdu_ranges(path)
    data = path.read_bytes()
    span = chips[ifu]
    return write_single_ifu(data[:primary.size], data[span.offset:span.offset + span.size],
                            directory / path.name)


def _product_qc(path, cls):
    """The QC values a product file carries, by the keys ``cls`` declares."""
    header = fits.getheader(path, 0)
    return {key: header[f"HIERARCH ESO QC {key}"] for key in cls.qc_keys
            if f"HIERARCH ESO QC {key}" in header}


def _verified(cls, result):
    """The product ``cls`` an adapter's result describes, its QC set and verified."""
    name = cls.__name__
    product = cls(**result.attributes[name])
    product.set_qc(result.qc.get(name, {}))
    product.verify()
    return product


@pytest.fixture(scope="module")
def wavecal_made(science_chain, tmp_path_factory):
    """The wavecal adapter's result for IFU ``IFU`` from the chain's calibrations."""
    night, statics = science_chain.night, science_chain.night.statics
    directory = tmp_path_factory.mktemp("wavecal-adapter")
    arcs = [_single_ifu_copy(path, IFU, directory / "arcs") for path in night.arc_files]
    return wavecal_table({"raw_chips": arcs, "master_bias": [science_chain.master_bias[IFU]],
                          "trace_table": [science_chain.trace_table[IFU]],
                          "line_catalog": [statics["LINE_CATALOG"]]},
                         WavecalParameters().recipe_parameters(), directory / "out")


@pytest.mark.slow
def test_wavecal_and_pixtable_adapters_on_the_chain(science_chain, wavecal_made,
                                                    sqlite_session, tmp_path):
    result = wavecal_made
    assert set(result.files) == {"WavecalTable"}
    # one IFU alone gives what the whole-instrument run gave that IFU
    chain_qc = _product_qc(science_chain.wavecal_table[IFU], WavecalTable)
    assert len(chain_qc) == 4 * 48 + 3  # per slice, and FIT RMS MAX, NSLICES RETRIED/FAILED
    assert dict(result.qc["WavecalTable"]) == pytest.approx(chain_qc)
    wavecal = _verified(WavecalTable, result)
    assert (wavecal.ifu, wavecal.ncombined, wavecal.DET_READ_CURID) == (IFU, 3, 1)
    assert (f"MUSE-CCD{IFU:02d}", "WFM") == (wavecal.DET_CHIP_NAME, wavecal.INS_OPTI2_NAME)
    assert wavecal.QC_WAVECAL_SLICE1_LINES_NID >= 40

    night, statics = science_chain.night, science_chain.night.statics
    raw = _single_ifu_copy(night.object_files[0], IFU, tmp_path / "object")
    inputs = {"raw_chip": [raw], "master_bias": [science_chain.master_bias[IFU]],
              "master_flat": [science_chain.master_flat[IFU]],
              "trace_table": [science_chain.trace_table[IFU]],
              "wavecal_table": [result.files["WavecalTable"]],
              "geometry_table": [statics["GEOMETRY_TABLE"]]}
    made = pix_table(inputs, ScibasicParameters().recipe_parameters(), tmp_path / "pixtable")
    pixtable = _verified(PixTable, made)
    assert pixtable.quality_flags == 0, pixtable.qc_failures()
    assert pixtable.ifu == IFU and pixtable.OBS_TARG_NAME == "HUDF-SIM"
    saturated = fits.getval(science_chain.pixtables[IFU], "HIERARCH ESO QC SCIBASIC NSATURATED")
    assert saturated == pixtable.QC_SCIBASIC_NSATURATED
    with fits.open(made.files["PixTable"]) as mine, \
            fits.open(science_chain.pixtables[IFU]) as chain:
        np.testing.assert_array_equal(mine["DATA"].data, chain["DATA"].data)
        np.testing.assert_array_equal(mine["LAMBDA"].data, chain["LAMBDA"].data)

    with pytest.raises(RecipeError, match="pix_table: expected one wavecal_table file, found 0"):
        pix_table({**inputs, "wavecal_table": []}, {}, tmp_path / "none")


@pytest.mark.slow
def test_wavecal_product_of_the_small_night_verifies(wavecal_made, sqlite_session):
    wavecal = _verified(WavecalTable, wavecal_made)
    assert wavecal.quality_flags == 0, wavecal.qc_failures()


@pytest.mark.slow
def test_data_cube_adapter_makes_cube_and_image(science_chain, sqlite_session, tmp_path):
    statics = science_chain.night.statics
    inputs = {"pix_tables": list(science_chain.pixtables.values()),
              "extinct_table": [statics["EXTINCT_TABLE"]],
              "std_response": [statics["STD_RESPONSE"]], "filter_list": [statics["FILTER_LIST"]]}
    # the reference set is the one the chain ran: no sky subtraction (ESO's on-line setting)
    parameters = ScipostParameters().recipe_parameters()
    assert parameters["skymethod"] == "none"
    with pytest.raises(RecipeError, match="parameter skymethod: expected one of none, simple, "
                                          "found 'model'"):
        data_cube(inputs, {**parameters, "skymethod": "model"}, tmp_path / "model")
    with pytest.raises(RecipeError, match="expected one filter .* found white, Johnson_V"):
        data_cube(inputs, {**parameters, "filter": "white,Johnson_V"}, tmp_path / "two")
    assert not (tmp_path / "two").exists()
    result = data_cube(inputs, parameters, tmp_path / "cube")
    cube, image = _verified(DataCube, result), _verified(ImageFov, result)
    assert cube.quality_flags == 0, cube.qc_failures()
    assert cube.QC_SCIPOST_NDET >= 1 and cube.QC_SCIPOST_FWHM_NVALID >= 1
    assert dict(result.qc["DataCube"]) == pytest.approx(
        _product_qc(science_chain.cube, DataCube))
    assert image.filter_name == "white" and image.night == science_chain.night.night
    observed = fits.getval(science_chain.night.object_files[0], "DATE-OBS")
    assert dt.datetime.fromisoformat(observed) == cube.DATE_OBS
    with fits.open(result.files["DataCube"]) as mine, fits.open(science_chain.cube) as chain:
        np.testing.assert_allclose(mine["DATA"].data, chain["DATA"].data, rtol=1e-5,
                                   equal_nan=True)
    with fits.open(result.files["ImageFov"]) as fov:
        assert fov[0].header["HIERARCH ESO PRO CATG"] == "IMAGE_FOV"
