"""``[gnss]`` as a frozen value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from rsu.config.fields import Table, read, setting
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

    backend: str = setting("sim", choices=BACKEND_NAMES)
    port: str = "/dev/ttyACM0"
    baudrate: int = setting(9600, lo=1200)
    gpsd: tuple[str, int] = ("127.0.0.1", 2947)
    surveyed_lat: float | None = setting(None, lo=-90.0, hi=90.0)
    surveyed_lon: float | None = setting(None, lo=-180.0, hi=180.0)
    drift_alarm_m: float = setting(5.0, lo=0.01)
    fix_timeout_s: float = setting(3.0, lo=0.1)
    queue_size: int = setting(256, lo=1)
    sim_seed: int = 1
    sim_rate_hz: float = setting(1.0, lo=0.1, hi=50.0)

    @classmethod
    def from_table(cls, t: Table) -> Self:
        cfg = read(cls, t, done=False)
        if (cfg.surveyed_lat is None) != (cfg.surveyed_lon is None):
            raise ConfigError(
                t.where("surveyed_lat"), "give surveyed_lat and surveyed_lon together"
            )
        t.done()
        return cfg
