"""The Cython kernels against straightforward numpy on synthetic arrays."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr

from muse.recipes import _combine, _decode, _tracing, _windows
from muse.recipes.basicproc import histogram_median


def stored_bits(values: np.ndarray) -> np.ndarray:
    """Unsigned 16-bit values as a FITS file stores them (BZERO 32768, big-endian)."""
    return (values.astype(np.int32) - 32768).astype(">i2").view(np.uint16)


def reference_combine(data, stat, method, lsigma=3.0, hsigma=3.0, nlow=1, nhigh=1, nkeep=1):
    n = data.shape[0]
    if method == _combine.COMBINE_AVERAGE:
        return data.mean(0), stat.sum(0) / n**2
    if method == _combine.COMBINE_MEDIAN:
        factor = np.pi / 2 if n > 2 else 1.0
        return np.median(data, 0), factor * stat.sum(0) / n**2
    if method == _combine.COMBINE_MINMAX:
        order = np.argsort(data, axis=0, kind="stable")
        values = np.take_along_axis(data, order, 0)[nlow:n - nhigh]
        variances = np.take_along_axis(stat, order, 0)[nlow:n - nhigh]
        used = values.shape[0]
        return values.mean(0), variances.sum(0) / used**2
    median = np.median(data, 0)
    deviation = np.abs(data - median).mean(0)
    keep = (data >= median - lsigma * deviation) & (data <= median + hsigma * deviation)
    used = keep.sum(0)
    return (data * keep).sum(0) / used, (stat * keep).sum(0) / used**2


def run_combine(data, stat, dq, method, **options):
    shape = data.shape[1:]
    out = np.empty(shape, np.float32), np.empty(shape, np.float32), np.empty(shape, np.int32)
    _combine.combine(data, stat, dq, method, options.get("lsigma", 3.0),
                     options.get("hsigma", 3.0), options.get("nlow", 1),
                     options.get("nhigh", 1), options.get("nkeep", 1), out[0], out[1],
                     out[2], options.get("nthreads", 2))
    return out


@pytest.mark.parametrize("n", [3, 4, 5, 8, 30])
@pytest.mark.parametrize("method", [_combine.COMBINE_AVERAGE, _combine.COMBINE_MEDIAN,
                                    _combine.COMBINE_MINMAX, _combine.COMBINE_SIGCLIP])
def test_combine_matches_numpy(n, method):
    rng = np.random.default_rng(n)
    data = rng.normal(100.0, 3.0, (n, 37, 53)).astype(np.float32)
    data[0, 5, 7] = 5000.0  # a cosmic ray the clipping methods must drop
    stat = rng.uniform(1.0, 2.0, data.shape).astype(np.float32)
    value, variance, dq = run_combine(data, stat, None, method)
    expected_value, expected_variance = reference_combine(data.astype(np.float64),
                                                          stat.astype(np.float64), method)
    np.testing.assert_allclose(value, expected_value, rtol=2e-6, atol=2e-4)
    np.testing.assert_allclose(variance, expected_variance, rtol=2e-5)
    assert not dq.any()
    # ESO's deviation is the mean absolute one: with 3 inputs a single outlier inflates it
    # enough to survive, from 4 on it is clipped
    if method == _combine.COMBINE_MEDIAN or (method == _combine.COMBINE_SIGCLIP and n >= 4):
        assert abs(value[5, 7] - 100.0) < 10.0


def test_sigclip_with_broadcast_variance_and_bad_inputs():
    rng = np.random.default_rng(7)
    data = rng.normal(0.0, 2.0, (5, 20, 30)).astype(np.float32)
    stat = np.broadcast_to(np.float32(4.0), data.shape)
    dq = np.zeros(data.shape, np.int32)
    dq[1, 3, 4] = 4096                      # one bad input: left out
    dq[:, 6, 7] = [4096, 8192, 4096, 256, 4096]  # all bad: all used, flags ORed
    value, variance, out_dq = run_combine(data, stat, dq, _combine.COMBINE_SIGCLIP)
    good = np.delete(data[:, 3, 4], 1).astype(np.float64)
    expected, _ = reference_combine(good[:, None], np.full((4, 1), 4.0),
                                    _combine.COMBINE_SIGCLIP)
    assert value[3, 4] == pytest.approx(expected[0], abs=1e-5)
    assert out_dq[3, 4] == 0
    assert out_dq[6, 7] == 4096 | 8192 | 256
    everything, _ = reference_combine(data[:, 6:7, 7].astype(np.float64),
                                      np.full((5, 1), 4.0), _combine.COMBINE_SIGCLIP)
    assert value[6, 7] == pytest.approx(everything[0], abs=1e-5)
    untouched = np.ones(value.shape, bool)
    untouched[3, 4] = untouched[6, 7] = False
    reference, reference_variance = reference_combine(
        data.astype(np.float64), np.full(data.shape, 4.0), _combine.COMBINE_SIGCLIP)
    np.testing.assert_allclose(value[untouched], reference[untouched], atol=2e-5)
    np.testing.assert_allclose(variance[untouched], reference_variance[untouched], rtol=1e-6)


def test_combine_refuses_mismatched_shapes():
    data = np.zeros((3, 4, 5), np.float32)
    with pytest.raises(ValueError, match="differ in shape"):
        run_combine(data, np.zeros((3, 4, 6), np.float32), None, 0)


def test_decode_raw_applies_bzero_offsets_and_counts_saturation():
    rng = np.random.default_rng(3)
    values = rng.integers(900, 1200, (60, 70)).astype(np.uint16)
    values[10, 11] = 65535
    values[20, 5] = 65501
    values[30, 30] = 65500                   # not above the cut
    offsets = np.linspace(990.0, 1010.0, 60)
    out = np.empty(values.shape, np.float32)
    histogram = np.zeros(65536, np.int64)
    count = _decode.decode_raw(stored_bits(values), out, 32768.0, True, offsets, 65500.0,
                                histogram, 2)
    assert count == 2
    np.testing.assert_allclose(out, values - offsets[:, None], atol=1e-3)
    assert histogram.sum() == values.size
    assert histogram_median(histogram, 32768.0) == np.median(values)
    # an odd count: the middle value exactly
    histogram[:] = 0
    _decode.decode_raw(stored_bits(values[:, :3][:5]), np.empty((5, 3), np.float32),
                        32768.0, True, np.zeros(5), 65500.0, histogram, 1)
    assert histogram_median(histogram, 32768.0) == np.median(values[:5, :3])


def test_decode_raw_on_strided_views_and_native_order():
    values = np.arange(40 * 50, dtype=np.uint16).reshape(40, 50) + 1000
    native = (values.astype(np.int32) - 32768).astype(np.int16).view(np.uint16)
    out = np.zeros((40, 80), np.float32)
    _decode.decode_raw(native[5:25, 10:40], out[5:25, 20:50], 32768.0, False, np.zeros(20),
                        65500.0, None, 1)
    np.testing.assert_array_equal(out[5:25, 20:50], values[5:25, 10:40])
    assert not out[:5].any() and not out[:, :20].any()


def test_flag_above_marks_only_saturated_pixels():
    values = np.full((8, 9), 1000, np.uint16)
    values[2, 3] = 65535
    dq = np.zeros(values.shape, np.int32)
    dq[2, 3] = 256
    assert _decode.flag_above(stored_bits(values), dq, 32768.0, True, 65500.0, 4096) == 1
    assert dq[2, 3] == 4096 | 256
    assert np.count_nonzero(dq) == 1


def test_dcr_rejects_cosmic_rays_not_noise():
    rng = np.random.default_rng(11)
    strip = rng.normal(1000.0, 3.0, (29, 600)).astype(np.float32)
    hits = [(3, 50), (17, 333), (28, 599)]
    for y, x in hits:
        strip[y, x] += 200.0
    rejected = np.zeros(strip.shape, np.uint8)
    count = _combine.dcr_reject(strip, rejected, 128, 32, 2, 4.5)
    for y, x in hits:
        assert rejected[y, x]
    assert count == rejected.sum() <= len(hits) + 3


def test_window_medians_are_exact():
    rng = np.random.default_rng(5)
    image = rng.normal(0.0, 1.0, (50, 60)).astype(np.float32)
    image[7, 8] = np.nan
    windows = np.array([[0, 50, 0, 60], [10, 11, 5, 9], [3, 20, 2, 3], [0, 2, 0, 2]],
                       dtype=np.intp)
    medians = _windows.window_medians(image, windows, 2)
    for (y0, y1, x0, x1), median in zip(windows, medians, strict=True):
        assert median == pytest.approx(float(np.nanmedian(image[y0:y1, x0:x1])), abs=1e-7)
    with pytest.raises(ValueError, match="outside the image"):
        _windows.window_medians(image, np.array([[0, 51, 0, 1]], dtype=np.intp))


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e6])
def test_radix_medians_with_ties_signs_and_nan(scale):
    rng = np.random.default_rng(int(scale * 7) % 1000)
    for _ in range(40):
        image = rng.normal(0.0, scale, (rng.integers(1, 40), rng.integers(1, 40)))
        image = image.astype(np.float32)
        if rng.random() < 0.4:
            image = np.round(image / scale).astype(np.float32)  # many ties
        if rng.random() < 0.3:
            image[0, 0] = np.nan
        window = np.array([[0, image.shape[0], 0, image.shape[1]]], dtype=np.intp)
        median = _windows.window_medians(image, window, 1)[0]
        expected = np.nanmedian(image.astype(np.float64))
        if np.isnan(expected):
            assert np.isnan(median)
        else:
            assert median == pytest.approx(expected, rel=1e-6, abs=1e-12)


def test_window_moments_and_column_moments():
    rng = np.random.default_rng(9)
    image = rng.normal(5.0, 2.0, (300, 200)).astype(np.float32)
    windows = np.array([[0, 300, 0, 200], [10, 12, 3, 9]], dtype=np.intp)
    moments = _windows.window_moments(image, windows, 2)
    for (y0, y1, x0, x1), (mean, stdev, low, high) in zip(windows, moments, strict=True):
        part = image[y0:y1, x0:x1].astype(np.float64)
        assert mean == pytest.approx(part.mean()) and stdev == pytest.approx(part.std(ddof=1))
        assert (low, high) == (part.min(), part.max())
    view = image[20:280, 30:170]
    means, deviations, rows = _windows.column_moments(view, 2)
    np.testing.assert_allclose(means, view.mean(axis=0, dtype=np.float64), rtol=1e-12)
    np.testing.assert_allclose(deviations, view.std(axis=0, ddof=1, dtype=np.float64),
                               rtol=1e-9)
    np.testing.assert_allclose(rows, view.mean(axis=1, dtype=np.float64), rtol=1e-12)


def test_block_means_and_bad_blocks():
    image = np.arange(7 * 9, dtype=np.float32).reshape(7, 9)
    dq = np.zeros(image.shape, np.int32)
    dq[4, 7] = 512
    means, bad = _windows.block_means(image, dq, 3)
    assert means.shape == (2, 3)
    np.testing.assert_allclose(means, image[:6].reshape(2, 3, 3, 3).mean(axis=(1, 3)))
    assert bad.tolist() == [[False, False, False], [False, False, True]]
    assert not _windows.block_means(image, None, 2)[1].any()


def blurred_slices(ny, nx, left, right, sigma, slope=0.0):
    """Pixel-integrated top hats [left(y), right(y)] (1-based x) blurred by a Gaussian."""
    x = np.arange(1, nx + 1, dtype=np.float64)[None, :]

    def g(t):
        return t * ndtr(t) + np.exp(-0.5 * t * t) / np.sqrt(2 * np.pi)

    def step(edge):
        return sigma * (g((x + 0.5 - edge) / sigma) - g((x - 0.5 - edge) / sigma))

    image = np.zeros((ny, nx))
    for l_edge, r_edge in zip(left, right, strict=True):
        centre = (l_edge + r_edge)[:, None] / 2
        light = step(l_edge[:, None]) - step(r_edge[:, None])
        image += 1000.0 * light * (1 + slope * (x - centre) / ((r_edge - l_edge)[:, None] / 2))
    return image.astype(np.float32)


@pytest.mark.parametrize("sigma, width, pitch, slope", [(0.45, 8.0, 11.0, 0.03),
                                                       (1.0, 30.0, 37.0, -0.03)])
def test_trace_edges_find_half_light_edges(sigma, width, pitch, slope):
    ny, nslices = 256, 6
    y = np.arange(1, ny + 1, dtype=np.float64)
    lefts = [12.3 + k * pitch + 0.004 * (y - 128) + 1e-5 * (y - 128) ** 2
             for k in range(nslices)]
    rights = [left + width + 0.05 * k for k, left in enumerate(lefts)]
    image = blurred_slices(ny, int(12 + nslices * pitch + 12), lefts, rights, sigma, slope)
    nsum = 16
    starts = np.arange(0, ny - nsum + 1, nsum, dtype=np.intp)
    centre_rows = starts + (nsum + 1) / 2
    start = len(starts) // 2
    guess = np.array([(lefts[k][int(centre_rows[start])] + rights[k][int(centre_rows[start])])
                      / 2 - 1 + 0.3 for k in range(nslices)])
    left = np.full((len(starts), nslices), np.nan)
    right = np.full_like(left, np.nan)
    _tracing.trace_edges(image, guess, np.full(nslices, width), starts, start, nsum,
                         int(np.ceil(0.75 * pitch)), 0.5, left, right, 2)
    rows = (centre_rows - 1).astype(int)
    true_left = np.array([edge[rows] for edge in lefts]).T
    true_right = np.array([edge[rows] for edge in rights]).T
    assert np.abs(left + 1 - true_left).max() < 0.03
    assert np.abs(right + 1 - true_right).max() < 0.03
    assert np.abs((left + right) / 2 + 1 - (true_left + true_right) / 2).max() < 0.015
