"""The ``sim`` source: a charging hub whose bays fill and empty (``rsu demo``, the HIL, bench).

:class:`SimHub` is the hub itself, deterministic for a seed: ``advance(dt)`` lets each bay
change with probability ``dt / change_s`` (a free bay is taken, more rarely reserved; a taken
one frees; now and then one goes out of order and is repaired). :class:`SimSource` reports the
whole hub every ``report_s`` like any other source, so everything after it (staleness, counts,
the TIM/RSI, records and events) runs as it does with a real site. ``set_status`` changes a
bay at once (what a bench or a HIL scenario drives).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from pathlib import Path

from rsu.clock import Clock
from rsu.energy.config import SiteConfig
from rsu.energy.edge import PollingSource, Result
from rsu.energy.model import Connector, EvseStatus, Status
from rsu.energy.source_config import SimConfig
from rsu.queues import BoundedQueue

_NEXT: dict[Status, tuple[tuple[Status, float], ...]] = {
    "available": (("occupied", 0.85), ("reserved", 0.12), ("out_of_order", 0.03)),
    "occupied": (("available", 1.0),),
    "reserved": (("occupied", 0.7), ("available", 0.3)),
    "out_of_order": (("available", 1.0),),
    "unknown": (("available", 1.0),),
}


class SimHub:
    """The bays of a simulated hub (all free at the start)."""

    def __init__(self, cfg: SimConfig) -> None:
        self.config = cfg
        self._rng = random.Random(cfg.seed)
        self._lock = threading.Lock()
        self.bays: list[EvseStatus] = []
        for group in cfg.bays:
            for _ in range(group.count):
                uid = f"B{len(self.bays) + 1:02d}"
                connector = Connector(group.standard, group.power_kw)
                self.bays.append(EvseStatus(uid, "available", (connector,)))
        self.changes = 0

    def advance(self, dt: float) -> int:
        """Let ``dt`` seconds pass; the number of bays that changed."""
        p = min(1.0, dt / self.config.change_s)
        changed = 0
        with self._lock:
            for i, bay in enumerate(self.bays):
                if self._rng.random() >= p:
                    continue
                targets, weights = zip(*_NEXT[bay.status], strict=True)
                status = self._rng.choices(targets, weights)[0]
                self.bays[i] = EvseStatus(bay.uid, status, bay.connectors)
                changed += 1
            self.changes += changed
        return changed

    def set_status(self, uid: str, status: Status) -> None:
        """Put one bay in ``status`` now (KeyError for a bay the hub does not have)."""
        with self._lock:
            for i, bay in enumerate(self.bays):
                if bay.uid == uid:
                    self.bays[i] = EvseStatus(uid, status, bay.connectors)
                    self.changes += 1
                    return
        raise KeyError(uid)

    def snapshot(self) -> tuple[EvseStatus, ...]:
        with self._lock:
            return tuple(self.bays)


class SimSource(PollingSource):
    """A ``SimHub`` reported every ``report_s``."""

    name = "sim"

    def __init__(
        self,
        site: SiteConfig,
        clock: Clock,
        queue: BoundedQueue[Result],
        resolve: Callable[[str], Path] = Path,
    ) -> None:
        cfg: SimConfig = site.sim
        super().__init__(site.id, cfg.report_s, clock, queue)
        self.hub = SimHub(cfg)
        self._last: float | None = None

    def read(self) -> Result:
        now = self.clock.monotonic()
        if self._last is not None:
            self.hub.advance(now - self._last)
        self._last = now
        return self.reading(self.hub.snapshot(), "rsu-edge sim")

    def set_status(self, uid: str, status: Status) -> None:
        """Change a bay and report the hub at once (not waiting for ``report_s``)."""
        self.hub.set_status(uid, status)
        self.queue.put(self.reading(self.hub.snapshot(), "rsu-edge sim"))

    def health(self) -> dict[str, object]:
        return {**super().health(), "bays": len(self.hub.bays), "changes": self.hub.changes}
