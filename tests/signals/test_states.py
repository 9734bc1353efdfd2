"""Every colour and flash state, for vehicle, overlap and pedestrian groups, both message sets."""

from __future__ import annotations

import pytest

from rsu.signals.config import GroupConfig
from rsu.signals.model import Bitmaps, ControllerState
from rsu.signals.states import group_state, phase_rows

P = 0b100  # phase 3


def vehicle(movement: str = "protected", **maps: int) -> tuple[str, str, str]:
    g = group_state(ControllerState(maps=Bitmaps(**maps)), GroupConfig(7, 3, movement=movement))
    return g.colour, g.j2735, g.csae


@pytest.mark.parametrize(
    ("maps", "movement", "expected"),
    [
        ({"greens": P}, "protected", ("green", "protected-Movement-Allowed", "protected-green")),
        ({"greens": P}, "permissive", ("green", "permissive-Movement-Allowed", "permissive-green")),
        ({"greens": P, "flashing": P}, "protected",
         ("green", "protected-Movement-Allowed", "flashing-green")),
        ({"yellows": P}, "protected", ("yellow", "protected-clearance", "yellow")),
        ({"yellows": P}, "permissive", ("yellow", "permissive-clearance", "yellow")),
        ({"yellows": P, "flashing": P}, "protected",
         ("yellow", "caution-Conflicting-Traffic", "flashing-yellow")),
        ({"reds": P}, "protected", ("red", "stop-And-Remain", "red")),
        ({"reds": P, "flashing": P}, "protected", ("red", "stop-Then-Proceed", "flashing-red")),
        ({}, "protected", ("dark", "dark", "dark")),
        ({"flashing": P}, "protected", ("dark", "dark", "dark")),
        ({"reds": P, "greens": P}, "protected", ("conflict", "unavailable", "unavailable")),
        ({"greens": 0b1011}, "protected", ("dark", "dark", "dark")),  # other phases only
    ],
)  # fmt: skip
def test_vehicle_phase_states(maps: dict[str, int], movement: str, expected: tuple) -> None:
    assert vehicle(movement, **maps) == expected


def test_overlaps_read_the_overlap_outputs_and_flash() -> None:
    g = GroupConfig(9, 3, overlap=True)
    s = ControllerState(maps=Bitmaps(greens=P, overlap_reds=P, overlap_flashing=P))
    got = group_state(s, g)
    assert (got.colour, got.flashing, got.j2735, got.csae) == (
        "red", True, "stop-Then-Proceed", "flashing-red",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("maps", "expected"),
    [
        ({"walks": P}, ("walk", "protected-Movement-Allowed", "protected-green")),
        ({"ped_clears": P}, ("clear", "protected-clearance", "flashing-green")),
        ({"dont_walks": P}, ("dont_walk", "stop-And-Remain", "red")),
        ({"dont_walks": P, "flashing": P}, ("dont_walk", "stop-And-Remain", "red")),
        ({"greens": P}, ("dark", "dark", "dark")),  # vehicle outputs do not drive a ped head
        ({"walks": P, "dont_walks": P}, ("conflict", "unavailable", "unavailable")),
    ],
)
def test_pedestrian_states(maps: dict[str, int], expected: tuple) -> None:
    got = group_state(ControllerState(maps=Bitmaps(**maps)), GroupConfig(8, 3, kind="pedestrian"))
    assert (got.colour, got.j2735, got.csae) == expected


def test_times_come_from_the_block_of_the_groups_kind() -> None:
    from tests.signals.helpers import state

    s = state()
    veh = group_state(s, GroupConfig(2, 2))
    ped = group_state(s, GroupConfig(12, 2, kind="pedestrian"))
    ovl = group_state(s, GroupConfig(22, 2, overlap=True))
    none = group_state(s, GroupConfig(6, 6))
    assert (veh.min_tenths, veh.max_tenths) == (50, 80)
    assert (ped.min_tenths, ped.max_tenths) == (30, 30)
    assert (ovl.min_tenths, ovl.max_tenths) == (40, 40)
    assert (none.min_tenths, none.max_tenths) == (None, None)


def test_phase_rows_list_lit_or_timed_phases_with_flash_marks() -> None:
    s = ControllerState(maps=Bitmaps(reds=0b1, flashing=0b1, walks=0b10, greens=0b10))
    rows = phase_rows(s)
    assert [r["phase"] for r in rows] == [1, 2]
    assert rows[0]["vehicle"] == "red*"
    assert rows[1]["pedestrian"] == "walk"
