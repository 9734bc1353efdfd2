"""Building ARS408-style CAN frames from sensor-frame object values (pure functions).

Used by the ``sim`` radar backend, the HIL CAN radar emulator and the tests: what goes out
here must come back identical (to the signal resolution) through :class:`RadarDecoder`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rsu.sensors.radar import EXTENDED, GENERAL, QUALITY, STATUS, CanFrame

CLASS_CODE = {"unknown": 0, "car": 1, "truck": 2, "person": 3, "motorcycle": 4, "bicycle": 5}


@dataclass(frozen=True, slots=True)
class RadarTarget:
    """One object as the radar itself reports it (sensor frame: forward, left)."""

    object_id: int
    dist_long_m: float
    dist_lat_m: float
    vrel_long_mps: float = 0.0
    vrel_lat_mps: float = 0.0
    dyn_prop: int = 0
    rcs_dbsm: float = 5.0
    label: str = "car"
    length_m: float = 4.4
    width_m: float = 1.8
    orientation_deg: float = 0.0
    prob_exist: int = 7
    dist_rms_index: int = 10
    meas_state: int = 2


def _clip(value: float, lo: float, hi: float) -> float:
    return min(max(value, lo), hi)


def encode_scan(
    db: Any,
    targets: Sequence[RadarTarget],
    counter: int,
    *,
    sensor_id: int = 0,
    timestamp: float = 0.0,
    quality: bool = True,
    extended: bool = True,
) -> list[CanFrame]:
    """One radar cycle: status, then general, quality and extended frames per target."""
    off = 0x10 * sensor_id

    def frame(base: int, values: dict[str, float]) -> CanFrame:
        data = db.get_message_by_frame_id(base).encode(values, strict=True)
        return CanFrame(base + off, bytes(data), timestamp)

    out = [
        frame(
            STATUS,
            {
                "Obj_NofObjects": len(targets),
                "Obj_MeasCounter": counter & 0xFFFF,
                "Obj_InterfaceVersion": 1,
            },
        )
    ]
    out += [frame(GENERAL, _general(t)) for t in targets]
    if quality:
        out += [frame(QUALITY, _quality(t)) for t in targets]
    if extended:
        out += [frame(EXTENDED, _extended(t)) for t in targets]
    return out


def _general(t: RadarTarget) -> dict[str, float]:
    return {
        "Obj_ID": t.object_id,
        "Obj_DistLong": _clip(t.dist_long_m, -500.0, 1138.2),
        "Obj_DistLat": _clip(t.dist_lat_m, -204.6, 204.8),
        "Obj_VrelLong": _clip(t.vrel_long_mps, -128.0, 127.75),
        "Obj_VrelLat": _clip(t.vrel_lat_mps, -64.0, 63.75),
        "Obj_DynProp": t.dyn_prop,
        "Obj_RCS": _clip(t.rcs_dbsm, -64.0, 63.5),
    }


def _quality(t: RadarTarget) -> dict[str, float]:
    return {
        "Obj_ID": t.object_id,
        "Obj_DistLong_rms": t.dist_rms_index,
        "Obj_DistLat_rms": t.dist_rms_index,
        "Obj_VrelLong_rms": t.dist_rms_index,
        "Obj_VrelLat_rms": t.dist_rms_index,
        "Obj_ArelLong_rms": t.dist_rms_index,
        "Obj_ArelLat_rms": t.dist_rms_index,
        "Obj_Orientation_rms": t.dist_rms_index,
        "Obj_ProbOfExist": t.prob_exist,
        "Obj_MeasState": t.meas_state,
    }


def _extended(t: RadarTarget) -> dict[str, float]:
    return {
        "Obj_ID": t.object_id,
        "Obj_ArelLong": 0.0,
        "Obj_ArelLat": 0.0,
        "Obj_Class": CLASS_CODE.get(t.label, 0),
        "Obj_OrientationAngle": _clip(t.orientation_deg, -180.0, 199.6),
        "Obj_Length": _clip(t.length_m, 0.0, 51.0),
        "Obj_Width": _clip(t.width_m, 0.0, 51.0),
    }
