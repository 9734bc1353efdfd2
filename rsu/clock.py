"""Time, injected: every sans-I/O core takes ``now`` from a ``Clock``, never from ``time``.

``monotonic()`` is for intervals and deadlines; ``time()`` is UTC wall-clock seconds since the
epoch (as GNSS/PPS would give it), used for timestamps on the wire and in records.
"""

from __future__ import annotations

import math
import time as _time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """The two clocks an RSU needs."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (for intervals)."""
        ...

    def time(self) -> float:
        """UTC seconds since the Unix epoch (for timestamps)."""
        ...


class SystemClock:
    """The real clocks of the host."""

    def monotonic(self) -> float:
        return _time.monotonic()

    def time(self) -> float:
        return _time.time()


class FakeClock:
    """A clock that moves only when told to; for tests and deterministic replay."""

    def __init__(self, start: float = 1_700_000_000.0, monotonic_start: float = 1000.0) -> None:
        self._wall = start
        self._mono = monotonic_start

    def monotonic(self) -> float:
        return self._mono

    def time(self) -> float:
        return self._wall

    def advance(self, seconds: float) -> None:
        """Move both clocks forward; a negative step is a bug in the caller."""
        if seconds < 0:
            raise ValueError("a FakeClock only moves forward")
        self._mono += seconds
        self._wall += seconds

    def set_time(self, wall: float) -> None:
        """Step the wall clock (e.g. a GNSS time correction); monotonic is unaffected."""
        self._wall = wall


_LAST_SECOND: list[tuple[int, str]] = [(-1 << 62, "")]
"""The last whole second formatted (records stamped in a burst share it: ``strftime`` of a
``datetime`` per record was ~9 % of a decode worker's time)."""


def utc_iso(seconds: float) -> str:
    """UTC ISO 8601 with milliseconds and a ``Z``: ``2026-11-25T15:41:00.123Z``."""
    frac, whole = math.modf(seconds)
    us = round(frac * 1e6)  # as ``datetime.fromtimestamp`` rounds (half to even)
    second = int(whole)
    if us >= 1_000_000:
        second, us = second + 1, us - 1_000_000
    elif us < 0:
        second, us = second - 1, us + 1_000_000
    last, prefix = _LAST_SECOND[0]
    if last != second:
        stamp = datetime.fromtimestamp(second, tz=UTC)
        prefix = stamp.strftime("%Y-%m-%dT%H:%M:%S.")
        _LAST_SECOND[0] = (second, prefix)  # one tuple, replaced whole: safe across threads
    return f"{prefix}{us // 1000:03d}Z"
