"""What a power source reports, as one frozen value, and the check that refuses absurd ones.

Every source (CAN BMS, NUT UPS, Modbus solar controller, sim) turns what it read into a
:class:`PowerReading`; a source that could not read hands back a :class:`ReadFailure` instead
(never an exception across the edge). ``problem`` says why a reading cannot be believed (a
SoC of 250 %, a NaN voltage): such a reading is counted and the power state becomes unknown.

>>> problem(PowerReading(soc=250.0))
'soc 250.0 outside [0, 100]'
>>> problem(PowerReading(soc=80.0, voltage=float("nan")))
'voltage is not a number'
>>> problem(PowerReading(soc=80.0, voltage=52.1)) is None
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Supply = Literal["grid", "solar", "battery"]
SUPPLIES: tuple[Supply, ...] = ("grid", "solar", "battery")

LIMITS: dict[str, tuple[float, float]] = {
    "soc": (0.0, 100.0),
    "soh": (0.0, 100.0),
    "voltage": (0.0, 1000.0),
    "current": (-2000.0, 2000.0),
    "watts": (-100_000.0, 100_000.0),
    "temperature": (-60.0, 150.0),
    "runtime_min": (0.0, 100_000.0),
    "charge_limit_a": (0.0, 2000.0),
    "discharge_limit_a": (0.0, 2000.0),
    "pv_watts": (0.0, 100_000.0),
}
"""What a real RSU battery, UPS or charge controller can report (outside: absurd)."""


@dataclass(frozen=True, slots=True)
class PowerReading:
    """One reading of the RSU's power. ``current`` is positive while charging, negative while
    discharging (amperes); ``watts`` is the load the battery or UPS carries; ``supply`` what
    the RSU runs on now; ``flags`` the source's own protection/alarm flags that are set."""

    soc: float | None = None
    voltage: float | None = None
    current: float | None = None
    watts: float | None = None
    temperature: float | None = None
    supply: Supply | None = None
    runtime_min: float | None = None
    soh: float | None = None
    charge_limit_a: float | None = None
    discharge_limit_a: float | None = None
    pv_watts: float | None = None
    flags: tuple[str, ...] = ()

    def numbers(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in LIMITS}


@dataclass(frozen=True, slots=True)
class ReadFailure:
    """A source that could not read: ``kind`` is a stable name (``timeout``, ``refused``,
    ``closed``, ``quiet``, ``protocol``), ``detail`` what it said."""

    kind: str
    detail: str = ""


def problem(reading: PowerReading) -> str | None:
    """Why ``reading`` is absurd (None: it is plausible). A reading without a SoC is absurd
    too: the shed order and the alarms need it."""
    for name, value in reading.numbers().items():
        if value is None:
            continue
        if not isinstance(value, int | float) or math.isnan(value) or math.isinf(value):
            return f"{name} is not a number"
        lo, hi = LIMITS[name]
        if not lo <= value <= hi:
            return f"{name} {value} outside [{lo:g}, {hi:g}]"
    if reading.soc is None:
        return "no state of charge"
    if reading.supply is not None and reading.supply not in SUPPLIES:
        return f"supply {reading.supply!r} unknown"
    return None


def telemetry(reading: PowerReading | None, alarms: list[str]) -> dict[str, Any]:
    """The ``power`` object of the heartbeat and running info: ``soc, voltage, current, watts,
    temperature, source, runtime_min, alarms`` (unknown: every value None)."""
    r = reading or PowerReading()

    def rounded(value: float | None, digits: int) -> float | None:
        return None if value is None else round(value, digits)

    return {
        "soc": rounded(r.soc, 1),
        "voltage": rounded(r.voltage, 2),
        "current": rounded(r.current, 2),
        "watts": rounded(r.watts, 1),
        "temperature": rounded(r.temperature, 1),
        "source": r.supply,
        "runtime_min": rounded(r.runtime_min, 1),
        "alarms": list(alarms),
    }
