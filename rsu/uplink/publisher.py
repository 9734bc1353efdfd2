"""The publisher core, sans-I/O: spool rows and PUBACKs in, publishes and deadlines out.

The uplink's worker thread (``service.py``) is the shell around it: it reads rows from the
spool when ``rows_wanted()`` says so and hands them to ``take``, publishes what ``publishes``
returns (telling ``sent`` the MQTT message id of each), passes PUBACKs to ``acked`` and deletes
the rows it returns, drops the rows whose perishable records expired, runs the timers ``due``
names, and sleeps until ``next_deadline()``. Nothing here reads a clock, sleeps or touches a
socket or a file; every method takes ``now`` (monotonic seconds) or ``utc`` (wall-clock).

Rules it keeps:

- at most ``inflight`` publishes await a PUBACK; a row is done when every publish made from it
  is acknowledged (a row of a non-batched stream is one publish per record);
- rows are published in spool order (order is kept per stream);
- a perishable row (``Row.expires``) past its expiry is not sent: it is returned to be dropped
  and counted; one still fresh goes out with the MQTT 5 message expiry it has left;
- while ``hold(streams)`` is set, rows of other streams wait in the spool (read again, in
  order, when the hold is lifted); rows already in flight are never sent twice.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rsu.uplink.packing import Row
from rsu.uplink.wire import WireFormat

FETCH_ROWS = 8
"""Rows read from the spool at a time (each is read, and inflated, once)."""

TIMERS = ("heartbeat", "running_info", "expire", "status")


@dataclass(frozen=True, slots=True)
class Publish:
    """One MQTT publish (QoS 1). ``seq`` is the spool row it comes from (None: a direct
    message: status, heartbeat, ACK). ``expiry_s`` is the MQTT 5 message expiry interval."""

    topic: str
    payload: bytes
    seq: int | None = None
    retain: bool = False
    expiry_s: int | None = None
    content_type: str | None = None
    correlation: bytes | None = None


@dataclass(frozen=True, slots=True)
class PublisherSettings:
    inflight: int = 64
    batch_max: int = 100
    linger_s: float = 0.05
    heartbeat_s: float = 10.0
    running_info_s: float = 60.0
    expire_every_s: float = 60.0
    status_gap_s: float = 1.0
    """A changed status goes out at most this often (changes in between are coalesced)."""
    wire: WireFormat = field(default_factory=WireFormat)


@dataclass(slots=True)
class PublisherCounts:
    published: int = 0
    acked_publishes: int = 0
    rejected: int = 0
    expired: int = 0


class Publisher:
    """The publish window, the row cursor, the batching linger and the periodic timers."""

    def __init__(
        self, settings: PublisherSettings, topic: Callable[[str], str], now: float
    ) -> None:
        self.settings = settings
        self.topic = topic
        self.n = PublisherCounts()
        self.connected = False
        self.cursor = 0
        """Highest spool seq read so far."""
        self._ready: deque[Row] = deque()
        self._inflight: dict[int, int] = {}
        """MQTT message id -> spool row seq."""
        self._outstanding: dict[int, int] = {}
        """Spool row seq -> its publishes not yet acknowledged."""
        self._linger_since: float | None = None
        self._hold: frozenset[str] | None = None
        self._rewind: int | None = None
        """Lowest seq skipped because of a hold (read again once the hold is lifted)."""
        self.heartbeat_s = settings.heartbeat_s
        self.running_info_s = settings.running_info_s
        self._next: dict[str, float | None] = {
            "heartbeat": now if self.heartbeat_s > 0 else None,
            "running_info": now if self.running_info_s > 0 else None,
            "expire": now,
            "status": None,
        }
        self._last_status = -math.inf

    # --- connection ---------------------------------------------------------------------

    def on_connected(self, now: float) -> None:
        """Publishing may go on; the status (birth) is due now."""
        self.connected = True
        self._next["status"] = now
        if self.heartbeat_s > 0:  # the status just sent is this period's heartbeat
            self._next["heartbeat"] = now + self.heartbeat_s

    def on_disconnected(self) -> None:
        """Stop publishing new rows; those in flight stay in flight (the MQTT client sends
        them again after a reconnect, and their PUBACKs still count)."""
        self.connected = False

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    def idle(self) -> bool:
        """Nothing read and unpublished, nothing awaiting a PUBACK."""
        return not self._inflight and not self._ready

    # --- the in-memory queue in front of the spool -----------------------------------------

    def ingest_due(self, queued: int, now: float) -> bool:
        """True when the queued records should be committed to the spool now: a row's worth
        is waiting, or the first of them has waited ``linger_s`` (fewer, fuller rows)."""
        if queued <= 0:
            self._linger_since = None
            return False
        if self._linger_since is None:
            self._linger_since = now
        if queued >= self.settings.batch_max or now >= self._linger_since + self.settings.linger_s:
            self._linger_since = None
            return True
        return False

    # --- rows -----------------------------------------------------------------------------

    def rows_wanted(self) -> int:
        """How many rows to read from the spool (after ``cursor``) now; 0 for none."""
        if not self.connected or self._ready or len(self._inflight) >= self.settings.inflight:
            return 0
        return FETCH_ROWS

    def take(self, rows: Iterable[Row]) -> None:
        """Rows read from the spool (seq > ``cursor``, in order)."""
        for row in rows:
            self.cursor = max(self.cursor, row.seq)
            if row.seq in self._outstanding:
                continue  # read again after a hold: already in flight
            self._ready.append(row)

    def publishes(self, utc: float) -> tuple[list[Publish], list[Row]]:
        """What to publish now (window permitting), and the rows that expired unsent (to be
        dropped from the spool and counted)."""
        out: list[Publish] = []
        expired: list[Row] = []
        wire = self.settings.wire
        ctype = None if wire.plain else wire.content_type
        while (
            self._ready
            and self.connected
            and len(self._inflight) + len(out) < self.settings.inflight
        ):
            row = self._ready.popleft()
            if self._hold is not None and row.stream not in self._hold:
                self._rewind = row.seq if self._rewind is None else min(self._rewind, row.seq)
                continue
            expiry = None
            if row.expires is not None:
                left = row.expires - utc
                if left <= 0:
                    expired.append(row)
                    self.n.expired += row.n
                    continue
                expiry = max(1, math.ceil(left))
            topic = self.topic(row.stream)
            payloads = wire.payloads(row.records(), row.batch)
            self._outstanding[row.seq] = len(payloads)
            out.extend(Publish(topic, p, row.seq, False, expiry, ctype) for p in payloads)
            self.n.published += row.n
        return out, expired

    def sent(self, mid: int, seq: int) -> None:
        """The MQTT client took the publish of row ``seq`` as message id ``mid``."""
        self._inflight[mid] = seq

    def acked(self, acks: Iterable[tuple[int, bool]]) -> list[int]:
        """PUBACKs (message id, accepted); returns the rows now fully acknowledged."""
        done: list[int] = []
        for mid, ok in acks:
            seq = self._inflight.pop(mid, None)
            if seq is None:
                continue
            self.n.acked_publishes += 1
            if not ok:
                self.n.rejected += 1
            left = self._outstanding[seq] - 1
            if left:
                self._outstanding[seq] = left
            else:
                del self._outstanding[seq]
                done.append(seq)
        return done

    def hold(self, streams: frozenset[str] | None) -> None:
        """Publish only rows of ``streams`` (None: all again). Held rows stay in the spool."""
        self._hold = streams
        if streams is None and self._rewind is not None:
            self.cursor = min(self.cursor, self._rewind - 1)
            self._rewind = None
            self._ready.clear()

    # --- timers ---------------------------------------------------------------------------

    def status_changed(self, now: float) -> None:
        """The status content changed: publish it soon (at most once per ``status_gap_s``)."""
        if self._next["status"] is None:
            self._next["status"] = max(now, self._last_status + self.settings.status_gap_s)

    def set_rates(
        self, now: float, heartbeat_s: float | None, running_info_s: float | None
    ) -> None:
        """New periods from a config command (0 turns a timer off)."""
        if heartbeat_s is not None:
            self.heartbeat_s = heartbeat_s
            self._next["heartbeat"] = now + heartbeat_s if heartbeat_s > 0 else None
        if running_info_s is not None:
            self.running_info_s = running_info_s
            self._next["running_info"] = now + running_info_s if running_info_s > 0 else None

    def due(self, now: float) -> list[str]:
        """The timers due at ``now`` (each then re-armed): heartbeat, running_info, expire,
        status. Heartbeats, running info and status wait for a connection."""
        out: list[str] = []
        periods = {
            "heartbeat": self.heartbeat_s,
            "running_info": self.running_info_s,
            "expire": self.settings.expire_every_s,
        }
        for name in TIMERS:
            at = self._next[name]
            if at is None or now < at or (name != "expire" and not self.connected):
                continue
            out.append(name)
            if name == "status":
                self._next["status"] = None
                self._last_status = now
            else:
                self._next[name] = now + periods[name]
        return out

    def next_deadline(self, queued: int = 0) -> float | None:
        """When ``due`` or ``ingest_due`` next has something (monotonic), or None. With
        ``queued`` records whose linger has not started (they came while the last ones were
        committed), at once: ``ingest_due`` starts their linger."""
        if queued > 0 and self._linger_since is None:
            return -math.inf
        times = [
            t
            for name, t in self._next.items()
            if t is not None and (name == "expire" or self.connected)
        ]
        if self._linger_since is not None:
            times.append(self._linger_since + self.settings.linger_s)
        return min(times) if times else None
