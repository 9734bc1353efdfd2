"""The object-list record the uplink publishes on MQTT (JSON-ready dict, SI units + WGS84)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rsu.clock import utc_iso
from rsu.fusion.model import FusedObject
from rsu.geo import LocalFrame


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def object_record(o: FusedObject, lat: float, lon: float) -> dict[str, Any]:
    """One object: id, class, WGS84 and ENU position, motion, sources and confidence."""
    return {
        "id": o.object_id,
        "label": o.label,
        "kind": o.kind,
        "lat": round(lat, 7),
        "lon": round(lon, 7),
        "x_m": round(o.x_m, 2),
        "y_m": round(o.y_m, 2),
        "speed_mps": round(o.speed_mps, 2),
        "heading_deg": _r(o.heading_deg, 1),
        "moving": o.moving,
        "confidence": round(o.confidence, 3),
        "pos_sigma_m": round(o.pos_sigma_m, 2),
        "sources": list(o.sources),
        "source_ids": list(o.source_ids),
        "self_reported": o.self_reported,
        "v2x_id": o.v2x_id,
        "length_m": _r(o.length_m, 2),
        "width_m": _r(o.width_m, 2),
    }


def object_list_record(
    objects: Sequence[FusedObject], frame: LocalFrame, *, utc: float, seq: int, rsu_id: str
) -> dict[str, Any]:
    """The whole list at one instant (``utc``: wall-clock seconds)."""
    lats, lons = frame.to_geodetic_many([o.x_m for o in objects], [o.y_m for o in objects])
    return {
        "type": "objects",
        "rsu_id": rsu_id,
        "seq": seq,
        "time": utc_iso(utc),
        "ref": {"lat": frame.lat0, "lon": frame.lon0, "alt": frame.alt0},
        "count": len(objects),
        "objects": [
            object_record(o, lat, lon) for o, lat, lon in zip(objects, lats, lons, strict=True)
        ],
    }
