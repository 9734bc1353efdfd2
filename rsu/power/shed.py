"""The brown-out shed order (sans-I/O): state of charge in, steps shed or restored out.

Three steps, named after their config keys in ``[power.shed]`` and shed in this order as the
battery drains (restored in the reverse order as it recovers):

- ``camera`` (``camera_below``): camera inference stops;
- ``uplink`` (``uplink_below``): the uplink sends only events and alarms, the rest waits in
  the spool;
- ``essential`` (``essential_below``): only the safety broadcasts (SPaT, MAP, TIM/RSI) and
  the radio stay on.

A step is shed when the SoC falls *below* its threshold and restored only once the SoC is
back at ``threshold + hysteresis`` or more, so a battery hovering around a threshold does not
flap. On grid power (a UPS on line) nothing is shed: the box is not running on its battery.
An unknown SoC (source lost, absurd reading) changes nothing: the steps stay as they were.

>>> order = ShedOrder(ShedSettings())
>>> [c.step for c in order.update(38.0, on_grid=False)]
['camera']
>>> [c.step for c in order.update(14.0, on_grid=False)]
['uplink', 'essential']
>>> order.update(None, on_grid=False), order.shed
([], ('camera', 'uplink', 'essential'))
>>> [(c.step, c.state) for c in order.update(21.0, on_grid=False)]
[('essential', 'restored')]
>>> [c.step for c in order.update(50.0, on_grid=True)]
['uplink', 'camera']
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

STEPS = ("camera", "uplink", "essential")
"""The steps, in the order they are shed."""

ESSENTIAL_TYPES = frozenset({"SPAT", "MAP", "TIM", "RSI"})
"""What still goes on the air at the ``essential`` step (message types of the broadcast
table: J2735 SPaT/MAP/TIM, CSAE 53 SPAT/MAP/RSI)."""

UPLINK_STREAMS = frozenset({"events", "alarms"})
"""What the uplink still sends at the ``uplink`` step (spool stream names)."""


@dataclass(frozen=True, slots=True)
class ShedSettings:
    """``[power.shed]``: thresholds in percent state of charge (0 turns a step off)."""

    camera_below: float = 40.0
    uplink_below: float = 25.0
    essential_below: float = 15.0
    hysteresis: float = 5.0
    """Percent above its threshold a step's SoC must be back at before it is restored."""

    def threshold(self, step: str) -> float:
        return float(getattr(self, f"{step}_below"))

    def problem(self) -> str | None:
        """Why these settings make no shed *order* (None: they do)."""
        on = [(s, self.threshold(s)) for s in STEPS if self.threshold(s) > 0]
        for (a, ta), (b, tb) in pairwise(on):
            if tb > ta:
                return f"{b}_below ({tb:g}) is above {a}_below ({ta:g}): steps shed in order"
        return None


@dataclass(frozen=True, slots=True)
class ShedChange:
    """One step shed or restored, with why (for the log line, the alarm and the record)."""

    step: str
    state: Literal["shed", "restored"]
    soc: float
    threshold: float
    on_grid: bool = False

    @property
    def reason(self) -> str:
        if self.state == "restored" and self.on_grid:
            return f"on grid power (SoC {self.soc:.0f} %)"
        sign = "<" if self.state == "shed" else ">="
        return f"SoC {self.soc:.0f} % {sign} {self.threshold:g} %"


class ShedOrder:
    """Which steps are shed now; ``update`` with each new reading returns what changed."""

    def __init__(self, settings: ShedSettings) -> None:
        self.settings = settings
        self._shed: set[str] = set()
        self.changes = 0

    @property
    def shed(self) -> tuple[str, ...]:
        """The steps shed now, in shed order."""
        return tuple(s for s in STEPS if s in self._shed)

    def is_shed(self, step: str) -> bool:
        return step in self._shed

    def update(self, soc: float | None, *, on_grid: bool) -> list[ShedChange]:
        """The steps that change for this SoC (None: unknown, nothing changes): sheds in
        shed order, restores in the reverse order."""
        if soc is None:
            return []
        out: list[ShedChange] = []
        cfg = self.settings
        for step in reversed(STEPS):  # restore the deepest step first
            threshold = cfg.threshold(step)
            if step in self._shed and (
                on_grid or threshold <= 0 or soc >= threshold + cfg.hysteresis
            ):
                self._shed.discard(step)
                out.append(ShedChange(step, "restored", soc, threshold, on_grid))
        for step in STEPS:
            threshold = cfg.threshold(step)
            if step not in self._shed and not on_grid and threshold > 0 and soc < threshold:
                self._shed.add(step)
                out.append(ShedChange(step, "shed", soc, threshold))
        self.changes += len(out)
        return out
