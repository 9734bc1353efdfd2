"""SPaT message values from group states (pure): J2735 SPAT and CSAE 53 SPAT as JER.

Times: a controller says "n tenths of a second until the next change", counted from when the
RSU received the report (``utc``, the RSU's GNSS-disciplined clock; the controller's own
clock drifts and is not used). J2735 wants absolute ``TimeMark``s: tenths of a second within
the UTC hour, wrapping at 36000 into the next hour; 36000 means "more than an hour away" and
36001 "unknown" (leap-second values 35991..35999 are not produced). CSAE 53 counts down
(``TimeCountingDown``, tenths of a second from now, 36001 unknown).

Status: the controller's status byte is the low byte of the IntersectionStatusObject in the
standard's bit order (bit 0 = manualControlIsEnabled ... bit 7 = standbyOperation). In the
BIT STRING bit 0 is the first (most significant) bit, so byte bit ``n`` is string bit ``n``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rsu.signals.states import GroupState

TENTHS_PER_HOUR = 36000
BEYOND_HOUR = 36000
UNKNOWN = 36001
SPAT_ID = 19
"""J2735 DSRCmsgID of SPAT."""

STATUS_BITS = (
    "manualControlIsEnabled",
    "stopTimeIsActivated",
    "failureFlash",
    "preemptIsActive",
    "signalPriorityIsActive",
    "fixedTimeOperation",
    "trafficDependentOperation",
    "standbyOperation",
)
"""IntersectionStatusObject bits 0..7, as the controller's status byte carries them."""


def tenths_in_hour(utc: float) -> int:
    """Tenths of a second since the start of the UTC hour of ``utc`` (0..35999)."""
    return int((utc % 3600.0) * 10.0) % TENTHS_PER_HOUR


def time_mark(utc: float, tenths: int | None) -> int:
    """The J2735 TimeMark ``tenths`` after ``utc``: hour wrap, 36000 beyond the hour,
    36001 when ``tenths`` is unknown."""
    if tenths is None:
        return UNKNOWN
    tenths = max(tenths, 0)
    if tenths >= TENTHS_PER_HOUR:
        return BEYOND_HOUR
    return (tenths_in_hour(utc) + tenths) % TENTHS_PER_HOUR


def countdown(tenths: int | None) -> int:
    """The CSAE 53 countdown TimeMark: tenths from now, capped at 36000, 36001 unknown."""
    if tenths is None:
        return UNKNOWN
    return max(0, min(BEYOND_HOUR, tenths))


def moy_and_dsecond(utc: float) -> tuple[int, int]:
    """MinuteOfTheYear and DSecond (milliseconds within the minute) of ``utc``."""
    stamp = datetime.fromtimestamp(utc, tz=UTC)
    start = datetime(stamp.year, 1, 1, tzinfo=UTC).timestamp()
    minute = int((utc - start) // 60)
    ms = round((utc % 60.0) * 1000.0) % 60000
    return minute, ms


def status_bits(status: int) -> str:
    """The 16-bit IntersectionStatusObject (JER hex) of a controller status byte."""
    value = 0
    for n in range(8):
        if status >> n & 1:
            value |= 1 << (15 - n)
    return f"{value:04X}"


def status_names(status: int) -> list[str]:
    return [name for n, name in enumerate(STATUS_BITS) if status >> n & 1]


def _j2735_timing(g: GroupState, utc: float) -> dict[str, Any]:
    timing: dict[str, Any] = {"minEndTime": time_mark(utc, g.min_tenths)}
    if g.max_tenths is not None:
        timing["maxEndTime"] = time_mark(utc, g.max_tenths)
        if g.min_tenths == g.max_tenths:
            timing["likelyTime"] = timing["minEndTime"]
    return timing


def _reference(region: int, intersection_id: int) -> dict[str, int]:
    ref = {"id": intersection_id}
    if region:
        ref = {"region": region, "id": intersection_id}
    return ref


def j2735_intersection(
    ref: tuple[int, int],
    revision: int,
    status: int,
    groups: Sequence[GroupState],
    utc: float,
    name: str = "",
) -> dict[str, Any]:
    """One J2735 ``IntersectionState``: id, revision (the MAP's), status, moy/timeStamp of
    receipt and one ``MovementState`` per configured group."""
    moy, dsecond = moy_and_dsecond(utc)
    value: dict[str, Any] = {}
    if name:
        value["name"] = name
    value.update(
        {
            "id": _reference(*ref),
            "revision": revision % 128,
            "status": status_bits(status),
            "moy": moy,
            "timeStamp": dsecond,
            "states": [
                {
                    "signalGroup": g.signal_group,
                    "state-time-speed": [{"eventState": g.j2735, "timing": _j2735_timing(g, utc)}],
                }
                for g in groups
            ],
        }
    )
    return value


def j2735_frame(intersections: Sequence[dict[str, Any]], utc: float) -> dict[str, Any]:
    """The J2735 MessageFrame JER of a SPAT holding ``intersections``."""
    moy, _ = moy_and_dsecond(utc)
    return {"messageId": SPAT_ID, "value": {"timeStamp": moy, "intersections": list(intersections)}}


def _csae_timing(g: GroupState) -> dict[str, Any]:
    lo, hi = countdown(g.min_tenths), countdown(g.max_tenths)
    likely = lo if g.min_tenths is not None else hi
    counting: dict[str, Any] = {"startTime": 0, "likelyEndTime": likely}
    if g.min_tenths is not None:
        counting["minEndTime"] = lo
    if g.max_tenths is not None:
        counting["maxEndTime"] = hi
    return {"counting": counting}


def csae_intersection(
    ref: tuple[int, int], status: int, groups: Sequence[GroupState], utc: float
) -> dict[str, Any]:
    """One CSAE 53 ``IntersectionState``: the MAP node id, status, time and one ``Phase`` per
    configured group (its id is the signal group, as the MAP's ``phaseId`` names it)."""
    moy, dsecond = moy_and_dsecond(utc)
    return {
        "intersectionId": _reference(*ref),
        "status": status_bits(status),
        "moy": moy,
        "timeStamp": dsecond,
        "phases": [
            {
                "id": g.signal_group,
                "phaseStates": [{"light": g.csae, "timing": _csae_timing(g)}],
            }
            for g in groups
        ],
    }


def csae_frame(
    intersections: Sequence[dict[str, Any]], utc: float, count: int, name: str = ""
) -> dict[str, Any]:
    """The CSAE 53 MessageFrame JER of a SPAT (``count``: the rolling msgCnt, 0..127)."""
    moy, dsecond = moy_and_dsecond(utc)
    value: dict[str, Any] = {"msgCnt": count % 128, "moy": moy, "timeStamp": dsecond}
    if name:
        value["name"] = name
    value["intersections"] = list(intersections)
    return {"spatFrame": value}
