"""The durable spool in front of MQTT: SQLite in WAL mode, one row per publish.

Records are appended (and committed) before they are published and deleted only when the broker
has acknowledged the publish (QoS 1 PUBACK). Rows are published in ``seq`` order, so order is
kept per stream. A row holds one record, or a batch of records of one stream (``batch`` streams),
as the exact JSON payload, zlib-compressed. The bounds (bytes, age) and the priority rule (a row
may only evict rows of its own class or lower) are pure functions in ``packing.py``.

The ``Spool`` object is used from one thread; other processes (``rsu spool stats``) may open
the same file at the same time.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import structlog

from rsu.errors import SpoolError
from rsu.uplink.config import SpoolLimits
from rsu.uplink.packing import (
    SEPARATOR,
    Row,
    chunk,
    encode_body,
    expiry_cutoffs,
    plan_room,
)
from rsu.uplink.records import CRITICAL, Record
from rsu.uplink.spool_file import SetAside, list_set_aside, open_db

log = structlog.get_logger(__name__)

DROP_LOG_EVERY_S = 10.0
RECENT_BYTES = 8 * 1024 * 1024
"""Uncompressed payloads kept for rows just written (published right after, when online)."""

ROW_OVERHEAD = 48
"""Bytes counted per row on top of its payload (SQLite row and index cost, roughly)."""

CLASSES = 3
EVICT_SLACK = 0.01
"""When full, free this fraction of the bound beyond what is needed, so eviction is rare."""

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
class SpoolStats:
    pending: int
    rows: int
    bytes: int
    oldest: float | None
    streams: dict[str, int]
    dropped: dict[str, int]
    set_aside: list[SetAside] = field(default_factory=list)
    """Bad spool files renamed out of the way (at this or an earlier start)."""


class _Recent:
    """The uncompressed payloads of the last rows written, bounded by bytes. ``low`` is the
    lowest seq that may be cached (every later row written by this process is cached until
    taken or pushed out), so fetch can skip reading and inflating those payloads."""

    def __init__(self, max_bytes: int = RECENT_BYTES) -> None:
        self.max_bytes = max_bytes
        self.low = 1 << 62
        self._rows: OrderedDict[int, bytes] = OrderedDict()
        self._bytes = 0

    def put(self, seq: int, plain: bytes) -> None:
        if not self._rows:
            self.low = seq
        self._rows[seq] = plain
        self._bytes += len(plain)
        while self._bytes > self.max_bytes and self._rows:
            old, data = self._rows.popitem(last=False)
            self._bytes -= len(data)
            self.low = old + 1

    def take(self, seq: int) -> bytes | None:
        plain = self._rows.pop(seq, None)
        if plain is not None:
            self._bytes -= len(plain)
        return plain


class Spool:
    """The SQLite spool. ``append`` and ``ack`` each run in one transaction."""

    def __init__(
        self,
        path: str | Path,
        limits: SpoolLimits | None = None,
        batch_max: int = 100,
        batch_max_bytes: int = 256 * 1024,
        *,
        salvage: bool = True,
    ) -> None:
        self.limits = limits or SpoolLimits()
        self.batch_max = batch_max
        self.batch_max_bytes = batch_max_bytes
        self.path = Path(path)
        self._recent = _Recent()
        self._unlogged: dict[str, int] = {}
        self._last_drop_log = float("-inf")
        self._flushing = False
        self._unwritten: dict[str, int] = {}
        """Drops counted while the file could not be written (a full disk): in memory until
        the next write that succeeds."""
        self._db, self.set_aside = open_db(self.path, self.limits.sync, salvage=salvage)
        try:
            self._reload()
        except sqlite3.Error as err:
            self._db.close()
            raise SpoolError(f"cannot open spool {self.path}: {err}") from err

    def close(self) -> None:
        self._db.close()

    @property
    def usage(self) -> list[int]:
        """Bytes counted per priority class (payload + ROW_OVERHEAD per row)."""
        return list(self._usage)

    @property
    def dropped(self) -> dict[str, int]:
        """Records dropped, by reason and stream, over the spool's life (kept in the file)."""
        return dict(self._dropped)

    def _reload(self) -> None:
        """The in-memory counts, from the file (at open, and after a rolled-back write)."""
        usage = [0] * CLASSES
        sql = "SELECT prio, SUM(length(payload)) + COUNT(*) * ?, SUM(n) FROM rows GROUP BY prio"
        self.pending_records = 0
        for prio, total, n in self._db.execute(sql, (ROW_OVERHEAD,)):
            usage[min(int(prio), CLASSES - 1)] += int(total)
            self.pending_records += int(n)
        self._usage = usage
        self._dropped: dict[str, int] = dict(self._db.execute("SELECT name, value FROM counters"))
        for name, value in self._unwritten.items():
            _bump(self._dropped, name, value)

    def append(self, records: Sequence[Record], now: float) -> int:
        """Write records (one transaction); returns how many were accepted (the rest counted
        as dropped because the spool is full of records of a higher class)."""
        if not records:
            return 0
        parts = [encode_body(r.body) if r.payload is None else r.payload for r in records]
        groups = chunk(records, self.batch_max, self.batch_max_bytes, [len(p) for p in parts])
        drops: dict[str, int] = {}
        accepted = self._insert(records, parts, groups, now, drops)
        self._log_drops(drops, now)
        return accepted

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
                plain = SEPARATOR.join([parts[i] for i in members])
                blob = zlib.compress(plain, 1)
                size = len(blob) + ROW_OVERHEAD
                if not self._make_room(size, first.priority, drops):
                    _bump(drops, f"full:{first.stream}", len(members))
                    continue
                expiries = [e for i in members if (e := records[i].expires) is not None]
                cur = self._db.execute(
                    "INSERT INTO rows (stream, prio, batch, created, n, payload, expires)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        first.stream,
                        first.priority,
                        first.batch,
                        now,
                        len(members),
                        blob,
                        min(expiries) if expiries else None,
                    ),
                )
                self._recent.put(int(cur.lastrowid or 0), plain)
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
        """Up to ``limit`` rows with ``seq > after``, oldest first, payload decompressed (or
        taken from the cache of rows this process just wrote: the steady-state path)."""
        cur = self._db.execute(
            "SELECT seq, stream, n, batch, CASE WHEN seq >= ? THEN NULL ELSE payload END,"
            " expires FROM rows WHERE seq > ? ORDER BY seq LIMIT ?",
            (self._recent.low, after, limit),
        )
        rows = []
        for seq, stream, n, batch, blob, expires in cur.fetchall():
            plain = self._recent.take(seq) if blob is None else None
            if plain is None:
                stored = blob if blob is not None else self._payload(seq)
                plain = zlib.decompress(stored)
            rows.append(Row(seq, stream, n, bool(batch), plain, expires))
        return rows

    def _payload(self, seq: int) -> bytes:
        row = self._db.execute("SELECT payload FROM rows WHERE seq = ?", (seq,)).fetchone()
        return bytes(row[0])

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
        """Drop rows older than the age bounds (``age:``) and perishable rows past their
        expiry (``expired:``); returns records dropped."""
        cut_normal, cut_critical = expiry_cutoffs(self.limits, now)
        sql = (
            "SELECT seq, stream, n, expires IS NOT NULL AND expires <= ? FROM rows"
            " WHERE (prio < ? AND created < ?) OR (prio >= ? AND created < ?)"
            " OR (expires IS NOT NULL AND expires <= ?)"
        )
        args = (now, CRITICAL, cut_normal, CRITICAL, cut_critical, now)
        rows = self._db.execute(sql, args).fetchall()
        if not rows:
            return 0
        drops: dict[str, int] = {}
        for _, stream, n, perished in rows:
            _bump(drops, f"{'expired' if perished else 'age'}:{stream}", n)
        with self._txn():
            self._delete([r[0] for r in rows])
            self._count(drops)
        self._log_drops(drops, now)
        return sum(drops.values())

    def drop_expired(self, rows: Sequence[Row], now: float) -> None:
        """Delete rows whose perishable records expired before they could be sent."""
        if not rows:
            return
        drops: dict[str, int] = {}
        for row in rows:
            _bump(drops, f"expired:{row.stream}", row.n)
        with self._txn():
            self._delete([r.seq for r in rows])
            self._count(drops)
        self._log_drops(drops, now)

    def _log_drops(self, drops: dict[str, int], now: float) -> None:
        """One warning per DROP_LOG_EVERY_S with the counts since the last one."""
        for key, n in drops.items():
            self._unlogged[key] = self._unlogged.get(key, 0) + n
        if self._unlogged and now - self._last_drop_log >= DROP_LOG_EVERY_S:
            log.warning("spool_dropped", counts=dict(self._unlogged), spool=str(self.path))
            self._unlogged.clear()
            self._last_drop_log = now

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
        for name, value in self._unwritten.items():
            _bump(dropped, name, value)
        aside = list_set_aside(self._db, self.path)
        return SpoolStats(pending, rows, sum(self._usage), oldest, streams, dropped, aside)

    def count_lost(self, counts: dict[str, int]) -> None:
        """Records that could not be written (a full disk): counted at once, in memory, and
        written to the file with the next write that succeeds."""
        for name, value in counts.items():
            _bump(self._unwritten, name, value)
            _bump(self._dropped, name, value)

    def _count(self, drops: dict[str, int]) -> None:
        for name, value in drops.items():
            _bump(self._dropped, name, value)
        for name, value in [*drops.items(), *self._unwritten.items()]:
            self._db.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?)"
                " ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                (name, value),
            )
        self._flushing = bool(self._unwritten)

    @contextlib.contextmanager
    def _txn(self) -> Iterator[None]:
        """One write transaction; when it is rolled back, so are the in-memory counts."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise SpoolError(f"spool: {err}") from err
        try:
            self._flushing = False
            yield
            self._db.execute("COMMIT")
            if self._flushing:
                self._unwritten.clear()  # now in the file
        except BaseException as err:
            with contextlib.suppress(sqlite3.Error):  # the failure may have ended the txn
                self._db.execute("ROLLBACK")
            with contextlib.suppress(sqlite3.Error):
                self._reload()
            if isinstance(err, sqlite3.Error):
                raise SpoolError(f"spool: {err}") from err
            raise


def _bump(counts: dict[str, int], key: str, n: int) -> None:
    counts[key] = counts.get(key, 0) + n
