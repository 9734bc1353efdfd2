"""The one rate limit for logs of repeated bad input (a floor module: no I/O, no clock).

Every place that counts something going wrong again and again (undecodable frames, garbage on
the serial link, bad NMEA, bad controller datagrams, refused transmissions, internal errors)
logs the first :data:`FIRST` of each kind, with enough to reproduce it (hex), and from then on
every :data:`EVERY`-th, with the count so far: a flood of garbage costs a few log lines, and the
counters (``rsu status``, metrics) still see every one. By count, not by time, so the cores that
use it stay free of the clock.

>>> [n for n in range(1, 3001) if due(n)]
[1, 2, 3, 4, 5, 1000, 2000, 3000]
>>> limit = LogRate()
>>> [limit.hit("crc") for _ in range(6)]
[1, 2, 3, 4, 5, None]
"""

from __future__ import annotations

FIRST = 5
"""Occurrences of one kind logged in full."""
EVERY = 1000
"""After the first ones, one line per this many (with the count)."""


def due(n: int, first: int = FIRST, every: int = EVERY) -> bool:
    """Whether the ``n``-th occurrence (counting from 1) of one kind is logged."""
    return n <= first or n % every == 0


class LogRate:
    """Counts per kind for a place that keeps no counter of its own."""

    def __init__(self, first: int = FIRST, every: int = EVERY, max_kinds: int = 256) -> None:
        self.first = first
        self.every = every
        self.max_kinds = max_kinds
        self.counts: dict[str, int] = {}

    def hit(self, kind: str) -> int | None:
        """Count one occurrence; its number when it is to be logged, else None. Kinds past
        ``max_kinds`` share one counter (a flood of distinct kinds cannot grow memory)."""
        if kind not in self.counts and len(self.counts) >= self.max_kinds:
            kind = "other"
        n = self.counts.get(kind, 0) + 1
        self.counts[kind] = n
        return n if due(n, self.first, self.every) else None
