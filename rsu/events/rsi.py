"""RSI (T/CSAE 53 RoadSideInformation, the ``rsiFrame``) from road events and cloud commands.

``RsiBuilder`` keeps one RTE (road traffic event) per live event of the event engine: ``new``
and ``update`` messages add or refresh it, ``end`` removes it; ``build(utc)`` gives the RSI
value to broadcast (``None`` once nothing is left). ``cloud_rsi`` turns an ``RSI/DOWN`` body of
the cn-rsu dialect (OpenV2X field names: ``eventType``, ``eventPosition``, ``eventRadius``,
``eventDescription``, ``eventPriority``, ``referencePaths`` ...) into an RSI value. Both are
JER for ``get_codec("csae53").encode({"rsiFrame": value})``; ``msgCnt`` is stamped by the
broadcast scheduler.

Units on the wire: positions 1e-7 degree (offsets from ``refPos``), ``eventRadius`` and
``pathRadius`` 0.1 m, ``moy``/``startTime`` minute of the UTC year, ``priority`` one octet whose
upper three bits are the level (``e0`` highest). ``eventType`` is a GB/T 29100 traffic event
code; the defaults in ``EVENT_TYPES`` must be checked against the code table the receiving
applications use and can be replaced per type (``[csae53.event_types]``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rsu.broadcast.scheduler import minute_of_year
from rsu.events.engine import Event
from rsu.events.rsi_cloud import PLACEHOLDER_ID
from rsu.events.zones import Zone
from rsu.fusion.rsm import position_offset, reference_position
from rsu.geo import LocalFrame
from rsu.units import wire_degrees

EVENT_TYPES: dict[str, int] = {
    "stopped_vehicle": 401,
    "wrong_way": 904,
    "over_speed": 902,
    "pedestrian_in_crosswalk": 406,
    "queue_length": 707,
}
"""Default eventType per event-engine type (unverified GB/T 29100 codes: check before use).
Types not listed (zone presence, line crossings) are not broadcast."""
PRIORITY = {"wrong_way": 7, "stopped_vehicle": 6, "pedestrian_in_crosswalk": 6, "over_speed": 5}
MAX_RTES = 8
MAX_PATH_POINTS = 32


def priority_octet(level: int) -> str:
    """RSIPriority: ``level`` 0..7 in the upper three bits, as hex."""
    return f"{(max(0, min(7, level)) << 5):02x}"


def ascii_text(text: str, limit: int = 512) -> str:
    """An IA5String-safe description (non-ASCII characters become ``?``)."""
    clean = "".join(c if 32 <= ord(c) < 127 else "?" for c in text)
    return clean[:limit] or "?"


@dataclass(frozen=True, slots=True)
class RsiSettings:
    """What does not change from one RSI to the next."""

    frame: LocalFrame
    rsu_id: str = PLACEHOLDER_ID
    """The RSU's 8-octet id as hex (``rsu.fusion.rsm.rsu_id_octets``)."""
    zones: tuple[Zone, ...] = ()
    event_types: Mapping[str, int] = field(default_factory=lambda: dict(EVENT_TYPES))
    path_radius_m: float = 3.5
    """Half-width of a reference path (one lane) around the zone outline."""
    default_radius_m: float = 20.0
    """eventRadius when the event has no zone to measure."""


@dataclass(slots=True)
class _Rte:
    rte_id: int
    event: Event
    start_utc: float


class RsiBuilder:
    """Live RTEs from event-engine messages; ``build`` gives the RSI value."""

    def __init__(self, settings: RsiSettings) -> None:
        self.settings = settings
        self._ref = reference_position(settings.frame)
        self.ref_lat, self.ref_lon = self._ref["lat"], self._ref["long"]
        self._zones = {z.name: z for z in settings.zones}
        self._live: dict[str, _Rte] = {}
        self.left_out = 0
        """Events not sent because eight were already live (RTEList is SIZE(1..8))."""

    def __len__(self) -> int:
        return len(self._live)

    def on_event(self, event: Event, utc: float) -> bool:
        """Take one event message; True when the set of RTEs (or one of them) changed."""
        if event.type not in self.settings.event_types:
            return False
        live = self._live.get(event.event_id)
        if event.phase == "end":
            return self._live.pop(event.event_id, None) is not None
        if live is not None:
            live.event = event
            return True
        if len(self._live) >= MAX_RTES:
            self.left_out += 1
            return False
        used = {r.rte_id for r in self._live.values()}
        rte_id = next(i for i in range(256) if i not in used)
        start = utc - max(0.0, event.after.time - event.after.started)
        self._live[event.event_id] = _Rte(rte_id, event, start)
        return True

    def build(self, utc: float) -> dict[str, Any] | None:
        """The RSI value with every live RTE, or ``None`` when there is none."""
        if not self._live:
            return None
        rtes = [self._rte(r) for r in sorted(self._live.values(), key=lambda r: r.rte_id)]
        return {
            "msgCnt": 0,
            "moy": minute_of_year(utc),
            "id": self.settings.rsu_id,
            "refPos": dict(self._ref),
            "rtes": rtes,
        }

    def _offset(self, x_m: float, y_m: float) -> dict[str, Any]:
        lat, lon, _ = self.settings.frame.to_geodetic(x_m, y_m)
        la, lo = wire_degrees(lat), wire_degrees(lon)
        return position_offset(la - self.ref_lat, lo - self.ref_lon, la, lo)

    def _rte(self, rte: _Rte) -> dict[str, Any]:
        ev, s = rte.event, self.settings
        zone = self._zones.get(ev.zone)
        x, y = ev.after.x_m, ev.after.y_m
        if (x is None or y is None) and zone is not None:
            x, y = _centroid(zone)
        radius = _radius(zone) if zone is not None else s.default_radius_m
        out: dict[str, Any] = {
            "rteId": rte.rte_id,
            "eventType": s.event_types[ev.type],
            "eventSource": "detection",
        }
        if x is not None and y is not None:
            out["eventPos"] = self._offset(x, y)
        out["eventRadius"] = max(0, min(65535, round(radius * 10)))
        out["description"] = {"textString": ascii_text(_describe(ev))}
        out["timeDetails"] = {"startTime": minute_of_year(rte.start_utc)}
        out["priority"] = priority_octet(PRIORITY.get(ev.type, 4))
        if zone is not None:
            points = [self._offset(px, py) for px, py in zone.polygon[:MAX_PATH_POINTS]]
            path_radius = max(0, min(65535, round(s.path_radius_m * 10)))
            out["referencePaths"] = [{"activePath": points, "pathRadius": path_radius}]
        return out


def _centroid(zone: Zone) -> tuple[float, float]:
    n = len(zone.polygon)
    return sum(p[0] for p in zone.polygon) / n, sum(p[1] for p in zone.polygon) / n


def _radius(zone: Zone) -> float:
    cx, cy = _centroid(zone)
    return max(math.hypot(px - cx, py - cy) for px, py in zone.polygon)


def _describe(ev: Event) -> str:
    parts = [ev.type, f"zone={ev.zone}"]
    if ev.object_id is not None:
        parts.append(f"object={ev.object_id}")
    a = ev.after
    if a.value is not None:
        parts.append(f"value={a.value:.1f}")
    if a.count is not None:
        parts.append(f"count={a.count}")
    return " ".join(parts)
