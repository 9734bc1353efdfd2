"""The whole configuration as one frozen value, composed from each package's own config.

The sections that belong to the daemon itself (``[rsu]``, ``[daemon]``, ``[log]``) are defined
here; every other table is read by the dataclass of the package that owns it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from rsu.config.fields import Table, parse_hostport, read, setting
from rsu.errors import ConfigError
from rsu.registry import DEFAULT_MESSAGE_SET, message_set_names

if TYPE_CHECKING:
    from rsu.broadcast.config import BroadcastConfig
    from rsu.energy.config import EnergyConfig
    from rsu.events.zones import EventsConfig
    from rsu.fusion.model import FusionConfig
    from rsu.geo import LocalFrame
    from rsu.gnss.config import GnssConfig
    from rsu.management.config import SnmpConfig
    from rsu.perception.config import PerceptionConfig
    from rsu.power.config import PowerConfig
    from rsu.radio.config import RadioConfig
    from rsu.security.config import SecurityConfig
    from rsu.sensors.config import RadarConfig
    from rsu.signals.config import SignalsConfig
    from rsu.uplink.config import UplinkConfig

LOG_LEVELS = ("debug", "info", "warning", "error")


def check_rsu_id(rsu_id: str, where: str = "rsu.id") -> str:
    """``[rsu] id``: a name usable as one MQTT topic level (every reader of it checks this)."""
    if not rsu_id or any(c in rsu_id for c in "/+#") or rsu_id != rsu_id.strip():
        raise ConfigError(where, f"expected a name usable in MQTT topics, got {rsu_id!r}")
    return rsu_id


@dataclass(frozen=True, slots=True)
class RsuSection:
    """``[rsu]``: who this unit is and where it stands."""

    id: str = setting(check=check_rsu_id)
    standard: str = setting(DEFAULT_MESSAGE_SET, choices=message_set_names())
    latitude: float | None = setting(None, lo=-90.0, hi=90.0)
    longitude: float | None = setting(None, lo=-180.0, hi=180.0)
    elevation_m: float = setting(0.0, lo=-500.0, hi=9000.0)

    @classmethod
    def from_table(cls, t: Table) -> Self:
        cfg = read(cls, t, done=False)
        if (cfg.latitude is None) != (cfg.longitude is None):
            raise ConfigError(t.where("latitude"), "give latitude and longitude together")
        t.done()
        return cfg

    def local_frame(self) -> LocalFrame | None:
        """The ENU frame centred on the RSU (None without its position); imports numpy."""
        if self.latitude is None or self.longitude is None:
            return None
        from rsu.geo import LocalFrame

        return LocalFrame(self.latitude, self.longitude, self.elevation_m)


@dataclass(frozen=True, slots=True)
class DaemonConfig:
    """``[daemon]``: queues, sockets, the metrics endpoint and shutdown."""

    control_socket: str = "/run/rsu/control.sock"
    metrics_listen: tuple[str, int] | None = ("127.0.0.1", 9753)
    """``""`` in the file: no metrics endpoint."""
    inbound_queue: int = setting(20_000, lo=16, hi=10_000_000)
    control_queue: int = setting(64, lo=1, hi=100_000)
    stats_interval_s: float = setting(10.0, lo=0.0)
    drain_timeout_s: float = setting(5.0, lo=0.0, hi=600.0)
    watchdog_fallback_s: float = setting(0.0, lo=0.0)
    """Ping interval when ``WATCHDOG_USEC`` is not set (0 = no pings then)."""
    tail_queue: int = setting(1000, lo=1, hi=1_000_000)
    """Per ``rsu tail`` client; a slow client loses the oldest lines (counted)."""
    decode_workers: int = setting(0, lo=0, hi=64)
    """Processes that decode received frames and make their records (0: the core thread)."""

    @classmethod
    def from_table(cls, t: Table) -> Self:
        listen = t.string("metrics_listen", "127.0.0.1:9753")
        metrics = parse_hostport(listen, t.where("metrics_listen")) if listen else None
        cfg = read(cls, t, done=False, metrics_listen=metrics)
        if cfg.metrics_listen is not None and cfg.metrics_listen[0] not in _LOCAL_HOSTS:
            raise ConfigError(
                t.where("metrics_listen"),
                f"expected a loopback address ({', '.join(_LOCAL_HOSTS)}), "
                f"got {cfg.metrics_listen[0]!r}",
            )
        t.done()
        return cfg


_LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True, slots=True)
class LogConfig:
    """``[log]``: level and format (``auto``: JSON under systemd or a pipe, text on a TTY)."""

    level: str = setting("info", choices=LOG_LEVELS)
    format: str = setting("auto", choices=("auto", "json", "console"))

    @classmethod
    def from_table(cls, t: Table) -> Self:
        return read(cls, t)


@dataclass(frozen=True, slots=True)
class Config:
    """One config file, read whole. Optional parts are None when their table is absent."""

    path: Path | None
    rsu: RsuSection
    daemon: DaemonConfig
    log: LogConfig
    radio: RadioConfig
    uplink: UplinkConfig
    broadcast: BroadcastConfig
    gnss: GnssConfig | None = None
    radars: tuple[RadarConfig, ...] = ()
    fusion: FusionConfig | None = None
    perception: PerceptionConfig | None = None
    events: EventsConfig | None = None
    set_sections: Mapping[str, Any] = field(default_factory=dict)
    """The config tables of message sets (``[csae53]``: China-mode details), by table name;
    ``MessageSet.section_of(config)`` gives a set its own."""
    snmp: SnmpConfig | None = None
    """``[snmp]``: the NTCIP 1218 agent (off when absent)."""
    security: SecurityConfig | None = None
    """``[security]``: IEEE 1609.2 verification and signing."""
    signals: SignalsConfig | None = None
    """``[signals]``: signal controllers -> live SPaT (``rsu.signals``)."""
    power: PowerConfig | None = None
    """``[power]``: the RSU's own power source and brown-out shed order (``rsu.power``)."""
    energy: EnergyConfig | None = None
    """``[energy]``: charging sites told to vehicles (``rsu.energy``)."""
    sections: tuple[str, ...] = field(default=())
    """The top-level tables the file gave (for ``rsu config check`` and reload diffs)."""

    @property
    def base_dir(self) -> Path:
        """Relative paths in the file are relative to the file's own directory."""
        return self.path.parent if self.path is not None else Path.cwd()

    def resolve(self, name: str) -> Path:
        p = Path(name)
        return p if p.is_absolute() else self.base_dir / p
