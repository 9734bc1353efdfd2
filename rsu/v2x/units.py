"""The "units" view: JER with wire units turned into the units people read.

Positions in degrees, elevations and sizes in metres, speeds in m/s, headings and angles in
degrees, accelerations in m/s^2, times as UTC ISO 8601 or seconds. A converted member gets the
unit in its name (``lat`` -> ``lat_deg``); a value that means "unavailable" on the wire becomes
``null``. Members without a rule are kept as they are. Rules are keyed by the member name and,
where a name means different things in different places (``lat`` of a position vs ``lat`` of
an acceleration set), by the name of the enclosing member.

J2735 and CSAE 53 use the same units for these fields (1e-7 degree, 0.02 m/s, 0.0125 degree,
0.1 m), so one rule set serves both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rsu import units as wire


@dataclass(frozen=True, slots=True)
class Rule:
    """``value * scale`` renamed to ``name + suffix``; ``unavailable`` maps to null."""

    suffix: str
    scale: float
    unavailable: int | None = None
    digits: int = 7


LATITUDE = Rule("_deg", wire.DEGREE, wire.LAT_UNAVAILABLE)
LONGITUDE = Rule("_deg", wire.DEGREE, wire.LONG_UNAVAILABLE)
ELEVATION = Rule("_m", wire.DECIMETRE, -4096, 1)
SPEED = Rule("_mps", wire.SPEED, wire.SPEED_UNAVAILABLE, 2)
HEADING = Rule("_deg", wire.HEADING, wire.HEADING_UNAVAILABLE, 4)
ACCEL = Rule("_mps2", 0.01, 2001, 2)
VERT_ACCEL = Rule("_g", 0.02, -127, 2)
YAW_RATE = Rule("_degps", 0.01, None, 2)
CENTIMETRES = Rule("_m", 0.01, 0, 2)
STEERING = Rule("_deg", 1.5, 127, 1)
MILLISECONDS = Rule("_s", 0.001, 65535, 3)
TIME_MARK = Rule("_s_of_hour", 0.1, 36001, 1)

# member -> rule, anywhere
GENERAL: dict[str, Rule] = {
    "lat": LATITUDE,
    "long": LONGITUDE,
    "lon": LONGITUDE,
    "elevation": ELEVATION,
    "elev": ELEVATION,
    "speed": SPEED,
    "heading": HEADING,
    "angle": STEERING,
    "secMark": MILLISECONDS,
    "startTime": TIME_MARK,
    "minEndTime": TIME_MARK,
    "maxEndTime": TIME_MARK,
    "likelyTime": TIME_MARK,
    "nextTime": TIME_MARK,
}
# (enclosing member, member) -> rule; ``None`` keeps the value as it is
CONTEXT: dict[tuple[str, str], Rule | None] = {
    ("accelSet", "lat"): ACCEL,
    ("accelSet", "long"): ACCEL,
    ("accelSet", "vert"): VERT_ACCEL,
    ("accelSet", "yaw"): YAW_RATE,
    ("accel4way", "lat"): ACCEL,
    ("accel4way", "long"): ACCEL,
    ("accel4way", "vert"): VERT_ACCEL,
    ("accel4way", "yaw"): YAW_RATE,
    ("size", "width"): CENTIMETRES,
    ("size", "length"): CENTIMETRES,
    ("offsetXY", "x"): CENTIMETRES,
    ("offsetXY", "y"): CENTIMETRES,
}

Special = Callable[[Any], Any]


def _ddatetime(value: Any) -> Any:
    """J2735 DDateTime / CSAE DDateTime -> ISO 8601 when the date part is complete."""
    if not isinstance(value, dict) or not {"year", "month", "day"} <= set(value):
        return value
    try:
        stamp = datetime(
            value["year"],
            value["month"],
            value["day"],
            value.get("hour", 0) if value.get("hour", 31) < 31 else 0,
            value.get("minute", 0) if value.get("minute", 60) < 60 else 0,
            tzinfo=UTC,
        ) + timedelta(milliseconds=value.get("second", 0) if value.get("second", 0) < 60000 else 0)
    except (TypeError, ValueError, OverflowError):
        return value
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


SPECIALS: dict[str, tuple[str, Special]] = {
    "utcTime": ("utcTime_iso", _ddatetime),
    "timeStamp_dt": ("timeStamp_iso", _ddatetime),
}


def to_units(value: Any, parent: str = "") -> Any:
    """The units view of a JER value (a new structure; the input is not changed)."""
    if isinstance(value, list):
        return [to_units(item, parent) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key in SPECIALS:
            name, special = SPECIALS[key]
            out[name] = special(item)
            continue
        rule = CONTEXT[(parent, key)] if (parent, key) in CONTEXT else GENERAL.get(key)
        if rule is not None and isinstance(item, int) and not isinstance(item, bool):
            out[key + rule.suffix] = (
                None if item == rule.unavailable else round(item * rule.scale, rule.digits)
            )
        else:
            out[key] = to_units(item, key)
    return out
