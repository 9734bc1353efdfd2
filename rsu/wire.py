"""Wire values on the floor: a frame heard from the air, one to send now, one to repeat.

``RxFrame`` is what every radio backend delivers; ``TxRequest`` what the daemon (or the
broadcast scheduler) asks a radio to send once; ``BroadcastMessage`` an entry of the
store-and-repeat table; ``TxLimits`` what a radio backend can carry. Values only: the radio,
the scheduler, the daemon's stages and the HIL harness share them without depending on each
other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


@dataclass(frozen=True, slots=True)
class BroadcastMessage:
    """One store-and-repeat entry. Give either ``payload`` (UPER) or ``frame_jer`` (JER)."""

    key: str
    psid: int
    channel: int
    interval_ms: int
    priority: int = 7
    payload: bytes | None = None
    frame_jer: dict[str, Any] | None = None
    message_type: str = ""
    start: float | None = None
    """UTC seconds; not sent before."""
    stop: float | None = None
    """UTC seconds; removed (expired) at this time."""
    source: str = "config"


@dataclass(frozen=True, slots=True)
class TxLimits:
    """What a radio backend can transmit: PSID and channel ranges, payload size, priority.

    The daemon checks every one-shot request and every transmission against the chosen
    backend's limits before handing it over, so an out-of-range value is an error naming the
    range, never an exception inside the backend.
    """

    backend: str
    max_psid: int = 0xFFFF_FFFF
    channels: tuple[int, int] = (0, 255)
    max_payload: int = 2048
    max_priority: int = 7

    def problem(self, psid: int, channel: int, size: int, priority: int = 7) -> str | None:
        """What is out of range for this backend (None: all fits)."""
        lo, hi = self.channels
        radio = f"the {self.backend} radio"
        if not 0 <= psid <= self.max_psid:
            return f"psid {psid} is out of range for {radio} (0..{self.max_psid})"
        if not lo <= channel <= hi:
            return f"channel {channel} is out of range for {radio} ({lo}..{hi})"
        if not 0 < size <= self.max_payload:
            return f"{size} bytes is out of range for {radio} (1..{self.max_payload} bytes)"
        if not 0 <= priority <= self.max_priority:
            return f"priority {priority} is out of range for {radio} (0..{self.max_priority})"
        return None
