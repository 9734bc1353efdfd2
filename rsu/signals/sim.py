"""The ``sim`` source: the emulator sends real TSCBM datagrams to a real TSCBM socket.

A first-class backend (``rsu demo``, the HIL harness, the bench): one ``Emulator`` per
configured intersection, each sending at ``[signals.sim] rate_hz`` over loopback UDP from its
own address to the same ``TscbmSource`` socket the ``tscbm`` backend uses, so everything after
the socket (parsing, addresses, staleness, SPaT) runs as it does in the field. An intersection's
``controller`` (a loopback host, e.g. ``127.0.0.12``) is the address its emulator sends from
(default ``127.0.0.1``).
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime

import structlog

from rsu.clock import Clock
from rsu.config.fields import parse_hostport
from rsu.queues import BoundedQueue
from rsu.signals.config import SignalsConfig
from rsu.signals.emulator import Emulator, PlanConfig
from rsu.signals.model import Datagram, Report
from rsu.signals.tscbm import build
from rsu.signals.udp import SignalsError, TscbmSource, bind_udp

log = structlog.get_logger(__name__)


def controller_time(utc: float) -> tuple[int, int, int, int]:
    """(hour, minute, second, ms) of ``utc``: what a controller puts in its message."""
    stamp = datetime.fromtimestamp(utc, tz=UTC)
    return stamp.hour, stamp.minute, stamp.second, stamp.microsecond // 1000


class EmulatorSender:
    """A thread sending one emulator's TSCBM to ``target`` every ``1 / rate_hz`` s.

    ``mode`` (normal/flash/preempt/manual) and ``paused`` (a controller that went quiet) may be
    changed from any thread; both take effect at the next datagram.
    """

    def __init__(
        self,
        plan: PlanConfig,
        target: tuple[str, int],
        *,
        bind: tuple[str, int] = ("127.0.0.1", 0),
        clock: Clock | None = None,
    ) -> None:
        self.emulator = Emulator(plan)
        self.target = target
        self.bind = bind
        self.period = 1.0 / plan.rate_hz
        self.clock = clock
        self.paused = False
        self.sent = 0
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def mode(self) -> str:
        return self.emulator.mode

    @mode.setter
    def mode(self, value: str) -> None:
        self.emulator.mode = value

    @property
    def address(self) -> tuple[str, int]:
        assert self._sock is not None
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    def start(self) -> EmulatorSender:
        self._sock = bind_udp(self.bind, "signals.sim controller")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="signals-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def datagram(self, t: float, utc: float) -> bytes:
        return build(self.emulator.state(t, controller_time(utc)), pedestrian=True)

    def _run(self) -> None:
        sock = self._sock
        assert sock is not None
        start = time.monotonic()
        n = 0
        while not self._stop.is_set():
            now = time.monotonic()
            utc = self.clock.time() if self.clock is not None else time.time()
            if not self.paused:
                try:
                    sock.sendto(self.datagram(now - start, utc), self.target)
                    self.sent += 1
                except OSError as err:
                    log.debug("signals_emulator_send_failed", error=str(err))
            n += 1
            # on a fixed grid from the start: no drift, no burst after a slow step
            self._stop.wait(max(0.0, start + n * self.period - time.monotonic()))


class SimSource:
    """``TscbmSource`` on ``listen`` (default ``127.0.0.1:0``) + one emulator per intersection."""

    name = "sim"

    def __init__(
        self, config: SignalsConfig, clock: Clock, queue: BoundedQueue[Datagram | Report]
    ) -> None:
        self.config = config
        self.receiver = TscbmSource(config, clock, queue)
        self.receiver.name = "sim"
        self.plan: PlanConfig = config.sim if config.sim is not None else PlanConfig()
        self.clock = clock
        self.senders: list[EmulatorSender] = []

    def start(self) -> None:
        self.receiver.start()
        host, port = self.receiver.address
        target = ("127.0.0.1" if host in ("0.0.0.0", "") else host, port)
        for item in self.config.intersections:
            bind = _address(item.controller) if item.controller else ("127.0.0.1", 0)
            sender = EmulatorSender(self.plan, target, bind=bind, clock=self.clock)
            try:
                self.senders.append(sender.start())
            except SignalsError:
                self.stop()
                raise
        log.info("signals_emulator_started", controllers=len(self.senders), target=target)

    def stop(self) -> None:
        for sender in self.senders:
            sender.stop()
        self.senders.clear()
        self.receiver.stop()

    def health(self) -> dict[str, object]:
        return {
            **self.receiver.health(),
            "emulators": [
                {"from": f"{s.address[0]}:{s.address[1]}", "mode": s.mode, "sent": s.sent}
                for s in self.senders
            ],
        }


def _address(controller: str) -> tuple[str, int]:
    """Where an emulator sends from: the intersection's ``controller`` (port 0: any)."""
    if controller.count(":") == 1 or controller.startswith("["):
        return parse_hostport(controller, "signals.controller")
    return controller, 0
