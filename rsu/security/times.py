"""IEEE 1609.2 time: ``Time32`` (seconds) and ``Time64`` (microseconds) of TAI since
2004-01-01 00:00:00 UTC, converted to and from UTC seconds since the Unix epoch.

TAI does not stop for leap seconds, so a 1609.2 time is the UTC time since 2004 plus the leap
seconds inserted since then (5 up to now: end of 2005, 2008, June 2012, June 2015, 2016).
A new leap second would be added to ``LEAP_SECONDS`` (none is planned before 2035, when the
IERS stops inserting them).

>>> utc_iso(time64_to_utc(501427679447061))
'2019-11-21T13:27:54.447Z'
"""

from __future__ import annotations

import math

from rsu.clock import utc_iso

__all__ = ["EPOCH_2004", "time32_to_utc", "time64_to_utc", "utc_iso", "utc_to_time32"]

EPOCH_2004 = 1_072_915_200
"""2004-01-01T00:00:00Z as Unix seconds."""
LEAP_SECONDS = (1_136_073_600, 1_230_768_000, 1_341_100_800, 1_435_708_800, 1_483_228_800)
"""UTC instants (Unix seconds) just after each leap second inserted since 2004."""
MAX_TIME32 = 0xFFFFFFFF


def _leaps_at_utc(utc: float) -> int:
    return sum(1 for t in LEAP_SECONDS if utc >= t)


def _leaps_at_tai(tai_since_2004: float) -> int:
    n = 0
    for t in LEAP_SECONDS:
        if tai_since_2004 >= t - EPOCH_2004 + n + 1:
            n += 1
    return n


def utc_to_time32(utc: float) -> int:
    """UTC seconds -> ``Time32`` (clamped to 0..2^32-1; NaN and infinities are an error)."""
    if not math.isfinite(utc):
        raise ValueError(f"time {utc} is not finite")
    value = math.floor(utc - EPOCH_2004) + _leaps_at_utc(utc)
    return min(max(value, 0), MAX_TIME32)


def utc_to_time64(utc: float) -> int:
    """UTC seconds -> ``Time64`` (microseconds)."""
    if not math.isfinite(utc):
        raise ValueError(f"time {utc} is not finite")
    return max(0, round((utc - EPOCH_2004 + _leaps_at_utc(utc)) * 1_000_000))


def time32_to_utc(value: int) -> float:
    return float(EPOCH_2004 + value - _leaps_at_tai(value))


def time64_to_utc(value: int) -> float:
    seconds = value / 1_000_000
    return EPOCH_2004 + seconds - _leaps_at_tai(seconds)
