"""The durable spool in front of MQTT: SQLite in WAL mode, one row per publish.

Records are appended (and committed) before they are published and deleted only when the broker
has acknowledged the publish (QoS 1 PUBACK). Rows are published in ``seq`` order, so order is
kept per stream. A row holds one record, or a batch of records of one stream (``batch`` streams),
as the exact JSON payload, zlib-compressed. The bounds (bytes, age) and the priority rule (a row
may only evict rows of its own class or lower) are pure functions below, tested without SQLite.

The ``Spool`` object is used from one thread; other processes (``rsu spool stats``) may open
the same file at the same time.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from rsu.errors import SpoolError
from rsu.uplink.config import SpoolLimits
from rsu.uplink.records import CRITICAL, Record

_fast_dumps: Callable[[Any], bytes] | None
try:
    import orjson

    _fast_dumps = orjson.dumps
except ImportError:  # pragma: no cover - optional speed-up
    _fast_dumps = None

ROW_OVERHEAD = 48
"""Bytes counted per row on top of its payload (SQLite row and index cost, roughly)."""

CLASSES = 3
EVICT_SLACK = 0.01
"""When full, free this fraction of the bound beyond what is needed, so eviction is rare."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    prio INTEGER NOT NULL,
    batch INTEGER NOT NULL,
    created REAL NOT NULL,
    n INTEGER NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


# --- pure logic ------------------------------------------------------------------------------


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


def join_payload(parts: Sequence[bytes]) -> bytes:
    """One record -> its JSON object; several -> a JSON array of them."""
    if len(parts) == 1:
        return parts[0]
    return b"[" + b",".join(parts) + b"]"


SEPARATOR = b"\n"
"""Between records in a row (compact JSON never holds a raw newline)."""


# --- SQLite ---------------------------------------------------------------------------------


def lock_spool(path: str | Path) -> TextIO:
    """Hold ``<path>.lock`` (flock) so that one process at a time publishes from a spool."""
    lock_path = Path(f"{path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fh = lock_path.open("w")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        fh.close()
        raise SpoolError(f"spool {path} is in use by another process") from err
    return fh


@dataclass(frozen=True, slots=True)
class Row:
    """One spool row: ``n`` records of one stream, as compact JSON separated by newlines."""

    seq: int
    stream: str
    n: int
    batch: bool
    blob: bytes

    def records(self) -> list[bytes]:
        return self.blob.split(SEPARATOR)

    def payloads(self) -> list[bytes]:
        """What to publish: one JSON array for a batch row, else one object per record."""
        parts = self.records()
        return [join_payload(parts)] if self.batch else parts


@dataclass(frozen=True, slots=True)
class SpoolStats:
    pending: int
    rows: int
    bytes: int
    oldest: float | None
    streams: dict[str, int]
    dropped: dict[str, int]


class Spool:
    """The SQLite spool. ``append`` and ``ack`` each run in one transaction."""

    def __init__(
        self,
        path: str | Path,
        limits: SpoolLimits | None = None,
        batch_max: int = 100,
        batch_max_bytes: int = 256 * 1024,
    ) -> None:
        self.limits = limits or SpoolLimits()
        self.batch_max = batch_max
        self.batch_max_bytes = batch_max_bytes
        self.path = Path(path)
        try:
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                str(self.path), isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={self.limits.sync.upper()}")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
            self._usage = self._load_usage()
        except (sqlite3.Error, OSError) as err:
            raise SpoolError(f"cannot open spool {self.path}: {err}") from err

    def close(self) -> None:
        self._db.close()

    @property
    def usage(self) -> list[int]:
        """Bytes counted per priority class (payload + ROW_OVERHEAD per row)."""
        return list(self._usage)

    def _load_usage(self) -> list[int]:
        usage = [0] * CLASSES
        sql = "SELECT prio, SUM(length(payload)) + COUNT(*) * ?, SUM(n) FROM rows GROUP BY prio"
        self.pending_records = 0
        for prio, total, n in self._db.execute(sql, (ROW_OVERHEAD,)):
            usage[min(int(prio), CLASSES - 1)] += int(total)
            self.pending_records += int(n)
        return usage

    def append(self, records: Sequence[Record], now: float) -> int:
        """Write records (one transaction); returns how many were accepted (the rest counted
        as dropped because the spool is full of records of a higher class)."""
        if not records:
            return 0
        parts = [encode_body(r.body) for r in records]
        groups = chunk(records, self.batch_max, self.batch_max_bytes, [len(p) for p in parts])
        drops: dict[str, int] = {}
        try:
            return self._insert(records, parts, groups, now, drops)
        except SpoolError:
            self._usage = self._load_usage()  # the transaction was rolled back
            raise

    def _insert(
        self,
        records: Sequence[Record],
        parts: list[bytes],
        groups: list[list[int]],
        now: float,
        drops: dict[str, int],
    ) -> int:
        accepted = 0
        with self._txn():
            for members in groups:
                first = records[members[0]]
                blob = zlib.compress(SEPARATOR.join([parts[i] for i in members]), 1)
                size = len(blob) + ROW_OVERHEAD
                if not self._make_room(size, first.priority, drops):
                    _bump(drops, f"full:{first.stream}", len(members))
                    continue
                self._db.execute(
                    "INSERT INTO rows (stream, prio, batch, created, n, payload)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (first.stream, first.priority, first.batch, now, len(members), blob),
                )
                self._usage[first.priority] += size
                self.pending_records += len(members)
                accepted += len(members)
            self._count(drops)
        return accepted

    def _make_room(self, size: int, prio: int, drops: dict[str, int]) -> bool:
        slack = int(self.limits.max_bytes * EVICT_SLACK)
        plan = plan_room(self._usage, size, prio, self.limits.max_bytes, slack)
        if plan is None:
            return False
        for cls, amount in enumerate(plan):
            if amount > 0:
                self._evict_oldest(cls, amount, drops)
        return True

    def _evict_oldest(self, cls: int, amount: int, drops: dict[str, int]) -> None:
        freed = 0
        victims: list[int] = []
        cur = self._db.execute(
            "SELECT seq, stream, n, length(payload) FROM rows WHERE prio = ? ORDER BY seq", (cls,)
        )
        for seq, stream, n, size in cur:
            victims.append(seq)
            _bump(drops, f"size:{stream}", n)
            freed += size + ROW_OVERHEAD
            if freed >= amount:
                break
        cur.close()
        self._delete(victims)

    def fetch(self, after: int, limit: int) -> list[Row]:
        """Up to ``limit`` rows with ``seq > after``, oldest first, payload decompressed."""
        cur = self._db.execute(
            "SELECT seq, stream, n, batch, payload FROM rows WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, limit),
        )
        return [
            Row(seq, stream, n, bool(batch), zlib.decompress(blob))
            for seq, stream, n, batch, blob in cur
        ]

    def ack(self, seqs: Iterable[int]) -> None:
        """Delete acknowledged rows (one transaction). Unknown seqs (evicted) are ignored."""
        seqs = list(seqs)
        if seqs:
            with self._txn():
                self._delete(seqs)

    def _delete(self, seqs: list[int]) -> None:
        for start in range(0, len(seqs), 500):
            part = seqs[start : start + 500]
            marks = ",".join("?" * len(part))
            sql = f"DELETE FROM rows WHERE seq IN ({marks}) RETURNING prio, length(payload), n"
            for prio, size, n in self._db.execute(sql, part).fetchall():
                self._usage[min(int(prio), CLASSES - 1)] -= int(size) + ROW_OVERHEAD
                self.pending_records -= int(n)

    def expire(self, now: float) -> int:
        """Drop rows older than the age bounds; returns records dropped."""
        cut_normal, cut_critical = expiry_cutoffs(self.limits, now)
        sql = (
            "SELECT seq, stream, n FROM rows WHERE (prio < ? AND created < ?)"
            " OR (prio >= ? AND created < ?)"
        )
        rows = self._db.execute(sql, (CRITICAL, cut_normal, CRITICAL, cut_critical)).fetchall()
        if not rows:
            return 0
        drops: dict[str, int] = {}
        for _, stream, n in rows:
            _bump(drops, f"age:{stream}", n)
        with self._txn():
            self._delete([r[0] for r in rows])
            self._count(drops)
        return sum(drops.values())

    def stats(self) -> SpoolStats:
        streams: dict[str, int] = {}
        rows = pending = 0
        for stream, nrows, nrec in self._db.execute(
            "SELECT stream, COUNT(*), SUM(n) FROM rows GROUP BY stream"
        ):
            streams[stream] = int(nrec)
            rows += int(nrows)
            pending += int(nrec)
        oldest = self._db.execute("SELECT MIN(created) FROM rows").fetchone()[0]
        dropped = dict(self._db.execute("SELECT name, value FROM counters ORDER BY name"))
        return SpoolStats(pending, rows, sum(self._usage), oldest, streams, dropped)

    def pending(self) -> int:
        return int(self._db.execute("SELECT COALESCE(SUM(n), 0) FROM rows").fetchone()[0])

    def _count(self, drops: dict[str, int]) -> None:
        for name, value in drops.items():
            self._db.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?)"
                " ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                (name, value),
            )

    def _txn(self) -> _Txn:
        return _Txn(self._db)


class _Txn:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise SpoolError(f"spool: {err}") from err

    def __exit__(self, kind: object, err: object, tb: object) -> None:
        if kind is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error as exc:
                err = exc
        with contextlib.suppress(sqlite3.Error):  # the failure may have ended the transaction
            self._db.execute("ROLLBACK")
        if isinstance(err, sqlite3.Error):
            raise SpoolError(f"spool: {err}") from err


def _bump(counts: dict[str, int], key: str, n: int) -> None:
    counts[key] = counts.get(key, 0) + n
