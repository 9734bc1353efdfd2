"""JER builders for the messages road users send: J2735 BSM and PSM, CSAE 53 BSM.

Used by the simulated radio (``rsu.radio.sim``) and the HIL actors, so both send the same
messages; SI units in, wire units out (1e-7 degree, 0.02 m/s, 0.0125 degree).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rsu.units import wire_degrees, wire_heading, wire_speed


@dataclass(frozen=True, slots=True)
class Sender:
    """Where a road user is and how it moves, at one transmission."""

    ident: str
    """TemporaryID as hex (4 octets for J2735; padded to 8 for CSAE 53)."""
    msg_count: int
    sec_mark: int
    """Milliseconds within the UTC minute."""
    lat_deg: float
    lon_deg: float
    speed_mps: float
    heading_deg: float
    elevation_m: float = 250.0


def _position(s: Sender) -> dict[str, int]:
    return {"lat": wire_degrees(s.lat_deg), "long": wire_degrees(s.lon_deg)}


def _speed(s: Sender) -> int:
    return wire_speed(s.speed_mps)


def _heading(s: Sender) -> int:
    return wire_heading(s.heading_deg)


_ACCURACY = {"semiMajor": 40, "semiMinor": 40, "orientation": 0}
_STILL = {"long": 0, "lat": 0, "vert": 0, "yaw": 0}
_CAR = {"width": 190, "length": 480}


def bsm(s: Sender) -> dict[str, Any]:
    """A J2735 BasicSafetyMessage MessageFrame (core data only) of a passenger car."""
    core = {
        "msgCnt": s.msg_count % 128,
        "id": s.ident,
        "secMark": s.sec_mark,
        **_position(s),
        "elev": round(s.elevation_m * 10),
        "accuracy": dict(_ACCURACY),
        "transmission": "forwardGears",
        "speed": _speed(s),
        "heading": _heading(s),
        "angle": 0,
        "accelSet": dict(_STILL),
        "brakes": {
            "wheelBrakes": "00",
            "traction": "unavailable",
            "abs": "unavailable",
            "scs": "unavailable",
            "brakeBoost": "unavailable",
            "auxBrakes": "unavailable",
        },
        "size": dict(_CAR),
    }
    return {"messageId": 20, "value": {"coreData": core}}


def psm(s: Sender) -> dict[str, Any]:
    """A J2735 PersonalSafetyMessage MessageFrame of a pedestrian."""
    value = {
        "basicType": "aPEDESTRIAN",
        "secMark": s.sec_mark,
        "msgCnt": s.msg_count % 128,
        "id": s.ident,
        "position": _position(s),
        "accuracy": dict(_ACCURACY),
        "speed": _speed(s),
        "heading": _heading(s),
    }
    return {"messageId": 32, "value": value}


def csae_bsm(s: Sender) -> dict[str, Any]:
    """A CSAE 53 BSM (``bsmFrame``) with the members real RSUs and OBUs send."""
    value = {
        "msgCnt": s.msg_count % 128,
        "id": s.ident.rjust(16, "0"),  # OCTET STRING (SIZE(8))
        "secMark": s.sec_mark,
        "pos": {**_position(s), "elevation": round(s.elevation_m * 10)},
        "posAccuracy": dict(_ACCURACY),
        "transmission": "forwardGears",
        "speed": _speed(s),
        "heading": _heading(s),
        "accelSet": dict(_STILL),
        "brakes": {"brakePadel": "off"},
        "size": dict(_CAR),
        "vehicleClass": {"classification": 10},  # passenger vehicle
    }
    return {"bsmFrame": value}
