"""``utc_iso`` formats the whole second once and reuses it: the same text as ``datetime``."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from rsu.clock import utc_iso


def _datetime_iso(seconds: float) -> str:
    stamp = datetime.fromtimestamp(seconds, tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def test_utc_iso_is_what_datetime_writes_across_seconds_and_rounding_edges() -> None:
    rng = random.Random(14)
    values = [rng.uniform(-1e9, 4e9) for _ in range(20_000)]
    values += [1.7e9 + i / 997 for i in range(3000)]  # bursts within and across seconds
    values += [1.7e9 + 0.9999995, 1.7e9 + 0.9999996, 1.7e9 - 4e-7, 0.0, -0.5, 1e9 + 5e-4]
    values += [rng.randrange(0, 4 * 10**15) / 1e6 for _ in range(20_000)]
    for value in values:
        assert utc_iso(value) == _datetime_iso(value), value
    assert utc_iso(1764086460.123) == "2025-11-25T16:01:00.123Z"
