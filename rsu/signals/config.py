"""``[signals]``: where controller states come from and how phases map onto signal groups.

One intersection, as the keys were first specified::

    [signals]
    source = "tscbm"            # "tscbm" | "ntcip1202" | "sim"
    listen = "0.0.0.0:6053"     # tscbm: where the controller sends
    intersection_id = 1001
    region = 0                  # J2735 RoadRegulatorID, 0 when none
    map = "map-main"            # optional: the [[broadcast.messages]] entry this SPaT matches
    controller = "10.0.0.21"    # optional: the controller's address (host or host:port)

    [[signals.groups]]
    signal_group = 2
    phase = 2                   # or overlap = N
    kind = "vehicle"            # "vehicle" | "pedestrian"
    movement = "protected"      # optional: green is "protected" (default) or "permissive"

Several intersections (one RSU at a corridor, or the bench's four controllers): the same keys
per ``[[signals.intersections]]`` entry (with ``[[signals.intersections.groups]]``), while
``[signals]`` keeps what they share (``source``, ``listen``, ``record_hz``, ``[signals.snmp]``,
``[signals.sim]``). Each entry then names its ``controller``: datagrams are told apart by
their source address and never mixed, and one from an address no entry names is counted and
dropped. With a single intersection and no ``controller``, the first sender is used until it
goes quiet (a second sender meanwhile is counted as ``other_source`` and dropped).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from typing import Any, Self

from rsu.config.fields import Table, parse_hostport
from rsu.errors import ConfigError
from rsu.signals.model import PHASES
from rsu.wire import DEFAULT_CHANNEL

SOURCES = ("tscbm", "ntcip1202", "sim")
KINDS = ("vehicle", "pedestrian")
MOVEMENTS = ("protected", "permissive")
DEFAULT_PORT = 6053
STALE_S = 0.3
"""No controller update for longer than this: that intersection's SPaT stops (alarm)."""


@dataclass(frozen=True, slots=True)
class GroupConfig:
    """One signal group of the MAP fed by one phase or overlap of the controller."""

    signal_group: int
    number: int
    overlap: bool = False
    kind: str = "vehicle"
    movement: str = "protected"
    where: str = "signals.groups"

    @property
    def source_name(self) -> str:
        return f"{'overlap' if self.overlap else 'phase'} {self.number}"

    @classmethod
    def from_table(cls, t: Table) -> Self:
        phase = t.integer("phase", None, lo=1, hi=PHASES)
        overlap = t.integer("overlap", None, lo=1, hi=PHASES)
        if (phase is None) == (overlap is None):
            raise ConfigError(t.where("phase"), "give phase = N or overlap = N (one of them)")
        kind = t.string("kind", "vehicle", choices=KINDS)
        if kind == "pedestrian" and overlap is not None:
            raise ConfigError(t.where("overlap"), "pedestrian groups follow a phase's walk")
        cfg = cls(
            signal_group=t.integer("signal_group", lo=1, hi=255),
            number=phase if phase is not None else overlap,
            overlap=overlap is not None,
            kind=kind,
            movement=t.string("movement", "protected", choices=MOVEMENTS),
            where=t.path,
        )
        t.done()
        return cfg


@dataclass(frozen=True, slots=True)
class IntersectionConfig:
    """One intersection: its J2735 reference id, its MAP entry, its controller, its groups."""

    intersection_id: int
    region: int = 0
    map: str | None = None
    controller: str | None = None
    """Host (or host:port) the controller's reports come from (NTCIP: the agent to poll)."""
    groups: tuple[GroupConfig, ...] = ()
    name: str = ""
    where: str = "signals"

    @property
    def key(self) -> str:
        """A stable name for logs, alarms and records: ``region-id`` or ``id``."""
        return f"{self.region}-{self.intersection_id}" if self.region else str(self.intersection_id)

    @classmethod
    def from_table(cls, t: Table, groups_key: str = "groups") -> Self:
        groups = tuple(GroupConfig.from_table(g) for g in t.tables(groups_key))
        if not groups:
            raise ConfigError(t.where(groups_key), "at least one [[...groups]] entry is needed")
        seen: dict[int, str] = {}
        for g in groups:
            if g.signal_group in seen:
                raise ConfigError(f"{g.where}.signal_group", f"{g.signal_group} is given twice")
            seen[g.signal_group] = g.where
        controller = t.string("controller", None)
        if controller is not None:
            _check_address(controller, t.where("controller"))
        cfg = cls(
            intersection_id=t.integer("intersection_id", lo=0, hi=65535),
            region=t.integer("region", 0, lo=0, hi=65535),
            map=t.string("map", None),
            controller=controller,
            groups=groups,
            name=t.string("name", ""),
            where=t.path,
        )
        if len(cfg.name) > 63 or not cfg.name.isascii():
            raise ConfigError(t.where("name"), "expected at most 63 ASCII characters")
        return cfg


def number(t: Table, key: str, default: float, lo: float, hi: float) -> float:
    """``t.number`` that also refuses NaN and infinities (a NaN passes any range check)."""
    value: float = t.number(key, default, lo=lo, hi=hi)
    if not math.isfinite(value):
        raise ConfigError(t.where(key), f"expected a finite number, got {value}")
    return value


def _check_address(text: str, where: str) -> None:
    """``10.0.0.21``, ``10.0.0.21:5000``, ``[fe80::1]:5000``, ``::1`` or a host name."""
    host = text
    if text.count(":") == 1 or text.startswith("["):
        host, _ = parse_hostport(text, where)
    if not host or any(c.isspace() for c in host):
        raise ConfigError(where, f"expected a host or host:port, got {text!r}")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not all(part.isalnum() or "-" in part for part in host.split(".")):
            raise ConfigError(where, f"expected an IP address or host name, got {text!r}") from None


@dataclass(frozen=True, slots=True)
class SignalsConfig:
    """``[signals]`` read whole."""

    source: str = "tscbm"
    listen: tuple[str, int] = ("0.0.0.0", DEFAULT_PORT)
    intersections: tuple[IntersectionConfig, ...] = ()
    record_hz: float = 1.0
    """SPaT records to the cloud per intersection per second (0: none; phase changes always)."""
    psid: int | None = None
    """Override the PSID (J2735, default 0x8002) or AID (CSAE 53, default 3619)."""
    channel: int = DEFAULT_CHANNEL
    priority: int = 6
    queue_size: int = 256
    snmp: Any = None
    """``rsu.signals.snmp_config.SnmpConfig`` (source ntcip1202), else None."""
    sim: Any = None
    """``rsu.signals.emulator.PlanConfig`` (source sim), else None."""
    where: str = "signals"

    @property
    def maps(self) -> tuple[str, ...]:
        return tuple(i.map for i in self.intersections if i.map)

    @classmethod
    def from_table(cls, t: Table) -> Self:
        source = t.string("source", "tscbm", choices=SOURCES)
        default_listen = "127.0.0.1:0" if source == "sim" else f"0.0.0.0:{DEFAULT_PORT}"
        cfg = cls(
            source=source,
            listen=parse_hostport(t.string("listen", default_listen), t.where("listen")),
            intersections=_intersections(t),
            record_hz=number(t, "record_hz", 1.0, 0.0, 10.0),
            psid=t.integer("psid", None, lo=0, hi=0xEFFFFFFF),
            channel=t.integer("channel", DEFAULT_CHANNEL, lo=0, hi=255),
            priority=t.integer("priority", 6, lo=0, hi=7),
            queue_size=t.integer("queue_size", 256, lo=8, hi=100_000),
            snmp=_snmp(t, source),
            sim=_sim(t, source),
            where=t.path,
        )
        _check_controllers(cfg, t)
        t.done()
        return cfg


def _intersections(t: Table) -> tuple[IntersectionConfig, ...]:
    single_keys = ("intersection_id", "groups", "region", "map", "controller", "name")
    if t.has("intersections"):
        if any(t.has(k) for k in single_keys):
            key = next(k for k in single_keys if t.has(k))
            raise ConfigError(
                t.where(key), "give it per [[signals.intersections]] entry, not in [signals]"
            )
        out = []
        for item in t.tables("intersections"):
            out.append(IntersectionConfig.from_table(item))
            item.done()
        if not out:
            raise ConfigError(t.where("intersections"), "no intersection given")
        return tuple(out)
    single = IntersectionConfig.from_table(t)
    return (single,)


def _check_controllers(cfg: SignalsConfig, t: Table) -> None:
    ids: dict[tuple[int, int], str] = {}
    addresses: dict[str, str] = {}
    for i in cfg.intersections:
        ref = (i.region, i.intersection_id)
        if ref in ids:
            raise ConfigError(f"{i.where}.intersection_id", f"also given in {ids[ref]}")
        ids[ref] = i.where
        if len(cfg.intersections) > 1 and i.controller is None:
            raise ConfigError(
                f"{i.where}.controller",
                "missing: with several intersections each names its controller's address",
            )
        if i.controller is not None:
            if i.controller in addresses:
                raise ConfigError(
                    f"{i.where}.controller", f"also given in {addresses[i.controller]}"
                )
            addresses[i.controller] = i.where
    if cfg.source == "ntcip1202" and any(i.controller is None for i in cfg.intersections):
        raise ConfigError(t.where("controller"), "ntcip1202 needs the controller's address")


def _snmp(t: Table, source: str) -> Any:
    if source != "ntcip1202":
        if t.has("snmp"):
            raise ConfigError(t.where("snmp"), 'only used with source = "ntcip1202"')
        return None
    from importlib.util import find_spec

    if find_spec("pysnmp") is None:
        raise ConfigError(
            t.where("source"), "ntcip1202 needs pysnmp (pip install 'rsu-edge[signals]')"
        )
    from rsu.signals.snmp_config import SnmpConfig

    return SnmpConfig.from_table(t.table("snmp"))


def _sim(t: Table, source: str) -> Any:
    if source != "sim":
        if t.has("sim"):
            raise ConfigError(t.where("sim"), 'only used with source = "sim"')
        return None
    from rsu.signals.emulator import PlanConfig

    return PlanConfig.from_table(t.table("sim"))


def signals_from_table(t: Table, broadcast: Any) -> SignalsConfig:
    """``[signals]`` with the MAP names checked against ``[[broadcast.messages]]`` (the MAP's
    content is checked when the daemon builds: that reads the message files)."""
    cfg = SignalsConfig.from_table(t)
    names = set()
    if isinstance(broadcast, dict) and isinstance(broadcast.get("messages"), list):
        names = {m.get("name") for m in broadcast["messages"] if isinstance(m, dict)}
    for item in cfg.intersections:
        if item.map is not None and item.map not in names:
            known = ", ".join(sorted(str(n) for n in names)) or "none"
            raise ConfigError(
                f"{item.where}.map", f"no [[broadcast.messages]] entry {item.map!r} (have: {known})"
            )
    return cfg
