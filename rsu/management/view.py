"""What the agent reads: one frozen ``ManagementView`` of the daemon, swapped whole.

The daemon side (``rsu.management.service``) builds a new view from its latest snapshot and
its tables once a second and after each change; the agent thread only ever reads the current
one (one attribute read: no lock, never a half-updated view).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rsu.management.tables import Row


@dataclass(frozen=True, slots=True)
class Identity:
    rsu_id: str
    firmware: str
    manufacturer: str = "rsu-edge"
    location_desc: str = ""
    mib_version: str = "NTCIP 1218 v01"


@dataclass(frozen=True, slots=True)
class Position:
    """Latitude/longitude in degrees, elevation in metres (None: unknown)."""

    latitude: float
    longitude: float
    elevation_m: float | None = None


@dataclass(frozen=True, slots=True)
class GnssState:
    fix: Position | None
    satellites: int = 0
    quality: int = 0
    """GGA quality: 0 none, 1 GPS, 2 DGPS/SBAS, 4/5 RTK."""
    hdop: float | None = None
    deviation_m: float | None = None
    """Distance between the fix and the surveyed position."""
    gga: str = ""


@dataclass(frozen=True, slots=True)
class AppCert:
    """One application certificate of the security layer, as NTCIP 1218 lists them."""

    psids: tuple[int, ...]
    state: int
    """other(1), valid(2), notValid(3), future(4)."""
    hours_left: int | None = None
    renew_before_h: int = 168


@dataclass(frozen=True, slots=True)
class Counts:
    """The radio's per-PSID counters since the daemon started."""

    inbound: dict[int, int] = field(default_factory=dict)
    outbound: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ManagementView:
    identity: Identity
    mode: str
    """``operate`` or ``standby`` (the daemon's modes)."""
    utc: float
    uptime_s: float
    started_utc: float
    surveyed: Position | None = None
    gnss: GnssState | None = None
    temperature_c: float | None = None
    counts: Counts = field(default_factory=Counts)
    tables: dict[str, dict[int, Row]] = field(default_factory=dict)
    certificates: tuple[AppCert, ...] | None = None
    """None when ``[security]`` is not configured (the table is then absent)."""
    enrolled: bool | None = None
    alarm_levels: tuple[str, ...] = ()
    """The severity (``info``, ``warning``, ``critical``) of each active alarm."""
    radio_up: bool = True
