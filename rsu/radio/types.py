"""Values and small shared parts of the air interface: no I/O here.

``RxFrame`` is what every backend delivers, ``TxRequest`` what the daemon (or the broadcast
scheduler) asks it to send. ``BoundedQueue`` is the hand-over from a reader thread to the core
loop; ``RadioCounters`` keeps per-direction, per-PSID and per-message-type counts in the spirit
of NTCIP 1218's per-PSID tables.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RxFrame:
    """One message as received from the air, before any decoding.

    ``payload`` is the bytes as delivered (bare UPER, or 1609.2/WSMP-wrapped);
    ``rx_monotonic`` / ``rx_utc`` are host clock readings at reception (``rx_utc`` may come from
    the radio's own GNSS-disciplined timestamp when it gives one).
    """

    payload: bytes
    rx_monotonic: float
    rx_utc: float
    channel: int | None = None
    rssi: int | None = None
    psid: int | None = None
    backend: str = ""


@dataclass(frozen=True, slots=True)
class TxRequest:
    """Ask the radio to transmit ``payload`` (bare UPER MessageFrame) once, now.

    ``key`` names the store-and-repeat entry it came from (empty for one-shots),
    ``message_type`` is the short name (``MAP``, ``SPAT``...) used by RSU 4.1 ``Type=`` and the
    counters, ``interval_ms`` the repeat interval the entry runs at (informative; RSU 4.1
    ``TxInterval``), ``delivery_start`` / ``delivery_stop`` the entry's UTC window if any.
    """

    payload: bytes
    psid: int
    channel: int = 183
    priority: int = 7
    message_type: str = ""
    key: str = ""
    interval_ms: int = 0
    tx_power_dbm: int = 20
    tx_mode: str = "CONT"
    delivery_start: float | None = None
    delivery_stop: float | None = None
    sign: bool = False
    encrypt: bool = False


DROP_OLDEST = "drop_oldest"
"""When full, the oldest item makes room for the new one (fresh V2X data wins)."""
DROP_NEWEST = "drop_newest"
"""When full, the new item is refused (``put`` returns False: the sender can say "busy")."""


class BoundedQueue(Generic[T]):
    """Thread-safe FIFO with a bound, a drop policy and a drop counter.

    By default (``DROP_OLDEST``) the oldest item is dropped when full: a BSM is stale after
    100 ms, so the freshest data is kept. ``DROP_NEWEST`` refuses the new item instead, for
    requests whose sender is waiting for an answer. ``wake``, when given, is set on every put:
    one event shared by several queues lets one consumer wait on all of them at once.
    """

    def __init__(
        self,
        maxsize: int = 1024,
        *,
        policy: str = DROP_OLDEST,
        wake: threading.Event | None = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be >= 1")
        if policy not in (DROP_OLDEST, DROP_NEWEST):
            raise ValueError(f"unknown drop policy {policy!r}")
        self._items: deque[T] = deque()
        self._maxsize = maxsize
        self._cond = threading.Condition()
        self._wake = wake
        self.policy = policy
        self.dropped = 0
        self.put_count = 0

    @property
    def maxsize(self) -> int:
        return self._maxsize

    def put(self, item: T) -> bool:
        """Add ``item``; False when an item was dropped for it (or, ``DROP_NEWEST``, it was)."""
        with self._cond:
            full = len(self._items) >= self._maxsize
            if full:
                self.dropped += 1
                if self.policy == DROP_NEWEST:
                    return False
                self._items.popleft()
            self._items.append(item)
            self.put_count += 1
            self._cond.notify()
        if self._wake is not None:
            self._wake.set()
        return not full

    def get(self, timeout: float | None = None) -> T | None:
        """The oldest item, waiting up to ``timeout`` seconds; ``None`` if nothing came."""
        with self._cond:
            if not self._items and not self._cond.wait_for(lambda: bool(self._items), timeout):
                return None
            return self._items.popleft()

    def drain(self, limit: int | None = None) -> list[T]:
        """Everything queued (up to ``limit``), without waiting."""
        with self._cond:
            n = len(self._items) if limit is None else min(limit, len(self._items))
            return [self._items.popleft() for _ in range(n)]

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)


@dataclass(slots=True)
class _Count:
    received: int = 0
    decoded: int = 0
    failed: int = 0
    sent: int = 0
    send_failed: int = 0


class RadioCounters:
    """Counts by direction, by PSID and by message type (thread-safe).

    Backends call ``received`` / ``sent`` / ``send_failed`` / ``bad_input``; the daemon calls
    ``decoded`` / ``decode_failed`` after running the codec on an ``RxFrame``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._psid: dict[str, _Count] = {}
        self._type: dict[str, _Count] = {}
        self._total = _Count()
        self.bad_input: dict[str, int] = {}

    @staticmethod
    def _pkey(psid: int | None) -> str:
        return "unknown" if psid is None else f"0x{psid:x}"

    def _bump(self, attr: str, psid: int | None, mtype: str | None) -> None:
        with self._lock:
            setattr(self._total, attr, getattr(self._total, attr) + 1)
            if psid is not None or attr in ("received", "sent"):
                c = self._psid.setdefault(self._pkey(psid), _Count())
                setattr(c, attr, getattr(c, attr) + 1)
            if mtype:
                c = self._type.setdefault(mtype, _Count())
                setattr(c, attr, getattr(c, attr) + 1)

    def received(self, psid: int | None) -> None:
        self._bump("received", psid, None)

    def decoded(self, psid: int | None, message_type: str) -> None:
        self._bump("decoded", psid, message_type)

    def decode_failed(self, psid: int | None) -> None:
        self._bump("failed", psid, None)

    def sent(self, psid: int, message_type: str = "") -> None:
        self._bump("sent", psid, message_type)

    def send_failed(self, psid: int, message_type: str = "") -> None:
        self._bump("send_failed", psid, message_type)

    def bad(self, reason: str) -> int:
        """Input rejected before it became an ``RxFrame`` (garbage, oversized, not V2X...)."""
        with self._lock:
            n = self.bad_input.get(reason, 0) + 1
            self.bad_input[reason] = n
            return n

    def snapshot(self) -> dict[str, object]:
        """A JSON-ready copy: ``{"total": {...}, "by_psid": {...}, "by_type": {...}, ...}``."""
        with self._lock:
            return {
                "total": _as_dict(self._total),
                "by_psid": {k: _as_dict(v) for k, v in sorted(self._psid.items())},
                "by_type": {k: _as_dict(v) for k, v in sorted(self._type.items())},
                "bad_input": dict(self.bad_input),
            }


def _as_dict(c: _Count) -> dict[str, int]:
    return {
        "received": c.received,
        "decoded": c.decoded,
        "failed": c.failed,
        "sent": c.sent,
        "send_failed": c.send_failed,
    }


class Radio(Protocol):
    """The air interface as the daemon sees it. Every backend implements exactly this.

    ``start()`` opens the device and starts the reader thread (it does not block on a missing
    device: the backend keeps retrying and reports it in ``health()``); ``stop()`` joins it.
    ``send()`` transmits one ``TxRequest`` now and returns True when the radio accepted it
    (False is counted in ``counters``; it never raises for a device that is down).
    Received frames arrive on ``rx``.
    """

    name: str
    rx: BoundedQueue[RxFrame]
    counters: RadioCounters

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def send(self, request: TxRequest) -> bool: ...

    def health(self) -> dict[str, object]: ...
