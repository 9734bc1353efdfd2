"""The ``sim`` radar backend: targets driving through the field of view, as CAN frames.

A first-class backend (for ``rsu demo`` and the HIL harness): every cycle it encodes the
current targets with the shipped DBC, exactly as a radar would put them on the bus.
Deterministic for a seed; time comes from the injected clock, and waiting uses the injected
``sleep`` (a ``FakeClock.advance`` in tests).
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace

from rsu.clock import Clock
from rsu.sensors.config import RadarConfig
from rsu.sensors.encode import RadarTarget, encode_scan
from rsu.sensors.radar import CanFrame, load_dbc


class SimRadarSource:
    """``sim_targets`` vehicles crossing the beam at 5..20 m/s, reborn when they leave it."""

    def __init__(
        self, config: RadarConfig, clock: Clock, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.config = config
        self.clock = clock
        self.sleep = sleep
        self.db = load_dbc(config.dbc)
        self._rng = random.Random(config.sim_seed)
        self._targets = [self._spawn(i) for i in range(config.sim_targets)]
        self._queue: deque[CanFrame] = deque()
        self._next_cycle = clock.monotonic()
        self._last = clock.monotonic()
        self._counter = 0

    def _spawn(self, object_id: int) -> RadarTarget:
        rng = self._rng
        lane = rng.choice((-5.25, -1.75, 1.75, 5.25))
        speed = rng.uniform(5.0, 20.0)
        toward = lane > 0
        return RadarTarget(
            object_id=object_id,
            dist_long_m=rng.uniform(150.0, 200.0) if toward else rng.uniform(5.0, 40.0),
            dist_lat_m=lane,
            vrel_long_mps=-speed if toward else speed,
            dyn_prop=2 if toward else 0,
            label=rng.choice(("car", "car", "car", "truck", "motorcycle")),
        )

    def _advance(self, dt: float) -> None:
        moved = []
        for t in self._targets:
            d = t.dist_long_m + t.vrel_long_mps * dt
            if not 2.0 <= d <= 220.0:
                moved.append(self._spawn(t.object_id))
            else:
                moved.append(replace(t, dist_long_m=d))
        self._targets = moved

    def recv(self, timeout: float) -> CanFrame | None:
        if not self._queue:
            now = self.clock.monotonic()
            wait = self._next_cycle - now
            if wait > 0:
                self.sleep(min(wait, timeout))
                if self.clock.monotonic() < self._next_cycle:
                    return None
            now = self.clock.monotonic()
            self._advance(now - self._last)
            self._last = now
            self._next_cycle = now + self.config.sim_cycle_s
            self._counter += 1
            self._queue.extend(
                encode_scan(
                    self.db,
                    self._targets,
                    self._counter,
                    sensor_id=self.config.sensor_id,
                    timestamp=now,
                    quality=self.config.expect_quality,
                    extended=self.config.expect_extended,
                )
            )
        return self._queue.popleft()

    def close(self) -> None:
        self._queue.clear()
