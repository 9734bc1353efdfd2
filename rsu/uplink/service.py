"""``Uplink``: the object the daemon owns. Spool in front, MQTT behind, one worker thread.

The daemon calls ``submit_message`` / ``submit_data`` (cheap, non-blocking: they append to a
bounded queue), ``set_status``, ``stats()``, and ``stop(drain_timeout)``. The worker thread is
a thin shell around the sans-I/O ``Publisher`` (``publisher.py``): it commits queued records
to the spool, feeds spool rows and PUBACKs to the publisher and sends what it returns, answers
downlink commands (``downlink.py``) and runs the publisher's timers (heartbeat, running info,
spool expiry, status).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TextIO

import structlog

from rsu import __version__
from rsu.clock import Clock, SystemClock
from rsu.errors import SpoolError
from rsu.uplink.commands import BroadcastRequest, Command
from rsu.uplink.config import UplinkConfig
from rsu.uplink.dialects import make_dialect
from rsu.uplink.downlink import Downlink
from rsu.uplink.identity import DAEMON, Role, client_id, spool_path
from rsu.uplink.mqtt import Inbox, LinkOptions, MqttLink
from rsu.uplink.policy import PolicyGate
from rsu.uplink.publisher import Publish, Publisher, PublisherSettings
from rsu.uplink.records import (
    BULK,
    CRITICAL,
    NORMAL,
    Origin,
    Record,
    RecordIds,
    data_body,
    message_body,
    sender_id,
)
from rsu.uplink.spool import Spool, lock_spool
from rsu.uplink.stats import Counters, UplinkStats
from rsu.uplink.status import Birth, LinkState, RsuStatus
from rsu.uplink.sysinfo import running_info
from rsu.uplink.wire import WireFormat
from rsu.v2x.message import V2xMessage

log = structlog.get_logger(__name__)

CommandHandler = Callable[[Command], None]
"""Called on the uplink thread for commands the uplink does not own (broadcast, reboot,
standby, operate, log level). Must not block; raise ``CommandError`` to reject (error ACK)."""

DATA_PRIORITY = {
    "objects": BULK,
    "stats": NORMAL,
    "events": CRITICAL,
    "alarms": CRITICAL,
    "management": CRITICAL,  # changes made over SNMP (rsu.management), like a command ACK
    "spat": BULK,  # sampled SPaT records (rsu.signals)
    "signals": NORMAL,  # signal phase changes (rsu.signals)
    "sites": NORMAL,  # charging site status on change (rsu.energy)
}
INGEST_CHUNK = 5000
MAX_WAIT_S = 1.0
"""The worker wakes at least this often (to see ``stop``), else on events and deadlines."""


class Uplink:
    def __init__(
        self,
        config: UplinkConfig,
        *,
        clock: Clock | None = None,
        on_command: CommandHandler | None = None,
        role: Role = DAEMON,
        check_broadcast: Callable[[BroadcastRequest], BroadcastRequest] | None = None,
        birth: Birth | None = None,
    ) -> None:
        self.config = config
        self.role = role
        self.clock: Clock = clock or SystemClock()
        self.dialect = make_dialect(config)
        self.gate = PolicyGate(config.policies, config.default_policy())
        self.ids = RecordIds()
        self.birth = birth or Birth(version=__version__)
        self.client_id = client_id(config.client_id, role)
        self.spool_path = spool_path(config.spool_path, role)
        self.publisher = Publisher(_settings(config), self.dialect.topic, self.clock.monotonic())
        self.downlink = Downlink(
            self.dialect, self.gate, self.publisher, on_command, check_broadcast
        )
        self._status = RsuStatus()
        self._health: dict[str, Any] = {}
        self._queue: deque[Record] = deque()
        self._inbox = Inbox(config.max_command_bytes, config.command_queue_bytes)
        self._n = Counters()
        self._stopping = threading.Event()
        self._drained = threading.Event()
        self._thread: threading.Thread | None = None
        self._spool: Spool | None = None
        self._link: MqttLink | None = None
        self._lock_file: TextIO | None = None
        self._hb_seq = 0
        self._online_since: float | None = None
        self._lost_at: float | None = None
        self._last_outage: tuple[float, float] | None = None

    @property
    def on_command(self) -> CommandHandler | None:
        return self.downlink.on_command

    @on_command.setter
    def on_command(self, handler: CommandHandler | None) -> None:
        self.downlink.on_command = handler

    # --- daemon API -----------------------------------------------------------------------

    def start(self) -> None:
        """Open (and lock) the spool, connect in the background, start publishing the backlog."""
        self._lock_file = lock_spool(self.spool_path)
        cfg = self.config
        self._spool = Spool(self.spool_path, cfg.spool, cfg.batch_max, cfg.batch_max_bytes)
        self._link = MqttLink(cfg, self._link_options(), self._inbox)
        self._link.start()
        self._thread = threading.Thread(target=self._run, name="uplink", daemon=True)
        self._thread.start()

    def _link_options(self) -> LinkOptions:
        role = self.role
        return LinkOptions(
            client_id=self.client_id,
            subscriptions=tuple(self.dialect.subscriptions()) if role.commands else (),
            will=(lambda: self.dialect.will(self.clock.time()))
            if role.presence
            else (lambda: None),
            session_expiry_s=self.config.session_expiry_s if role.commands else 0,
        )

    def submit(self, record: Record) -> bool:
        """Queue a record for the spool; False (counted) when the queue is full. Records of
        a higher class get twice the room, so a flood of bulk records cannot crowd them out."""
        room = self.config.queue_size * (2 if record.priority > BULK else 1)
        if len(self._queue) >= room:
            self._n.queue_full += 1
            return False
        self._queue.append(record)
        if len(self._queue) == 1:
            self._inbox.wake.set()
        return True

    def has_room(self) -> bool:
        """True while a bulk record would be queued (for producers that can wait: replay)."""
        return len(self._queue) < self.config.queue_size

    def submit_message(
        self,
        msg: V2xMessage,
        *,
        origin: Origin | None = None,
        received_at: float | None = None,
        verification: dict[str, Any] | None = None,
    ) -> bool:
        """A received V2X message, through the upload policy of its type."""
        now = self.clock.time() if received_at is None else received_at
        short = msg.short_name
        if not self.gate.admit(short, sender_id(msg), msg.value, self.clock.monotonic()):
            return False
        pol = self.gate.policy(short)
        profile = pol.payload or self.config.payload
        rid = self.ids.next(now)
        rsu_id = self.config.rsu_id
        body = message_body(
            msg,
            record_id=rid,
            rsu_id=rsu_id,
            received_at=now,
            origin=origin,
            verification=verification,
            profile=profile,
        )
        body.update(self.dialect.message_fields(msg, rsu_id, now, profile))
        expires = self._expires(short, now)
        return self.submit(Record(rid, f"v2x/{short}", body, pol.priority, pol.batch, expires))

    def submit_data(self, kind: str, data: dict[str, Any], *, at: float | None = None) -> bool:
        """``objects``, ``events``, ``alarms`` or ``stats``; events and alarms are critical."""
        if kind not in DATA_PRIORITY:
            raise ValueError(f"unknown record kind {kind!r}")
        now = self.clock.time() if at is None else at
        rid = self.ids.next(now)
        body = data_body(kind, data, record_id=rid, rsu_id=self.config.rsu_id, at=now)
        expires = self._expires(kind, now) if DATA_PRIORITY[kind] < CRITICAL else None
        return self.submit(Record(rid, kind, body, DATA_PRIORITY[kind], False, expires))

    def _expires(self, stream: str, at: float) -> float | None:
        if not self.role.perishable:
            return None
        ttl = self.gate.policy(stream).expiry_s
        if ttl is None:
            ttl = self.config.stream_expiry(stream)
        return at + ttl if ttl > 0 else None

    def set_status(self, status: RsuStatus) -> None:
        """What the daemon reports (mode, radio, GNSS, alarms); a change of ``status.key``
        publishes the retained status at once, else it goes out with the next heartbeat."""
        changed = status.key != self._status.key
        self._status = status  # replaced whole: the worker reads old or new
        if changed:
            self._inbox.events.append(None)  # "status changed"
            self._inbox.wake.set()

    def set_health(self, health: dict[str, Any]) -> None:
        """Free-form health for the status/heartbeat messages (replaced whole)."""
        self._health = dict(health)

    def hold(self, streams: frozenset[str] | None) -> None:
        """Publish only ``streams`` (spool stream names: ``events``, ``alarms``,
        ``v2x/SPAT`` ...) until called with None; the rest waits in the spool."""
        self._inbox.events.append(("hold", streams))
        self._inbox.wake.set()

    def wait_drained(self, timeout: float) -> bool:
        """True once the queue, the spool and the in-flight window are all empty."""
        self._drained.clear()
        self._inbox.wake.set()
        return self._drained.wait(timeout)

    def stop(self, drain_timeout: float = 0.0) -> bool:
        """Publish what can be published within ``drain_timeout``, send ``offline``, close.
        Returns True when nothing was left behind in the spool."""
        drained = self.wait_drained(drain_timeout) if drain_timeout > 0 else self._is_drained()
        self._stopping.set()
        self._inbox.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30.0)
        if self._link is not None:
            farewell = None
            if self.role.presence:
                farewell = self.dialect.farewell(self.clock.time(), self._online_since)
            self._link.stop(farewell=farewell)
        if self._spool is not None:
            self._spool.close()
        if self._lock_file is not None:
            self._lock_file.close()
        return drained

    def stats(self) -> UplinkStats:
        spool = self._spool
        dropped = spool.dropped if spool else {}
        for key, value in (
            ("queue_full", self._n.queue_full),
            ("spool_failed", self._n.spool_failed),
            ("broker_rejected", self.publisher.n.rejected),
            ("commands_queue_full", self._inbox.commands.dropped),
        ):
            if value:
                dropped[key] = value
        return UplinkStats(
            connected=self._link is not None and self._link.connected.is_set(),
            pending=spool.pending_records if spool else 0,
            inflight=self.publisher.inflight,
            queued=len(self._queue),
            accepted=self._n.accepted,
            published=self.publisher.n.published,
            acked=self._n.acked,
            held=dict(self.gate.held),
            dropped=dropped,
            commands=dict(self.downlink.counts),
            connects=self._inbox.connects,
            spool_bytes=sum(spool.usage) if spool else 0,
            expired=self.publisher.n.expired,
            takeovers=self._inbox.takeovers,
            client_id=self.client_id,
        )

    # --- worker thread (the shell around the publisher) ------------------------------------

    def _is_drained(self) -> bool:
        spool = self._spool
        return (
            not self._queue
            and self.publisher.idle()
            and (spool is None or spool.pending_records == 0)
        )

    def _run(self) -> None:
        while not self._stopping.is_set():
            now = self.clock.monotonic()
            deadline = self.publisher.next_deadline(len(self._queue))
            wait = MAX_WAIT_S if deadline is None else min(MAX_WAIT_S, max(0.0, deadline - now))
            if not self._inbox.acks and not self._inbox.events:
                self._inbox.wake.wait(wait)
            self._inbox.wake.clear()
            try:
                self._turn(self.clock.monotonic())
            except (SpoolError, sqlite3.Error) as err:
                log.error("spool_failed", error=str(err))
                self._stopping.wait(1.0)
            except Exception as err:  # a bug must not silently end publishing: log, go on
                log.exception("uplink_worker_error", error=repr(err))
                self._stopping.wait(1.0)
            if self._is_drained():
                self._drained.set()
        try:  # whatever is still queued goes to the spool for the next start
            self._ingest()
        except (SpoolError, sqlite3.Error) as err:
            log.error("spool_failed", error=str(err))

    def _turn(self, now: float) -> None:
        self._events(now)
        if self.publisher.ingest_due(len(self._queue), now):
            self._ingest()
        self._acks()
        for msg in self._inbox.commands.drain():
            ack = self.downlink.handle(msg, now, self.clock.time())
            if ack is not None:
                self._send(ack)
        self._pump()
        self._timers(now)

    def _events(self, now: float) -> None:
        events = self._inbox.events
        while events:
            event: Any = events.popleft()
            utc = self.clock.time()
            if event is True:
                self._on_connected(now, utc)
            elif event is False:
                self.publisher.on_disconnected()
                self._lost_at = utc
            elif event is None:
                self.publisher.status_changed(now)
            else:
                self.publisher.hold(event[1])

    def _on_connected(self, now: float, utc: float) -> None:
        self.publisher.on_connected(now)
        self._online_since = utc
        if self._lost_at is not None:
            self._last_outage = (self._lost_at, utc)
            self._lost_at = None
        if self.role.presence:
            for out in self.dialect.birth(utc, self.birth.as_dict()):
                self._send(out)

    def _send(self, out: Publish) -> None:
        if self._link is not None:
            self._link.send(out)

    def _ingest(self) -> None:
        assert self._spool is not None
        while self._queue:
            batch: list[Record] = []
            while self._queue and len(batch) < INGEST_CHUNK:
                batch.append(self._queue.popleft())
            try:
                self._n.accepted += self._spool.append(batch, self.clock.time())
            except SpoolError as err:
                self._n.spool_failed += len(batch)
                log.error("spool_append_failed", error=str(err), records=len(batch))
                return
            if len(batch) < INGEST_CHUNK:
                break

    def _acks(self) -> None:
        assert self._spool is not None
        acks = self._inbox.acks
        pairs = [acks.popleft() for _ in range(len(acks))]
        done = self.publisher.acked(pairs)
        if done:
            before = self._spool.pending_records
            self._spool.ack(done)
            self._n.acked += before - self._spool.pending_records

    def _pump(self) -> None:
        """Rows from the spool to the publisher, its publishes to paho, while it wants more."""
        link, spool, pub = self._link, self._spool, self.publisher
        assert link is not None
        assert spool is not None
        if link.connected.is_set() != pub.connected:  # an edge not yet seen in events
            return
        while True:
            want = pub.rows_wanted()
            if want:
                rows = spool.fetch(pub.cursor, want)
                if not rows:
                    want = 0
                pub.take(rows)
            publishes, expired = pub.publishes(self.clock.time())
            spool.drop_expired(expired, self.clock.time())
            for out in publishes:
                assert out.seq is not None
                pub.sent(link.publish(out), out.seq)
            if not want and not publishes:
                return

    def _timers(self, now: float) -> None:
        for name in self.publisher.due(now):
            utc = self.clock.time()
            if name == "expire" and self._spool is not None:
                self._spool.expire(utc)
            elif not self.role.presence:
                continue
            elif name == "status":
                self._sendall(self.dialect.status(utc, self._status_content()))
            elif name == "heartbeat":
                self._hb_seq += 1
                self._sendall(self.dialect.heartbeat(self._hb_seq, utc, self._status_content()))
            elif name == "running_info":
                info = running_info(self.spool_path)
                self._sendall(self.dialect.running_info(utc, info))

    def _sendall(self, outs: list[Publish]) -> None:
        for out in outs:
            self._send(out)

    def _status_content(self) -> dict[str, Any]:
        spool = self._spool
        link = LinkState(
            connects=self._inbox.connects,
            online_since=self._online_since,
            last_outage=self._last_outage,
            pending=spool.pending_records if spool else 0,
            spool_bytes=sum(spool.usage) if spool else 0,
            dropped=sum(spool.dropped.values()) if spool else 0,
        )
        return {**self._status.as_dict(), **link.as_dict(), "health": dict(self._health)}


def _settings(cfg: UplinkConfig) -> PublisherSettings:
    return PublisherSettings(
        inflight=cfg.inflight,
        batch_max=cfg.batch_max,
        linger_s=cfg.batch_linger_ms / 1000.0,
        heartbeat_s=cfg.heartbeat_s,
        running_info_s=cfg.running_info_s,
        wire=WireFormat(cfg.encoding, cfg.compression, cfg.always_array),
    )
