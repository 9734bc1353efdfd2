"""A signal controller emulator (sans-I/O): a fixed-time ring-and-barrier plan.

The plan runs NEMA-style: each ring serves its phases in order; the phases between two
barriers (a barrier group) of both rings start together, and the ring that finishes first waits
at the barrier (its last phase in the group keeps its green for the difference). Each phase:
green (at least ``green_s``; long enough for walk and pedestrian clearance when the phase has
pedestrian signals), yellow, all-red. Pedestrian phases show walk at the start of the green,
then the pedestrian clearance, then don't walk.

``Emulator.state(t)`` is the controller at ``t`` seconds into the plan, with the times to the
next change that a fixed-time plan knows exactly (min = max). Modes for the HIL faults:
``normal``, ``flash`` (every phase flashing red, ``flash_yellow`` phases flashing yellow,
failure-flash status), ``preempt`` (``preempt_phases`` green, the rest red, preempt status),
``manual`` (normal timing, manual-control status).

```toml
[signals.sim]                   # the defaults: two rings, two barrier groups, four phases
rings = [[2, 4], [6, 8]]        # phase order per ring
barriers = [[2, 6], [4, 8]]     # the phases of each barrier group
pedestrian = [2, 4, 6, 8]       # phases with pedestrian signals
green_s = 10.0                  # minimum green
yellow_s = 3.0
all_red_s = 1.0
walk_s = 4.0
ped_clear_s = 5.0
rate_hz = 10.0                  # TSCBM datagrams per second
```
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Self

from rsu.config.fields import Table
from rsu.errors import ConfigError
from rsu.signals.config import number
from rsu.signals.model import PHASES, Bitmaps, ControllerState, PhaseTimes

MODES = ("normal", "flash", "preempt", "manual")
STATUS_MANUAL, STATUS_FLASH, STATUS_PREEMPT, STATUS_FIXED = 1 << 0, 1 << 2, 1 << 3, 1 << 5


@dataclass(frozen=True, slots=True)
class PlanConfig:
    rings: tuple[tuple[int, ...], ...] = ((2, 4), (6, 8))
    barriers: tuple[tuple[int, ...], ...] = ((2, 6), (4, 8))
    pedestrian: tuple[int, ...] = (2, 4, 6, 8)
    green_s: float = 10.0
    yellow_s: float = 3.0
    all_red_s: float = 1.0
    walk_s: float = 4.0
    ped_clear_s: float = 5.0
    rate_hz: float = 10.0
    flash_yellow: tuple[int, ...] = ()
    preempt_phases: tuple[int, ...] = (2, 6)

    @classmethod
    def from_table(cls, t: Table) -> Self:
        d = cls()

        def phases(key: str, default: tuple[int, ...]) -> tuple[int, ...]:
            values = tuple(t.array(key, list(default), of=int))
            for i, p in enumerate(values):
                if not 1 <= p <= PHASES:
                    raise ConfigError(f"{t.where(key)}[{i}]", f"expected a phase 1..{PHASES}")
            return values

        def groups(key: str, default: tuple[tuple[int, ...], ...]) -> tuple[tuple[int, ...], ...]:
            raw = t.array(key, [list(g) for g in default], of=list)
            out = []
            for i, g in enumerate(raw):
                if not g or not all(isinstance(p, int) and 1 <= p <= PHASES for p in g):
                    raise ConfigError(f"{t.where(key)}[{i}]", f"expected phases 1..{PHASES}")
                out.append(tuple(g))
            return tuple(out)

        cfg = cls(
            rings=groups("rings", d.rings),
            barriers=groups("barriers", d.barriers),
            pedestrian=phases("pedestrian", d.pedestrian),
            green_s=number(t, "green_s", d.green_s, 1.0, 600.0),
            yellow_s=number(t, "yellow_s", d.yellow_s, 0.0, 60.0),
            all_red_s=number(t, "all_red_s", d.all_red_s, 0.0, 60.0),
            walk_s=number(t, "walk_s", d.walk_s, 0.0, 600.0),
            ped_clear_s=number(t, "ped_clear_s", d.ped_clear_s, 0.0, 600.0),
            rate_hz=number(t, "rate_hz", d.rate_hz, 1.0, 50.0),
            flash_yellow=phases("flash_yellow", d.flash_yellow),
            preempt_phases=phases("preempt_phases", d.preempt_phases),
        )
        _check_plan(cfg, t)
        t.done()
        return cfg

    @property
    def phases(self) -> tuple[int, ...]:
        return tuple(p for ring in self.rings for p in ring)


def _check_plan(cfg: PlanConfig, t: Table) -> None:
    in_rings = cfg.phases
    if len(set(in_rings)) != len(in_rings):
        raise ConfigError(t.where("rings"), "a phase is in more than one ring (or twice)")
    in_barriers = [p for g in cfg.barriers for p in g]
    if sorted(in_barriers) != sorted(in_rings):
        raise ConfigError(t.where("barriers"), "every ring phase must be in exactly one barrier")
    where = {p: i for i, g in enumerate(cfg.barriers) for p in g}
    for ring in cfg.rings:
        order = [where[p] for p in ring]
        if order != sorted(order):
            raise ConfigError(t.where("rings"), f"ring {list(ring)} crosses a barrier backwards")
    for key, values in (("pedestrian", cfg.pedestrian), ("flash_yellow", cfg.flash_yellow)):
        if not set(values) <= set(in_rings):
            raise ConfigError(t.where(key), "names a phase that is in no ring")


@dataclass(frozen=True, slots=True)
class Interval:
    """One phase's green in the cycle: [start, green_end), then yellow, then all-red."""

    phase: int
    start: float
    green_end: float
    yellow_end: float
    red_end: float
    walk_end: float | None
    clear_end: float | None


def timeline(plan: PlanConfig) -> tuple[tuple[Interval, ...], float]:
    """Every phase's interval in one cycle, and the cycle length."""
    out: list[Interval] = []
    t0 = 0.0
    change = plan.yellow_s + plan.all_red_s
    for group in plan.barriers:
        runs = [[p for p in ring if p in group] for ring in plan.rings]
        greens = {p: _green(plan, p) for run in runs for p in run}
        length = max(sum(greens[p] + change for p in run) for run in runs if run)
        for run in runs:
            t = t0
            slack = length - sum(greens[p] + change for p in run)
            for i, p in enumerate(run):
                green = greens[p] + (slack if i == len(run) - 1 else 0.0)
                ped = p in plan.pedestrian
                walk_end = t + plan.walk_s if ped else None
                clear_end = t + plan.walk_s + plan.ped_clear_s if ped else None
                out.append(
                    Interval(p, t, t + green, t + green + plan.yellow_s, t + green + change,
                             walk_end, clear_end)
                )  # fmt: skip
                t += green + change
        t0 += length
    return tuple(out), t0


def _green(plan: PlanConfig, phase: int) -> float:
    if phase in plan.pedestrian:
        return max(plan.green_s, plan.walk_s + plan.ped_clear_s)
    return plan.green_s


def _tenths(seconds: float) -> int:
    return max(0, round(seconds * 10))


class Emulator:
    """The plan as a controller: ``state(t)`` at ``t`` seconds since it started."""

    def __init__(self, plan: PlanConfig, mode: str = "normal") -> None:
        self.plan = plan
        self.intervals, self.cycle_s = timeline(plan)
        self.mode = mode
        self.sequence = 0

    def state(
        self, t: float, controller_time: tuple[int, int, int, int] | None = None
    ) -> ControllerState:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}")
        self.sequence = (self.sequence + 1) % 256
        if self.mode == "flash":
            state = self._flash()
        elif self.mode == "preempt":
            state = self._preempt()
        else:
            state = self._run(t % self.cycle_s)
            if self.mode == "manual":
                state = replace(state, status=state.status | STATUS_MANUAL)
        return replace(state, sequence=self.sequence, controller_time=controller_time)

    def _run(self, c: float) -> ControllerState:
        reds = yellows = greens = walks = clears = dont_walks = 0
        blocks: list[PhaseTimes] = []
        for iv in self.intervals:
            b = 1 << (iv.phase - 1)
            if iv.start <= c < iv.green_end:
                greens |= b
                left = iv.green_end - c
            elif iv.green_end <= c < iv.yellow_end:
                yellows |= b
                left = iv.yellow_end - c
            else:
                reds |= b
                left = (iv.start - c) % self.cycle_s
            ped: int | None = None
            if iv.walk_end is not None and iv.clear_end is not None:
                if iv.start <= c < iv.walk_end:
                    walks |= b
                    ped = _tenths(iv.walk_end - c)
                elif iv.walk_end <= c < iv.clear_end:
                    clears |= b
                    ped = _tenths(iv.clear_end - c)
                else:
                    dont_walks |= b
                    ped = _tenths((iv.start - c) % self.cycle_s)
            tenths = _tenths(left)
            blocks.append(PhaseTimes(iv.phase, tenths, tenths, ped, ped))
        maps = Bitmaps(reds, yellows, greens, dont_walks, clears, walks)
        blocks.sort(key=lambda p: p.number)
        return ControllerState(phases=tuple(blocks), maps=maps, status=STATUS_FIXED)

    def _used(self) -> int:
        out = 0
        for p in self.plan.phases:
            out |= 1 << (p - 1)
        return out

    def _flash(self) -> ControllerState:
        used, yellow = self._used(), 0
        for p in self.plan.flash_yellow:
            yellow |= 1 << (p - 1)
        maps = Bitmaps(reds=used & ~yellow, yellows=yellow, flashing=used)
        blocks = tuple(PhaseTimes(p) for p in sorted(self.plan.phases))
        return ControllerState(phases=blocks, maps=maps, status=STATUS_FLASH)

    def _preempt(self) -> ControllerState:
        used, green = self._used(), 0
        for p in self.plan.preempt_phases:
            green |= 1 << (p - 1)
        ped = 0
        for p in self.plan.pedestrian:
            ped |= 1 << (p - 1)
        maps = Bitmaps(reds=used & ~green, greens=green & used, dont_walks=ped)
        blocks = tuple(PhaseTimes(p) for p in sorted(self.plan.phases))
        return ControllerState(phases=blocks, maps=maps, status=STATUS_PREEMPT)
