"""Pure parts of the spool: how records are packed into rows, how room is made, encoding.

No SQLite here: ``plan_room`` decides what to evict (by priority class), ``chunk`` groups
records into rows (per stream, in order), ``Row`` splits a stored row into publishes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rsu.uplink.config import SpoolLimits
from rsu.uplink.records import Record

_fast_dumps: Callable[[Any], bytes] | None
try:
    import orjson

    _fast_dumps = orjson.dumps
except ImportError:  # pragma: no cover - optional speed-up
    _fast_dumps = None


def plan_room(
    usage: Sequence[int], incoming: int, prio: int, max_bytes: int, slack: int = 0
) -> list[int] | None:
    """Bytes to free per priority class so ``incoming`` bytes of class ``prio`` fit.

    Lower classes are freed first; a class above ``prio`` is never touched. Returns None when
    the row cannot fit without evicting a higher class (or is larger than the whole bound).
    """
    need = sum(usage) + incoming - max_bytes
    free = [0] * len(usage)
    if need <= 0:
        return free
    if incoming > max_bytes:
        return None
    need += slack
    for cls in range(prio + 1):
        take = min(usage[cls], need)
        free[cls] = take
        need -= take
        if need <= 0:
            return free
    return None if need > slack else free


def chunk(
    records: Sequence[Record], batch_max: int, batch_max_bytes: int, sizes: Sequence[int]
) -> list[list[int]]:
    """Group record indexes into rows: per stream (and batch flag and class), in order, up to
    ``batch_max`` records / ``batch_max_bytes`` a row. Rows are the unit of compression and
    eviction; whether a row goes out as one publish (``batch``) or one per record is separate."""
    rows: list[list[int]] = []
    open_rows: dict[tuple[str, bool, int], tuple[list[int], int]] = {}
    for i, rec in enumerate(records):
        key = (rec.stream, rec.batch, rec.priority)
        current = open_rows.get(key)
        if current is not None:
            members, total = current
            if len(members) < batch_max and total + sizes[i] <= batch_max_bytes:
                members.append(i)
                open_rows[key] = (members, total + sizes[i])
                continue
        members = [i]
        rows.append(members)
        open_rows[key] = (members, sizes[i])
    return rows


def expiry_cutoffs(limits: SpoolLimits, now: float) -> tuple[float, float]:
    """Rows created before these wall-clock times are dropped: (bulk and normal, critical)."""
    return now - limits.max_age_s, now - limits.critical_max_age_s


def encode_body(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON; orjson when installed (the ``mqtt`` extra), else the stdlib."""
    if _fast_dumps is not None:
        try:
            return _fast_dumps(body)
        except TypeError:  # e.g. an integer beyond 64 bits: the stdlib writes it
            pass
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


SEPARATOR = b"\n"
"""Between records in a row (compact JSON never holds a raw newline)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One spool row: ``n`` records of one stream, as compact JSON separated by newlines."""

    seq: int
    stream: str
    n: int
    batch: bool
    blob: bytes
    expires: float | None = None
    """UTC seconds after which the row's (perishable) records are stale, or None."""

    def records(self) -> list[bytes]:
        return self.blob.split(SEPARATOR)
