"""Reconnect backoff: doubling from min to max, each wait jittered in [d/2, d]."""

from __future__ import annotations

from rsu.uplink.mqtt import Backoff


def test_delays_double_up_to_the_cap_with_jitter_inside_half_to_full() -> None:
    b = Backoff(0.5, 8.0)
    lows = [b.next(0.0) for _ in range(7)]
    assert lows == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    b.reset()
    highs = [b.next(1.0) for _ in range(7)]
    assert highs == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    b.reset()
    assert b.next(0.5) == 0.375


def test_many_attempts_never_overflow_or_exceed_the_cap() -> None:
    b = Backoff(0.1, 60.0)
    delays = [b.next(1.0) for _ in range(2000)]
    assert max(delays) == 60.0
    assert delays[-1] == 60.0
