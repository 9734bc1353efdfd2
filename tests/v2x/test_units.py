"""The units view turns wire units into the units people read."""

from __future__ import annotations

import pytest

from rsu.v2x.codec import get_codec
from rsu.v2x.units import to_units
from tests.v2x.vectors import load


def test_bsm_core_data_in_degrees_metres_and_metres_per_second() -> None:
    frame = next(f for f in load("j2735_real.jsonl") if f["messageId"] == 20)
    core = frame["value"]["value"]["coreData"]
    view = to_units(get_codec("j2735").decode(bytes.fromhex(frame["hex"])).jer())
    units = view["value"]["coreData"]
    assert units["lat_deg"] == pytest.approx(core["lat"] / 1e7)
    assert units["long_deg"] == pytest.approx(core["long"] / 1e7)
    assert units["elev_m"] == pytest.approx(core["elev"] / 10)
    speed = core["speed"]
    assert units["speed_mps"] == (None if speed == 8191 else pytest.approx(speed * 0.02))
    assert units["accelSet"]["lat_mps2"] == (
        None if core["accelSet"]["lat"] == 2001 else pytest.approx(core["accelSet"]["lat"] / 100)
    )
    assert units["size"]["width_m"] == pytest.approx(core["size"]["width"] / 100)


def test_unavailable_values_become_null_and_unknown_members_stay() -> None:
    view = to_units({"heading": 28800, "speed": 8191, "lat": 900000001, "msgCnt": 3})
    assert view == {"heading_deg": None, "speed_mps": None, "lat_deg": None, "msgCnt": 3}


def test_utc_time_becomes_iso_8601() -> None:
    stamp = {"year": 2026, "month": 11, "day": 25, "hour": 15, "minute": 41, "second": 30500}
    assert to_units({"utcTime": stamp}) == {"utcTime_iso": "2026-11-25T15:41:30.500Z"}


def test_the_input_is_not_changed() -> None:
    value = {"coreData": {"lat": 1, "accelSet": {"lat": 5}}}
    to_units(value)
    assert value == {"coreData": {"lat": 1, "accelSet": {"lat": 5}}}
