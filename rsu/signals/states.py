"""From colour outputs to movement states (pure): the eventState rules of both message sets.

Vehicle groups (a phase or an overlap) take the colour the controller drives:

============  ==============================  ==============================
colour        J2735 MovementPhaseState        CSAE 53 LightState
============  ==============================  ==============================
green         protected-/permissive-Movement  protected-/permissive-green
              -Allowed (per group)
green, flash  same as green (J2735 has none)  flashing-green
yellow        protected-/permissive-clearance yellow
yellow, flash caution-Conflicting-Traffic     flashing-yellow
red           stop-And-Remain                 red
red, flash    stop-Then-Proceed               flashing-red
none          dark                            dark
two or more   unavailable                     unavailable
============  ==============================  ==============================

Pedestrian groups follow their phase's pedestrian outputs: walk is movement allowed, the
pedestrian clearance is clearance (CSAE 53: flashing-green, the flashing green man), don't walk
is stop-and-remain (red); none is dark, more than one is unavailable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rsu.signals.config import GroupConfig
from rsu.signals.model import PHASES, ControllerState, bit

J2735_GO = {"protected": "protected-Movement-Allowed", "permissive": "permissive-Movement-Allowed"}
J2735_CLEAR = {"protected": "protected-clearance", "permissive": "permissive-clearance"}
CSAE_GO = {"protected": "protected-green", "permissive": "permissive-green"}


@dataclass(frozen=True, slots=True)
class GroupState:
    """One signal group now: its colour, both standards' state names and its times
    (tenths of a second from receipt, None when unknown)."""

    signal_group: int
    kind: str
    colour: str
    """``green``/``yellow``/``red`` (pedestrian: ``walk``/``clear``/``dont_walk``), ``dark`` or
    ``conflict``."""
    flashing: bool
    j2735: str
    csae: str
    min_tenths: int | None
    max_tenths: int | None


def _vehicle(colour: str, flashing: bool, movement: str) -> tuple[str, str]:
    if colour == "green":
        return J2735_GO[movement], "flashing-green" if flashing else CSAE_GO[movement]
    if colour == "yellow":
        if flashing:
            return "caution-Conflicting-Traffic", "flashing-yellow"
        return J2735_CLEAR[movement], "yellow"
    if colour == "red":
        return ("stop-Then-Proceed", "flashing-red") if flashing else ("stop-And-Remain", "red")
    if colour == "dark":
        return "dark", "dark"
    return "unavailable", "unavailable"


def _pedestrian(colour: str, movement: str) -> tuple[str, str]:
    if colour == "walk":
        return J2735_GO[movement], CSAE_GO[movement]
    if colour == "clear":
        return J2735_CLEAR[movement], "flashing-green"
    if colour == "dont_walk":
        return "stop-And-Remain", "red"
    if colour == "dark":
        return "dark", "dark"
    return "unavailable", "unavailable"


def _pick(names: Sequence[str], on: Sequence[bool]) -> str:
    lit = [n for n, o in zip(names, on, strict=True) if o]
    if not lit:
        return "dark"
    return lit[0] if len(lit) == 1 else "conflict"


def vehicle_colour(state: ControllerState, number: int, overlap: bool = False) -> str:
    m = state.maps
    if overlap:
        maps = (m.overlap_greens, m.overlap_yellows, m.overlap_reds)
    else:
        maps = (m.greens, m.yellows, m.reds)
    return _pick(("green", "yellow", "red"), [bit(b, number) for b in maps])


def pedestrian_colour(state: ControllerState, number: int) -> str:
    m = state.maps
    maps = (m.walks, m.ped_clears, m.dont_walks)
    return _pick(("walk", "clear", "dont_walk"), [bit(b, number) for b in maps])


def group_state(state: ControllerState, group: GroupConfig) -> GroupState:
    times = state.times(group.number)
    m = state.maps
    if group.kind == "pedestrian":
        colour = pedestrian_colour(state, group.number)
        flashing = False
        j2735, csae = _pedestrian(colour, group.movement)
        lo, hi = (times.ped_min, times.ped_max) if times else (None, None)
    else:
        colour = vehicle_colour(state, group.number, group.overlap)
        flashing = bit(m.overlap_flashing if group.overlap else m.flashing, group.number)
        j2735, csae = _vehicle(colour, flashing, group.movement)
        if times is None:
            lo, hi = None, None
        elif group.overlap:
            lo, hi = times.overlap_min, times.overlap_max
        else:
            lo, hi = times.vehicle_min, times.vehicle_max
    return GroupState(group.signal_group, group.kind, colour, flashing, j2735, csae, lo, hi)


def group_states(state: ControllerState, groups: Sequence[GroupConfig]) -> tuple[GroupState, ...]:
    return tuple(group_state(state, g) for g in groups)


def phase_rows(state: ControllerState) -> list[dict[str, object]]:
    """The controller's own phase table (for ``rsu signals listen`` and ``rsu status``):
    every phase or overlap that has an output lit or a timing block."""
    rows: list[dict[str, object]] = []
    m = state.maps
    for n in range(1, PHASES + 1):
        times = state.times(n)
        vehicle = vehicle_colour(state, n)
        ped = pedestrian_colour(state, n)
        overlap = vehicle_colour(state, n, overlap=True)
        if times is None and vehicle == ped == overlap == "dark":
            continue
        rows.append(
            {
                "phase": n,
                "vehicle": vehicle + ("*" if bit(m.flashing, n) else ""),
                "pedestrian": ped,
                "overlap": overlap + ("*" if bit(m.overlap_flashing, n) else ""),
                "min_s": _seconds(times.vehicle_min if times else None),
                "max_s": _seconds(times.vehicle_max if times else None),
                "ped_min_s": _seconds(times.ped_min if times else None),
            }
        )
    return rows


def _seconds(tenths: int | None) -> float | None:
    return None if tenths is None else tenths / 10
