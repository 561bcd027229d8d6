"""The instrument model: slice light, traces, ports and hot columns, digitisation."""

import json
from dataclasses import replace

import numpy as np
import pytest
from scipy.special import ndtr

from muse.instrument.model import InstrumentModel, amplified_noise, pixel_box_profile
from muse.instrument.truth import FrameTruth, digitise, render_raw
from muse.layout import FULL, SMALL


@pytest.fixture(scope="module")
def small_model():
    return InstrumentModel.build(SMALL, 7)


def test_pixel_integrated_top_hat_is_exact():
    profile = pixel_box_profile(-20, 40, 3.3, 14.1, 0.45)
    assert profile.shape == (61,)
    # Pixel means integrate to the width, a pixel centred on an isolated edge sees half.
    assert profile.sum() == pytest.approx(14.1 - 3.3, abs=1e-9)
    assert pixel_box_profile(3, 3, 3.0, 30.0, 0.45)[0] == pytest.approx(0.5)
    assert pixel_box_profile(8, 8, 3.0, 30.0, 0.45)[0] == pytest.approx(1.0)
    # Compare with a brute-force integral of the blurred top hat over pixel 13.
    u = np.linspace(12.5, 13.5, 200001)
    blurred = ndtr((u - 3.3) / 0.45) - ndtr((u - 14.1) / 0.45)
    assert profile[13 + 20] == pytest.approx(blurred.mean(), abs=1e-6)
    assert profile.min() >= -1e-12 and profile.max() <= 1 + 1e-12


def test_model_round_trips_through_json(small_model):
    again = InstrumentModel.from_dict(json.loads(json.dumps(small_model.to_dict())))
    assert again == small_model
    assert InstrumentModel.build(SMALL, 7) == small_model
    assert InstrumentModel.build(SMALL, 8) != small_model
    with pytest.raises(ValueError, match="seed: expected a non-negative integer, found -1"):
        InstrumentModel.build(SMALL, -1)


@pytest.mark.parametrize("geometry", [SMALL, FULL], ids=["small", "full"])
def test_traces_bend_within_the_geometry_and_never_touch(geometry):
    model = InstrumentModel.build(geometry, 3)
    layout = geometry.slices
    y = np.linspace(1, geometry.detector.trimmed_ny, 50)
    for ifu in model.ifus:
        lefts = np.array([s.left_edge(y) for s in ifu.slices])
        rights = np.array([s.right_edge(y) for s in ifu.slices])
        assert lefts.min() > 3 and rights.max() < geometry.detector.trimmed_nx - 3
        assert (lefts[1:] - rights[:-1]).min() > 0.75 * layout.gap
        widths = rights - lefts
        assert abs(widths - layout.width).max() < 5 * layout.width_scatter_px
        for s in ifu.slices:
            centre = s.centre(y)
            nominal = layout.centre(s.slice_no)
            assert abs(centre - nominal).max() <= (layout.tilt_px / 2 + layout.curvature_px
                                                   + 0.05 * layout.pitch) * 1.06
            assert s.centre(100.0) == pytest.approx((s.left_edge(100.0) + s.right_edge(100.0))
                                                    / 2)


def test_light_falls_between_the_trace_edges(small_model):
    ifu = small_model.ifu(5)
    light = ifu.illumination(SMALL)
    for model in ifu.slices:
        for y in (1, 200, 512):
            left, right = model.left_edge(float(y)), model.right_edge(float(y))
            row = light[y - 1]
            inside = np.arange(int(np.ceil(left + 1.0)), int(np.floor(right - 1.0)) + 1)
            assert row[inside - 1].min() > 0.9 * model.throughput
            assert row[inside - 1].max() < 1.001 * model.throughput
            if model.slice_no == 1:
                assert row[:int(left - 1.5)].max() < 1e-3
            if model.slice_no == 48:
                assert row[int(right + 2.5):].max() < 1e-3
            if model.slice_no < 48:
                # The darkest pixel of the gap to the next slice stays dark.
                following = ifu.slice(model.slice_no + 1).left_edge(float(y))
                gap = row[int(right) - 1:int(np.ceil(following))]
                assert gap.min() < 0.05 * model.throughput
    # Alone on the CCD, a slice's light integrates along a row to throughput x width.
    for model in ifu.slices[::7]:
        alone = replace(ifu, slices=(model,)).illumination(SMALL)
        for y in (1, 300):
            width = model.width(float(y))
            bowed = 1 - model.illumination_bow / 3
            assert alone[y - 1].sum() == pytest.approx(model.throughput * width * bowed,
                                                       rel=0.003)


def test_ports_and_hot_columns_are_plausible(small_model):
    detector = SMALL.detector
    for ifu in small_model.ifus:
        assert 1 <= len(ifu.hot_columns) <= 3
        for port in ifu.ports:
            assert 900 < port.bias_level < 1200 and 1.0 <= port.gain <= 1.25
            assert 2.5 < port.ron < 3.4 and port.header_ron != port.ron
        for column in ifu.hot_columns:
            y, x = detector.trimmed_window(column.port)
            assert x.start < column.x <= x.stop
            assert y.start < column.y_first <= column.y_last <= y.stop
            # Hot from the defect to the port's edge at the CCD centre line.
            assert (column.y_last == detector.ny) != (column.y_first == detector.ny + 1)


def test_master_bias_is_offset_gradient_and_hot_columns(small_model):
    ifu = small_model.ifu(2)
    detector = SMALL.detector
    master = ifu.master_bias(detector)
    raw = ifu.bias_image(detector)
    hot = np.zeros(master.shape, bool)
    for column in ifu.hot_columns:
        hot[column.y_first - 1:column.y_last, column.x - 1] = True
    for port in ifu.ports:
        window = detector.trimmed_window(port.port)
        assert master[window][~hot[window]].mean() == pytest.approx(port.data_offset, abs=5e-3)
        data = raw[detector.data_window(port.port)][~hot[window]]
        assert data.mean() == pytest.approx(port.bias_level, abs=5e-3)
        overscan = raw[detector.vertical_overscan(port.port)]
        # The overscan carries level and drift, not the data offset.
        assert abs(overscan.mean() - port.overscan_level) < 1.5
    for column in ifu.hot_columns:
        values = master[column.y_first - 1:column.y_last, column.x - 1]
        neighbours = master[column.y_first - 1:column.y_last, column.x - 2 if column.x > 1 else 1]
        assert np.median(values - neighbours) == pytest.approx(column.excess, abs=0.05)


def test_digitise_rounds_and_saturates():
    raw = np.array([[-3.0, 0.4, 0.6, 1000.5001, 65534.6, 70000.0]])
    assert digitise(raw).tolist() == [[0, 0, 1, 1001, 65535, 65535]]
    assert digitise(raw).dtype == np.uint16


def test_an_overexposed_flat_saturates(small_model):
    frame = FrameTruth(file="x.fits", kind="FLAT", dpr_type="FLAT,LAMP", date_obs="",
                       exptime=300.0, lamp_scale=1.0, temperature=11.3,
                       port_offsets=((0.0,) * 4,) * 24, saturated=())
    bias = small_model.ifu(1).bias_image(SMALL.detector)
    raw = render_raw(small_model, 1, frame, bias_image=bias,
                     flat_rate=small_model.flat_rate(1), rng=np.random.default_rng(0))
    data = digitise(raw)
    assert (data == 65535).sum() > 1000
    assert data[SMALL.detector.vertical_overscan(1)].max() < 1200


def test_full_size_uses_the_same_code():
    model = InstrumentModel.build(FULL, 1)
    ifu = model.ifu(24)
    raw = ifu.bias_image(FULL.detector)
    assert raw.shape == (4240, 4224)
    trimmed = FULL.detector.trim(raw)
    assert trimmed.shape == (4112, 4096)
    assert model.pixel_response(24).shape == (4112, 4096)


def test_amplified_noise_keeps_the_median_and_clips_to_16_bits():
    rng = np.random.default_rng(3)
    chip = np.round(1000 + rng.normal(0, 3, (200, 200))).astype(np.uint16)
    chip[0, 0] = 65000
    noisy = amplified_noise(chip, 6.0)
    assert noisy.dtype == np.uint16 and np.median(noisy) == np.median(chip)
    assert np.std(noisy[1:]) == pytest.approx(6 * np.std(chip[1:].astype(float)), rel=0.01)
    assert noisy[0, 0] == 65535
