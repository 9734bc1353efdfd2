"""What a charging site's status looks like on the air (sans-I/O): J2735 TIM, CSAE 53 RSI.

Both take a :class:`SiteView` and give the MessageFrame JER for the broadcast table; message
counters (``msgCnt``) and the TIM's ``timeStamp`` are stamped by the store-and-repeat
scheduler, which bumps them when the content changes. The content depends only on what is on
the air (the free counts, or unknown) and on ``since_utc`` (when that last changed), so
repeating an unchanged site keeps its bytes and its revision.

J2735 TravelerInformation (one ``advisory`` data frame):
- ``msgId.roadSignID``: the site's position, all view angles, MUTCD ``motoristService``;
- ``regions``: one GeographicalPath, a circle of ``radius_m`` around the site, named after it;
- ``content.advisory``: the ITIS code ``ev-charging-point`` (7980), then one ITIS text phrase
  per connector standard, ``<standard> <free>/<total>`` (``CCS 2/6``), at most 16 characters
  (ITIStextPhrase); when the data is stale: ``CCS unknown``, never an old count;
- ``startYear``/``startTime``: when the counts last changed; ``durationTime`` 32000 (the
  largest MinutesDuration: until replaced); ``packetID`` a stable 9-octet id of the site.

CSAE 53 RoadSideInformation: one RTS (road traffic sign) entry for the charging station at the
site's position, its ``description`` the same counts as ASCII text (``EV charging Main St: CCS
2/6, Type 2 4/8``), a reference path of one point with ``radius_m`` as its radius.
``signType`` is the GB 5768.2 sign class a receiver shows: ``DEFAULT_SIGN_TYPE`` is only a
placeholder; set ``[energy] sign_type`` to the code your receivers use for a charging station.

ETSI (later): EVCSN's ItsChargingStationData maps from the same view (site -> station and its
position, per-standard counts -> charging spots with their receptacle type, power and
availability), as do POI messages.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rsu.broadcast.scheduler import minute_of_year
from rsu.energy.model import SiteView
from rsu.registry import DEFAULT_MESSAGE_SET, message_set
from rsu.wire import DEFAULT_CHANNEL

ITIS_EV_CHARGING_POINT = 7980
"""ITIS code ``ev-charging-point`` (ITIS GenericLocations)."""
DURATION_UNTIL_REPLACED = 32000
TIM_PRIORITY = 5
"""SignPrority 0..7 of an advisory (not a warning)."""
ALL_DIRECTIONS = "FFFF"
"""HeadingSlice with every 22.5-degree slice set."""
DEFAULT_SIGN_TYPE = 0
"""Placeholder RTS ``signType`` (see the module doc): set ``[energy] sign_type``."""
RSI_PRIORITY = "60"
"""RSIPriority: level 3 of 0..7 in the upper three bits (information, not a hazard)."""
MAX_DESCRIPTION = 512


@dataclass(frozen=True, slots=True)
class AirSettings:
    """How the sites go on the air: the RSU's message set, radio fields, ids."""

    standard: str = DEFAULT_MESSAGE_SET
    psid: int = 0x8003
    channel: int = DEFAULT_CHANNEL
    priority: int = 5
    rsu_id: str = "0000000000000000"
    """The RSU's 8-octet CSAE ``id`` as hex (``rsu.fusion.rsm.rsu_id_octets``)."""
    sign_type: int = DEFAULT_SIGN_TYPE


def _position(view: SiteView) -> dict[str, int]:
    return {
        "lat": round(view.identity.latitude * 1e7),
        "long": round(view.identity.longitude * 1e7),
    }


def phrases(view: SiteView) -> list[str]:
    """The ITIS text phrases of a site: one per standard (``CCS 2/6``; ``CCS unknown`` when
    stale), or ``status unknown`` before anything was read."""
    if not view.counts:
        return ["status unknown"]
    if view.state == "unknown":
        return [f"{c.standard} unknown"[:16] for c in view.counts]
    return [c.phrase() for c in view.counts]


def packet_id(site_id: str) -> str:
    """A stable 9-octet TIM ``packetID`` for a site (SHA-256 of its id), as hex."""
    return hashlib.sha256(f"rsu-energy:{site_id}".encode()).digest()[:9].hex().upper()


def tim_frame(view: SiteView, radius_m: float, since_utc: float) -> dict[str, Any]:
    """The TIM MessageFrame JER of a site (``since_utc``: when its counts last changed)."""
    position = _position(view)
    items: list[dict[str, Any]] = [{"item": {"itis": ITIS_EV_CHARGING_POINT}}]
    items += [{"item": {"text": text}} for text in phrases(view)]
    region = {
        "name": view.identity.name,
        "anchor": dict(position),
        "directionality": "both",
        "closedPath": False,
        "direction": ALL_DIRECTIONS,
        "description": {
            "geometry": {
                "direction": ALL_DIRECTIONS,
                "circle": {
                    "center": dict(position),
                    "radius": max(1, min(4095, round(radius_m))),
                    "units": "meter",
                },
            }
        },
    }
    frame = {
        "notUsed": 0,
        "frameType": "advisory",
        "msgId": {
            "roadSignID": {
                "position": dict(position),
                "viewAngle": ALL_DIRECTIONS,
                "mutcdCode": "motoristService",
            }
        },
        "startYear": datetime.fromtimestamp(since_utc, tz=UTC).year,
        "startTime": minute_of_year(since_utc),
        "durationTime": DURATION_UNTIL_REPLACED,
        "priority": TIM_PRIORITY,
        "notUsed1": 0,
        "regions": [region],
        "notUsed2": 0,
        "notUsed3": 0,
        "content": {"advisory": items},
    }
    value = {"msgCnt": 0, "packetID": packet_id(view.identity.id), "dataFrames": [frame]}
    return {"messageId": 31, "value": value}


def rsi_text(view: SiteView) -> str:
    """``EV charging Main St: CCS 2/6, Type 2 4/8`` (ASCII; ``status unknown`` when stale)."""
    body = "status unknown" if view.state == "unknown" else view.text()
    if view.state == "unknown" and view.counts:
        body = ", ".join(f"{c.standard} unknown" for c in view.counts)
    text = f"EV charging {view.identity.name}: {body}"
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)[:MAX_DESCRIPTION]


def rsi_frame(
    view: SiteView, radius_m: float, since_utc: float, settings: AirSettings
) -> dict[str, Any]:
    """The CSAE 53 RSI MessageFrame JER with one RTS entry for the site."""
    ref = _position(view)
    here = {"offsetLL": {"position-LL1": {"lon": 0, "lat": 0}}}
    rts = {
        "rtsId": 0,
        "signType": settings.sign_type,
        "signPos": here,
        "description": {"textString": rsi_text(view)},
        "timeDetails": {"startTime": minute_of_year(since_utc)},
        "priority": RSI_PRIORITY,
        "referencePaths": [
            {"activePath": [here], "pathRadius": max(0, min(65535, round(radius_m * 10)))}
        ],
    }
    value = {
        "msgCnt": 0,
        "moy": minute_of_year(since_utc),
        "id": settings.rsu_id,
        "refPos": ref,
        "rtss": [rts],
    }
    return {"rsiFrame": value}


def frame(
    view: SiteView, radius_m: float, since_utc: float, settings: AirSettings
) -> dict[str, Any]:
    """TIM (J2735) or RSI (CSAE 53) of a site, in the RSU's message set."""
    if message_set(settings.standard).road_info_message == "RSI":
        return rsi_frame(view, radius_m, since_utc, settings)
    return tim_frame(view, radius_m, since_utc)
