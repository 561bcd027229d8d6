"""Raw-QC monitoring over three nights of ingested raw BIAS files, with one alert."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys

import pytest
from PIL import Image

from awe.trend_plot import trend_png
from muse.datamodel.monitor import raw_qc_trends
from tests.muse.datamodel.test_ingest import write_raw

LAST = dt.date(2014, 7, 3)
# one raw BIAS per night (DATE-OBS no other test uses); the last one is too warm
DATES = {"2014-07-02T10:00:00.001": 11.0, "2014-07-03T10:00:00.001": 12.0,
         "2014-07-04T10:00:00.001": 31.0}


@pytest.fixture
def three_nights(db_session, ingest_raw, tmp_path):
    for date_obs, temperature in DATES.items():
        ingest_raw(write_raw(tmp_path / f"{date_obs}.fits", date_obs=date_obs,
                             temperature=temperature, level=1000))


def test_trends_and_alerts(three_nights, tmp_path, assert_query_count):
    with assert_query_count(3):  # one statement per quantity, over all nights
        trends = raw_qc_trends(LAST, 3)
    temperature, saturated, median = trends
    assert len(temperature.of_night(LAST)) == 24
    assert {value.mean for value in temperature.of_night(LAST)} == {31.0}
    assert {value.night for value in temperature.values} == {LAST - dt.timedelta(d)
                                                             for d in range(3)}
    assert [(alert.night, alert.value) for alert in temperature.alerts] == [(LAST, 31.0)] * 24
    assert "INS TEMP7 VAL = 31.0" in temperature.alerts[0].describe()
    assert not saturated.alerts and not median.alerts
    assert sorted({value.mean for value in median.of_night(LAST)}) == [1001.0 + i
                                                                       for i in range(24)]
    for trend in trends:
        png = trend_png(trend.quantity, trend.values,
                        [(alert.night, alert.value) for alert in trend.alerts], "alert",
                        trend.quantity.label, trend.nights[0], trend.nights[-1])
        with Image.open(io.BytesIO(png)) as image:
            image.verify()
            assert image.format == "PNG"


def test_cli_monitor(tmp_path):
    home = tmp_path / "home"
    files = [str(write_raw(tmp_path / f"{date_obs}.fits", date_obs=date_obs,
                           temperature=temperature)) for date_obs, temperature in DATES.items()]
    environment = {**os.environ, "AWE_HOME": str(home)}

    def awe(*args):
        return subprocess.run([sys.executable, "-m", "awe.cli", *args], capture_output=True,
                              text=True, env=environment, timeout=120)

    assert awe("ingest", "--commit", *files).returncode == 0
    out = tmp_path / "plots"
    result = awe("monitor", "--night", LAST.isoformat(), "--nights", "3", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "IFU 05: mean 31 min 31 max 31 (1 chips)" in result.stdout
    assert "24 alert(s)" in result.stdout
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == 3
    for png in pngs:
        with Image.open(png) as image:
            assert image.format == "PNG" and image.size[0] > 100
