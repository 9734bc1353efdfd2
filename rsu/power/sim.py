"""The sim battery: drains on its load, charges from a solar panel (``[power.sim]``).

A first-class source (``rsu demo``, the HIL battery-drain scenario), not a test mock: its
state of charge follows the clock it is given, ``speed`` simulated seconds per real second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rsu.power.config import SimConfig
from rsu.power.model import PowerReading
from rsu.power.sources import runtime_min

if TYPE_CHECKING:
    from rsu.clock import Clock
    from rsu.power.config import PowerConfig

NOMINAL_V = 48.0


class SimBattery:
    name = "sim"

    def __init__(self, config: PowerConfig, clock: Clock) -> None:
        self.cfg = config.sim or SimConfig()
        self.clock = clock
        self.soc = self.cfg.start_soc
        self._last = clock.monotonic()

    def read(self) -> PowerReading:
        now = self.clock.monotonic()
        hours = (now - self._last) * self.cfg.speed / 3600.0
        self._last = now
        net_w = self.cfg.solar_w - self.cfg.load_w  # positive: charging
        self.soc = min(100.0, max(0.0, self.soc + net_w * hours / self.cfg.capacity_wh * 100.0))
        voltage = NOMINAL_V + 6.0 * self.soc / 100.0
        current = net_w / voltage
        drawing = max(0.0, -net_w)
        return PowerReading(
            soc=self.soc,
            voltage=voltage,
            current=current,
            watts=self.cfg.load_w,
            temperature=25.0,
            supply="solar" if net_w >= 0 and self.cfg.solar_w > 0 else "battery",
            runtime_min=runtime_min(self.soc, self.cfg.capacity_wh, drawing),
            soh=100.0,
            pv_watts=self.cfg.solar_w,
        )

    def close(self) -> None:
        pass
