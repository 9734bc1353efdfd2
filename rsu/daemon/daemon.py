"""The running daemon: lifecycle, the core loop, signals, watchdog, stats.

``Daemon.start()`` starts the uplink, the edges and the servers ``build`` made; ``run()`` is the
core loop (the calling thread, normally the main one): it waits on the ``Inbox`` (one bounded
queue per edge, one handler each, one shared wake-up) until the next deadline, runs each item
through its queue's handler (``Core.run``: outputs routed, the unexpected survived), ticks the
core's stages, pings the systemd watchdog and publishes stats. SIGTERM/SIGINT end the loop: the
edges stop, what is queued is handled and handed to the uplink, the uplink drains to the broker
or the spool, exit 0.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from rsu.clock import Clock
from rsu.daemon.control import ControlServer
from rsu.daemon.core import Core
from rsu.daemon.desk import Info, Modes
from rsu.daemon.inbox import Inbox
from rsu.daemon.metrics import MetricsServer
from rsu.daemon.notify import Notifier, Watchdog
from rsu.daemon.reload import Reloader
from rsu.daemon.snapshot import Snapshot
from rsu.daemon.stats import Stats, uplink_status
from rsu.radio.types import Radio
from rsu.stage import Clear, Handler, Outputs
from rsu.uplink.service import Uplink
from rsu.uplink.spool_health import SOURCE as SPOOL

if TYPE_CHECKING:
    from rsu.config.model import Config
    from rsu.daemon.edges import Edge
    from rsu.daemon.picture import Picture
    from rsu.gnss import Gnss

log = structlog.get_logger(__name__)

MAX_WAIT_S = 0.1
BATCH = 512
STATUS_EVERY_S = 5.0


class Pending(Protocol):
    """Signals that arrived before the handlers were installed (``rsu.cli.run``)."""

    stop: bool
    reload: bool


class Flags:
    """Stop and reload requests. Plain attributes, not threading.Events: signal handlers set
    them, and a handler must not take a lock (a second signal arriving inside Event.set()
    deadlocks the main thread). The core loop wakes at least every MAX_WAIT_S and looks."""

    def __init__(self) -> None:
        self.stop = False
        self.reload = False


@dataclass(frozen=True, slots=True)
class Parts:
    """Everything ``build`` made; the daemon starts and stops them in order."""

    clock: Clock
    radio: Radio
    uplink: Uplink
    core: Core
    inbox: Inbox
    """One bounded queue per edge (radio, gnss, radar-*, camera-*, commands, control)."""
    notifier: Notifier
    watchdog: Watchdog
    control: ControlServer
    stats: Stats
    reloader: Reloader
    modes: Modes
    info: Info
    flags: Flags
    metrics: MetricsServer | None = None
    gnss: Gnss | None = None
    edges: tuple[Edge, ...] = ()
    picture: Picture | None = None


class Daemon:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.clock = parts.clock
        self.core = parts.core
        self.flags = parts.flags

    @property
    def config(self) -> Config:
        """The config in force (a reload may have changed its live parts)."""
        return self.parts.reloader.config

    @property
    def last_reload(self) -> dict[str, list[str]] | None:
        return self.parts.reloader.last

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        p = self.parts
        p.notifier.status("starting")
        p.uplink.set_status(uplink_status(p.stats.refresh()))  # the mode from the first status on
        p.uplink.start()
        p.radio.start()
        if p.gnss is not None:
            p.gnss.start()
        for edge in p.edges:
            edge.start()
        p.control.start()
        if p.metrics is not None:
            p.metrics.start()
        self._refresh(None, self.clock.monotonic(), self.clock.time())
        log.info(
            "daemon_ready",
            rsu_id=p.info.rsu_id,
            control_socket=str(p.control.path),
            metrics=p.info.metrics_url,
            watchdog_s=p.watchdog.interval_s,
        )
        p.notifier.ready(p.modes.status_line())

    def install_signals(self, pending: Pending | None = None) -> None:
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
        self.flags.stop = True

    def request_reload(self) -> None:
        """Safe from a signal handler and from any thread (sets a flag, takes no lock)."""
        self.flags.reload = True

    @property
    def stopping(self) -> bool:
        return self.flags.stop

    def run(self) -> int:
        """The core loop; returns the exit code once stopped and drained."""
        p = self.parts
        next_stats = next_snap = next_status = self.clock.monotonic()
        while not self.flags.stop:
            self._wait(self.clock.monotonic())
            p.inbox.serve(self._run, BATCH)
            now, utc = self.clock.monotonic(), self.clock.time()
            p.core.tick(now, utc)
            if self.flags.reload:
                self.flags.reload = False  # a HUP from here on sets it again: reloaded next time
                p.core.run("reload", _call(p.reloader.reload), None, now, utc)
            p.watchdog.ping_if_due(now)
            if now >= next_snap:
                p.core.run("stats", self._refresh, None, now, utc)
                next_snap = now + 1.0
            if now >= next_status:
                p.notifier.status(p.modes.status_line())
                next_status = now + STATUS_EVERY_S
            stats_every = self.config.daemon.stats_interval_s  # SIGHUP may change it
            if stats_every > 0 and now >= next_stats:
                p.core.run("stats", self._publish_stats, None, now, utc)
                next_stats = now + stats_every
        return self.shutdown()

    def _wait(self, now: float) -> None:
        deadline = self.core.next_deadline()
        wait = MAX_WAIT_S if deadline is None else min(MAX_WAIT_S, max(0.0, deadline - now))
        if self.parts.watchdog.interval_s:
            wait = min(wait, self.parts.watchdog.interval_s / 4)
        self.parts.inbox.wait(wait)

    def _run(self, queue: str, handler: Handler[Any], item: object) -> bool:
        return self.core.run(queue, handler, item, self.clock.monotonic(), self.clock.time())

    def _refresh(self, _: None, now: float, utc: float) -> None:
        """The snapshot, and from it the retained status (a change is published at once);
        the certificate's state in the status' ``health``."""
        self.parts.uplink.set_status(uplink_status(self.parts.stats.refresh()))
        health: dict[str, Any] = {}
        security = self.core.security
        if security is not None and (cert := security.certificate()) is not None:
            health["certificate"] = cert  # NTCIP 1218 state and hours left
        self.parts.uplink.set_health(health)
        self._spool_alarms(now, utc)

    def _spool_alarms(self, now: float, utc: float) -> None:
        """The spool's conditions (set aside, unavailable, write failing) on the alarm board."""
        board = self.core.alarms
        now_on = self.parts.uplink.spool_health.alarms()
        kinds = {a.kind for a in now_on}
        raises = tuple(a for a in now_on if not board.is_active(a.source, a.kind))
        clears = tuple(
            Clear(a.alarm.source, a.alarm.kind)
            for a in board.active(SPOOL)
            if a.alarm.kind not in kinds
        )
        if raises or clears:
            self.core.route(Outputs(raises=raises, clears=clears), now, utc)

    def _publish_stats(self, _: None, now: float, utc: float) -> None:
        snap = self.parts.stats.latest()
        self.parts.uplink.submit_data("stats", snap.as_dict(), at=utc)
        self.core.tap("stats", f"uptime {snap.uptime_s:.0f} s", utc)

    def shutdown(self) -> int:
        """Stop the edges, hand what is queued to the uplink, drain it, close. Exit code."""
        p = self.parts
        p.notifier.stopping("stopping: draining to the spool")
        log.info("daemon_stopping")
        for edge in p.edges:
            edge.stop()
        if p.gnss is not None:
            p.gnss.stop()
        p.radio.stop()
        leftover = p.inbox.drain_all(self._run)
        offload = p.core.offload
        if offload is not None:  # frames with the decode workers: to the uplink as well
            p.core.run(
                "offload",
                lambda _, now, utc: offload.finish(p.core, utc),
                None,
                self.clock.monotonic(),
                self.clock.time(),
            )
        p.uplink.submit_data("stats", p.stats.refresh().as_dict(), at=self.clock.time())
        drain = self.config.daemon.drain_timeout_s
        if not p.uplink.stats().connected:
            drain = min(drain, 1.0)  # no broker: just commit the queue to the spool
        clean = p.uplink.stop(drain_timeout=max(drain, 0.2))
        st = p.uplink.stats()
        p.control.stop()
        if p.metrics is not None:
            p.metrics.stop()
        log.info(
            "daemon_stopped",
            handled_at_stop=leftover,
            spool_pending=st.pending,
            all_published=clean,
        )
        p.notifier.close()
        return 0

    # --- for tests and tools --------------------------------------------------------------

    def serve(self) -> int:
        """Handle what is queued now (each item by its queue's handler); how many."""
        return self.parts.inbox.serve(self._run, BATCH)

    def step(self) -> int:
        """One turn of the core loop without waiting: serve the queues, tick; items handled."""
        handled = self.serve()
        self.core.tick(self.clock.monotonic(), self.clock.time())
        return handled

    def reload(self) -> None:
        self.parts.reloader.reload()

    def snapshot(self) -> Snapshot:
        return self.parts.stats.refresh()


def _call(fn: Callable[[], object]) -> Handler[None]:
    def run(_: None, now: float, utc: float) -> None:
        fn()

    return run
