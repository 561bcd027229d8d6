"""Arcs, science frames and static calibrations of the simulated night, and their truth."""

import filecmp
import json
import shutil
import subprocess
from dataclasses import replace

import numpy as np
import pytest
from astropy.io import fits

from muse.instrument import simulate_night
from muse.instrument.light import LightSources
from muse.instrument.statics import STATIC_FILES
from muse.instrument.truth import render_raw
from muse.recipes.sof import classify_header

FITSVERIFY = shutil.which("fitsverify") or "/usr/bin/fitsverify"


@pytest.fixture(scope="module")
def truth(small_night):
    return small_night.load_truth()


def verify(path):
    report = subprocess.run([FITSVERIFY, str(path)], capture_output=True, text=True)
    assert report.returncode == 0 and "found 0 warning(s) and 0 error(s)" in report.stdout, (
        report.stdout)


def test_the_default_night_has_arcs_science_and_statics(small_night):
    assert len(small_night.arc_files) >= 3 and len(small_night.object_files) >= 1
    assert set(small_night.statics) == set(STATIC_FILES)
    lamps = []
    for path in small_night.arc_files:
        header = fits.getheader(path)
        on = [header[f"HIERARCH ESO INS LAMP{n} NAME"] for n in range(1, 7)
              if header[f"HIERARCH ESO INS LAMP{n} ST"] and header[f"HIERARCH ESO INS SHUT{n} ST"]]
        lamps.append(tuple(on))
        assert header["ARCFILE"] == path.name and header["HIERARCH ESO DPR TYPE"] == "WAVE"
    assert lamps == [("CU-LAMP3",), ("CU-LAMP4",), ("CU-LAMP5",)]
    science = fits.getheader(small_night.object_files[0])
    assert science["HIERARCH ESO DPR CATG"] == "SCIENCE" and science["OBJECT"] == "HUDF-SIM"
    assert science["EXPTIME"] > 0 and science["HIERARCH ESO TEL AIRM START"] == 1.2


def test_every_file_is_classified(small_night):
    expected = {**{p: "ARC" for p in small_night.arc_files},
                **{p: "OBJECT" for p in small_night.object_files},
                **{p: "BIAS" for p in small_night.bias_files},
                **{p: "FLAT" for p in small_night.flat_files},
                **{p: catg for catg, p in small_night.statics.items()}}
    assert sorted(expected) == sorted(small_night.directory.glob("*.fits"))
    for path, category in expected.items():
        assert classify_header(fits.getheader(path)) == category, path


def test_statics_pass_fitsverify_and_predate_the_night(small_night):
    for path in [*small_night.statics.values(), small_night.arc_files[0],
                 small_night.object_files[0]]:
        verify(path)
    for catg, path in small_night.statics.items():
        header = fits.getheader(path)
        assert header["HIERARCH ESO PRO CATG"] == catg
        assert header["DATE-OBS"] < small_night.night.isoformat()
    with fits.open(small_night.statics["LINE_CATALOG"]) as catalog:
        assert catalog[0].header["VERSION"] == 3
        assert catalog[1].columns["lambda"].format == "E"
        assert np.all(np.diff(catalog[1].data["lambda"]) > 0)
    geometry = fits.getdata(small_night.statics["GEOMETRY_TABLE"], 1)
    assert len(geometry) == 1152 and sorted(set(geometry["SliceSky"])) == list(range(1, 49))
    with fits.open(small_night.statics["FILTER_LIST"]) as filters:
        assert "white" in [hdu.name.lower() for hdu in filters[1:]]


def test_arc_pixels_follow_the_truth(small_night, truth):
    path = small_night.arc_files[0]
    ifu = 3
    frame = truth.frame(path)
    assert frame.lamp == 3 and frame.kind == "ARC"
    expected = truth.expected_raw(path, ifu)
    bias = render_raw(truth.model, ifu, replace(frame, lamp_scale=0.0),
                      bias_image=truth.ifu(ifu).bias_image(truth.geometry.detector),
                      flat_rate=None)
    found = fits.getdata(path, f"CHAN{ifu:02d}").astype(np.float64)
    port = truth.ifu(ifu).port(1)
    window = truth.geometry.detector.data_window(1)
    signal = (expected - bias)[window]
    assert signal.max() > 1000
    noise = np.sqrt(signal / port.gain + port.ron_adu**2 + 1 / 12)
    pulls = ((found - expected)[window]) / noise
    assert abs(pulls.mean()) < 0.05 and 0.95 < pulls.std() < 1.05
    data = json.loads((small_night.truth_directory / "wavelength.json").read_text())
    assert len(data["dispersion"]["ifus"]) == 24 and len(data["dispersion"]["ifus"][0]) == 48
    light = LightSources.load(truth.model, small_night.truth_directory)
    assert light.dispersion == LightSources.build(truth.model).dispersion
    scene = json.loads((small_night.truth_directory / "scene.json").read_text())
    assert scene["wcs"]["CTYPE1"] == "RA---TAN" and len(scene["stars"]) == 3


def test_the_science_frame_sees_the_scene(small_night, truth):
    path = small_night.object_files[0]
    light = LightSources.load(truth.model, small_night.truth_directory)
    rate = light.rate("OBJECT", None, 12, np.asarray(truth.pixel_response(12)))
    # the [OIII] 5007 line of the galaxy at z = 0.05 in the slices crossing its centre
    assert rate.max() > 0.5 and np.isfinite(rate).all()
    expected = truth.expected_raw(path, 12)
    found = fits.getdata(path, "CHAN12").astype(np.float64)
    assert abs(np.mean(found - expected)) < 0.2


def test_same_seed_same_bytes(small_night, tmp_path):
    # arcs and science alone, written again: the same bytes as in the whole night
    again = simulate_night(small_night.night, tmp_path, seed=small_night.seed,
                           counts={"ARC": 3, "OBJECT": 1})
    truth = f"truth-{small_night.night.isoformat()}"
    names = [p.name for p in again.arc_files + again.object_files
             + list(again.statics.values())]
    assert names == [p.name for p in small_night.arc_files + small_night.object_files
                     + list(small_night.statics.values())]
    for name in [*names, f"{truth}/wavelength.json", f"{truth}/scene.json"]:
        assert filecmp.cmp(small_night.directory / name, tmp_path / name, shallow=False), name
    with fits.open(again.statics["LINE_CATALOG"], checksum=True) as hdul:
        assert all(hdu.verify_checksum() == 1 for hdu in hdul)
