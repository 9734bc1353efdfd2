"""``Uplink``: the object the daemon owns. Spool in front, MQTT behind, one worker thread.

The daemon calls ``submit_message`` / ``submit_data`` (cheap, non-blocking: they append to a
bounded queue), ``stats()``, and ``stop(drain_timeout)``. The worker thread commits queued
records to the spool, publishes from the spool with a bounded in-flight window, deletes rows on
PUBACK, answers downlink commands and sends the heartbeat.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TextIO

import structlog

from rsu.clock import Clock, SystemClock
from rsu.errors import CommandError, SpoolError
from rsu.uplink.commands import Command
from rsu.uplink.config import UplinkConfig
from rsu.uplink.dialects import Reply, make_dialect
from rsu.uplink.mqtt import Inbox, MqttLink
from rsu.uplink.packing import Row
from rsu.uplink.policy import PolicyGate
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
from rsu.uplink.sysinfo import running_info
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
    "spat": BULK,  # sampled SPaT records (rsu.signals)
    "signals": NORMAL,  # signal phase changes (rsu.signals)
}
INGEST_CHUNK = 5000
EXPIRE_EVERY_S = 60.0
PUMP_ROWS = 8


class Uplink:
    def __init__(
        self,
        config: UplinkConfig,
        *,
        clock: Clock | None = None,
        on_command: CommandHandler | None = None,
    ) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.on_command = on_command
        self.dialect = make_dialect(config)
        self.gate = PolicyGate(config.policies, config.default_policy())
        self.ids = RecordIds()
        self.health: dict[str, Any] = {}
        self._queue: deque[Record] = deque()
        self._inbox = Inbox()
        self._inflight: dict[int, int] = {}
        """MQTT message id -> spool row seq."""
        self._outstanding: dict[int, int] = {}
        """Spool row seq -> publishes of that row not yet acknowledged."""
        self._cursor = 0
        self._ready: deque[Row] = deque()
        """Rows read from the spool, not yet published (at most PUMP_ROWS)."""
        self._n = Counters()
        self._stopping = threading.Event()
        self._drained = threading.Event()
        self._thread: threading.Thread | None = None
        self._spool: Spool | None = None
        self._link: MqttLink | None = None
        self._lock_file: TextIO | None = None
        self._heartbeat_s = config.heartbeat_s
        self._running_info_s = config.running_info_s
        self._linger_since: float | None = None

    # --- daemon API -----------------------------------------------------------------------

    def start(self) -> None:
        """Open (and lock) the spool, connect in the background, start publishing the backlog."""
        self._lock_file = lock_spool(self.config.spool_path)
        cfg = self.config
        self._spool = Spool(cfg.spool_path, cfg.spool, cfg.batch_max, cfg.batch_max_bytes)
        self._link = MqttLink(cfg, self.dialect, self._inbox, self.clock, lambda: self.health)
        self._link.start()
        self._thread = threading.Thread(target=self._run, name="uplink", daemon=True)
        self._thread.start()

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
        rid = self.ids.next(now)
        body = message_body(
            msg,
            record_id=rid,
            rsu_id=self.config.rsu_id,
            received_at=now,
            origin=origin,
            verification=verification,
        )
        if self.dialect.name == "cn-rsu":  # field names/units of the Chinese centre interface
            from rsu.uplink.cn_fields import cn_fields

            body.update(cn_fields(msg, rsu_id=self.config.rsu_id, at=now))
        return self.submit(Record(rid, f"v2x/{short}", body, pol.priority, pol.batch))

    def submit_data(self, kind: str, data: dict[str, Any], *, at: float | None = None) -> bool:
        """``objects``, ``events``, ``alarms`` or ``stats``; events and alarms are critical."""
        if kind not in DATA_PRIORITY:
            raise ValueError(f"unknown record kind {kind!r}")
        now = self.clock.time() if at is None else at
        rid = self.ids.next(now)
        body = data_body(kind, data, record_id=rid, rsu_id=self.config.rsu_id, at=now)
        return self.submit(Record(rid, kind, body, DATA_PRIORITY[kind], batch=False))

    def set_health(self, health: dict[str, Any]) -> None:
        """Health for the status/heartbeat messages (replaced whole)."""
        self.health = dict(health)  # replaced whole: readers on other threads see old or new

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
            self._link.stop(farewell=self.dialect.will())
        if self._spool is not None:
            self._spool.close()
        if self._lock_file is not None:
            self._lock_file.close()
        return drained

    def stats(self) -> UplinkStats:
        spool = self._spool
        dropped = spool.dropped if spool else {}
        if self._n.queue_full:
            dropped["queue_full"] = self._n.queue_full
        if self._n.spool_failed:
            dropped["spool_failed"] = self._n.spool_failed
        if self._n.broker_rejected:
            dropped["broker_rejected"] = self._n.broker_rejected
        if self._inbox.commands.dropped:
            dropped["commands_queue_full"] = self._inbox.commands.dropped
        return UplinkStats(
            connected=self._link is not None and self._link.connected.is_set(),
            pending=spool.pending_records if spool else 0,
            inflight=len(self._inflight),
            queued=len(self._queue),
            accepted=self._n.accepted,
            published=self._n.published,
            acked=self._n.acked,
            held=dict(self.gate.held),
            dropped=dropped,
            commands=dict(self._n.commands),
            connects=self._inbox.connects,
            spool_bytes=sum(spool.usage) if spool else 0,
        )

    # --- worker thread --------------------------------------------------------------------

    def _is_drained(self) -> bool:
        spool = self._spool
        return (
            not self._queue and not self._inflight and (spool is None or spool.pending_records == 0)
        )

    def _run(self) -> None:
        # Timers here schedule I/O, so they run on the host's monotonic clock (an injected
        # FakeClock must not stall the uplink); record times come from self.clock.
        next_hb = next_info = next_expire = time.monotonic()
        hb_seq = 0
        wait = 0.2
        while not self._stopping.is_set():
            self._inbox.wake.wait(wait)
            self._inbox.wake.clear()
            now = time.monotonic()
            try:
                wait = self._ingest_if_due(now)
                self._acks()
                self._commands()
                self._pump()
            except (SpoolError, sqlite3.Error) as err:
                log.error("spool_failed", error=str(err))
                self._stopping.wait(1.0)
            except Exception as err:  # a bug must not silently end publishing: log, go on
                log.exception("uplink_worker_error", error=repr(err))
                self._stopping.wait(1.0)
            if self._heartbeat_s > 0 and now >= next_hb:
                hb_seq += 1
                self._send_all(self.dialect.heartbeat(hb_seq, self.clock.time(), self.health))
                next_hb = now + self._heartbeat_s
            if self._running_info_s > 0 and now >= next_info:
                info = running_info(self.config.spool_path)
                self._send_all(self.dialect.running_info(self.clock.time(), info))
                next_info = now + self._running_info_s
            if now >= next_expire and self._spool is not None:
                self._spool.expire(self.clock.time())
                next_expire = now + EXPIRE_EVERY_S
            if self._is_drained():
                self._drained.set()
        try:  # whatever is still queued goes to the spool for the next start
            self._ingest()
        except (SpoolError, sqlite3.Error) as err:
            log.error("spool_failed", error=str(err))

    def _ingest_if_due(self, now: float) -> float:
        """Commit the queue once it holds a row's worth of records or its first record has
        waited ``batch_linger_ms`` (fewer, fuller rows: better compression, fewer commits).
        Returns how long the loop may sleep."""
        if not self._queue:
            self._linger_since = None
            return 0.2
        if self._linger_since is None:
            self._linger_since = now
        left = self._linger_since + self.config.batch_linger_ms / 1000.0 - now
        if left > 0 and len(self._queue) < self.config.batch_max:
            return min(left, 0.2)
        self._ingest()
        self._linger_since = None
        return 0.2 if not self._queue else 0.0

    def _send_all(self, outs: list[Any]) -> None:
        if self._link is not None:
            for out in outs:
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
        done: list[int] = []
        acks = self._inbox.acks
        while acks:
            mid, ok = acks.popleft()
            seq = self._inflight.pop(mid, None)
            if seq is None:
                continue
            if not ok:
                self._n.broker_rejected += 1
                log.warning("uplink_publish_rejected", seq=seq)
            left = self._outstanding[seq] - 1
            if left:
                self._outstanding[seq] = left
            else:
                del self._outstanding[seq]
                done.append(seq)
        if done:
            before = self._spool.pending_records
            self._spool.ack(done)
            self._n.acked += before - self._spool.pending_records

    def _pump(self) -> None:
        """Publish rows after the cursor while the in-flight window (publishes) has room; a
        row is deleted once every publish made from it is acknowledged. Rows are read a few
        at a time into ``_ready`` and each is read (and inflated) once."""
        link, spool = self._link, self._spool
        assert link is not None
        assert spool is not None
        while len(self._inflight) < self.config.inflight and link.connected.is_set():
            if not self._ready:
                rows = spool.fetch(self._cursor, PUMP_ROWS)
                if not rows:
                    return
                self._ready.extend(rows)
                self._cursor = rows[-1].seq
            row = self._ready.popleft()
            topic = self.dialect.topic(row.stream)
            payloads = row.payloads()
            self._outstanding[row.seq] = len(payloads)
            for payload in payloads:
                self._inflight[link.publish(topic, payload)] = row.seq
            self._n.published += row.n

    def _commands(self) -> None:
        for topic, payload in self._inbox.commands.drain():
            if self.dialect.is_own_ack(topic):
                continue
            try:
                reply, parsed = self.dialect.command(topic, payload)
            except Exception as err:  # a parser bug must not stop the uplink: log, no ACK
                log.error(
                    "command_parse_failed", topic=topic, error=repr(err), hex=payload[:512].hex()
                )
                continue
            error = parsed if isinstance(parsed, CommandError) else self._apply(parsed)
            self._ack(reply, error, payload)

    def _apply(self, cmd: Command) -> CommandError | None:
        owned = cmd.kind == "config" and cmd.config is not None and cmd.config.log_level is None
        if not owned:
            if self.on_command is None:
                return CommandError("rejected", f"{cmd.kind}: not supported by this process")
            try:
                self.on_command(cmd)
            except CommandError as err:
                return err
            except Exception as err:  # the handler's bug: refuse, keep the uplink running
                log.error("command_handler_failed", command=cmd.kind, error=repr(err))
                return CommandError("rejected", f"{cmd.kind}: handler failed")
        if cmd.config is not None:
            for change in cmd.config.policies:
                self.gate.update(change.message_type, **dict(change.changes))
            if cmd.config.heartbeat_s is not None:
                self._heartbeat_s = cmd.config.heartbeat_s
            if cmd.config.running_info_s is not None:
                self._running_info_s = cmd.config.running_info_s
        return None

    def _ack(self, reply: Reply, error: CommandError | None, payload: bytes) -> None:
        key = "ok" if error is None else error.code
        self._n.commands[key] = self._n.commands.get(key, 0) + 1
        if error is not None:
            log.warning(
                "command_rejected",
                command=reply.command,
                code=error.code,
                error=str(error),
                hex=payload[:512].hex(),
            )
        else:
            log.info("command_applied", command=reply.command, ref=reply.ref)
        self._send_all([self.dialect.ack(reply, error, self.clock.time())])
