"""Builders of fusion inputs for tests and the benchmark (plain values, no I/O)."""

from __future__ import annotations

import math

from rsu.perception.geo import LocalFrame
from rsu.perception.ground import Track
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
