"""The fixed-time ring-and-barrier emulator: intervals, times to change, flash and preempt."""

from __future__ import annotations

from rsu.signals import tscbm
from rsu.signals.emulator import Emulator, PlanConfig, timeline
from rsu.signals.model import bit
from rsu.signals.states import pedestrian_colour, vehicle_colour

PLAN = PlanConfig(green_s=10.0, yellow_s=3.0, all_red_s=1.0, walk_s=4.0, ped_clear_s=5.0)


def colours(e: Emulator, t: float, phases: tuple[int, ...] = (2, 4, 6, 8)) -> dict[int, str]:
    s = e.state(t)
    return {p: vehicle_colour(s, p) for p in phases}


def test_cycle_is_the_sum_of_the_barrier_groups() -> None:
    intervals, cycle = timeline(PLAN)
    assert cycle == 2 * (10.0 + 3.0 + 1.0)
    by_phase = {iv.phase: iv for iv in intervals}
    assert by_phase[2].start == by_phase[6].start == 0.0  # same barrier group start together
    assert by_phase[4].start == by_phase[8].start == 14.0


def test_green_yellow_all_red_then_the_other_barrier_group() -> None:
    e = Emulator(PLAN)
    assert colours(e, 5.0) == {2: "green", 4: "red", 6: "green", 8: "red"}
    assert colours(e, 11.0) == {2: "yellow", 4: "red", 6: "yellow", 8: "red"}
    assert colours(e, 13.5) == {2: "red", 4: "red", 6: "red", 8: "red"}  # all red
    assert colours(e, 15.0) == {2: "red", 4: "green", 6: "red", 8: "green"}
    assert colours(e, 28.0 + 5.0) == colours(e, 5.0)  # the next cycle


def test_fixed_time_knows_each_change_exactly() -> None:
    s = Emulator(PLAN).state(2.5)
    p2, p4 = s.times(2), s.times(4)
    assert p2 is not None
    assert p4 is not None
    assert (p2.vehicle_min, p2.vehicle_max) == (75, 75)  # green ends at 10.0 s
    assert (p4.vehicle_min, p4.vehicle_max) == (115, 115)  # red until its green at 14.0 s
    assert p2.ped_min == 15  # walk ends at 4.0 s


def test_pedestrian_walk_clearance_dont_walk() -> None:
    e = Emulator(PLAN)
    assert pedestrian_colour(e.state(1.0), 2) == "walk"
    assert pedestrian_colour(e.state(6.0), 2) == "clear"
    assert pedestrian_colour(e.state(9.5), 2) == "dont_walk"
    assert pedestrian_colour(e.state(1.0), 4) == "dont_walk"


def test_a_short_ring_waits_at_the_barrier() -> None:
    plan = PlanConfig(rings=((1, 2, 3, 4), (5, 6, 7, 8)), barriers=((1, 2, 5), (3, 4, 6, 7, 8)),
                      pedestrian=())  # fmt: skip
    intervals, cycle = timeline(plan)
    by_phase = {iv.phase: iv for iv in intervals}
    assert by_phase[5].red_end == by_phase[2].red_end  # ring 2 holds phase 5 to the barrier
    assert by_phase[3].start == by_phase[6].start
    assert cycle == 14.0 * 2 + 14.0 * 3


def test_flash_preempt_and_manual_modes() -> None:
    e = Emulator(PlanConfig(flash_yellow=(2, 6)))
    e.mode = "flash"
    s = e.state(0.0)
    assert s.status & 0b100
    assert all(bit(s.maps.flashing, p) for p in (2, 4, 6, 8))
    assert vehicle_colour(s, 2) == "yellow"
    assert vehicle_colour(s, 4) == "red"
    assert s.times(2) is not None
    assert s.times(2).vehicle_min is None
    e.mode = "preempt"
    s = e.state(0.0)
    assert s.status & 0b1000
    assert vehicle_colour(s, 2) == "green"
    assert vehicle_colour(s, 4) == "red"
    e.mode = "manual"
    assert e.state(0.0).status & 1


def test_every_state_is_a_valid_tscbm_and_the_sequence_counts() -> None:
    e = Emulator(PLAN)
    seqs = []
    for i in range(300):
        s = e.state(i * 0.1, (1, 2, 3, 4))
        assert tscbm.parse(tscbm.build(s, pedestrian=True)).maps == s.maps
        seqs.append(s.sequence)
    assert seqs[:3] == [1, 2, 3]
    assert seqs[255] == 0
