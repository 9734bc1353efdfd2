"""Whether a GNSS fix can be true (sans-I/O): a receiver that says so is not believed blindly.

A fix is implausible when its position is off the globe (latitude beyond +-90, longitude beyond
+-180), its altitude is far outside where a roadside unit can stand, its speed is absurd for an
antenna bolted to a pole, or its time is far from the system clock. Such fixes are counted
(``implausible_<what>`` in the receiver's ``bad`` counts), logged (rate-limited) and not used:
no ``GnssFix`` comes out, so a receiver that only says nonsense ends in ``loss_of_fix``.

The time is compared only while the system clock itself looks set (after ``CLOCK_FLOOR_UTC``):
an RSU that booted with a dead RTC must not refuse the one source that could tell it the time.

>>> implausible(91.0, 0.0, None, None, None, None)
'position'
>>> implausible(42.0, -83.0, 250.0, 0.1, 1.8e9, 1.8e9 + 2.0) is None
True
"""

from __future__ import annotations

MIN_ALTITUDE_M = -1000.0
MAX_ALTITUDE_M = 9000.0
"""Below the Dead Sea shore and above the highest road, with room for a bad geoid model."""
MAX_SPEED_MPS = 100.0
"""360 km/h: a fixed roadside antenna reporting more has a broken receiver."""
MAX_CLOCK_OFFSET_S = 300.0
"""GNSS time this far from the system clock is refused (week-rollover bugs, spoofing)."""
CLOCK_FLOOR_UTC = 1_704_067_200.0
"""2024-01-01: a system clock before this is not set, and is not used to judge GNSS time."""


def implausible(
    lat: float,
    lon: float,
    altitude_m: float | None,
    speed_mps: float | None,
    fix_utc: float | None,
    system_utc: float | None,
) -> str | None:
    """What about a fix cannot be true (``position``, ``altitude``, ``speed``, ``time``), or
    None when it may be. NaN is never plausible."""
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return "position"
    if altitude_m is not None and not MIN_ALTITUDE_M <= altitude_m <= MAX_ALTITUDE_M:
        return "altitude"
    if speed_mps is not None and not 0.0 <= speed_mps <= MAX_SPEED_MPS:
        return "speed"
    if fix_utc is None or system_utc is None or system_utc < CLOCK_FLOOR_UTC:
        return None  # no time in the fix, or no set clock to judge it by
    return None if abs(fix_utc - system_utc) <= MAX_CLOCK_OFFSET_S else "time"
