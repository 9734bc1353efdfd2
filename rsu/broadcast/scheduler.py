"""Store-and-repeat: what the RSU transmits, and when. Sans-I/O.

The scheduler holds entries (MAP, SPaT, TIM, RSI, SDSM ...) keyed by name. Entries come from
config files, cloud commands and perception as ``Upsert`` events and leave by ``Remove`` or by
passing their stop time. ``poll(now, utc)`` returns the ``TxRequest`` values that are due;
``next_deadline()`` says when to call it again. ``now`` is monotonic seconds (intervals),
``utc`` wall-clock seconds (start/stop windows, timestamps); the caller reads both clocks.

When an entry's content changes (an ``Upsert`` with the same key and different content) its
revision goes up and, for entries given as JER, the message's own counters are re-stamped
(``msgIssueRevision``/``revision`` of MAP, ``msgCnt`` of TIM/RSA/SDSM, ``timeStamp`` minute of
the year) before it is encoded again, so receivers see the change. An unchanged re-upsert keeps
the schedule and the bytes.
"""

from __future__ import annotations

import copy
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from rsu.broadcast.standards import frame_set
from rsu.v2x.messageset import minute_of_year
from rsu.wire import BroadcastMessage, TxRequest

__all__ = [
    "Encoder",
    "EntryReport",
    "Event",
    "Notice",
    "Remove",
    "Scheduler",
    "Upsert",
    "minute_of_year",
    "stamp",
]

Encoder = Callable[[dict[str, Any]], bytes]
"""JER of a whole MessageFrame -> bare UPER (a ``FrameEncoder``, or one codec's ``encode``)."""


@dataclass(frozen=True, slots=True)
class Upsert:
    message: BroadcastMessage


@dataclass(frozen=True, slots=True)
class Remove:
    key: str


Event = Upsert | Remove


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the daemon may log or report: added, changed, unchanged, removed, expired,
    rejected (with ``detail``)."""

    kind: str
    key: str
    revision: int = 0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class EntryReport:
    """What one entry is doing: for health, ``rsu status`` and the cloud."""

    key: str
    message_type: str
    psid: int
    channel: int
    interval_ms: int
    revision: int
    sent: int
    last_sent_utc: float | None
    state: str  # "active" or "waiting" (before its start time)
    source: str


@dataclass(slots=True)
class _Entry:
    msg: BroadcastMessage
    payload: bytes
    revision: int
    due: float
    sent: int = 0
    last_sent_utc: float | None = None
    token: int = 0


@dataclass(slots=True)
class _Stats:
    sent: int = 0
    expired: int = 0
    rejected: int = 0
    by_key: dict[str, int] = field(default_factory=dict)


def stamp(frame_jer: dict[str, Any], revision: int, utc: float) -> dict[str, Any]:
    """A copy of ``frame_jer`` with its revision counters and time stamp set (pure): how is
    the business of the message set the frame belongs to (``MessageSet.restamp``)."""
    frame = copy.deepcopy(frame_jer)
    owner = frame_set(frame)
    if owner is not None:
        owner.restamp(frame, revision, utc)
    return frame


class Scheduler:
    """The store-and-repeat table. Not thread-safe: the daemon's core loop owns it."""

    def __init__(self, encoder: Encoder | None = None, max_entries: int = 256) -> None:
        self._encode = encoder
        self._max = max_entries
        self._entries: dict[str, _Entry] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._token = 0
        self._notices: list[Notice] = []
        self.stats = _Stats()

    # --- events ---------------------------------------------------------------------------

    def on_event(self, event: Event, now: float, utc: float) -> list[Notice]:
        """Apply one event; returns the notices it caused (also kept for ``take_notices``)."""
        before = len(self._notices)
        if isinstance(event, Upsert):
            self._upsert(event.message, now, utc)
        elif self._entries.pop(event.key, None) is not None:
            self._notices.append(Notice("removed", event.key))
        return self._notices[before:]

    def _upsert(self, msg: BroadcastMessage, now: float, utc: float) -> None:
        if msg.payload is None and msg.frame_jer is None:
            self._reject(msg.key, "neither payload nor frame_jer")
            return
        if msg.interval_ms <= 0:
            self._reject(msg.key, "interval_ms must be > 0")
            return
        old = self._entries.get(msg.key)
        if old is not None and _same_content(old.msg, msg):
            old.msg = msg  # window or priority may differ; schedule and bytes stay
            self._notices.append(Notice("unchanged", msg.key, old.revision))
            return
        if old is None and len(self._entries) >= self._max:
            self._reject(msg.key, f"table full ({self._max} entries)")
            return
        revision = 0 if old is None else old.revision + 1
        try:
            payload = self._payload(msg, revision, utc)
        except Exception as err:  # the encoder's EncodeError (or a bad JER shape)
            self._reject(msg.key, f"cannot encode: {err}")
            return
        entry = _Entry(msg, payload, revision, now)
        if old is not None:
            entry.sent, entry.last_sent_utc = old.sent, old.last_sent_utc
        self._entries[msg.key] = entry
        self._schedule(entry, now)
        self._notices.append(Notice("added" if old is None else "changed", msg.key, revision))

    def _payload(self, msg: BroadcastMessage, revision: int, utc: float) -> bytes:
        if msg.frame_jer is None:
            assert msg.payload is not None
            return msg.payload
        if self._encode is None:
            raise ValueError("a JER entry needs an encoder")
        return self._encode(stamp(msg.frame_jer, revision, utc))

    def _reject(self, key: str, detail: str) -> None:
        self.stats.rejected += 1
        self._notices.append(Notice("rejected", key, detail=detail))

    def _schedule(self, entry: _Entry, due: float) -> None:
        self._token += 1
        entry.token = self._token
        entry.due = due
        heapq.heappush(self._heap, (due, self._token, entry.msg.key))

    # --- time -----------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """Monotonic time of the next thing to do, or None when the table is empty."""
        while self._heap:
            due, token, key = self._heap[0]
            entry = self._entries.get(key)
            if entry is not None and entry.token == token:
                return due
            heapq.heappop(self._heap)  # stale: entry removed or rescheduled
        return None

    def poll(self, now: float, utc: float) -> list[TxRequest]:
        """Everything due at ``now``: highest priority first, each entry at most once."""
        due: list[_Entry] = []
        while (deadline := self.next_deadline()) is not None and deadline <= now:
            _, _, key = heapq.heappop(self._heap)
            due.append(self._entries[key])
        out: list[tuple[int, float, TxRequest]] = []
        for entry in due:
            request = self._fire(entry, now, utc)
            if request is not None:
                out.append((-entry.msg.priority, entry.due, request))
        out.sort(key=lambda item: (item[0], item[1]))
        return [request for _, _, request in out]

    def _fire(self, entry: _Entry, now: float, utc: float) -> TxRequest | None:
        msg = entry.msg
        if msg.stop is not None and utc >= msg.stop:
            del self._entries[msg.key]
            self.stats.expired += 1
            self._notices.append(Notice("expired", msg.key, entry.revision))
            return None
        if msg.start is not None and utc < msg.start:
            self._schedule(entry, now + (msg.start - utc))
            return None
        interval = msg.interval_ms / 1000.0
        nxt = entry.due + interval
        if nxt <= now:  # we were late (daemon busy): no burst, resume the rhythm from now
            nxt = now + interval
        if msg.stop is not None:
            nxt = min(nxt, now + (msg.stop - utc))  # wake up to expire it on time
        entry.sent += 1
        entry.last_sent_utc = utc
        self.stats.sent += 1
        self.stats.by_key[msg.key] = self.stats.by_key.get(msg.key, 0) + 1
        self._schedule(entry, nxt)
        return TxRequest(
            payload=entry.payload,
            psid=msg.psid,
            channel=msg.channel,
            priority=msg.priority,
            message_type=msg.message_type,
            key=msg.key,
            interval_ms=msg.interval_ms,
            delivery_start=msg.start,
            delivery_stop=msg.stop,
            sign=msg.sign,
        )

    # --- reporting ------------------------------------------------------------------------

    def take_notices(self) -> list[Notice]:
        """Notices since the last call (added/changed/unchanged/removed/expired/rejected)."""
        out, self._notices = self._notices, []
        return out

    def report(self, utc: float) -> list[EntryReport]:
        """One line per entry, sorted by key."""
        return [
            EntryReport(
                key=e.msg.key,
                message_type=e.msg.message_type,
                psid=e.msg.psid,
                channel=e.msg.channel,
                interval_ms=e.msg.interval_ms,
                revision=e.revision,
                sent=e.sent,
                last_sent_utc=e.last_sent_utc,
                state="waiting" if e.msg.start is not None and utc < e.msg.start else "active",
                source=e.msg.source,
            )
            for _, e in sorted(self._entries.items())
        ]

    def payload_of(self, key: str) -> bytes | None:
        """The bytes an entry currently transmits (None when unknown)."""
        entry = self._entries.get(key)
        return None if entry is None else entry.payload

    def __len__(self) -> int:
        return len(self._entries)


def _same_content(a: BroadcastMessage, b: BroadcastMessage) -> bool:
    """Same bytes on the air and same rhythm: window/priority changes do not count."""
    keep = {"start": None, "stop": None, "priority": 0, "source": ""}
    return replace(a, **keep) == replace(b, **keep)  # type: ignore[arg-type]
