"""Wire values on the floor: a frame as heard from the air, a request to transmit one.

``RxFrame`` is what every radio backend delivers; ``TxRequest`` what the daemon (or the
broadcast scheduler) asks a radio to send. Values only: the radio, the scheduler, the daemon
and the HIL harness share them without depending on each other.
"""

from __future__ import annotations

from dataclasses import dataclass


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
