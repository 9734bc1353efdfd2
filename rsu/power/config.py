"""``[power]``: which source reports the RSU's own power, how it is read, and the shed order.

```toml
[power]
source = "nut"                        # "nut" | "can-bms" | "modbus" | "sim"
[power.nut]
server = "127.0.0.1:3493"
ups = "rsu-ups"
[power.shed]                          # state of charge in percent
camera_below = 40
uplink_below = 25
essential_below = 15
```

Each source has its own table (``[power.nut]``, ``[power.can_bms]``, ``[power.modbus]``,
``[power.sim]``); only the chosen source's table may be given. docs/power.md lists every key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Self

from rsu.config.fields import Table, parse_hostport
from rsu.errors import ConfigError
from rsu.power.monitor import MonitorSettings
from rsu.power.shed import ShedSettings

SOURCES = ("nut", "can-bms", "modbus", "sim")
TABLES = {"nut": "nut", "can-bms": "can_bms", "modbus": "modbus", "sim": "sim"}

MODBUS_REGISTERS: dict[str, tuple[int, float]] = {
    "pv_watts": (0x3102, 0.01),
    "voltage": (0x331A, 0.01),
    "current": (0x331B, 0.01),
    "temperature": (0x3110, 0.01),
    "soc": (0x311A, 1.0),
}
"""Default input registers (address, scale) of a solar charge controller: the layout of the
common EPEVER Tracer/ LS-B series (battery current signed, positive while charging)."""


def number(t: Table, key: str, default: Any, lo: float, hi: float) -> Any:
    """``Table.number`` that refuses NaN and the infinities too."""
    value = t.number(key, default, lo=lo, hi=hi)
    if value is not None and not math.isfinite(value):
        raise ConfigError(t.where(key), f"expected a finite number, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class NutConfig:
    server: tuple[str, int] = ("127.0.0.1", 3493)
    ups: str = "rsu-ups"
    timeout_s: float = 2.0

    @classmethod
    def from_table(cls, t: Table) -> Self:
        cfg = cls(
            server=parse_hostport(t.string("server", "127.0.0.1:3493"), t.where("server")),
            ups=t.string("ups", "rsu-ups"),
            timeout_s=number(t, "timeout_s", 2.0, 0.05, 30.0),
        )
        if not cfg.ups or any(c.isspace() or c == '"' for c in cfg.ups):
            raise ConfigError(t.where("ups"), f"expected a NUT UPS name, got {cfg.ups!r}")
        t.done()
        return cfg


@dataclass(frozen=True, slots=True)
class CanBmsConfig:
    interface: str = "socketcan"
    channel: str = "can0"
    bitrate: int = 500_000
    quiet_after_s: float = 3.0
    """No BMS frame for this long: the read fails as ``quiet``."""
    charger: str = "solar"
    """What charges the battery when the current is positive (``solar`` or ``grid``)."""

    @classmethod
    def from_table(cls, t: Table) -> Self:
        cfg = cls(
            interface=t.string("interface", "socketcan"),
            channel=t.string("channel", "can0"),
            bitrate=t.integer("bitrate", 500_000, lo=10_000, hi=1_000_000),
            quiet_after_s=number(t, "quiet_after_s", 3.0, 0.1, 600.0),
            charger=t.string("charger", "solar", choices=("solar", "grid")),
        )
        t.done()
        return cfg


@dataclass(frozen=True, slots=True)
class ModbusConfig:
    host: str = "127.0.0.1"
    port: int = 502
    unit: int = 1
    timeout_s: float = 1.0
    registers: dict[str, tuple[int, float]] = field(default_factory=dict)

    @classmethod
    def from_table(cls, t: Table) -> Self:
        regs = dict(MODBUS_REGISTERS)
        rt = t.table("registers")
        for name, (address, scale) in MODBUS_REGISTERS.items():
            given = rt.array(name, [address, scale])
            if len(given) != 2 or not all(isinstance(v, int | float) for v in given):
                raise ConfigError(rt.where(name), "expected [address, scale]")
            if not (isinstance(given[0], int) and 0 <= given[0] <= 0xFFFF):
                raise ConfigError(rt.where(name), "address must be an integer 0..65535")
            if not math.isfinite(given[1]) or given[1] == 0:
                raise ConfigError(rt.where(name), "scale must be a finite, non-zero number")
            regs[name] = (given[0], float(given[1]))
        rt.done()
        cfg = cls(
            host=t.string("host", "127.0.0.1"),
            port=t.integer("port", 502, lo=1, hi=65535),
            unit=t.integer("unit", 1, lo=0, hi=247),
            timeout_s=number(t, "timeout_s", 1.0, 0.05, 30.0),
            registers=regs,
        )
        t.done()
        return cfg


@dataclass(frozen=True, slots=True)
class SimConfig:
    """A battery that drains on its load and charges from a solar panel by day."""

    start_soc: float = 80.0
    capacity_wh: float = 2400.0
    load_w: float = 60.0
    solar_w: float = 0.0
    """Charging power while the sun shines (0: night, the battery only drains)."""
    speed: float = 1.0
    """Simulated seconds per real second (a HIL scenario drains a battery in a minute)."""

    @classmethod
    def from_table(cls, t: Table) -> Self:
        cfg = cls(
            start_soc=number(t, "start_soc", 80.0, 0.0, 100.0),
            capacity_wh=number(t, "capacity_wh", 2400.0, 1.0, 1e6),
            load_w=number(t, "load_w", 60.0, 0.0, 1e5),
            solar_w=number(t, "solar_w", 0.0, 0.0, 1e5),
            speed=number(t, "speed", 1.0, 0.01, 1e5),
        )
        t.done()
        return cfg


@dataclass(frozen=True, slots=True)
class PowerConfig:
    source: str
    poll_s: float = 1.0
    monitor: MonitorSettings = field(default_factory=MonitorSettings)
    nut: NutConfig | None = None
    can_bms: CanBmsConfig | None = None
    modbus: ModbusConfig | None = None
    sim: SimConfig | None = None
    capacity_wh: float | None = None
    """Battery capacity, for ``runtime_min`` where the source does not say it (BMS, Modbus)."""

    @classmethod
    def from_table(cls, t: Table) -> Self:
        source = t.string("source", choices=SOURCES)
        for other, key in TABLES.items():
            if other != source and t.has(key):
                raise ConfigError(t.where(key), f"given, but source is {source!r}")
        st = t.table("shed")
        shed = ShedSettings(
            camera_below=number(st, "camera_below", 40.0, 0.0, 100.0),
            uplink_below=number(st, "uplink_below", 25.0, 0.0, 100.0),
            essential_below=number(st, "essential_below", 15.0, 0.0, 100.0),
            hysteresis=number(st, "hysteresis", 5.0, 0.0, 50.0),
        )
        if (why := shed.problem()) is not None:
            raise ConfigError(st.where("camera_below"), why)
        st.done()
        poll_s = number(t, "poll_s", 1.0, 0.1, 60.0)
        monitor = MonitorSettings(
            source=source,
            stale_after_s=number(t, "stale_after_s", max(5.0, 3 * poll_s), poll_s, 3600.0),
            low_battery_below=number(t, "low_battery_below", 20.0, 0.0, 100.0),
            over_temperature_c=number(t, "over_temperature_c", 55.0, -40.0, 150.0),
            shed=shed,
        )
        table = t.table(TABLES[source])
        parsed: Any = {
            "nut": NutConfig.from_table,
            "can-bms": CanBmsConfig.from_table,
            "modbus": ModbusConfig.from_table,
            "sim": SimConfig.from_table,
        }[source](table)
        cfg = cls(
            source=source,
            poll_s=poll_s,
            monitor=monitor,
            capacity_wh=number(t, "capacity_wh", None, 1.0, 1e7),
            **{TABLES[source]: parsed},
        )
        t.done()
        return cfg
