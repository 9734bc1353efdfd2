"""What the RSU says about itself on the retained status and birth topics (pure values).

The daemon hands the uplink an ``RsuStatus`` (mode, radio, GNSS, alarms) once a second with
``Uplink.set_status`` (``rsu.daemon.stats.uplink_status`` builds it from the snapshot); the
uplink adds its own MQTT and spool state. A change of the status' ``key`` (standby/operate,
radio up/down, GNSS fix, an alarm raised or cleared) publishes the retained status at once
(coalesced to one a second); otherwise it goes out with each heartbeat.

The birth (``Birth``) is retained beside the status and says what this RSU is: software
version, message set, position, capabilities.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rsu.clock import utc_iso
from rsu.registry import DEFAULT_MESSAGE_SET


@dataclass(frozen=True, slots=True)
class RsuStatus:
    """The daemon's side of the status (``rsu.daemon.stats.uplink_status`` makes it).

    ``alarms``: the active ones, each with at least ``source`` and ``kind``."""

    mode: str = "unknown"
    radio: Mapping[str, Any] = field(default_factory=dict)
    gnss: Mapping[str, Any] | None = None
    alarms: tuple[Mapping[str, Any], ...] = ()

    @property
    def key(self) -> tuple[Any, ...]:
        """What counts as a change (counters and positions do not)."""
        gnss_fix = None if self.gnss is None else self.gnss.get("fix")
        alarms = tuple(sorted((str(a.get("source")), str(a.get("kind"))) for a in self.alarms))
        return (self.mode, self.radio.get("state"), gnss_fix, alarms)

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "radio": dict(self.radio),
            "gnss": None if self.gnss is None else dict(self.gnss),
            "alarms": [dict(a) for a in self.alarms],
        }


@dataclass(frozen=True, slots=True)
class LinkState:
    """The uplink's own part of the status."""

    connects: int = 0
    online_since: float | None = None
    last_outage: tuple[float, float] | None = None
    """(lost, back) wall-clock seconds of the last outage this process saw."""
    pending: int = 0
    spool_bytes: int = 0
    dropped: int = 0

    def as_dict(self) -> dict[str, Any]:
        outage = None
        if self.last_outage is not None:
            lost, back = self.last_outage
            outage = {"since": utc_iso(lost), "until": utc_iso(back), "s": round(back - lost, 3)}
        return {
            "mqtt": {
                "connected": True,
                "connects": self.connects,
                "online_since": None if self.online_since is None else utc_iso(self.online_since),
                "last_outage": outage,
            },
            "spool": {"pending": self.pending, "bytes": self.spool_bytes, "dropped": self.dropped},
        }


@dataclass(frozen=True, slots=True)
class Birth:
    """What this RSU is (retained beside the status)."""

    standard: str = DEFAULT_MESSAGE_SET
    position: tuple[float, float] | None = None
    """(lat, lon) in degrees WGS84, when known at start."""
    capabilities: tuple[str, ...] = ()
    software: str = "rsu-edge"
    version: str = ""

    def as_dict(self) -> dict[str, Any]:
        pos = None
        if self.position is not None:
            pos = {"lat": self.position[0], "lon": self.position[1]}
        return {
            "software": {"name": self.software, "version": self.version},
            "message_set": self.standard,
            "position": pos,
            "capabilities": list(self.capabilities),
        }
