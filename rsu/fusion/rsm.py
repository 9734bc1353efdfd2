"""RSM content (T/CSAE 53 RoadsideSafetyMessage, the ``rsmFrame`` of a CSAE MessageFrame)
from fused objects: the Chinese day-1 counterpart of the SDSM (``rsu.fusion.sdsm``).

The value is JER, ready for ``get_codec("csae53").encode({"rsmFrame": value})``. Wire units:
``refPos`` and ``pos`` offsets 1e-7 degree (``pos`` relative to ``refPos``, in the smallest
``PositionOffsetLL`` alternative that holds it), ``secMark`` ms within the UTC minute, ``speed``
0.02 m/s, ``heading`` 0.0125 degree from north, ``size`` cm. Objects that broadcast their own
BSM (``self_reported``) are not re-announced. ``msgCnt`` is left at 0: the broadcast scheduler
stamps it from the entry's revision (``rsu.broadcast.scheduler.stamp``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rsu.errors import ConfigError
from rsu.fusion.model import FusedObject
from rsu.fusion.sdsm import position_confidence
from rsu.geo import LocalFrame
from rsu.units import HEADING_UNAVAILABLE, wire_degrees, wire_heading, wire_speed

MAX_PARTICIPANTS = 16
"""ParticipantList is SIZE(1..16) in CSAE 53."""

_OFFSET_CHOICES = (
    ("position-LL1", 2047),
    ("position-LL2", 8191),
    ("position-LL3", 32767),
    ("position-LL4", 131071),
    ("position-LL5", 2097151),
    ("position-LL6", 8388607),
)
# BasicVehicleClass (values shared with J2735): passenger, truck, motorcycle, transit (bus)
_VEHICLE_CLASS = {"car": 10, "truck": 25, "motorcycle": 40, "bus": 50}


def rsu_id_octets(text: str, where: str = "rsu.id") -> str:
    """The 8-octet CSAE ``id`` of the RSU as hex: 16 hex digits as given, or up to 8 ASCII
    characters padded with zero bytes (``"12345"`` -> ``3132333435000000``); a longer name is
    hashed (SHA-256, first 8 octets)."""
    if len(text) == 16:
        try:
            return bytes.fromhex(text).hex()
        except ValueError:
            pass
    raw = text.encode("utf-8")
    if not raw:
        raise ConfigError(where, "an empty id cannot name the RSU")
    if len(raw) > 8:  # a longer name: the first 8 octets of its SHA-256, stable across runs
        return hashlib.sha256(raw).digest()[:8].hex()
    return raw.ljust(8, b"\0").hex()


def sec_mark(utc: float) -> int:
    """DSecond: milliseconds within the current UTC minute."""
    return round(utc * 1000) % 60000


def position_offset(dlat: int, dlon: int, lat: int, lon: int) -> dict[str, Any]:
    """``PositionOffsetLLV`` for an offset of ``dlat``/``dlon`` (1e-7 degree) from the
    reference; the smallest alternative that holds both, else the absolute ``lat``/``lon``."""
    worst = max(abs(dlat), abs(dlon))
    for choice, limit in _OFFSET_CHOICES:
        if worst <= limit:
            return {"offsetLL": {choice: {"lon": dlon, "lat": dlat}}}
    return {"offsetLL": {"position-LatLon": {"lon": lon, "lat": lat}}}


@dataclass(frozen=True, slots=True)
class RsmSettings:
    """What does not change from one RSM to the next."""

    frame: LocalFrame
    rsu_id: str = "0000000000000000"
    """The RSU's 8-octet id as hex (see ``rsu_id_octets``)."""
    max_participants: int = MAX_PARTICIPANTS


def reference_position(frame: LocalFrame) -> dict[str, int]:
    """CSAE ``Position3D`` of the RSU's local frame origin (1e-7 degree, 0.1 m)."""
    return {
        "lat": wire_degrees(frame.lat0),
        "long": wire_degrees(frame.lon0),
        "elevation": max(-4095, min(61439, round(frame.alt0 * 10))),
    }


class RsmBuilder:
    """Builds successive RSM values from the fused picture."""

    def __init__(self, settings: RsmSettings) -> None:
        self.settings = settings
        self._ref = reference_position(settings.frame)
        self.ref_lat, self.ref_lon = self._ref["lat"], self._ref["long"]
        self.left_out = 0
        """Objects beyond ``max_participants`` in the RSMs built so far (most confident kept)."""

    def build(self, objects: Sequence[FusedObject], utc: float) -> dict[str, Any] | None:
        """The RSM value for ``objects`` at ``utc``, or ``None`` when there is nobody to
        announce."""
        shared = [o for o in objects if not o.self_reported]
        shared.sort(key=lambda o: -o.confidence)
        limit = min(self.settings.max_participants, MAX_PARTICIPANTS)
        self.left_out += max(0, len(shared) - limit)
        shared = shared[:limit]
        if not shared:
            return None
        lats, lons = self.settings.frame.to_geodetic_many(
            [o.x_m for o in shared], [o.y_m for o in shared]
        )
        mark = sec_mark(utc)
        participants = [
            participant(o, wire_degrees(lat), wire_degrees(lon), self.ref_lat, self.ref_lon, mark)
            for o, lat, lon in zip(shared, lats, lons, strict=True)
        ]
        return {
            "msgCnt": 0,
            "id": self.settings.rsu_id,
            "refPos": dict(self._ref),
            "participants": participants,
        }


def participant_type(o: FusedObject) -> str:
    """ParticipantType: motor vehicles, non-motor (bicycles), pedestrians, unknown."""
    if o.kind == "vehicle":
        return "motor"
    if o.kind == "vru":
        return "pedestrian" if o.label == "person" else "non-motor"
    return "unknown"


def source_type(sources: Sequence[str]) -> str:
    """SourceType from the inputs that saw the object; several kinds -> ``integrated``."""
    kinds = {s.split(":", 1)[0] for s in sources}
    if len(kinds) > 1:
        return "integrated"
    kind = next(iter(kinds), "")
    names = {"camera": "video", "radar": "microwaveRadar", "v2x": "v2x", "lidar": "lidar"}
    return names.get(kind, "unknown")


def participant(
    o: FusedObject, lat: int, lon: int, ref_lat: int, ref_lon: int, mark: int
) -> dict[str, Any]:
    """One ParticipantData; ``lat``/``lon`` are the object's position in 1e-7 degree."""
    radar = any(s.startswith("radar:") for s in o.sources)
    out: dict[str, Any] = {
        "ptcType": participant_type(o),
        "ptcId": max(1, min(65535, o.object_id)),  # 0 means the RSU itself
        "source": source_type(o.sources),
        "secMark": mark,
        "pos": position_offset(lat - ref_lat, lon - ref_lon, lat, lon),
        "posConfidence": {"pos": position_confidence(o.pos_sigma_m)},
        "speed": wire_speed(o.speed_mps),
        "heading": HEADING_UNAVAILABLE if o.heading_deg is None else wire_heading(o.heading_deg),
        "motionCfd": {
            "speedCfd": "prec1ms" if radar else "prec5ms",
            "headingCfd": "unavailable" if o.heading_deg is None else "prec10deg",
        },
        "size": _size(o),
    }
    if o.v2x_id is not None:
        out["id"] = _vehicle_id(o.v2x_id)
    vclass = _VEHICLE_CLASS.get(o.label)
    if vclass is not None:
        out["vehicleClass"] = {"classification": vclass}
    return out


def _size(o: FusedObject) -> dict[str, int]:
    """Size in cm; 0 where it was not measured (as roadside units commonly send it)."""
    width = 0 if o.width_m is None else max(0, min(1023, round(o.width_m * 100)))
    length = 0 if o.length_m is None else max(0, min(4095, round(o.length_m * 100)))
    return {"width": width, "length": length}


def _vehicle_id(v2x_id: str) -> str:
    """The sender's id as 8 octets: a 4-octet J2735 TemporaryID is right-aligned."""
    try:
        raw = bytes.fromhex(v2x_id)[-8:]
    except ValueError:
        raw = v2x_id.encode("ascii", "replace")[:8]
    return raw.rjust(8, b"\0").hex()
