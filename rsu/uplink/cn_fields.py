"""The cn-rsu view of a received message: field names and units of the Chinese RSU-to-centre
interface (as the OpenV2X centre reads ``V2X/RSU/{id}/{BSM,MAP,SPAT,RSI,RSM}/UP``).

``cn_fields(msg, rsu_id=, at=)`` returns the keys the cn-rsu dialect adds to a received-message
record, next to the decoded JER and ``standard`` that every record carries::

    {"rsuId": "R328328", "msgType": "RSM", "timestamp": 1764085283250, "content": {...}}

``content`` uses the CSAE member names (``refPos``, ``participants``, ``ptcId``, ``secMark``,
``rtes``, ``eventType`` ...) with absolute positions ``{"lat", "lon", "ele"}`` in 1e-7 degree
(ele 0.1 m) - offsets from a reference are resolved -, speed in 0.02 m/s, heading in 0.0125
degree, sizes in cm, radii in 0.1 m, enumerations as their integer codes (``ptcType`` 1 =
motor). J2735 BSM, MAP and SPAT get the same shape (J2735 uses the same units). Pure values in,
pure values out; an unexpected shape gives a smaller view, never an exception.
"""

from __future__ import annotations

from typing import Any

from rsu.v2x.message import V2xMessage

PTC_TYPES = ("unknown", "motor", "non-motor", "pedestrian", "rsu")
SOURCES = (
    "unknown",
    "selfinfo",
    "v2x",
    "video",
    "microwaveRadar",
    "loop",
    "lidar",
    "integrated",
)
EVENT_SOURCES = ("unknown", "police", "government", "meteorological", "internet", "detection")
LIGHTS = (
    "unavailable",
    "dark",
    "flashing-red",
    "red",
    "flashing-green",
    "permissive-green",
    "protected-green",
    "yellow",
    "flashing-yellow",
)
J2735_LIGHTS = {
    "stop-Then-Proceed": "flashing-red",
    "stop-And-Remain": "red",
    "pre-Movement": "flashing-green",
    "permissive-Movement-Allowed": "permissive-green",
    "protected-Movement-Allowed": "protected-green",
    "permissive-clearance": "yellow",
    "protected-clearance": "yellow",
    "caution-Conflicting-Traffic": "flashing-yellow",
}
"""J2735 MovementPhaseState -> the CSAE LightState it corresponds to."""


def _code(names: tuple[str, ...], value: Any) -> Any:
    return names.index(value) if value in names else value


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def position(pos: Any) -> dict[str, Any]:
    """``{lat, lon[, ele]}`` from a Position3D (``lat``/``long``/``elevation``) or a J2735
    BSM core (``lat``/``long``/``elev``)."""
    p = _d(pos)
    out = {"lat": p.get("lat"), "lon": p.get("long", p.get("lon"))}
    ele = p.get("elevation", p.get("elev"))
    if ele is not None:
        out["ele"] = ele
    return out


def absolute(offset: Any, ref: dict[str, Any]) -> dict[str, Any]:
    """Absolute ``{lat, lon}`` of a PositionOffsetLLV relative to ``ref`` (``{lat, lon}``)."""
    ll = _d(_d(offset).get("offsetLL"))
    if not ll:
        return {}
    choice, value = next(iter(ll.items()))
    v = _d(value)
    lat, lon = v.get("lat"), v.get("lon")
    if not isinstance(lat, int) or not isinstance(lon, int):
        return {}
    if choice == "position-LatLon":
        return {"lat": lat, "lon": lon}
    rlat, rlon = ref.get("lat"), ref.get("lon")
    if not isinstance(rlat, int) or not isinstance(rlon, int):
        return {}
    return {"lat": rlat + lat, "lon": rlon + lon}


def bsm(value: dict[str, Any]) -> dict[str, Any]:
    core = _d(value.get("coreData")) or value
    out: dict[str, Any] = {
        "id": core.get("id"),
        "msgCnt": core.get("msgCnt"),
        "secMark": core.get("secMark"),
        "pos": position(core.get("pos", core)),
        "speed": core.get("speed"),
        "heading": core.get("heading"),
    }
    for key in ("transmission", "angle", "accelSet", "size"):
        if key in core:
            out[key] = core[key]
    vclass = _d(value.get("vehicleClass"))
    if "classification" in vclass:
        out["vehicleClass"] = vclass["classification"]
    return out


def rsm(value: dict[str, Any]) -> dict[str, Any]:
    ref = position(value.get("refPos"))
    participants = []
    for raw in value.get("participants") or []:
        p = _d(raw)
        item: dict[str, Any] = {
            "ptcType": _code(PTC_TYPES, p.get("ptcType")),
            "ptcId": p.get("ptcId"),
            "source": _code(SOURCES, p.get("source")),
            "secMark": p.get("secMark"),
            "pos": absolute(p.get("pos"), ref),
            "speed": p.get("speed"),
            "heading": p.get("heading"),
            "size": p.get("size"),
        }
        if "id" in p:
            item["vehicleId"] = p["id"]
        if "accelSet" in p:
            item["accelSet"] = p["accelSet"]
        participants.append(item)
    return {
        "id": value.get("id"),
        "msgCnt": value.get("msgCnt"),
        "refPos": ref,
        "participants": participants,
    }


def _text(description: Any) -> str | None:
    d = _d(description)
    if "textString" in d:
        return str(d["textString"])
    if "textGB2312" in d:
        try:
            return bytes.fromhex(d["textGB2312"]).decode("gb2312")
        except (ValueError, UnicodeDecodeError):
            return None
    return None


def _priority(octet: Any) -> int | None:
    try:
        return int(octet, 16) >> 5
    except (TypeError, ValueError):
        return None


def _road_item(item: dict[str, Any], ref: dict[str, Any], kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {f"{kind}Id": item.get(f"{kind}Id")}
    if kind == "rte":
        out["eventType"] = item.get("eventType")
        out["eventSource"] = _code(EVENT_SOURCES, item.get("eventSource"))
        if "eventPos" in item:
            out["eventPos"] = absolute(item["eventPos"], ref)
        if "eventRadius" in item:
            out["eventRadius"] = item["eventRadius"]
    else:
        out["signType"] = item.get("signType")
        if "signPos" in item:
            out["signPos"] = absolute(item["signPos"], ref)
    text = _text(item.get("description"))
    if text is not None:
        out["description"] = text
    level = _priority(item.get("priority"))
    if level is not None:
        out["priority"] = level
    paths = item.get("referencePaths") or []
    if paths:
        out["referencePaths"] = [
            {
                "activePath": [absolute(p, ref) for p in _d(path).get("activePath") or []],
                "pathRadius": _d(path).get("pathRadius"),
            }
            for path in paths
        ]
    return out


def rsi(value: dict[str, Any]) -> dict[str, Any]:
    ref = position(value.get("refPos"))
    out: dict[str, Any] = {
        "id": value.get("id"),
        "msgCnt": value.get("msgCnt"),
        "refPos": ref,
        "rtes": [_road_item(_d(r), ref, "rte") for r in value.get("rtes") or []],
        "rtss": [_road_item(_d(r), ref, "rts") for r in value.get("rtss") or []],
    }
    if "moy" in value:
        out["moy"] = value["moy"]
    return out


def map_data(value: dict[str, Any]) -> dict[str, Any]:
    nodes = value.get("nodes") or value.get("intersections") or []
    out_nodes = []
    for raw in nodes:
        n = _d(raw)
        node: dict[str, Any] = {
            "id": n.get("id"),
            "refPos": position(n.get("refPoint", n.get("refPos"))),
        }
        if "name" in n:
            node["name"] = n["name"]
        links = n.get("inLinks") or n.get("laneSet") or []
        node["links" if "inLinks" in n else "lanes"] = len(links)
        out_nodes.append(node)
    return {"msgCnt": value.get("msgCnt", value.get("msgIssueRevision")), "nodes": out_nodes}


def _light(state: Any) -> Any:
    name = J2735_LIGHTS.get(state, state)
    return _code(LIGHTS, name)


def spat(value: dict[str, Any]) -> dict[str, Any]:
    intersections = []
    for raw in value.get("intersections") or []:
        inter = _d(raw)
        phases = []
        for raw_ph in inter.get("phases") or []:  # CSAE
            ph = _d(raw_ph)
            states = [
                {"light": _code(LIGHTS, _d(s).get("light")), "timing": _d(s).get("timing")}
                for s in ph.get("phaseStates") or []
            ]
            phases.append({"id": ph.get("id"), "phaseStates": states})
        for raw_st in inter.get("states") or []:  # J2735 movements
            st = _d(raw_st)
            states = [
                {"light": _light(_d(e).get("eventState")), "timing": _d(e).get("timing")}
                for e in st.get("state-time-speed") or []
            ]
            phases.append({"id": st.get("signalGroup"), "phaseStates": states})
        intersections.append(
            {"intersectionId": inter.get("intersectionId", inter.get("id")), "phases": phases}
        )
    return {
        "msgCnt": value.get("msgCnt"),
        "timeStamp": value.get("timeStamp"),
        "intersections": intersections,
    }


_VIEWS = {"BSM": bsm, "RSM": rsm, "RSI": rsi, "MAP": map_data, "SPAT": spat}


def content(msg: V2xMessage) -> dict[str, Any] | None:
    """The cn-rsu ``content`` of a message, or ``None`` for types without a view."""
    view = _VIEWS.get(msg.short_name)
    if view is None or not isinstance(msg.value, dict):
        return None
    return view(msg.value)


def cn_fields(msg: V2xMessage, *, rsu_id: str, at: float) -> dict[str, Any]:
    """The keys the cn-rsu dialect adds to a received-message record."""
    out: dict[str, Any] = {
        "rsuId": rsu_id,
        "msgType": msg.short_name,
        "timestamp": int(at * 1000),
    }
    view = content(msg)
    if view is not None:
        out["content"] = view
    return out
