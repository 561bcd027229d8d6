"""Ingest of raw MUSE files and static calibrations (small FITS files written here).

The database is shared by the tests of a session: each test gives its files DATE-OBS values
(so ARCFILE names) no other test uses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from prov.model import ProvDocument

from muse.datamodel import (
    GeometryTable,
    LineCatalog,
    RawArc,
    RawBias,
    RawBiasChip,
    RawChip,
    RawDark,
    RawFlat,
    RawFrame,
    RawIllum,
    RawMask,
    RawOther,
    RawScience,
    RawSky,
    RawStd,
    RawTwilight,
)
from muse.datamodel.extract import hdu_ranges
from muse.datamodel.ingest import ingest_file, ingest_files, inspect_file
from muse.layout import N_IFUS

SHAPE = (8, 10)


def write_raw(path: Path, *, date_obs: str = "2015-02-10T11:30:04.035", catg: str = "CALIB",
              dpr_type: str = "BIAS", tpl: str | None = None, level: int = 1000,
              saturated: int = 0, temperature: float | None = 11.3, drop: tuple[str, ...] = (),
              instrument: str = "MUSE", shape: tuple[int, int] = SHAPE,
              dtype: type = np.uint16) -> Path:
    """A tiny raw MUSE file: a primary header and 24 16-bit CHANnn extensions."""
    primary = fits.Header()
    cards = {"INSTRUME": instrument, "ARCFILE": f"MUSE.{date_obs}.fits", "DATE-OBS": date_obs,
             "EXPTIME": 0.0, "HIERARCH ESO DPR CATG": catg,
             "HIERARCH ESO DPR TYPE": dpr_type, "HIERARCH ESO DPR TECH": "IFU",
             "HIERARCH ESO DET READ CURID": 1}
    if tpl:
        cards["HIERARCH ESO TPL ID"] = tpl
    if temperature is not None:
        cards["HIERARCH ESO INS TEMP7 VAL"] = temperature
    for key, value in cards.items():
        if key.removeprefix("HIERARCH ") not in drop:
            primary[key] = value
    hdus = [fits.PrimaryHDU(header=primary)]
    for ifu in range(1, N_IFUS + 1):
        data = np.full(shape, level + ifu, dtype=dtype)
        data.ravel()[:saturated] = np.iinfo(dtype).max
        hdu = fits.ImageHDU(data, name=f"CHAN{ifu:02d}")
        hdu.header["HIERARCH ESO DET CHIP NAME"] = f"MUSE-CCD{ifu:02d}"
        hdu.header["HIERARCH ESO DET OUT1 GAIN"] = 1.1
        hdu.header["HIERARCH ESO DET OUT2 RON"] = 2.9
        hdus.append(hdu)
    fits.HDUList(hdus).writeto(path)
    return path


# (DPR CATG, DPR TYPE, TPL ID) → class, DO.CATG: every row of MUSE-FORMATS §1
CLASSIFICATION = [
    ("CALIB", "BIAS", None, RawBias, "BIAS"),
    ("CALIB", "DARK", None, RawDark, "DARK"),
    ("CALIB", "FLAT,LAMP", "MUSE_wfm_cal_specflat", RawFlat, "FLAT"),
    ("CALIB", "FLAT,LAMP,ILLUM", "MUSE_wfm_cal_illum", RawIllum, "ILLUMFLAT"),
    ("CALIB", "FLAT,SKY", None, RawTwilight, "SKYFLAT"),
    ("CALIB", "WAVE", None, RawArc, "ARC"),
    ("CALIB", "WAVE,LSF", None, RawOther, "ARC_LSF"),
    ("CALIB", "WAVE,MASK", None, RawMask, "MASK"),
    ("CALIB", "STD", None, RawStd, "STD"),
    ("CALIB", "ASTROMETRY", None, RawOther, "ASTROMETRY"),
    ("SCIENCE", "SKY", None, RawSky, "SKY"),
    ("SCIENCE", "OBJECT", None, RawScience, "OBJECT"),
    ("CALIB", "BIAS,DETCHECK", None, RawOther, "LINGAIN_LAMP_OFF"),
    ("TECHNICAL", "FLAT,LAMP,THRUPUT", None, RawOther, "AMPL"),
    ("TEST", "ACQUISITION", None, RawOther, "OTHER"),
]


@pytest.mark.parametrize(("catg", "dpr_type", "tpl", "cls", "do_catg"), CLASSIFICATION)
def test_classification_follows_the_do_catg_table(tmp_path, catg, dpr_type, tpl, cls, do_catg):
    inspected = inspect_file(write_raw(tmp_path / "raw.fits", catg=catg, dpr_type=dpr_type,
                                       tpl=tpl))
    assert (inspected.cls, inspected.category) == (cls, do_catg)
    assert len(inspected.chips) == (N_IFUS if cls.chip_class else 0)


@pytest.mark.parametrize(("date_obs", "night"), [
    ("2016-03-15T20:39:59.999", dt.date(2016, 3, 14)),
    ("2016-03-15T20:40:00.000", dt.date(2016, 3, 15)),
    ("2017-01-01T03:00:00.000", dt.date(2016, 12, 31)),
])
def test_night_boundaries(tmp_path, date_obs, night):
    inspected = inspect_file(write_raw(tmp_path / "raw.fits", date_obs=date_obs))
    assert inspected.values["night"] == night
    assert {chip["night"] for chip in inspected.chips} == {night}


def test_raw_qc_flags_saturation_and_temperature(tmp_path):
    good = inspect_file(write_raw(tmp_path / "good.fits", level=1000, saturated=3))
    chip = good.chips[4]
    assert (chip["saturated_pixels"], chip["median_level"], chip["quality_flags"]) == \
        (3, 1005.0, 0)
    hot = inspect_file(write_raw(tmp_path / "hot.fits", temperature=30.0))
    bits = RawChip.quality_bits
    assert {c["quality_flags"] for c in hot.chips} == {1 << bits["temperature"]}
    unknown = inspect_file(write_raw(tmp_path / "none.fits", temperature=None))
    assert "INS_TEMP7_VAL" not in unknown.chips[0] and unknown.chips[0]["quality_flags"] == 0


def test_flagged_chips_are_committed_and_selectable_only_when_overridden(db_session, tmp_path):
    path = write_raw(tmp_path / "sat.fits", date_obs="2015-02-11T10:00:00.000", saturated=10001,
                     shape=(101, 100))
    frame = ingest_file(path, commit_it=True).obj
    chip = frame.chip(3)
    assert chip.saturated_pixels == 10001
    assert chip.quality_flags == 1 << RawChip.quality_bits["saturated"]
    assert not chip.is_selectable
    selectable = RawBiasChip.selectable() & (RawBiasChip.raw_frame == frame)
    assert chip not in list(selectable)
    chip.override_qc("saturation on a bias: a test pattern, checked by hand")
    assert chip in list(selectable) and chip.is_selectable
    other = frame.chip(4)
    other.set_valid(0, "bad column")
    assert other not in list(RawBiasChip.selectable() & (RawBiasChip.raw_frame == frame))


def test_ingest_records_frame_and_chips_and_is_idempotent(db_session, tmp_path):
    path = write_raw(tmp_path / "some-name.fits", date_obs="2016-05-01T10:00:00.000")
    arcfile = "MUSE.2016-05-01T10:00:00.000.fits"
    checked = ingest_file(path)
    assert checked.status == "checked" and len(arcfile == RawFrame.ARCFILE) == 0
    result = ingest_file(path, commit_it=True)
    frame = result.obj
    assert result.status == "ingested" and isinstance(frame, RawBias)
    assert frame.filename == arcfile and db_session.store.exists(arcfile)
    assert frame.checksum == hashlib.sha256(path.read_bytes()).hexdigest()
    assert frame.night == dt.date(2016, 4, 30) and frame.do_catg == "BIAS"
    assert frame.OBS_ID is None  # optional keywords absent: NULL
    primary, ranges = hdu_ranges(path)
    assert frame.primary_size == primary.size
    chips = list(RawBiasChip.raw_frame == frame)
    assert [c.ifu for c in chips] == list(range(1, N_IFUS + 1))
    chip = frame.chip(7)
    assert (chip.hdu_offset, chip.hdu_size) == (ranges[7].offset, ranges[7].size)
    assert (chip.DET_CHIP_NAME, chip.DET_OUT1_GAIN, chip.DET_OUT2_RON, chip.DET_OUT3_GAIN) == \
        ("MUSE-CCD07", 1.1, 2.9, None)
    assert len(RawBiasChip.night == dt.date(2016, 4, 30)) == N_IFUS
    assert list(RawBiasChip.of_night(dt.date(2016, 4, 30), 7)) == [chip]
    assert list(RawBiasChip.of_exposure(frame.exposure)) == chips
    chip.set_valid(0, "cosmetic defect")
    assert list(RawBiasChip.of_night(dt.date(2016, 4, 30), 7)) == []
    assert list(RawBiasChip.of_night(dt.date(2016, 4, 30), 7, selectable_only=False)) == [chip]
    again = ingest_file(path, commit_it=True)
    assert again.status == "present" and again.obj == frame
    other = write_raw(tmp_path / "same-arcfile.fits", date_obs="2016-05-01T10:00:00.000",
                      level=2000)
    clash = ingest_file(other)
    assert clash.status == "refused" and f"store name {arcfile}" in clash.message
    assert len(arcfile == RawFrame.ARCFILE) == 1 and len(RawChip.raw_frame == frame) == N_IFUS


def _truncated(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) - 4000])
    return path


BAD = [
    ("truncated", lambda p: _truncated(write_raw(p)), "truncated"),
    ("not FITS", lambda p: p.write_text("SIMPLE? no") and p, "not a FITS file"),
    ("not MUSE", lambda p: write_raw(p, instrument="FORS2"), "'INSTRUME': expected 'MUSE'"),
    ("no ARCFILE", lambda p: write_raw(p, drop=("ARCFILE",)), "'ARCFILE'"),
    ("no DPR TECH", lambda p: write_raw(p, drop=("ESO DPR TECH",)), "'ESO DPR TECH'"),
    ("signed pixels", lambda p: write_raw(p, dtype=np.int16), "[CHAN01]: keywords 'BZERO'"),
]


@pytest.mark.parametrize(("case", "make", "reason"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_are_refused_naming_the_file(db_session, tmp_path, case, make, reason):
    path = make(tmp_path / "bad.fits")
    day = 1 + [b[0] for b in BAD].index(case)
    good = write_raw(tmp_path / "good.fits", date_obs=f"2016-06-{day:02d}T12:00:00.000")
    results = ingest_files([path, good], commit_it=True)
    assert [r.status for r in results] == ["refused", "ingested"]
    assert str(path) in results[0].message and reason in results[0].message
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert len(RawFrame.checksum == digest) == 0
    assert not db_session.store.exists("MUSE.2015-02-10T11:30:04.035.fits")


def test_static_calibrations_are_valid_from_their_date(db_session, tmp_path):
    def write(name: str, catg: str, date_obs: str | None, payload: int) -> Path:
        header = fits.Header({"INSTRUME": "MUSE", "HIERARCH ESO PRO CATG": catg})
        if date_obs:
            header["DATE-OBS"] = date_obs
        table = fits.BinTableHDU.from_columns([fits.Column("x", "J", array=[payload])])
        fits.HDUList([fits.PrimaryHDU(header=header), table]).writeto(tmp_path / name)
        return tmp_path / name

    old = ingest_file(write("a.fits", "LINE_CATALOG", "2014-01-01T00:00:00", 1),
                      commit_it=True).obj
    new = ingest_file(write("b.fits", "LINE_CATALOG", "2016-01-01T00:00:00", 2),
                      commit_it=True).obj
    assert isinstance(old, LineCatalog) and old.timestamp_end is None
    assert old.filename == f"LINE_CATALOG.{old.checksum[:16]}.fits"
    assert LineCatalog.select_for_date(dt.datetime(2015, 6, 1)) == old
    assert LineCatalog.select_for_date(dt.datetime(2016, 6, 1)) == new
    undated = ingest_file(write("g.fits", "GEOMETRY_TABLE", None, 3), commit_it=True).obj
    assert isinstance(undated, GeometryTable)
    assert abs(undated.timestamp_start - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < \
        dt.timedelta(minutes=5)
    new.set_valid(0, "wrong line list")
    assert LineCatalog.select_for_date(dt.datetime(2016, 6, 1)) == old
    refused = ingest_file(write("m.fits", "MASTER_BIAS", None, 4), commit_it=True)
    assert refused.status == "refused" and "'ESO PRO CATG'" in refused.message


def _awe(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "AWE_HOME": str(home),
                   "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    return subprocess.run([sys.executable, "-m", "awe.cli", *args], capture_output=True,
                          text=True, env=environment, timeout=120)


def test_cli_ingest_find_retrieve(tmp_path):
    home = tmp_path / "home"
    bias = write_raw(tmp_path / "bias.fits", date_obs="2016-03-15T11:30:04.035")
    flat = write_raw(tmp_path / "flat.fits", date_obs="2016-03-15T12:00:00.000", catg="CALIB",
                     dpr_type="FLAT,LAMP", tpl="MUSE_wfm_cal_specflat", level=5000)
    junk = tmp_path / "junk.fits"
    junk.write_text("not fits")
    checked = _awe(home, "ingest", str(bias), str(flat), str(junk))
    assert checked.returncode == 1 and f"{junk}: not a FITS file" in checked.stderr
    assert "checked" in checked.stdout and "2 checked, 1 refused" in checked.stdout
    ingested = _awe(home, "ingest", "--commit", "--privileges", "2", str(bias), str(flat))
    assert ingested.returncode == 0, ingested.stderr
    assert "2 ingested" in ingested.stdout
    found = _awe(home, "find", "RawFlatChip", "ifu=5", "night=2016-03-14")
    assert found.returncode == 0, found.stderr
    assert "RawFlatChip" in found.stdout and "1 object(s)" in found.stdout
    chip_id = found.stdout.split()[0]
    prov = tmp_path / "chip.prov.json"
    lineage = _awe(home, "lineage", chip_id, "--prov", str(prov))
    assert lineage.returncode == 0, lineage.stderr
    assert lineage.stdout.splitlines()[:2] == [
        f"RawFlatChip {chip_id} (ifu=5, night=2016-03-14)",
        f"  RawFlat {int(chip_id, 0) - 5:#018x} MUSE.2016-03-15T12:00:00.000.fits "
        "(night=2016-03-14)"]
    document = ProvDocument.deserialize(content=prov.read_text(), format="json")
    kinds = sorted(record.get_type().localpart for record in document.get_records())
    assert kinds == ["Activity", "Derivation", "Entity", "Entity", "Generation", "Usage"]
    frames = _awe(home, "find", "RawFrame", "do_catg=BIAS")
    assert "MUSE.2016-03-15T11:30:04.035.fits" in frames.stdout
    assert "privileges=2" in frames.stdout
    frame_id = frames.stdout.split()[0]
    out = tmp_path / "out"
    by_id = _awe(home, "retrieve", frame_id, "--out", str(out))
    assert by_id.returncode == 0, by_id.stderr
    fetched = out / "MUSE.2016-03-15T11:30:04.035.fits"
    assert fetched.read_bytes() == bias.read_bytes()
    missing = _awe(home, "retrieve", "nothing.fits")
    assert missing.returncode == 1 and "nothing.fits" in missing.stderr
    wrong = _awe(home, "find", "RawFrame", "night=yesterday")
    assert wrong.returncode == 1 and "RawFrame.night: expected a date" in wrong.stderr


def test_cli_ingest_and_retrieve_through_a_data_server(tmp_path, alice_data_server):
    _, environment = alice_data_server
    home = tmp_path / "home"
    bias = write_raw(tmp_path / "bias.fits", date_obs="2016-03-15T11:30:04.035")

    def awe(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "awe.cli", *args], capture_output=True,
                              text=True, timeout=120,
                              env={**os.environ, "AWE_HOME": str(home), **environment,
                                   "PYTHONPATH": str(Path(__file__).resolve().parents[3])})

    ingested = awe("ingest", "--commit", str(bias))
    assert ingested.returncode == 0, ingested.stderr
    name = "MUSE.2016-03-15T11:30:04.035.fits"
    assert (tmp_path / "server" / "files").exists()
    assert list((tmp_path / "server" / "files").rglob(name)), "the file is on the data server"
    assert not (home / "store").exists(), "nothing went to the local store"
    found = awe("find", "RawFrame", f"filename={name}")
    assert found.returncode == 0 and "1 object(s)" in found.stdout, found.stderr
    out = tmp_path / "out"
    fetched = awe("retrieve", name, "--out", str(out))
    assert fetched.returncode == 0, fetched.stderr
    assert (out / name).read_bytes() == bias.read_bytes()
