"""muse.layout: the full and the small geometry, port windows, header geometry."""

import numpy as np
import pytest

from muse.layout import (
    CUBE_LAMBDA_MAX,
    CUBE_LAMBDA_MIN,
    CUBE_PLANES,
    FULL,
    GEOMETRIES,
    OUTPUT_X_RIGHT,
    OUTPUT_Y_TOP,
    SMALL,
    DetectorGeometry,
    extname,
    geometry_for_detector,
    ifu_from_extname,
)


@pytest.mark.parametrize("geometry", GEOMETRIES.values(), ids=GEOMETRIES.keys())
def test_sizes_follow_from_the_port_geometry(geometry):
    d = geometry.detector
    assert d.raw_nx == 2 * (d.prscx + d.nx + d.ovscx)
    assert d.raw_ny == 2 * (d.prscy + d.ny + d.ovscy)
    assert (d.trimmed_nx, d.trimmed_ny) == (2 * d.nx, 2 * d.ny)
    assert (d.prscx, d.prscy, d.ovscx, d.ovscy) == (32, 32, 32, 32)
    assert d.nx >= 128 and d.ny >= 128  # ESO's 128 x 32 DCR boxes
    assert geometry.n_ifus == 24 and geometry.slices.n_slices == 48


def test_full_size_is_the_real_ccd():
    d = FULL.detector
    assert (d.raw_nx, d.raw_ny) == (4224, 4240)
    assert (d.trimmed_nx, d.trimmed_ny) == (4096, 4112)
    assert (d.nx, d.ny) == (2048, 2056)
    assert (FULL.slices.pitch, FULL.slices.width, FULL.slices.first_edge) == (84.0, 77.0, 20.0)
    assert FULL.spectral.dispersion == 1.25
    assert FULL.spectral.line_fwhm_angstrom == pytest.approx(2.61)
    assert FULL.slices.centre(1) >= 56  # ESO's tracer needs 56 px from the CCD edge


def test_small_geometry_keeps_what_design_fixes():
    assert SMALL.detector.raw_nx * SMALL.detector.raw_ny < FULL.detector.raw_nx ** 2 / 40
    assert SMALL.spectral.line_fwhm_px >= 2
    for geometry in (SMALL, FULL):
        low, high = geometry.wavelength_range
        assert low < CUBE_LAMBDA_MIN and high > CUBE_LAMBDA_MAX
    assert CUBE_PLANES == 3681


@pytest.mark.parametrize("geometry", GEOMETRIES.values(), ids=GEOMETRIES.keys())
def test_slices_fit_the_ccd_with_their_bends(geometry):
    layout, nx = geometry.slices, geometry.detector.trimmed_nx
    reach = layout.tilt_px / 2 + layout.curvature_px + 0.05 * layout.pitch + layout.edge_sigma_px
    assert layout.left_edge(1) - reach > 0.5
    assert layout.left_edge(48) + layout.width + reach < nx + 0.5
    assert layout.gap >= 2
    with pytest.raises(ValueError, match="slice number: expected 1-48, found 49"):
        layout.left_edge(49)


@pytest.mark.parametrize("geometry", GEOMETRIES.values(), ids=GEOMETRIES.keys())
def test_windows_partition_the_raw_frame(geometry):
    d = geometry.detector
    data = np.zeros((d.raw_ny, d.raw_nx), dtype=int)
    quadrant = np.zeros_like(data)
    for port in (1, 2, 3, 4):
        data[d.data_window(port)] += 1
        quadrant[d.quadrant(port)] += 1
        y, x = d.data_window(port)
        qy, qx = d.quadrant(port)
        assert qy.start <= y.start < y.stop <= qy.stop and qx.start <= x.start < x.stop <= qx.stop
        # The overscans lie between the data and the centre lines.
        vy, vx = d.vertical_overscan(port)
        hy, hx = d.horizontal_overscan(port)
        assert (vy, vx.stop - vx.start) == (qy, d.ovscx)
        assert (hx, hy.stop - hy.start) == (x, d.ovscy)
        centre_x, centre_y = d.raw_nx // 2, d.raw_ny // 2
        assert centre_x in (vx.start, vx.stop) and centre_y in (hy.start, hy.stop)
    for port in (1, 2, 3, 4):
        assert not data[d.vertical_overscan(port)].any()
        assert not data[d.horizontal_overscan(port)].any()
    assert quadrant.min() == quadrant.max() == 1
    assert data.sum() == d.trimmed_nx * d.trimmed_ny
    assert data.max() == 1


def test_port_positions_as_eso_requires():
    d = SMALL.detector
    x = {port: d.output_x(port) for port in (1, 2, 3, 4)}
    y = {port: d.output_y(port) for port in (1, 2, 3, 4)}
    assert x == {1: 1, 2: OUTPUT_X_RIGHT, 3: OUTPUT_X_RIGHT, 4: 1}
    assert y == {1: 1, 2: 1, 3: OUTPUT_Y_TOP, 4: OUTPUT_Y_TOP}
    assert x[1] < x[2] and x[1] < x[3] and x[1] == x[4]
    assert y[1] == y[2] and y[1] < y[3] and y[1] < y[4]
    # OUT1 bottom-left: its data start right after the prescans.
    assert d.data_window(1) == (slice(32, 288), slice(32, 312))
    assert d.data_window(3) == (slice(352, 608), slice(376, 656))


def test_trim_and_raw_coordinates_agree():
    d = SMALL.detector
    raw = np.arange(d.raw_ny * d.raw_nx, dtype=np.int64).reshape(d.raw_ny, d.raw_nx)
    trimmed = d.trim(raw)
    assert trimmed.shape == (d.trimmed_ny, d.trimmed_nx)
    for x, y in [(1, 1), (280, 256), (281, 1), (560, 512), (1, 300), (300, 257)]:
        assert trimmed[y - 1, x - 1] == raw[d.raw_y(y) - 1, d.raw_x(x) - 1]
        port = d.port_at(x, y)
        ty, tx = d.trimmed_window(port)
        assert ty.start < y <= ty.stop and tx.start < x <= tx.stop
    with pytest.raises(ValueError, match=r"raw image shape: expected \(640, 688\)"):
        d.trim(raw[:-1])


def _header(detector):
    header = {"ESO DET BINX": 1, "ESO DET BINY": 1}
    for port in (1, 2, 3, 4):
        for key, value in detector.port_keywords(port).items():
            header[f"ESO DET OUT{port} {key}"] = value
    return header


@pytest.mark.parametrize("geometry", GEOMETRIES.values(), ids=GEOMETRIES.keys())
def test_geometry_read_back_from_keywords(geometry):
    detector = DetectorGeometry.from_header(_header(geometry.detector))
    assert detector == geometry.detector
    assert geometry_for_detector(detector) is geometry


@pytest.mark.parametrize(("key", "value", "message"), [
    ("ESO DET OUT2 X", 2048, "'ESO DET OUT2 X': expected 1 or 4096, found 2048"),
    ("ESO DET OUT3 NX", 255, r"'ESO DET OUT3 NX': expected the value of OUT1 \(280\)"),
    ("ESO DET OUT4 X", 4096, "expected OUT1 bottom-left"),
    ("ESO DET BINX", 2, "'ESO DET BINX': expected 1"),
    ("ESO DET OUT1 PRSCY", "32", "'ESO DET OUT1 PRSCY': expected an integer, found '32'"),
])
def test_bad_geometry_keywords_are_named(key, value, message):
    header = _header(SMALL.detector)
    header[key] = value
    with pytest.raises(ValueError, match=message):
        DetectorGeometry.from_header(header)


def test_missing_keyword_and_unknown_geometry():
    header = _header(SMALL.detector)
    del header["ESO DET OUT3 OVSCY"]
    with pytest.raises(ValueError, match="keyword 'ESO DET OUT3 OVSCY' is missing"):
        DetectorGeometry.from_header(header)
    with pytest.raises(ValueError, match="found NX=300 NY=256"):
        geometry_for_detector(DetectorGeometry(nx=300, ny=256))


def test_extension_names():
    assert extname(7) == "CHAN07" and ifu_from_extname("CHAN24") == 24
    for bad in ("CHAN25", "CHAN1", "DATA01", "CHANxx"):
        with pytest.raises(ValueError, match="EXTNAME: expected 'CHAN01'...'CHAN24'"):
            ifu_from_extname(bad)
