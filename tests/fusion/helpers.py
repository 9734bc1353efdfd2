"""Builders of fusion inputs for tests and the benchmark (plain values, no I/O)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rsu.fusion.fuser import Fusion
from rsu.fusion.model import FusionConfig
from rsu.geo import LocalFrame
from rsu.road_users import Track
from rsu.sensors.radar import RadarObject
from rsu.v2x import builders
from rsu.v2x.builders import Sender
from rsu.v2x.message import V2xMessage

FRAME = LocalFrame(42.3000, -83.7000, 250.0)


def track(
    tid: int,
    x: float,
    y: float,
    vx: float = 0.0,
    vy: float = 0.0,
    *,
    label: str = "car",
    t: float = 0.0,
    cam: str = "cam0",
) -> Track:
    speed = math.hypot(vx, vy)
    return Track(
        track_id=tid,
        time=t,
        x_m=x,
        y_m=y,
        vx_mps=vx,
        vy_mps=vy,
        speed_mps=speed,
        heading_deg=math.degrees(math.atan2(vx, vy)) % 360,
        label=label,
        score=0.8,
        moving=speed > 0.5,
        confirmed=True,
        hits=10,
        age_s=1.0,
        pos_sigma_m=0.3,
        sensor_id=cam,
    )


def radar_obj(
    oid: int,
    x: float,
    y: float,
    vx: float = 0.0,
    vy: float = 0.0,
    *,
    t: float = 0.0,
    label: str = "car",
    exist: float | None = 0.99,
) -> RadarObject:
    speed = math.hypot(vx, vy)
    return RadarObject(
        radar="r0",
        object_id=oid,
        time=t,
        x_m=x,
        y_m=y,
        vx_mps=vx,
        vy_mps=vy,
        speed_mps=speed,
        heading_deg=math.degrees(math.atan2(vx, vy)) % 360 if speed > 0.5 else None,
        dist_long_m=y,
        dist_lat_m=-x,
        rcs_dbsm=10.0,
        dyn_prop="moving",
        label=label,
        prob_exist=exist,
        sigma_m=0.4,
        length_m=4.5,
        width_m=1.8,
    )


def _sender(temp_id: str, x: float, y: float, speed: float, heading: float) -> Sender:
    lat, lon, _ = FRAME.to_geodetic(x, y)
    return Sender(temp_id, 1, 1023, lat, lon, speed, heading)


def bsm(temp_id: str, x: float, y: float, speed: float = 0.0, heading: float = 0.0) -> V2xMessage:
    """A J2735 BSM (``rsu.v2x.builders.bsm``) whose sender sits at ENU (x, y) of FRAME."""
    frame = builders.bsm(_sender(temp_id, x, y, speed, heading))
    return V2xMessage("j2735", "BasicSafetyMessage", 20, frame["value"], b"")


def psm(temp_id: str, x: float, y: float, speed: float = 1.2, heading: float = 90.0) -> V2xMessage:
    """A J2735 PSM (``rsu.v2x.builders.psm``) whose sender sits at ENU (x, y) of FRAME."""
    frame = builders.psm(_sender(temp_id, x, y, speed, heading))
    return V2xMessage("j2735", "PersonalSafetyMessage", 32, frame["value"], b"")


def picture(extra: Sequence[Track] = ()) -> Fusion:
    """A moving car seen by camera and radar, a pedestrian, and a parked car that sends BSMs
    (plus ``extra`` camera tracks), all at time 0."""
    f = Fusion(FusionConfig(), FRAME)
    f.update_camera(
        "cam0",
        [
            track(1, 12.3, -45.6, 0.0, 10.0, label="car"),
            track(2, -3.0, 4.0, 1.0, 0.0, label="person"),
            track(3, 30.0, 30.0, label="car"),
            *extra,
        ],
        0.0,
    )
    f.update_radar("r0", [radar_obj(8, 12.5, -45.5, 0.0, 10.0)], 0.0)
    f.update_v2x(bsm("0a0b0c0d", 30.2, 30.1), 0.0)  # car 3 announces itself
    return f
