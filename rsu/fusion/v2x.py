"""BSM / PSM senders from decoded V2X messages (JER values, J2735 wire units).

J2735 BSM: ``coreData.{id, lat, long, speed, heading, accuracy, size}``; J2735 PSM:
``{id, position.{lat, long}, speed, heading, accuracy}``; CSAE 53 BSM: ``{id, pos.{lat, long},
speed, heading, accuracy, size}``. Units: 1e-7 degree, 0.02 m/s, 0.0125 degree, accuracy
semi-major axis 0.05 m, vehicle size in cm. "Unavailable" values become ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rsu.fusion.model import V2xSender
from rsu.geo import LocalFrame
from rsu.units import (
    DEGREE,
    HEADING,
    HEADING_UNAVAILABLE,
    LAT_UNAVAILABLE,
    LONG_UNAVAILABLE,
    SPEED,
    SPEED_UNAVAILABLE,
    scaled,
)
from rsu.v2x.message import V2xMessage

SEMI_MAJOR_UNAVAILABLE = 255


def _cm(size: Mapping[str, Any] | None, key: str) -> float | None:
    if not size or not isinstance(size.get(key), int) or size[key] <= 0:
        return None
    return float(size[key]) / 100.0


def _sigma(accuracy: Mapping[str, Any] | None) -> float | None:
    if not accuracy:
        return None
    return scaled(accuracy.get("semiMajor"), 0.05, SEMI_MAJOR_UNAVAILABLE)


def _fields(msg: V2xMessage) -> tuple[str, Mapping[str, Any], Mapping[str, Any]] | None:
    """(kind, the member holding id/speed/heading, the member holding lat/long)."""
    value = msg.value
    if not isinstance(value, Mapping):
        return None
    if msg.message_type == "BasicSafetyMessage":
        core = value.get("coreData")
        if isinstance(core, Mapping):
            return "vehicle", core, core
        pos = value.get("pos")
        if isinstance(pos, Mapping):
            return "vehicle", value, pos
    if msg.message_type == "PersonalSafetyMessage":
        pos = value.get("position")
        if isinstance(pos, Mapping):
            return "vru", value, pos
    return None


def sender_from_message(msg: V2xMessage, frame: LocalFrame, now: float) -> V2xSender | None:
    """The sender of a BSM/PSM in local ENU metres, or ``None`` (other type, no position)."""
    found = _fields(msg)
    if found is None:
        return None
    kind, body, pos = found
    lat = scaled(pos.get("lat"), DEGREE, LAT_UNAVAILABLE)
    lon = scaled(pos.get("long"), DEGREE, LONG_UNAVAILABLE)
    v2x_id = body.get("id")
    if lat is None or lon is None or not isinstance(v2x_id, str):
        return None
    e, n, _ = frame.to_enu(lat, lon)
    size = body.get("size") if kind == "vehicle" else None
    return V2xSender(
        v2x_id=v2x_id.lower(),
        message=msg.short_name,
        kind=kind,
        time=now,
        x_m=e,
        y_m=n,
        speed_mps=scaled(body.get("speed"), SPEED, SPEED_UNAVAILABLE),
        heading_deg=scaled(body.get("heading"), HEADING, HEADING_UNAVAILABLE),
        sigma_m=_sigma(body.get("accuracy") or body.get("posAccuracy")),  # J2735 / CSAE 53
        length_m=_cm(size, "length"),
        width_m=_cm(size, "width"),
    )
