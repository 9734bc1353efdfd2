"""RSI from an ``RSI/DOWN`` cloud command (cn-rsu dialect), for the broadcast scheduler.

The body names one road event as the OpenV2X centre sends it::

    {"seqNum": "7", "eventType": 401, "eventSource": "police",
     "eventPosition": {"lat": 39.9087, "lon": 116.3975},
     "eventRadius": 50, "eventDescription": "road works", "eventPriority": 5,
     "referencePaths": [{"activePath": [{"lat": .., "lon": ..}, ...], "pathRadius": 3.5}],
     "interval_ms": 1000, "duration_s": 3600}

Positions are degrees (a float, or any number within +-180) or 1e-7 degree (a larger
integer); radii are metres; ``eventPriority`` 0..7. A body with ``data``/``jer``/``hex`` is the
JER or UPER of a whole RSI instead and does not come here. The RSI is anchored at the event
(``refPos`` = ``eventPosition``; path points as offsets from it); its ``id`` is left as
``PLACEHOLDER_ID`` for the daemon to fill with the RSU's own id (``fill_rsu_id``).
"""

from __future__ import annotations

from typing import Any

from rsu.errors import CommandError

PLACEHOLDER_ID = "0000000000000000"
EVENT_SOURCES = ("unknown", "police", "government", "meteorological", "internet", "detection")
_FIELDS = {
    "seqNum",
    "rteId",
    "alertID",
    "eventType",
    "eventSource",
    "eventPosition",
    "eventRadius",
    "eventDescription",
    "eventPriority",
    "eventConfidence",
    "referencePaths",
    "interval_ms",
    "duration_s",
    "psid",
}


def _bad(text: str) -> CommandError:
    return CommandError("bad_value", f"RSI/DOWN.{text}")


def _coord(value: Any, where: str, limit: float) -> int:
    """1e-7 degree from degrees or from 1e-7 degree (see the module doc)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(f"{where}: expected a number")
    units = round(value * 1e7) if isinstance(value, float) or abs(value) <= 180 else int(value)
    if abs(units) > limit * 1e7:
        raise _bad(f"{where}: {value} is out of range")
    if units == -1_800_000_000:  # -180 degrees: Longitude takes it as +180
        return 1_800_000_000
    return units


def _point(value: Any, where: str) -> tuple[int, int]:
    if not isinstance(value, dict) or "lat" not in value or "lon" not in value:
        raise _bad(f"{where}: expected {{lat, lon}}")
    return _coord(value["lat"], f"{where}.lat", 90.0), _coord(value["lon"], f"{where}.lon", 180.0)


def _metres(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 6553:
        raise _bad(f"{where}: expected metres 0..6553")
    return round(value * 10)


def _paths(value: Any, ref: tuple[int, int]) -> list[dict[str, Any]]:
    from rsu.fusion.rsm import position_offset

    if not isinstance(value, list) or not 1 <= len(value) <= 8:
        raise _bad("referencePaths: expected 1..8 paths")
    paths = []
    for i, path in enumerate(value):
        where = f"referencePaths[{i}]"
        points = path.get("activePath") if isinstance(path, dict) else None
        if not isinstance(points, list) or not 1 <= len(points) <= 32:
            raise _bad(f"{where}.activePath: expected 1..32 points")
        offsets = []
        for j, p in enumerate(points):
            lat, lon = _point(p, f"{where}.activePath[{j}]")
            offsets.append(position_offset(lat - ref[0], lon - ref[1], lat, lon))
        radius = _metres(path.get("pathRadius", 3.5), f"{where}.pathRadius")
        paths.append({"activePath": offsets, "pathRadius": radius})
    return paths


def cloud_rsi(data: dict[str, Any]) -> dict[str, Any]:
    """The RSI value (JER) for one ``RSI/DOWN`` event body; ``CommandError`` when invalid."""
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise _bad(f"{unknown[0]}: unknown key")
    etype = data.get("eventType")
    if isinstance(etype, bool) or not isinstance(etype, int) or not 0 <= etype <= 65535:
        raise _bad("eventType: expected an integer 0..65535 (GB/T 29100 code)")
    source = data.get("eventSource", "unknown")
    if source not in EVENT_SOURCES:
        raise _bad(f"eventSource: one of {', '.join(EVENT_SOURCES)}")
    ref = _point(data.get("eventPosition"), "eventPosition")
    rte_id = data.get("rteId", 0)
    if isinstance(rte_id, bool) or not isinstance(rte_id, int) or not 0 <= rte_id <= 255:
        raise _bad("rteId: expected 0..255")
    rte: dict[str, Any] = {
        "rteId": rte_id,
        "eventType": etype,
        "eventSource": source,
        "eventPos": {"offsetLL": {"position-LL1": {"lon": 0, "lat": 0}}},
    }
    if "eventRadius" in data:
        rte["eventRadius"] = _metres(data["eventRadius"], "eventRadius")
    rte.update(_texts_and_levels(data))
    if "referencePaths" in data:
        rte["referencePaths"] = _paths(data["referencePaths"], ref)
    return {
        "msgCnt": 0,
        "id": PLACEHOLDER_ID,
        "refPos": {"lat": ref[0], "long": ref[1]},
        "rtes": [rte],
    }


def _texts_and_levels(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    text = data.get("eventDescription")
    if text is not None:
        if not isinstance(text, str) or not 1 <= len(text) <= 256:
            raise _bad("eventDescription: expected text of 1..256 characters")
        out["description"] = _description(text)
    level = data.get("eventPriority")
    if level is not None:
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 7:
            raise _bad("eventPriority: expected 0..7")
        out["priority"] = f"{level << 5:02x}"
    conf = data.get("eventConfidence")
    if conf is not None:
        if isinstance(conf, bool) or not isinstance(conf, int | float) or not 0 <= conf <= 1:
            raise _bad("eventConfidence: expected 0..1")
        out["eventConfidence"] = round(conf * 200)
    return out


def _description(text: str) -> dict[str, str]:
    """ASCII as ``textString``; anything else as GB2312 bytes (``textGB2312``)."""
    if text.isascii():
        return {"textString": text}
    try:
        return {"textGB2312": text.encode("gb2312").hex()}
    except UnicodeEncodeError as err:
        raise _bad("eventDescription: not representable in GB2312") from err


def broadcast_body(data: dict[str, Any]) -> dict[str, Any]:
    """The ``broadcast_request`` body (``jer`` + scheduling keys) for an ``RSI/DOWN`` event."""
    body: dict[str, Any] = {k: data[k] for k in ("interval_ms", "duration_s", "psid") if k in data}
    body["jer"] = cloud_rsi(data)
    return body


def fill_rsu_id(value: Any, rsu_id: str) -> Any:
    """``value`` with a placeholder ``id`` replaced by the RSU's 8-octet id (a copy)."""
    if isinstance(value, dict) and value.get("id", PLACEHOLDER_ID).lower() == PLACEHOLDER_ID:
        return {**value, "id": rsu_id}
    return value
