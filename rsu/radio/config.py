"""``[radio]``, ``[radio.rsu41]``, ``[radio.serial]`` and ``[radio.sim]`` as frozen values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

from rsu.config.fields import Table
from rsu.errors import ConfigError
from rsu.registry import DEFAULT_MESSAGE_SET

BACKEND_NAMES = ("serial", "rsu41", "sim")


def parse_hostport(text: str, where: str) -> tuple[str, int]:
    """``"127.0.0.1:1516"`` -> ``("127.0.0.1", 1516)``; ``[::1]:1516`` for IPv6."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ConfigError(where, f"expected host:port, got {text!r}")
    number = int(port)
    if not 0 <= number <= 65535:
        raise ConfigError(where, f"port out of range in {text!r}")
    return host.strip("[]"), number


@dataclass(frozen=True, slots=True)
class Rsu41Config:
    """Work beside a commercial RSU: forwarded frames in, immediate-forward datagrams out."""

    listen: tuple[str, int] = ("127.0.0.1", 26789)
    ifm_target: tuple[str, int] = ("127.0.0.1", 1516)
    max_datagram: int = 2048
    require_v2x: bool = True

    @classmethod
    def from_table(cls, t: Table) -> Self:
        cfg = cls(
            listen=parse_hostport(t.string("listen", "127.0.0.1:26789"), t.where("listen")),
            ifm_target=parse_hostport(
                t.string("ifm_target", "127.0.0.1:1516"), t.where("ifm_target")
            ),
            max_datagram=t.integer("max_datagram", 2048, lo=64, hi=65507),
            require_v2x=t.boolean("require_v2x", True),
        )
        t.done()
        return cfg


@dataclass(frozen=True, slots=True)
class SerialConfig:
    """The radio module's MCU on a USB-serial port, speaking firmware_bridge/PROTOCOL.md."""

    port: str = "/dev/ttyUSB0"
    baudrate: int = 921600
    hello_timeout_s: float = 2.0
    reconnect_min_s: float = 0.2
    reconnect_max_s: float = 5.0
    tx_power_dbm: int = 20

    @classmethod
    def from_table(cls, t: Table) -> Self:
        cfg = cls(
            port=t.string("port", "/dev/ttyUSB0"),
            baudrate=t.integer("baudrate", 921600, lo=1200),
            hello_timeout_s=t.number("hello_timeout_s", 2.0, lo=0.05),
            reconnect_min_s=t.number("reconnect_min_s", 0.2, lo=0.01),
            reconnect_max_s=t.number("reconnect_max_s", 5.0, lo=0.01),
            tx_power_dbm=t.integer("tx_power_dbm", 20, lo=-20, hi=33),
        )
        t.done()
        return cfg


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Simulated road users around an intersection (for ``rsu demo`` and the HIL harness)."""

    seed: int = 1
    vehicles: int = 6
    pedestrians: int = 2
    rate_hz: float = 10.0
    latitude: float = 42.2808
    longitude: float = -83.7430
    channel: int = 172

    @classmethod
    def from_table(cls, t: Table) -> Self:
        cfg = cls(
            seed=t.integer("seed", 1),
            vehicles=t.integer("vehicles", 6, lo=0, hi=500),
            pedestrians=t.integer("pedestrians", 2, lo=0, hi=500),
            rate_hz=t.number("rate_hz", 10.0, lo=0.1, hi=100.0),
            latitude=t.number("latitude", 42.2808, lo=-90.0, hi=90.0),
            longitude=t.number("longitude", -83.7430, lo=-180.0, hi=180.0),
            channel=t.integer("channel", 172, lo=0, hi=255),
        )
        t.done()
        return cfg


@dataclass(frozen=True, slots=True)
class RadioConfig:
    """``[radio]``: which backend, its queue bound, and each backend's own table."""

    backend: str = "sim"
    queue_size: int = 1024
    rsu41: Rsu41Config = field(default_factory=Rsu41Config)
    serial: SerialConfig = field(default_factory=SerialConfig)
    sim: SimConfig = field(default_factory=SimConfig)
    standard: str = DEFAULT_MESSAGE_SET
    """The message set on the air (a name of ``rsu.registry.MESSAGE_SETS``): not a ``[radio]``
    key, the loader copies ``[rsu] standard`` here. The ``sim`` backend sends frames of this
    set."""

    @classmethod
    def from_table(cls, t: Table) -> Self:
        cfg = cls(
            backend=t.string("backend", "sim", choices=BACKEND_NAMES),
            queue_size=t.integer("queue_size", 1024, lo=1, hi=1_000_000),
            rsu41=Rsu41Config.from_table(t.table("rsu41")),
            serial=SerialConfig.from_table(t.table("serial")),
            sim=SimConfig.from_table(t.table("sim")),
        )
        t.done()
        return cfg
