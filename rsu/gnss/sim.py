"""Simulated GNSS: a receiver at the surveyed position, with seeded jitter, as NMEA.

The sentences go through the same ``NmeaTracker`` as a real receiver. ``fail(seconds)`` makes
the sim lose its fix for a while and ``offset_m`` moves it (for alarm demos and the HIL harness).
"""

from __future__ import annotations

import random

from rsu.clock import Clock
from rsu.geo import offset_latlon
from rsu.gnss.config import GnssConfig
from rsu.gnss.nmea import GnssEvent, GnssFix, NmeaTracker, sentences
from rsu.queues import BoundedQueue
from rsu.reader import Reader

DEFAULT_POSITION = (42.2808, -83.7430)


class SimGnss(Reader):
    """One thread producing GGA+RMC at ``sim_rate_hz`` (a ``Reader`` with nothing to open)."""

    name = "sim"
    thread_name = "gnss-sim"

    def __init__(self, config: GnssConfig, clock: Clock, queue: BoundedQueue[GnssEvent]) -> None:
        from rsu.gnss import survey_of

        super().__init__()
        self._cfg = config
        self._clock = clock
        self.events = queue
        survey = survey_of(config)
        self.tracker = NmeaTracker(survey, config.fix_timeout_s)
        self._origin = DEFAULT_POSITION if survey is None else (survey.latitude, survey.longitude)
        self._rng = random.Random(config.sim_seed)
        self.offset_m = 0.0
        self._fail_until = 0.0

    def fail(self, seconds: float) -> None:
        self._fail_until = self._clock.monotonic() + seconds

    def sentences_at(self, utc: float, now: float) -> bytes:
        """The NMEA the simulated receiver sends at ``utc`` (deterministic for a seed)."""
        lat0, lon0 = self._origin
        jitter = self._rng.gauss(0.0, 0.3)
        north = self.offset_m + jitter
        lat, _ = offset_latlon(lat0, lon0, 0.0, north)
        lost = now < self._fail_until
        fix = GnssFix(now, utc, lat, lon0, 250.0, 0 if lost else 1, 0 if lost else 9, 0.9)
        return sentences(fix)

    def step(self) -> list[GnssEvent]:
        now = self._clock.monotonic()
        utc = self._clock.time()
        data = self.sentences_at(utc, now)
        return self.tracker.feed(data, now, utc) + self.tracker.tick(now)

    def _read(self) -> None:
        if not self.wait(1.0 / self._cfg.sim_rate_hz):
            for event in self.step():
                self.events.put(event)

    def latest(self) -> GnssFix | None:
        return self.tracker.latest

    def health(self) -> dict[str, object]:
        fix = self.tracker.latest
        return {
            "backend": self.name,
            "fix": None if fix is None else fix.quality,
            "sentences": self.tracker.stats.sentences,
            "dropped": self.events.dropped,
        }
