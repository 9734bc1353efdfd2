"""The running daemon: lifecycle, the core loop, signals, watchdog, control requests.

``Daemon.start()`` starts the uplink, the edges and the servers; ``run()`` is the core loop
(the calling thread, normally the main one): it waits on the ``Inbox`` (one bounded queue per
edge, one shared wake-up) until the next deadline, hands each event to the ``Core`` (queues
served in turn), answers control requests, applies cloud commands, pings the systemd
watchdog and publishes stats. SIGTERM/SIGINT end the loop: the edges stop, what is queued is
handled and handed to the uplink, the uplink drains to the broker or the spool, exit 0.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import structlog

from rsu import __version__
from rsu.clock import Clock, utc_iso
from rsu.config.model import Config
from rsu.daemon.control import ControlServer
from rsu.daemon.core import Core, TailHub
from rsu.daemon.edges import Edge
from rsu.daemon.inbox import Inbox
from rsu.daemon.metrics import MetricsServer
from rsu.daemon.notify import Notifier, watchdog_interval
from rsu.errors import RsuError
from rsu.radio.types import BoundedQueue, Radio, RxFrame
from rsu.uplink.commands import Command
from rsu.uplink.service import Uplink

log = structlog.get_logger(__name__)

MAX_WAIT_S = 0.1
BATCH = 512
CONTROL_TIMEOUT_S = 5.0
STATUS_EVERY_S = 5.0


@dataclass(slots=True)
class ControlRequest:
    cmd: str
    args: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    reply: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Parts:
    """Everything ``build`` made; the daemon starts and stops them in order."""

    radio: Radio
    uplink: Uplink
    core: Core
    inbox: Inbox
    """One bounded queue per edge (radio, gnss, radar-*, camera-*, commands, control)."""
    control: BoundedQueue[ControlRequest]
    tail: TailHub
    gnss: Any = None
    edges: list[Edge] = field(default_factory=list)
    picture: Any = None
    signals: Any = None
    """``rsu.signals.stage.SignalsStage`` when ``[signals]`` is configured."""


class Daemon:
    def __init__(self, config: Config, clock: Clock, parts: Parts) -> None:
        self.config = config
        self.clock = clock
        self.parts = parts
        self.core = parts.core
        self.notifier = Notifier()
        self.control_server = ControlServer(config.daemon.control_socket, self._on_control)
        self.metrics: MetricsServer | None = None
        self.started_mono = clock.monotonic()
        self.started_utc = clock.time()
        self.watchdog_s = watchdog_interval() or config.daemon.watchdog_fallback_s or None
        self.pings = 0
        # Plain flags, not threading.Events: signal handlers set them, and a handler must not
        # take a lock (a second signal arriving inside Event.set() deadlocks the main thread).
        # The core loop wakes at least every MAX_WAIT_S and looks at them.
        self._stop = False
        self._reload = False
        self._snapshot: dict[str, Any] = {}
        self._handlers: dict[str, Callable[[ControlRequest], dict[str, Any]]] = {}
        self.last_reload: dict[str, list[str]] | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        from rsu.daemon import commands

        self._handlers = commands.handlers(self)
        self.notifier.status("starting")
        self.parts.uplink.start()
        self.parts.radio.start()
        if self.parts.signals is not None:
            self.parts.signals.start()
        if self.parts.gnss is not None:
            self.parts.gnss.start()
        for edge in self.parts.edges:
            edge.start()
        self.control_server.start()
        if self.config.daemon.metrics_listen is not None:
            self.metrics = MetricsServer(self.config.daemon.metrics_listen, self.snapshot_cached)
            self.metrics.start()
        self._snapshot = self.snapshot()
        log.info(
            "daemon_ready",
            rsu_id=self.config.rsu.id,
            control_socket=str(self.control_server.path),
            metrics=self.metrics_url,
            watchdog_s=self.watchdog_s,
        )
        self.notifier.ready(self.status_line())

    @property
    def metrics_url(self) -> str | None:
        if self.metrics is None:
            return None
        host, port = self.metrics.address
        return f"http://{host}:{port}/metrics"

    def install_signals(self, pending: Any = None) -> None:
        """SIGTERM/SIGINT: stop gracefully; SIGHUP: reload the config (main thread only).

        ``pending`` (``rsu.cli.run.StartupSignals``) holds what arrived during start-up: a
        stop or a reload that came before these handlers is acted on, not lost.
        """
        signal.signal(signal.SIGTERM, lambda *_: self.request_stop())
        signal.signal(signal.SIGINT, lambda *_: self.request_stop())
        signal.signal(signal.SIGHUP, lambda *_: self.request_reload())
        if pending is not None and pending.stop:
            self.request_stop()
        if pending is not None and pending.reload:
            self.request_reload()

    def request_stop(self) -> None:
        """Safe from a signal handler and from any thread (sets a flag, takes no lock)."""
        self._stop = True

    def request_reload(self) -> None:
        """Safe from a signal handler and from any thread (sets a flag, takes no lock)."""
        self._reload = True

    @property
    def stopping(self) -> bool:
        return self._stop

    def run(self) -> int:
        """The core loop; returns the exit code once stopped and drained."""
        next_ping = next_stats = next_snap = next_status = self.clock.monotonic()
        while not self._stop:
            now = self.clock.monotonic()
            self._wait_and_handle(now)
            now, utc = self.clock.monotonic(), self.clock.time()
            self.core.tick(now, utc)
            if self.parts.signals is not None:
                self.parts.signals.tick(now, utc)
            if self._reload:
                self._reload = False  # a HUP from here on sets it again: reloaded next time
                self.reload()
            if self.watchdog_s and now >= next_ping:
                if self.notifier.watchdog():
                    self.pings += 1
                next_ping = now + self.watchdog_s
            if now >= next_snap:
                self._snapshot = self.snapshot()
                next_snap = now + 1.0
            if now >= next_status:
                self.notifier.status(self.status_line())
                next_status = now + STATUS_EVERY_S
            stats_every = self.config.daemon.stats_interval_s  # SIGHUP may change it
            if stats_every > 0 and now >= next_stats:
                self._publish_stats(utc)
                next_stats = now + stats_every
        return self.shutdown()

    def _wait_and_handle(self, now: float) -> None:
        deadline = self.core.next_deadline()
        if self.parts.signals is not None:
            other = self.parts.signals.next_deadline()
            if other is not None:
                deadline = other if deadline is None else min(deadline, other)
        wait = MAX_WAIT_S if deadline is None else min(MAX_WAIT_S, max(0.0, deadline - now))
        if self.watchdog_s:
            wait = min(wait, self.watchdog_s / 4)
        self.parts.inbox.wait(wait)
        self.parts.inbox.serve(self._handle, BATCH)

    def _handle(self, item: object) -> None:
        now, utc = self.clock.monotonic(), self.clock.time()
        core = self.core
        if isinstance(item, RxFrame):
            core.on_rx(item, now, utc)
        elif type(item).__name__ in ("Datagram", "Report") and self.parts.signals is not None:
            self.parts.signals.handle(item, now, utc)
        elif type(item).__name__ in ("GnssFix", "GnssAlarm"):
            core.on_gnss(item, utc)
        elif type(item).__name__ == "RadarScan":
            core.n.radar_scans += 1
            if self.parts.picture is not None:
                self.parts.picture.on_radar(item)
        elif type(item).__name__ == "FrameResult":
            core.n.camera_frames += 1
            if self.parts.picture is not None:
                self.parts.picture.on_camera(item)
        elif isinstance(item, ControlRequest):
            self._answer(item)
        elif isinstance(item, Command):
            from rsu.daemon.commands import apply_cloud

            apply_cloud(self, item)
        else:
            log.warning("inbound_unknown", kind=type(item).__name__)

    def _publish_stats(self, utc: float) -> None:
        snap = self._snapshot
        self.parts.uplink.submit_data("stats", snap, at=utc)
        self.core.tap("stats", f"uptime {snap.get('uptime_s', 0):.0f} s", utc)

    def shutdown(self) -> int:
        """Stop the edges, hand what is queued to the uplink, drain it, close. Exit code."""
        self.notifier.stopping("stopping: draining to the spool")
        log.info("daemon_stopping")
        for edge in self.parts.edges:
            edge.stop()
        if self.parts.gnss is not None:
            self.parts.gnss.stop()
        if self.parts.signals is not None:
            self.parts.signals.stop()
        self.parts.radio.stop()
        leftover = self.parts.inbox.drain_all()
        for item in leftover:
            self._handle(item)
        self._snapshot = self.snapshot()
        self.parts.uplink.submit_data("stats", self._snapshot, at=self.clock.time())
        uplink = self.parts.uplink
        drain = self.config.daemon.drain_timeout_s
        if not uplink.stats().connected:
            drain = min(drain, 1.0)  # no broker: just commit the queue to the spool
        clean = uplink.stop(drain_timeout=max(drain, 0.2))
        st = uplink.stats()
        self.control_server.stop()
        if self.metrics is not None:
            self.metrics.stop()
        log.info(
            "daemon_stopped",
            handled_at_stop=len(leftover),
            spool_pending=st.pending,
            all_published=clean,
        )
        self.notifier.close()
        return 0

    # --- reload ---------------------------------------------------------------------------

    def reload(self) -> None:
        from rsu.daemon.reload import reload_config

        self.notifier.reloading()
        try:
            applied, restart = reload_config(self)
        except RsuError as err:
            log.error("config_reload_failed", error=str(err))
            self.notifier.notify(READY="1", STATUS=f"reload failed: {err}; old config in use")
            return
        log.info("config_reloaded", applied=applied, needs_restart=restart)
        note = f"; restart needed for: {', '.join(restart)}" if restart else ""
        self.notifier.notify(READY="1", STATUS=self.status_line() + note)
        self.last_reload = {"applied": applied, "needs_restart": restart}

    # --- control (called on the control thread) -------------------------------------------

    def _on_control(self, request: dict[str, Any]) -> dict[str, Any] | Iterator[dict[str, Any]]:
        cmd = request.get("cmd", "")
        if cmd == "tail":
            from rsu.daemon.commands import tail_stream

            return tail_stream(self, request)
        if cmd == "metrics":
            return {"ok": True, "snapshot": self._snapshot}
        req = ControlRequest(cmd, request)
        if not self.parts.control.put(req):  # DROP_NEWEST: full means busy, say so now
            return {"ok": False, "error": "busy: too many control requests pending"}
        if not req.done.wait(CONTROL_TIMEOUT_S):
            return {"ok": False, "error": "the core loop did not answer (stuck?)"}
        return req.reply

    def _answer(self, req: ControlRequest) -> None:
        handler = self._handlers.get(req.cmd)
        try:
            if handler is None:
                req.reply = {"ok": False, "error": f"unknown command {req.cmd!r}"}
            else:
                req.reply = handler(req)
        except RsuError as err:
            req.reply = {"ok": False, "error": str(err)}
        req.done.set()

    # --- reporting ------------------------------------------------------------------------

    def status_line(self) -> str:
        up = self.parts.uplink.stats()
        n = self.core.n
        mqtt = "mqtt up" if up.connected else "mqtt down"
        return (
            f"{self.core.mode}; rx decoded {n.decoded}; tx {n.tx_sent}; {mqtt}; spool {up.pending}"
        )

    def snapshot_cached(self) -> dict[str, Any]:
        return self._snapshot

    def snapshot(self) -> dict[str, Any]:
        from rsu.daemon.stats import build_snapshot

        return build_snapshot(self)

    def uptime(self) -> float:
        return self.clock.monotonic() - self.started_mono

    @property
    def info(self) -> dict[str, Any]:
        return {
            "rsu_id": self.config.rsu.id,
            "version": __version__,
            "pid": os.getpid(),
            "config": str(self.config.path) if self.config.path else None,
            "started_at": utc_iso(self.started_utc),
            "control_socket": str(self.control_server.path),
            "metrics": self.metrics_url,
            "watchdog_s": self.watchdog_s,
            "notify_socket": self.notifier.address,
            "time": time.time(),
        }
