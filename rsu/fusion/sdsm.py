"""SDSM content (J2735 messageId 41, SAE J3224 SensorDataSharingMessage) from fused objects.

The value is JER, ready for ``get_codec("j2735").encode_message("SensorDataSharingMessage",
value)``. Wire units: ``pos.offsetX/Y`` 0.1 m east/north of ``refPos`` (the RSU), ``speed``
0.02 m/s, ``heading`` 0.0125 degree, ``measurementTime`` ms relative to ``sDSMTimeStamp``,
``objTypeCfd`` percent, ``refPosXYConf.semiMajor`` 0.05 m, vehicle size cm, obstacle size 10 cm.
Objects that broadcast their own BSM/PSM (``self_reported``) are not re-announced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rsu.fusion.model import FusedObject
from rsu.geo import LocalFrame
from rsu.units import wire_degrees, wire_heading, wire_speed

_POS_CONF = (
    (0.01, "a1cm"),
    (0.02, "a2cm"),
    (0.05, "a5cm"),
    (0.1, "a10cm"),
    (0.2, "a20cm"),
    (0.5, "a50cm"),
    (1.0, "a1m"),
    (2.0, "a2m"),
    (5.0, "a5m"),
    (10.0, "a10m"),
    (20.0, "a20m"),
    (50.0, "a50m"),
    (100.0, "a100m"),
    (200.0, "a200m"),
    (500.0, "a500m"),
)
_MAX_OFFSET = 32767  # ObjectDistance, 0.1 m


def position_confidence(sigma_m: float) -> str:
    """The finest PositionConfidence class that still covers ``sigma_m``."""
    for limit, name in _POS_CONF:
        if sigma_m <= limit:
            return name
    return "unavailable"


def sdsm_timestamp(utc: float) -> dict[str, int]:
    """DDateTime of a UTC time (``second`` in milliseconds, ``offset`` 0 minutes)."""
    t = datetime.fromtimestamp(utc, tz=UTC)
    ms = t.second * 1000 + t.microsecond // 1000
    return {
        "year": t.year,
        "month": t.month,
        "day": t.day,
        "hour": t.hour,
        "minute": t.minute,
        "second": ms,
        "offset": 0,
    }


@dataclass(frozen=True, slots=True)
class SdsmSettings:
    """What does not change from one SDSM to the next."""

    frame: LocalFrame
    source_id: str = "00000001"
    """sourceID: 1..4 bytes as hex."""
    ref_sigma_m: float = 0.5
    """Accuracy of the RSU's own surveyed position (refPosXYConf)."""
    max_objects: int = 255


class SdsmBuilder:
    """Builds successive SDSM values; keeps ``msgCnt`` (0..127, wrapping)."""

    def __init__(self, settings: SdsmSettings) -> None:
        self.settings = settings
        self.msg_cnt = 0
        lat, lon, alt = settings.frame.lat0, settings.frame.lon0, settings.frame.alt0
        self._ref = {
            "lat": wire_degrees(lat),
            "long": wire_degrees(lon),
            "elevation": max(-4095, min(61439, round(alt * 10))),
        }
        semi = max(0, min(254, round(settings.ref_sigma_m / 0.05)))
        self._ref_conf = {"semiMajor": semi, "semiMinor": semi, "orientation": 0}

    def build(self, objects: Sequence[FusedObject], utc: float) -> dict[str, Any] | None:
        """The SDSM value for ``objects`` at ``utc``, or ``None`` when none is to be shared."""
        shared = [o for o in objects if not o.self_reported]
        shared.sort(key=lambda o: -o.confidence)
        entries = [e for o in shared if (e := detected_object(o)) is not None]
        entries = entries[: self.settings.max_objects]
        if not entries:
            return None
        value = {
            "msgCnt": self.msg_cnt,
            "sourceID": self.settings.source_id,
            "equipmentType": "rsu",
            "sDSMTimeStamp": sdsm_timestamp(utc),
            "refPos": dict(self._ref),
            "refPosXYConf": dict(self._ref_conf),
            "objects": entries,
        }
        self.msg_cnt = (self.msg_cnt + 1) % 128
        return value


def detected_object(o: FusedObject) -> dict[str, Any] | None:
    """One DetectedObjectData; ``None`` when the object is outside the offset range."""
    ox, oy = round(o.x_m * 10), round(o.y_m * 10)
    if abs(ox) > _MAX_OFFSET or abs(oy) > _MAX_OFFSET:
        return None
    obj_type = {"vehicle": "vehicle", "vru": "vru"}.get(o.kind, "unknown")
    radar = any(s.startswith("radar:") for s in o.sources)
    common: dict[str, Any] = {
        "objType": obj_type,
        "objTypeCfd": max(0, min(100, round(o.confidence * 100))),
        "objectID": o.object_id,
        "measurementTime": 0,  # fuse(now) predicts every object to the SDSM's own time
        "timeConfidence": "time-000-100",
        "pos": {"offsetX": ox, "offsetY": oy},
        "posConfidence": {"pos": position_confidence(o.pos_sigma_m), "elevation": "unavailable"},
        "speed": wire_speed(o.speed_mps),
        "speedConfidence": "prec1ms" if radar else "prec5ms",
        "heading": wire_heading(o.heading_deg or 0.0),
        "headingConf": "unavailable" if o.heading_deg is None else "prec10deg",
    }
    out: dict[str, Any] = {"detObjCommon": common}
    opt = _optional_data(o)
    if opt is not None:
        out["detObjOptData"] = opt
    return out


def _optional_data(o: FusedObject) -> dict[str, Any] | None:
    if o.kind == "vru":
        return {"detVRU": {"basicType": "aPEDESTRIAN" if o.label == "person" else "aPEDALCYCLIST"}}
    if o.kind == "vehicle" and o.length_m is not None and o.width_m is not None:
        size = {
            "width": max(0, min(1023, round(o.width_m * 100))),
            "length": max(0, min(4095, round(o.length_m * 100))),
        }
        return {"detVeh": {"size": size}}
    if o.kind == "unknown" and o.length_m is not None and o.width_m is not None:
        size = {
            "width": max(0, min(1023, round(o.width_m * 10))),
            "length": max(0, min(1023, round(o.length_m * 10))),
        }
        return {"detObst": {"obstSize": size, "obstSizeConfidence": _unavailable_size_conf()}}
    return None


def _unavailable_size_conf() -> dict[str, str]:
    return {"widthConfidence": "unavailable", "lengthConfidence": "unavailable"}
