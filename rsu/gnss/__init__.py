"""Position and time from GNSS (NMEA 0183 over serial or gpsd, or simulated).

>>> gnss = open_gnss(GnssConfig(backend="sim"))          # doctest: +SKIP
>>> gnss.start(); event = gnss.events.get(timeout=2.0)   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from rsu.clock import Clock, SystemClock
from rsu.gnss.config import GnssConfig
from rsu.gnss.nmea import GnssAlarm, GnssEvent, GnssFix, NmeaTracker, Survey
from rsu.queues import BoundedQueue
from rsu.registry import load

BACKENDS: dict[str, tuple[str, str]] = {
    "serial": ("rsu.gnss.readers", "SerialGnss"),
    "gpsd": ("rsu.gnss.readers", "GpsdGnss"),
    "sim": ("rsu.gnss.sim", "SimGnss"),
}

__all__ = [
    "BACKENDS",
    "Gnss",
    "GnssAlarm",
    "GnssConfig",
    "GnssEvent",
    "GnssFix",
    "NmeaTracker",
    "Survey",
    "open_gnss",
]


class Gnss(Protocol):
    """A GNSS source: a reader thread feeding ``events`` (fixes and alarms)."""

    name: str
    events: BoundedQueue[GnssEvent]
    tracker: NmeaTracker

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def latest(self) -> GnssFix | None: ...

    def health(self) -> dict[str, object]: ...


def survey_of(config: GnssConfig) -> Survey | None:
    if config.surveyed_lat is None or config.surveyed_lon is None:
        return None
    return Survey(config.surveyed_lat, config.surveyed_lon, config.drift_alarm_m)


def open_gnss(
    config: GnssConfig, clock: Clock | None = None, queue: BoundedQueue[GnssEvent] | None = None
) -> Gnss:
    """Build (not start) the backend ``config.backend``; unknown -> ``BackendError``."""
    cls = load(BACKENDS, config.backend, "gnss", extra="gnss")
    gnss: Gnss = cls(
        config,
        clock or SystemClock(),
        queue if queue is not None else BoundedQueue(config.queue_size),  # empty is falsy
    )
    return gnss


if TYPE_CHECKING:  # mypy checks that every backend satisfies the protocol
    from rsu.gnss.readers import GpsdGnss, SerialGnss
    from rsu.gnss.sim import SimGnss

    _backends: tuple[type[Gnss], ...] = (SerialGnss, GpsdGnss, SimGnss)
