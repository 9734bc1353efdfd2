"""``[gnss]`` as a frozen value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from rsu.config.fields import Table, parse_hostport
from rsu.errors import ConfigError

BACKEND_NAMES = ("serial", "gpsd", "sim")


@dataclass(frozen=True, slots=True)
class GnssConfig:
    """Where NMEA comes from, the surveyed position, and the alarm limits.

    ```toml
    [gnss]
    backend = "serial"            # or "gpsd", "sim"
    port = "/dev/ttyACM0"
    baudrate = 9600
    gpsd = "127.0.0.1:2947"
    surveyed_lat = 42.2808        # both or neither; enables the drift alarm
    surveyed_lon = -83.7430
    drift_alarm_m = 5.0
    fix_timeout_s = 3.0
    sim_seed = 1
    ```
    """

    backend: str = "sim"
    port: str = "/dev/ttyACM0"
    baudrate: int = 9600
    gpsd: tuple[str, int] = ("127.0.0.1", 2947)
    surveyed_lat: float | None = None
    surveyed_lon: float | None = None
    drift_alarm_m: float = 5.0
    fix_timeout_s: float = 3.0
    queue_size: int = 256
    sim_seed: int = 1
    sim_rate_hz: float = 1.0

    @classmethod
    def from_table(cls, t: Table) -> Self:
        cfg = cls(
            backend=t.string("backend", "sim", choices=BACKEND_NAMES),
            port=t.string("port", "/dev/ttyACM0"),
            baudrate=t.integer("baudrate", 9600, lo=1200),
            gpsd=parse_hostport(t.string("gpsd", "127.0.0.1:2947"), t.where("gpsd")),
            surveyed_lat=t.number("surveyed_lat", None, lo=-90.0, hi=90.0),
            surveyed_lon=t.number("surveyed_lon", None, lo=-180.0, hi=180.0),
            drift_alarm_m=t.number("drift_alarm_m", 5.0, lo=0.01),
            fix_timeout_s=t.number("fix_timeout_s", 3.0, lo=0.1),
            queue_size=t.integer("queue_size", 256, lo=1),
            sim_seed=t.integer("sim_seed", 1),
            sim_rate_hz=t.number("sim_rate_hz", 1.0, lo=0.1, hi=50.0),
        )
        if (cfg.surveyed_lat is None) != (cfg.surveyed_lon is None):
            raise ConfigError(
                t.where("surveyed_lat"), "give surveyed_lat and surveyed_lon together"
            )
        t.done()
        return cfg
