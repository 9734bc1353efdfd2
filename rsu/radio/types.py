"""Small shared parts of the air interface: no I/O here.

``Radio`` is the protocol every backend implements; ``RadioCounters`` keeps per-direction,
per-PSID and per-message-type counts in the spirit of NTCIP 1218's per-PSID tables. The
values a radio takes and delivers (``RxFrame``, ``TxRequest``) live in ``rsu.wire``, its
receive queue is an ``rsu.queues.BoundedQueue``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from rsu.queues import BoundedQueue
from rsu.wire import RxFrame, TxLimits, TxRequest


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
        self.kernel_dropped = 0
        """Datagrams the kernel dropped before the backend read them (its socket buffer was
        full: ``SO_RXQ_OVFL`` on Linux); set by a backend that can know it."""

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
                "kernel_dropped": self.kernel_dropped,
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
    limits: TxLimits
    """What ``send`` can carry (PSID, channel, payload size); the daemon checks before."""
    rx: BoundedQueue[RxFrame]
    counters: RadioCounters

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def send(self, request: TxRequest) -> bool: ...

    def health(self) -> dict[str, object]: ...
