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
from rsu.registry import message_set
from rsu.units import scaled
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


def sender_from_message(msg: V2xMessage, frame: LocalFrame, now: float) -> V2xSender | None:
    """The sender of a BSM/PSM in local ENU metres, or ``None`` (other type, no position)."""
    report = message_set(msg.standard).sender_report(msg)
    if report is None:
        return None
    kind, body, lat, lon = report.kind, report.body, report.latitude, report.longitude
    v2x_id = report.sender_id
    if lat is None or lon is None or v2x_id is None:
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
        speed_mps=report.speed_mps,
        heading_deg=report.heading_deg,
        sigma_m=_sigma(body.get("accuracy") or body.get("posAccuracy")),  # J2735 / CSAE 53
        length_m=_cm(size, "length"),
        width_m=_cm(size, "width"),
    )
