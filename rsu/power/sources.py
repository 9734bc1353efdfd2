"""Power sources, chosen by name (``[power] source``) and imported only when chosen.

A source is an edge with one blocking method: ``read()`` returns the newest
:class:`~rsu.power.model.PowerReading`, a :class:`~rsu.power.model.ReadFailure` (the device
did not answer, went quiet, closed the connection), or None (nothing new yet, not a failure).
It never raises for what the device did; the power edge calls it every ``poll_s``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

from rsu.errors import ConfigError

if TYPE_CHECKING:
    from rsu.clock import Clock
    from rsu.power.config import PowerConfig
    from rsu.power.model import PowerReading, ReadFailure

BACKENDS = {
    "nut": ("rsu.power.nut", "NutSource"),
    "can-bms": ("rsu.power.can_bms", "CanBmsSource"),
    "modbus": ("rsu.power.modbus", "ModbusSource"),
    "sim": ("rsu.power.sim", "SimBattery"),
}


class PowerSource(Protocol):
    name: str

    def read(self) -> PowerReading | ReadFailure | None: ...

    def close(self) -> None: ...


def open_source(config: PowerConfig, clock: Clock) -> PowerSource:
    module_name, class_name = BACKENDS[config.source]
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ConfigError(
            "power.source",
            f"{config.source} needs {err.name} (pip install 'rsu-edge[power]')",
        ) from err
    source: PowerSource = getattr(module, class_name)(config, clock)
    return source


def runtime_min(soc: float | None, capacity_wh: float | None, load_w: float) -> float | None:
    """Minutes left at ``load_w`` from a battery of ``capacity_wh`` at ``soc`` (None when
    either is unknown or nothing is drawn)."""
    if soc is None or capacity_wh is None or load_w <= 0:
        return None
    return soc / 100.0 * capacity_wh / load_w * 60.0
