"""The core: what the daemon does with each inbound event and each stage's outputs.

Runs on one thread (the core loop in ``rsu.daemon.daemon``); every handler is quick and
non-blocking. The core decodes radio frames (``on_rx``) and hands each decoded message to the
uplink, the tail clients and its message listeners (the road picture). Everything else comes
back to it as values (``rsu.stage.Outputs``) from the queue handlers and the stages it ticks,
and ``route`` sends each kind where it belongs: broadcast entries to the scheduler, one-shot
transmissions to the radio (checked against the backend's limits), records to the uplink,
alarm raises and clears to the one ``AlarmBoard`` (each change as an ``alarms`` record).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

import structlog

from rsu.alarms import AlarmBoard, AlarmChange
from rsu.broadcast import Notice, Remove, Scheduler, Upsert
from rsu.daemon.guard import Guard
from rsu.daemon.tail import TailHub
from rsu.errors import DecodeError, RsuError
from rsu.lograte import due
from rsu.radio.types import Radio
from rsu.stage import Clear, Handler, ModeChange, Outputs, Record, Stage
from rsu.units import SPEED, SPEED_UNAVAILABLE, degrees
from rsu.uplink.records import Origin, sender_id
from rsu.uplink.service import Uplink
from rsu.v2x.codec import Codec
from rsu.v2x.message import V2xMessage
from rsu.v2x.names import PSIDS
from rsu.wire import BroadcastMessage, RxFrame, TxRequest

if TYPE_CHECKING:
    from rsu.daemon.offload import Offload
    from rsu.security.stage import SecurityStage

log = structlog.get_logger(__name__)
T = TypeVar("T")

_NOTICE_LEVEL = {"rejected": "warning", "changed": "debug", "unchanged": "debug"}

MessageListener = Callable[[V2xMessage, float], None]
"""Called with every decoded message and ``now`` (the road picture's ``on_v2x``)."""
UpsertListener = Callable[[BroadcastMessage], None]
"""Told of every entry put in the broadcast table (config, reload, cloud, stages)."""
FrameListener = Callable[[RxFrame, V2xMessage, float, float], None]
"""Called with every decoded message, the frame it came in (the radio's PSID and RSSI, the
bytes as received), ``now`` and ``utc`` (the SNMP agent's received-message forwarding)."""
AlarmListener = Callable[[AlarmChange], None]
"""Told of every change of the alarm board, after its ``alarms`` record (the SNMP agent's
notifications). Must not block."""


@dataclass(slots=True)
class Stream:
    """What went to the cloud on one stream (for the demo view, status and metrics)."""

    count: int = 0
    last: str = ""
    last_utc: float = 0.0


@dataclass(slots=True)
class CoreCounters:
    decoded: int = 0
    decode_errors: dict[str, int] = field(default_factory=dict)
    tx_sent: int = 0
    tx_failed: int = 0
    tx_suppressed: int = 0
    tx_refused: int = 0
    """Transmissions outside the radio backend's limits (PSID, channel, size): not sent."""
    security_dropped: int = 0
    """Received messages that failed IEEE 1609.2 verification under ``invalid = "drop"``."""
    sign_failed: int = 0
    """Transmissions of a signed type that could not be signed: not sent."""
    tx_shed: int = 0
    """Transmissions held back by the power shed order (``essential``: safety messages only)."""


def summary(msg: V2xMessage) -> str:
    """One short line about a message: type, sender, position, speed when present."""
    value = msg.value if isinstance(msg.value, dict) else {}
    core = value.get("coreData", value)
    parts = [msg.short_name]
    sid = sender_id(msg)
    if sid:
        parts.append(f"id={sid}")
    pos = core.get("position", core) if isinstance(core, dict) else {}
    lat, lon = pos.get("lat"), pos.get("long")
    if isinstance(lat, int) and isinstance(lon, int):
        parts.append(f"{degrees(lat):.6f},{degrees(lon):.6f}")
    speed = core.get("speed") if isinstance(core, dict) else None
    if isinstance(speed, int) and speed != SPEED_UNAVAILABLE:
        parts.append(f"{speed * SPEED * 3.6:.0f} km/h")
    return " ".join(parts)


def alarm_record(change: AlarmChange, event: str = "") -> Record:
    """The ``alarms`` record of one change: the board's fields, ``kind`` the part's own name
    for what happened (``fix_restored``), ``alarm`` the alarm's kind (pairs raise and clear)."""
    a = change.alarm
    data = {**change.as_dict(), "kind": event or a.kind, "alarm": a.kind}
    return Record("alarms", data, f"{a.source} {event or a.kind} {change.state}")


class Core:
    """Decode -> uplink/listeners; outputs -> broadcast table, radio, uplink, alarm board."""

    def __init__(
        self,
        *,
        codec: Codec,
        radio: Radio,
        uplink: Uplink,
        scheduler: Scheduler,
        tail: TailHub,
        alarms: AlarmBoard,
        stages: tuple[Stage, ...] = (),
        listeners: tuple[MessageListener, ...] = (),
        frame_listeners: tuple[FrameListener, ...] = (),
        alarm_listeners: tuple[AlarmListener, ...] = (),
        guard: Guard | None = None,
        upsert_listeners: tuple[UpsertListener, ...] = (),
        security: SecurityStage | None = None,
    ) -> None:
        self.codec = codec
        self.radio = radio
        self.uplink = uplink
        self.scheduler = scheduler
        self.tail = tail
        self.alarms = alarms
        self.stages = stages
        self.listeners = listeners
        self.frame_listeners = frame_listeners
        self.alarm_listeners = alarm_listeners
        self.upsert_listeners = upsert_listeners
        self.mode = "operate"
        self.n = CoreCounters()
        self.streams: dict[str, Stream] = {}
        self.guard = guard or Guard()
        self.security = security
        """IEEE 1609.2: verification of what is received, signing at ``transmit``."""
        self.tx_only: frozenset[str] | None = None
        """While set (the power shed order's ``essential`` step), only these message types
        go on the air; the rest is counted in ``tx_shed`` (the table keeps them)."""
        self._ticks: tuple[tuple[str, Handler[None]], ...] = (
            ("broadcast", self._tick_broadcast),
            *((s.name, _ticker(s)) for s in stages),
            ("guard", lambda _, now, utc: self.guard.tick(utc)),
            ("offload", self._tick_offload),
        )
        self.offload: Offload | None = None
        """``[daemon] decode_workers``: frames decoded in worker processes (``offload.py``)."""

    # --- the one way anything runs on the core thread ------------------------------------

    def run(self, where: str, handler: Handler[T], item: T, now: float, utc: float) -> bool:
        """``handler(item, now, utc)``, its outputs routed. An unexpected exception (in the
        handler or while routing) is the guard's: counted, logged with ``item``, alarmed;
        False, and the caller goes on with the next event."""
        try:
            out = handler(item, now, utc)
            if out:
                self.route(out, now, utc)
        except Exception as err:  # no single event may end the core loop (rsu.daemon.guard)
            alarm = self.guard.failed(where, item, err, utc)
            try:
                self.route(alarm, now, utc)
            except Exception as again:  # the alarm's own way out failed: the log has it
                log.error("core_alarm_failed", where=where, error=repr(again))
            return False
        return True

    # --- inputs ---------------------------------------------------------------------------

    def on_rx(self, frame: RxFrame, now: float, utc: float) -> None:
        if self.offload is not None and not self.tail.active:  # decoded in a worker
            self.offload.add(frame, frame.backend or self.radio.name, now)
            return
        try:
            msg = self.codec.decode(frame.payload)
        except DecodeError as err:
            self.decode_failed(frame.psid, type(err).__name__, str(err), frame.payload[:512].hex())
            return
        self.n.decoded += 1
        self.radio.counters.decoded(frame.psid, msg.short_name)
        security = None
        if self.security is not None:
            verdict = self.security.on_received(frame.payload, msg.short_name, sender_id(msg), utc)
            if not verdict.forward:
                self.n.security_dropped += 1
                return
            security = verdict.result.as_dict()
        for listener in self.listeners:
            listener(msg, now)
        for heard in self.frame_listeners:
            heard(frame, msg, now, utc)
        origin = Origin(frame.backend or self.radio.name, frame.channel, frame.rssi)
        text = ""  # the summary line, made at most once per message
        sent = self.uplink.submit_message(
            msg, origin=origin, received_at=frame.rx_utc, verification=security
        )
        if sent:
            text = summary(msg)
            self.tap(f"v2x/{msg.short_name}", text, utc)
        if self.tail.active:
            self.tail.publish(
                {
                    "utc": frame.rx_utc,
                    "type": msg.short_name,
                    "psid": frame.psid,
                    "rssi": frame.rssi,
                    "summary": text or summary(msg),
                    "jer": msg.jer(),
                    **({"security": security["result"]} if security else {}),
                }
            )

    def decode_failed(self, psid: int | None, kind: str, error: str, hexed: str) -> None:
        self.radio.counters.decode_failed(psid)
        n = self.n.decode_errors.get(kind, 0) + 1
        self.n.decode_errors[kind] = n
        if due(n):
            log.warning("frame_undecodable", kind=kind, error=error, count=n, psid=psid, hex=hexed)

    def tap(self, stream: str, text: str, utc: float) -> None:
        s = self.streams.get(stream)
        if s is None:
            s = self.streams[stream] = Stream()
        s.count += 1
        s.last, s.last_utc = text, utc

    # --- outputs --------------------------------------------------------------------------

    def route(self, out: Outputs, now: float, utc: float) -> None:
        """Send every output where it belongs (see ``rsu.stage.Outputs`` for the order)."""
        for key in out.removals:
            self.scheduler.on_event(Remove(key), now, utc)
        for message in out.upserts:
            self.upsert(message, now, utc)
        if out.mode is not None:
            self.set_mode(out.mode)
        for request in out.transmissions:
            self.transmit(request, utc)
        for record in out.records:
            self.record(record, utc)
        for alarm in out.raises:
            change = self.alarms.raise_(alarm, utc)
            if change is not None:
                self._alarm_changed(change, "")
        for clear in out.clears:
            self._clear(clear, utc)
        for notice in out.notices:
            getattr(log, notice.level)(notice.event, **dict(notice.fields or {}))

    def record(self, record: Record, utc: float) -> bool:
        """One record to the uplink; counted on its stream when the uplink took it."""
        if self.uplink.submit_data(record.stream, dict(record.data), at=utc):
            self.tap(record.stream, record.summary, utc)
            return True
        return False

    def _clear(self, clear: Clear, utc: float) -> None:
        change = self.alarms.clear(clear.source, clear.kind, utc, clear.detail)
        if change is not None:
            self._alarm_changed(change, clear.event)

    def _alarm_changed(self, change: AlarmChange, event: str) -> None:
        a = change.alarm
        level = "warning" if change.state == "raised" and a.severity != "info" else "info"
        getattr(log, level)(
            "alarm_" + change.state, source=a.source, kind=a.kind, detail=a.detail, said=event
        )
        self.record(alarm_record(change, event), change.utc)
        for listener in self.alarm_listeners:
            listener(change)

    def set_mode(self, change: ModeChange) -> str:
        """The one place the operating mode changes (``Modes.set`` for the control socket and
        the cloud, a ``mode`` output for the parts); the mode before."""
        before = self.mode
        self.mode = change.kind
        if before != change.kind:
            log.info("mode_changed", before=before, after=change.kind, by=change.by, ref=change.ref)
        return before

    def upsert(self, message: BroadcastMessage, now: float, utc: float) -> list[Notice]:
        """Put ``message`` in the broadcast table; the scheduler's notices (added, rejected...).
        The upsert listeners are told of it (live SPaT follows the MAP it belongs to). A
        message of a signed type whose PSID the RSU certificate lacks is rejected here."""
        problem = self.unsignable(message.message_type, message.key, message.psid, message.sign)
        if problem is not None:
            return [Notice("rejected", message.key, detail=problem)]
        notices = self.scheduler.on_event(Upsert(message), now, utc)
        for listener in self.upsert_listeners:
            listener(message)
        return notices

    def unsignable(self, message_type: str, key: str, psid: int, asked: bool) -> str | None:
        """Why a message of this type/entry cannot be signed when it must be (None: it can,
        or it need not be). ``asked``: the entry asks for it itself (``sign``)."""
        if self.security is None:
            return "signing asked for, and the daemon has no [security] layer" if asked else None
        return self.security.unsignable(message_type, key, psid, asked)

    def transmit(self, request: TxRequest, utc: float) -> bool:
        """The one transmit boundary: every transmission passes here, and those of a type or
        entry listed in ``[security] sign``, or asking for it (``sign``: an NTCIP 1218 row),
        are signed (``utc``: the daemon's clock); one that cannot be is not sent."""
        if self.mode != "operate":
            self.n.tx_suppressed += 1
            return False
        if self.tx_only is not None and request.message_type not in self.tx_only:
            self.n.tx_shed += 1
            return False
        if request.sign or (
            self.security is not None
            and self.security.wants_signing(request.message_type, request.key)
        ):
            signed = self._sign(self.security, request, utc)
            if signed is None:
                return False
            request = signed
        problem = self.radio.limits.problem(
            request.psid, request.channel, len(request.payload), request.priority
        )
        if problem is not None:
            self.n.tx_refused += 1
            if due(self.n.tx_refused):
                log.warning("tx_refused", key=request.key, error=problem, count=self.n.tx_refused)
            return False
        ok = self.radio.send(request)
        if ok:
            self.n.tx_sent += 1
        else:
            self.n.tx_failed += 1
        return ok

    def _sign(
        self, stage: SecurityStage | None, request: TxRequest, utc: float
    ) -> TxRequest | None:
        """``request`` with its payload signed, or None: counted, logged, not sent (never a
        silent unsigned transmission of a type that must be signed). The signed request's
        ``sign`` is off: its payload is the SPDU, for the radio to send as it is."""
        try:
            if stage is None:
                raise ValueError("signing asked for, and the daemon has no [security] layer")
            payload = stage.sign_frame(request.payload, request.psid, utc)
        except (RsuError, ValueError) as err:
            self.n.sign_failed += 1
            if stage is not None:
                stage.n.sign_errors += 1
            if due(self.n.sign_failed):
                log.error(
                    "tx_sign_failed", type=request.message_type, key=request.key,
                    psid=request.psid, error=str(err), count=self.n.sign_failed,
                )  # fmt: skip
            return None
        return replace(request, payload=payload, sign=False)

    def send_now(self, payload: bytes, psid: int | None, channel: int) -> TxRequest:
        """A one-shot transmission (``rsu tx``): psid from the message type when not given."""
        msg = self.codec.decode(payload, unwrap=False)
        psid = PSIDS.get(msg.short_name, 0x20) if psid is None else psid
        return TxRequest(payload=payload, psid=psid, channel=channel, message_type=msg.short_name)

    # --- time -----------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        deadlines = [self.scheduler.next_deadline(), *(s.next_deadline() for s in self.stages)]
        if self.offload is not None:
            deadlines.append(self.offload.next_deadline())
        due = [d for d in deadlines if d is not None]
        return min(due) if due else None

    def tick(self, now: float, utc: float) -> None:
        """The broadcast table, then every stage in order, each on its own (``run``)."""
        for where, handler in self._ticks:
            self.run(where, handler, None, now, utc)

    def _tick_offload(self, _: None, now: float, utc: float) -> None:
        if self.offload is not None:
            self.offload.tick(self, now, utc)

    def _tick_broadcast(self, _: None, now: float, utc: float) -> None:
        """Transmit what the store-and-repeat table has due; log its notices."""
        for request in self.scheduler.poll(now, utc):
            self.transmit(request, utc)
        for notice in self.scheduler.take_notices():
            getattr(log, _NOTICE_LEVEL.get(notice.kind, "info"))(
                "broadcast_" + notice.kind,
                key=notice.key,
                revision=notice.revision,
                detail=notice.detail,
            )


def _ticker(stage: Stage) -> Handler[None]:
    def tick(_: None, now: float, utc: float) -> Outputs:
        return stage.tick(now, utc)

    return tick
