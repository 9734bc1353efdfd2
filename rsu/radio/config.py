"""``[radio]``, ``[radio.rsu41]``, ``[radio.serial]`` and ``[radio.sim]`` as frozen values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

from rsu.config.fields import Table, not_a_key, read, setting
from rsu.registry import DEFAULT_MESSAGE_SET

BACKEND_NAMES = ("serial", "rsu41", "sim")


@dataclass(frozen=True, slots=True)
class Rsu41Config:
    """Work beside a commercial RSU: forwarded frames in, immediate-forward datagrams out."""

    listen: tuple[str, int] = ("127.0.0.1", 26789)
    ifm_target: tuple[str, int] = ("127.0.0.1", 1516)
    max_datagram: int = setting(2048, lo=64, hi=65507)
    require_v2x: bool = True

    @classmethod
    def from_table(cls, t: Table) -> Self:
        return read(cls, t)


@dataclass(frozen=True, slots=True)
class SerialConfig:
    """The radio module's MCU on a USB-serial port, speaking firmware_bridge/PROTOCOL.md."""

    port: str = "/dev/ttyUSB0"
    baudrate: int = setting(921600, lo=1200)
    hello_timeout_s: float = setting(2.0, lo=0.05)
    reconnect_min_s: float = setting(0.2, lo=0.01)
    reconnect_max_s: float = setting(5.0, lo=0.01)
    tx_power_dbm: int = setting(20, lo=-20, hi=33)

    @classmethod
    def from_table(cls, t: Table) -> Self:
        return read(cls, t)


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Simulated road users around an intersection (for ``rsu demo`` and the HIL harness)."""

    seed: int = 1
    vehicles: int = setting(6, lo=0, hi=500)
    pedestrians: int = setting(2, lo=0, hi=500)
    rate_hz: float = setting(10.0, lo=0.1, hi=100.0)
    latitude: float = setting(42.2808, lo=-90.0, hi=90.0)
    longitude: float = setting(-83.7430, lo=-180.0, hi=180.0)
    channel: int = setting(172, lo=0, hi=255)

    @classmethod
    def from_table(cls, t: Table) -> Self:
        return read(cls, t)


@dataclass(frozen=True, slots=True)
class RadioConfig:
    """``[radio]``: which backend, its queue bound, and each backend's own table."""

    backend: str = setting("sim", choices=BACKEND_NAMES)
    queue_size: int = setting(1024, lo=1, hi=1_000_000)
    rsu41: Rsu41Config = field(default_factory=Rsu41Config)
    serial: SerialConfig = field(default_factory=SerialConfig)
    sim: SimConfig = field(default_factory=SimConfig)
    standard: str = not_a_key(DEFAULT_MESSAGE_SET)
    """The message set on the air (a name of ``rsu.registry.MESSAGE_SETS``): not a ``[radio]``
    key, the loader copies ``[rsu] standard`` here. The ``sim`` backend sends frames of this
    set."""

    @classmethod
    def from_table(cls, t: Table) -> Self:
        return read(
            cls,
            t,
            rsu41=Rsu41Config.from_table(t.table("rsu41")),
            serial=SerialConfig.from_table(t.table("serial")),
            sim=SimConfig.from_table(t.table("sim")),
        )
