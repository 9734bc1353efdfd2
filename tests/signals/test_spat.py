"""TimeMark and its hour wrap, status bits, and SPaT that our codec encodes and decodes back."""

from __future__ import annotations

import pytest

from rsu.signals import spat
from rsu.signals.config import GroupConfig
from rsu.signals.states import group_states
from rsu.v2x.codec import get_codec
from tests.signals.helpers import state

HOUR = 1_700_000_000.0 - 800.0  # a UTC hour boundary (1_700_000_000 is 800 s into its hour)


def test_tenths_in_hour() -> None:
    assert spat.tenths_in_hour(HOUR) == 0
    assert spat.tenths_in_hour(HOUR + 123.45) == 1234
    assert spat.tenths_in_hour(HOUR + 3599.99) == 35999
    assert spat.tenths_in_hour(HOUR + 3600.0) == 0


@pytest.mark.parametrize(
    ("offset_s", "tenths", "mark"),
    [
        (0.0, 50, 50),
        (3599.0, 5, 35995),
        (3599.5, 10, 5),  # wraps into the next hour
        (3599.9, 1, 0),
        (1800.0, 35999, 17999),
        (10.0, 36000, 36000),  # an hour or more away
        (10.0, 65534, 36000),
        (10.0, None, 36001),  # unknown
        (10.0, -3, 100),
    ],
)
def test_time_mark(offset_s: float, tenths: int | None, mark: int) -> None:
    assert spat.time_mark(HOUR + offset_s, tenths) == mark


def test_countdown_caps_and_unknown() -> None:
    assert spat.countdown(50) == 50
    assert spat.countdown(40000) == 36000
    assert spat.countdown(None) == 36001


def test_status_bits_follow_the_bit_string_order() -> None:
    assert spat.status_bits(0) == "0000"
    assert spat.status_bits(1 << 0) == "8000"  # manualControlIsEnabled is bit 0 (first)
    assert spat.status_bits(1 << 2) == "2000"  # failureFlash
    assert spat.status_bits(1 << 3) == "1000"  # preemptIsActive
    assert spat.status_bits(0xFF) == "FF00"
    assert spat.status_names(0b1001) == ["manualControlIsEnabled", "preemptIsActive"]


def test_moy_and_dsecond() -> None:
    new_year = 1_704_067_200.0  # 2024-01-01T00:00:00Z
    assert spat.moy_and_dsecond(new_year + 61.25) == (1, 1250)
    assert spat.moy_and_dsecond(new_year + 365 * 86400 + 59.9994) == (365 * 1440, 59999)


GROUPS = [
    GroupConfig(2, 2),
    GroupConfig(4, 4, movement="permissive"),
    GroupConfig(12, 2, kind="pedestrian"),
    GroupConfig(22, 1, overlap=True),
]


def test_j2735_spat_round_trips_through_our_codec() -> None:
    utc = HOUR + 3599.5
    s = state(flashing=0b1000)
    value = spat.j2735_intersection((7, 1001), 113, s.status, group_states(s, GROUPS), utc, "Main")
    frame = spat.j2735_frame([value], utc)
    codec = get_codec("j2735")
    back = codec.decode(codec.encode(frame))
    assert back.short_name == "SPAT"
    got = back.value["intersections"][0]
    assert got["id"] == {"region": 7, "id": 1001}
    assert got["revision"] == 113
    assert got["status"] == "0400"  # fixedTimeOperation (bit 5)
    states = {m["signalGroup"]: m["state-time-speed"][0] for m in got["states"]}
    assert states[2] == {
        "eventState": "protected-Movement-Allowed",
        "timing": {"minEndTime": 45, "maxEndTime": 75},  # received at 59:59.5, wrapped
    }
    assert states[4]["eventState"] == "stop-Then-Proceed"
    assert states[12]["timing"] == {"minEndTime": 25, "maxEndTime": 25, "likelyTime": 25}
    assert states[22]["eventState"] == "protected-Movement-Allowed"


def test_region_zero_is_left_out_and_unknown_times_are_36001() -> None:
    s = state()
    gs = group_states(s, [GroupConfig(6, 6)])
    value = spat.j2735_intersection((0, 5), 0, 0, gs, HOUR)
    assert value["id"] == {"id": 5}
    assert value["states"][0]["state-time-speed"][0] == {
        "eventState": "dark",
        "timing": {"minEndTime": 36001},
    }
    get_codec("j2735").encode(spat.j2735_frame([value], HOUR))


def test_csae53_spat_round_trips_through_our_codec() -> None:
    utc = HOUR + 10.0
    s = state(ped_clears=0b10, walks=0)
    value = spat.csae_intersection((0, 1001), s.status, group_states(s, GROUPS), utc)
    frame = spat.csae_frame([value], utc, count=130)
    codec = get_codec("csae53")
    back = codec.decode(codec.encode(frame))
    assert back.short_name == "SPAT"
    top = back.value
    assert top["msgCnt"] == 2
    got = top["intersections"][0]
    assert got["intersectionId"] == {"id": 1001}
    phases = {p["id"]: p["phaseStates"][0] for p in got["phases"]}
    assert phases[2]["light"] == "protected-green"
    assert phases[2]["timing"] == {
        "counting": {"startTime": 0, "minEndTime": 50, "maxEndTime": 80, "likelyEndTime": 50}
    }
    assert phases[4]["light"] == "red"
    assert phases[12]["light"] == "flashing-green"  # the pedestrian clearance


def test_csae53_unknown_times_keep_the_required_likely_end() -> None:
    gs = group_states(state(), [GroupConfig(6, 6)])
    value = spat.csae_intersection((0, 1), 0, gs, HOUR)
    assert value["phases"][0]["phaseStates"][0]["timing"] == {
        "counting": {"startTime": 0, "likelyEndTime": 36001}
    }
    get_codec("csae53").encode(spat.csae_frame([value], HOUR, 0))
