"""``[energy.sites.modbus]`` (a register map) and ``[energy.sites.sim]`` (a simulated hub).

```toml
[energy.sites.modbus]
host = "192.0.2.10"
port = 502
unit = 1                              # Modbus unit (device) id
poll_s = 5
timeout_s = 2
table = "holding"                     # "holding" | "input" registers
values = { 0 = "available", 1 = "occupied", 2 = "reserved", 3 = "out_of_order" }
[[energy.sites.modbus.evses]]
uid = "E1"
register = 100                        # one register holds the EVSE's status value
connectors = ["CCS", "CHAdeMO"]
power_kw = 150

[energy.sites.sim]
seed = 1
report_s = 1.0                        # how often the hub reports its bays
change_s = 20.0                       # mean time between two changes of one bay
[[energy.sites.sim.bays]]
standard = "CCS"
power_kw = 150
count = 4
```
A register value not in ``values`` makes that EVSE unknown (and is counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

from rsu.config.fields import Table
from rsu.energy.config import finite
from rsu.energy.model import STANDARDS, STATUSES, Connector, Status
from rsu.errors import ConfigError

DEFAULT_VALUES: dict[int, Status] = {
    0: "available",
    1: "occupied",
    2: "reserved",
    3: "out_of_order",
}
MAX_EVSES = 64


def _standard(t: Table, key: str, value: object) -> str:
    if not isinstance(value, str) or value not in STANDARDS:
        raise ConfigError(t.where(key), f"expected one of {', '.join(STANDARDS)}; got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class ModbusEvse:
    """One EVSE of the register map."""

    uid: str
    register: int
    connectors: tuple[Connector, ...]

    @classmethod
    def from_table(cls, t: Table) -> Self:
        names = t.array("connectors", of=str)
        if not names:
            raise ConfigError(t.where("connectors"), "at least one connector standard")
        power = finite(t, "power_kw", None, lo=0.1, hi=2000.0)
        cfg = cls(
            uid=t.string("uid"),
            register=t.integer("register", lo=0, hi=65535),
            connectors=tuple(
                Connector(_standard(t, f"connectors[{i}]", n), power) for i, n in enumerate(names)
            ),
        )
        t.done()
        return cfg


@dataclass(frozen=True, slots=True)
class ModbusConfig:
    """``[energy.sites.modbus]``: a Modbus TCP server (energy manager or charger)."""

    host: str
    evses: tuple[ModbusEvse, ...]
    port: int = 502
    unit: int = 1
    poll_s: float = 5.0
    timeout_s: float = 2.0
    table: str = "holding"
    values: dict[int, Status] = field(default_factory=lambda: dict(DEFAULT_VALUES))
    where: str = "energy.sites.modbus"

    @classmethod
    def from_table(cls, t: Table) -> Self:
        evses = tuple(ModbusEvse.from_table(e) for e in t.tables("evses"))
        if not 1 <= len(evses) <= MAX_EVSES:
            raise ConfigError(t.where("evses"), f"1..{MAX_EVSES} [[...evses]] entries")
        uids = [e.uid for e in evses]
        for i, uid in enumerate(uids):
            if uid in uids[:i]:
                raise ConfigError(f"{t.where('evses')}[{i}].uid", f"duplicate {uid!r}")
        poll = finite(t, "poll_s", 5.0, lo=0.1, hi=3600.0)
        cfg = cls(
            host=t.string("host"),
            evses=evses,
            port=t.integer("port", 502, lo=1, hi=65535),
            unit=t.integer("unit", 1, lo=0, hi=247),
            poll_s=poll,
            timeout_s=finite(t, "timeout_s", min(2.0, poll / 2), lo=0.05, hi=60.0),
            table=t.string("table", "holding", choices=("holding", "input")),
            values=_values(t.table("values")) if t.has("values") else dict(DEFAULT_VALUES),
            where=t.path,
        )
        if cfg.timeout_s >= cfg.poll_s:
            raise ConfigError(t.where("timeout_s"), f"must be less than poll_s ({cfg.poll_s})")
        t.done()
        return cfg


def _values(t: Table) -> dict[int, Status]:
    out: dict[int, Status] = {}
    for key in list(t.data):
        try:
            number = int(key)
        except ValueError:
            raise ConfigError(t.where(key), "expected a register value (0..65535)") from None
        if not 0 <= number <= 65535:
            raise ConfigError(t.where(key), "expected a register value (0..65535)")
        out[number] = t.string(key, choices=STATUSES)
    t.done()
    if not out:
        raise ConfigError(t.path, "at least one value")
    return out


@dataclass(frozen=True, slots=True)
class Bays:
    """``count`` bays with one connector of ``standard`` each."""

    standard: str
    count: int
    power_kw: float | None = None


DEFAULT_BAYS = (Bays("CCS", 4, 150.0), Bays("CHAdeMO", 2, 50.0), Bays("Type 2", 4, 22.0))


@dataclass(frozen=True, slots=True)
class SimConfig:
    """``[energy.sites.sim]``: a hub whose bays fill and empty (``rsu demo``, the HIL)."""

    bays: tuple[Bays, ...] = (
        Bays("CCS", 4, 150.0),
        Bays("CHAdeMO", 2, 50.0),
        Bays("Type 2", 4, 22.0),
    )
    seed: int = 1
    report_s: float = 1.0
    change_s: float = 20.0

    @classmethod
    def from_table(cls, t: Table) -> Self:
        bays = tuple(_bays(b) for b in t.tables("bays")) or DEFAULT_BAYS
        if sum(b.count for b in bays) > MAX_EVSES:
            raise ConfigError(t.where("bays"), f"at most {MAX_EVSES} bays in all")
        cfg = cls(
            bays=bays,
            seed=t.integer("seed", 1),
            report_s=finite(t, "report_s", 1.0, lo=0.05, hi=3600.0),
            change_s=finite(t, "change_s", 20.0, lo=0.1, hi=86400.0),
        )
        t.done()
        return cfg


def _bays(t: Table) -> Bays:
    out = Bays(
        _standard(t, "standard", t.string("standard")),
        t.integer("count", 1, lo=1, hi=MAX_EVSES),
        finite(t, "power_kw", None, lo=0.1, hi=2000.0),
    )
    t.done()
    return out
