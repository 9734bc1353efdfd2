"""OCPI 2.2.1 Locations -> the charging-site model (sans-I/O: bytes in, EVSE statuses out).

A CPO answers ``GET {locations}/{location_id}`` with the response envelope
``{"data": Location, "status_code": 1000, "status_message": ..., "timestamp": ...}``; the
Location holds ``evses``, each with its ``uid``, ``status`` and ``connectors`` (``standard``:
the ConnectorType, ``power_type``, ``max_voltage``, ``max_amperage``, optional
``max_electric_power`` in W), and ``operator.name``. A bare Location (no envelope) is taken too.

EVSE status mapping (OCPI 2.2.1 ``Status``):

| OCPI | model | why |
|---|---|---|
| AVAILABLE | available | |
| CHARGING | occupied | a vehicle charges |
| BLOCKED | occupied | the bay is blocked (a parked car, road works): nobody can charge |
| RESERVED | reserved | |
| INOPERATIVE, OUTOFORDER | out_of_order | |
| UNKNOWN | unknown | the CPO does not know: counts as unknown, never as free |
| PLANNED, REMOVED | (not counted) | not (or no longer) part of the site |

Anything else is :class:`OcpiError` with a reason (``bad_json``, ``bad_shape``,
``ocpi_status``, ``too_large``) and the path of the value at fault: the read failed, and the
site is unknown until a good one (never a partial count from a malformed Location).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rsu.energy.model import Connector, EvseStatus, Status
from rsu.errors import CommandError, RsuError
from rsu.uplink.jsonin import load_object

MAX_BYTES = 1 << 20
"""A Location of a large hub (100 EVSEs with images and tariffs) is far below 1 MiB."""
MAX_EVSES = 1000

STATUS_MAP: dict[str, Status | None] = {
    "AVAILABLE": "available",
    "CHARGING": "occupied",
    "BLOCKED": "occupied",
    "RESERVED": "reserved",
    "INOPERATIVE": "out_of_order",
    "OUTOFORDER": "out_of_order",
    "UNKNOWN": "unknown",
    "PLANNED": None,
    "REMOVED": None,
}
"""OCPI EVSE status -> model status (None: not counted)."""

CONNECTOR_MAP: dict[str, str] = {
    "IEC_62196_T1_COMBO": "CCS",
    "IEC_62196_T2_COMBO": "CCS",
    "CHADEMO": "CHAdeMO",
    "IEC_62196_T2": "Type 2",
    "IEC_62196_T1": "Type 1",
    "GBT_AC": "GB/T AC",
    "GBT_DC": "GB/T DC",
    "TESLA_S": "NACS",
    "CHAOJI": "ChaoJi",
}
"""OCPI ConnectorType -> model standard; every other type (domestic and industrial sockets,
pantographs, Tesla Roadster, types added after 2.2.1) is ``Other``."""
_PHASES = {"AC_1_PHASE": 1, "AC_2_PHASE": 1, "AC_2_PHASE_SPLIT": 1, "AC_3_PHASE": 3, "DC": 1}


class OcpiError(RsuError, ValueError):
    """A Location that cannot be read: ``reason`` is a stable name for counters and alarms."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def parse_location(body: bytes) -> tuple[tuple[EvseStatus, ...], str]:
    """The EVSEs of a Location response and its operator's name."""
    try:
        doc = load_object(body, MAX_BYTES, "")
    except CommandError as err:
        reason = "too_large" if err.code == "too_large" else "bad_json"
        raise OcpiError(reason, str(err)) from err
    location: Any = doc
    where = ""
    if "data" in doc or "status_code" in doc:
        code = doc.get("status_code")
        if not isinstance(code, int) or isinstance(code, bool) or not 1000 <= code <= 1999:
            text = str(doc.get("status_message", ""))[:200]
            raise OcpiError("ocpi_status", f"status_code {code!r}: {text}")
        location, where = doc.get("data"), "data"
    if not isinstance(location, Mapping):
        raise OcpiError("bad_shape", f"{where or 'body'}: expected a Location object")
    evses = location.get("evses", [])
    if not isinstance(evses, list):
        raise OcpiError("bad_shape", f"{_at(where, 'evses')}: expected an array")
    if len(evses) > MAX_EVSES:
        raise OcpiError("bad_shape", f"{_at(where, 'evses')}: {len(evses)} > {MAX_EVSES}")
    out: list[EvseStatus] = []
    for i, evse in enumerate(evses):
        parsed = _evse(evse, f"{_at(where, 'evses')}[{i}]")
        if parsed is not None:
            out.append(parsed)
    return tuple(out), _operator(location.get("operator"))


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _evse(evse: Any, where: str) -> EvseStatus | None:
    if not isinstance(evse, Mapping):
        raise OcpiError("bad_shape", f"{where}: expected an EVSE object")
    uid = evse.get("uid")
    if not isinstance(uid, str) or not 1 <= len(uid) <= 36:
        raise OcpiError("bad_shape", f"{where}.uid: expected a string of 1-36 characters")
    status = evse.get("status")
    if not isinstance(status, str) or status not in STATUS_MAP:
        raise OcpiError("bad_shape", f"{where}.status: unknown EVSE status {status!r}"[:200])
    mapped = STATUS_MAP[status]
    connectors = evse.get("connectors")
    if not isinstance(connectors, list) or not connectors:
        raise OcpiError("bad_shape", f"{where}.connectors: expected a non-empty array")
    parsed = tuple(_connector(c, f"{where}.connectors[{j}]") for j, c in enumerate(connectors))
    return None if mapped is None else EvseStatus(uid, mapped, parsed)


def _connector(c: Any, where: str) -> Connector:
    if not isinstance(c, Mapping):
        raise OcpiError("bad_shape", f"{where}: expected a Connector object")
    standard = c.get("standard")
    if not isinstance(standard, str):
        raise OcpiError("bad_shape", f"{where}.standard: expected a ConnectorType string")
    return Connector(CONNECTOR_MAP.get(standard, "Other"), _power_kw(c, where))


def _power_kw(c: Mapping[str, Any], where: str) -> float | None:
    def number(key: str) -> float | None:
        value = c.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise OcpiError("bad_shape", f"{where}.{key}: expected a non-negative number")
        return float(value)

    watts = number("max_electric_power")
    if watts is None:
        volts, amps = number("max_voltage"), number("max_amperage")
        if volts is None or amps is None:
            return None
        watts = volts * amps * _PHASES.get(str(c.get("power_type")), 1)
    return round(watts / 1000.0, 1) or None


def _operator(value: Any) -> str:
    if isinstance(value, Mapping) and isinstance(value.get("name"), str):
        return "".join(ch for ch in value["name"] if ch.isprintable())[:100]
    return ""
