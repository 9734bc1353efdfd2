"""The systemd notify protocol, by hand: one datagram per message to ``$NOTIFY_SOCKET``.

``READY=1`` once serving, ``WATCHDOG=1`` from the core loop (so a stuck core stops the pings and
systemd restarts the service), ``STATUS=...`` for ``systemctl status``, ``STOPPING=1`` at
SIGTERM. Without ``NOTIFY_SOCKET`` (not under systemd) every call is a no-op.

The protocol is a single ``sendto`` of ``KEY=VALUE`` lines on an ``AF_UNIX`` datagram socket;
a leading ``@`` in the address means the abstract namespace. No library needed.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

import structlog

log = structlog.get_logger(__name__)


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """Seconds between pings: half of ``WATCHDOG_USEC`` (None when the watchdog is off).

    ``WATCHDOG_PID``, when set, must be this process (systemd sets it for the main PID).
    """
    env = os.environ if env is None else env
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None
    return int(usec) / 1e6 / 2.0


class Notifier:
    """Sends notify messages; counts them (visible in ``rsu status``) and failures."""

    def __init__(self, address: str | None = None) -> None:
        address = os.environ.get("NOTIFY_SOCKET") if address is None else address
        self.address: str | None = address or None
        self.sent: dict[str, int] = {}
        self.failed = 0
        self._sock: socket.socket | None = None
        if self.address:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    @property
    def enabled(self) -> bool:
        return self._sock is not None

    def notify(self, **fields: str) -> bool:
        """``notify(READY="1", STATUS="serving")``; False (counted, logged once) on failure."""
        if self._sock is None or self.address is None:
            return False
        text = "\n".join(f"{k}={v}" for k, v in fields.items())
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            self._sock.sendto(text.encode(), target)
        except OSError as err:
            self.failed += 1
            if self.failed == 1:
                log.warning("notify_failed", address=self.address, error=str(err))
            return False
        for key in fields:
            self.sent[key] = self.sent.get(key, 0) + 1
        return True

    def ready(self, status: str) -> bool:
        return self.notify(READY="1", STATUS=status)

    def watchdog(self) -> bool:
        return self.notify(WATCHDOG="1")

    def status(self, text: str) -> bool:
        return self.notify(STATUS=text)

    def stopping(self, status: str = "stopping") -> bool:
        return self.notify(STOPPING="1", STATUS=status)

    def reloading(self) -> bool:
        return self.notify(RELOADING="1")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class Watchdog:
    """``WATCHDOG=1`` every ``interval_s`` from the core loop (None: the watchdog is off)."""

    def __init__(self, notifier: Notifier, interval_s: float | None) -> None:
        self.notifier = notifier
        self.interval_s = interval_s
        self.pings = 0
        self._next = 0.0

    def ping_if_due(self, now: float) -> None:
        if self.interval_s and now >= self._next:
            if self.notifier.watchdog():
                self.pings += 1
            self._next = now + self.interval_s
