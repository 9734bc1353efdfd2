"""Wire units of V2X messages, in one place: SI inside the RSU, these on the air.

J2735 and CSAE 53 use the same units for positions, speeds and headings (1e-7 degree,
0.02 m/s, 0.0125 degree, 0.1 m). Builders, the fusion and event cores, the daemon's summaries
and the JSON "units" view (``rsu.v2x.units``) all convert through here. A floor module: it
imports nothing of the RSU.
"""

from __future__ import annotations

from typing import Any

DEGREE = 1e-7
"""Latitude/Longitude: one unit is 1e-7 degree."""
SPEED = 0.02
"""Speed: one unit is 0.02 m/s."""
HEADING = 0.0125
"""Heading: one unit is 0.0125 degree clockwise from north."""
DECIMETRE = 0.1
"""Elevation, ObjectDistance, event and path radii: one unit is 0.1 m."""

LAT_UNAVAILABLE = 900_000_001
LONG_UNAVAILABLE = 1_800_000_001
SPEED_UNAVAILABLE = 8191
HEADING_UNAVAILABLE = 28800
HEADING_UNITS = 28800
"""Headings are 0..28799; 28800 means unavailable."""


def wire_degrees(deg: float) -> int:
    """Degrees -> 1e-7 degree (Latitude, Longitude, and offsets between them)."""
    return round(deg * 1e7)


def degrees(wire: int) -> float:
    """1e-7 degree -> degrees (the nearest float: for display to 6 decimals)."""
    return wire / 1e7


def wire_speed(mps: float) -> int:
    """m/s -> 0.02 m/s, clamped to 0..8190 (8191 means unavailable)."""
    return max(0, min(SPEED_UNAVAILABLE - 1, round(mps / SPEED)))


def wire_heading(deg: float) -> int:
    """Degrees clockwise from north -> 0.0125 degree, 0..28799."""
    return round(deg / HEADING) % HEADING_UNITS


def scaled(value: Any, scale: float, unavailable: int | None) -> float | None:
    """A wire integer times ``scale``; None when it is not an integer or "unavailable"."""
    if not isinstance(value, int) or isinstance(value, bool) or value == unavailable:
        return None
    return value * scale
