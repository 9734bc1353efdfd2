"""The core: what the daemon does with each inbound event and at each deadline.

Runs on one thread (the core loop in ``rsu.daemon.daemon``); every handler is quick and
non-blocking. Inputs: ``RxFrame`` (radio), ``GnssFix``/``GnssAlarm``, ``RadarScan``,
``FrameResult`` (camera). Outputs go to two sinks that only queue: the radio's ``send`` and the
uplink's ``submit_*``. Decoding, fusion, events and the broadcast table are pure parts.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

import structlog

from rsu.alarms import AlarmBoard
from rsu.broadcast import BroadcastMessage, Scheduler, Upsert
from rsu.errors import DecodeError, RsuError
from rsu.radio.types import Radio, RxFrame, TxRequest
from rsu.uplink.records import Origin, sender_id
from rsu.uplink.service import Uplink
from rsu.v2x.codec import Codec
from rsu.v2x.message import V2xMessage
from rsu.v2x.names import PSIDS

log = structlog.get_logger(__name__)

LOG_FIRST = 5
"""Bad input of one kind is logged (with hex) this many times, then every ``LOG_EVERY``th."""
LOG_EVERY = 1000
SECURITY_CHECK_S = 60.0
"""How often the certificate's expiry is looked at (alarms, heartbeat)."""
_NOTICE_LEVEL = {"rejected": "warning", "changed": "debug", "unchanged": "debug"}


@dataclass(slots=True)
class Stream:
    """What went to the cloud on one stream (for the demo view, status and metrics)."""

    count: int = 0
    last: str = ""
    last_utc: float = 0.0


class TailHub:
    """Decoded-message summaries for ``rsu tail`` clients; each client a bounded deque."""

    def __init__(self, maxlen: int) -> None:
        self._lock = threading.Lock()
        self._subs: list[tuple[deque[dict[str, Any]], threading.Event]] = []
        self._maxlen = maxlen
        self.dropped = 0

    def subscribe(self) -> tuple[deque[dict[str, Any]], threading.Event]:
        sub: tuple[deque[dict[str, Any]], threading.Event] = (
            deque(maxlen=self._maxlen),
            threading.Event(),
        )
        with self._lock:
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: tuple[deque[dict[str, Any]], threading.Event]) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    @property
    def active(self) -> bool:
        return bool(self._subs)

    def publish(self, item: dict[str, Any]) -> None:
        with self._lock:
            for q, ev in self._subs:
                if len(q) == q.maxlen:
                    self.dropped += 1
                q.append(item)
                ev.set()

    def __len__(self) -> int:
        return len(self._subs)

    def depth(self) -> int:
        """Lines waiting for all clients together."""
        with self._lock:
            return sum(len(q) for q, _ in self._subs)


@dataclass(slots=True)
class CoreCounters:
    decoded: int = 0
    decode_errors: dict[str, int] = field(default_factory=dict)
    tx_sent: int = 0
    tx_failed: int = 0
    tx_suppressed: int = 0
    gnss_fixes: int = 0
    gnss_alarms: int = 0
    radar_scans: int = 0
    camera_frames: int = 0
    security_dropped: int = 0
    sign_failed: int = 0


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
        parts.append(f"{lat / 1e7:.6f},{lon / 1e7:.6f}")
    speed = core.get("speed") if isinstance(core, dict) else None
    if isinstance(speed, int) and speed != 8191:
        parts.append(f"{speed * 0.02 * 3.6:.0f} km/h")
    return " ".join(parts)


class Core:
    """Decode -> uplink/fusion; broadcast -> radio; bookkeeping for status and stats."""

    def __init__(
        self,
        *,
        codec: Codec,
        radio: Radio,
        uplink: Uplink,
        scheduler: Scheduler,
        tail: TailHub,
        perception: Any = None,
        security: Any = None,
    ) -> None:
        self.codec = codec
        self.radio = radio
        self.uplink = uplink
        self.scheduler = scheduler
        self.tail = tail
        self.perception = perception  # rsu.daemon.picture.Picture or None
        self.security = security  # rsu.security.stage.SecurityStage or None
        self.alarms = AlarmBoard()
        self._next_security = 0.0
        self.mode = "operate"
        self.n = CoreCounters()
        self.streams: dict[str, Stream] = {}
        self.gnss_fix: Any = None
        self.cameras: dict[str, dict[str, float]] = {}

    # --- inputs ---------------------------------------------------------------------------

    def on_rx(self, frame: RxFrame, now: float, utc: float) -> None:
        try:
            msg = self.codec.decode(frame.payload)
        except DecodeError as err:
            self._decode_failed(frame, err)
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
        if self.perception is not None:
            self.perception.on_v2x(msg, now)
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

    def _decode_failed(self, frame: RxFrame, err: DecodeError) -> None:
        self.radio.counters.decode_failed(frame.psid)
        kind = type(err).__name__
        n = self.n.decode_errors.get(kind, 0) + 1
        self.n.decode_errors[kind] = n
        if n <= LOG_FIRST or n % LOG_EVERY == 0:
            log.warning(
                "frame_undecodable",
                kind=kind,
                error=str(err),
                count=n,
                psid=frame.psid,
                hex=frame.payload[:512].hex(),
            )

    def on_gnss(self, event: Any, utc: float) -> None:
        if hasattr(event, "kind"):  # GnssAlarm
            self.n.gnss_alarms += 1
            log.warning("gnss_alarm", kind=event.kind, detail=event.detail)
            data = {"source": "gnss", "kind": event.kind, "detail": event.detail}
            if self.uplink.submit_data("alarms", data, at=utc):
                self.tap("alarms", f"gnss {event.kind}", utc)
            return
        self.n.gnss_fixes += 1
        self.gnss_fix = event

    def tap(self, stream: str, text: str, utc: float) -> None:
        s = self.streams.get(stream)
        if s is None:
            s = self.streams[stream] = Stream()
        s.count += 1
        s.last, s.last_utc = text, utc

    # --- time -----------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        return self.scheduler.next_deadline()

    def tick(self, now: float, utc: float) -> None:
        for request in self.scheduler.poll(now, utc):
            self.transmit(request, utc)
        for notice in self.scheduler.take_notices():
            getattr(log, _NOTICE_LEVEL.get(notice.kind, "info"))(
                "broadcast_" + notice.kind,
                key=notice.key,
                revision=notice.revision,
                detail=notice.detail,
            )
        if self.perception is not None:
            self.perception.tick(self, now, utc)
        if self.security is not None and now >= self._next_security:
            self._next_security = now + SECURITY_CHECK_S
            self.check_security(utc)

    def check_security(self, utc: float) -> None:
        """Certificate expiry: alarms (source "security") and the heartbeat's health."""
        raised, cleared = self.security.alarms(utc)
        changes = [self.alarms.raise_(a, utc) for a in raised]
        changes += [self.alarms.clear("security", kind, utc) for kind in cleared]
        for change in changes:
            if change is not None:
                log.warning("alarm_" + change.state, **change.as_dict())
                self.uplink.submit_data("alarms", change.as_dict(), at=utc)
                self.tap("alarms", f"{change.alarm.kind} {change.state}", utc)
        status = self.security.status(utc)
        if "certificate" in status:
            self.uplink.set_health({**self.uplink.health, "certificate": status["certificate"]})

    def transmit(self, request: TxRequest, utc: float) -> bool:
        """The one transmit boundary: everything sent goes through here (signed when its
        message type or broadcast entry is listed in ``[security] sign``)."""
        if self.mode != "operate":
            self.n.tx_suppressed += 1
            return False
        if self.security is not None and self.security.wants_signing(
            request.message_type, request.key
        ):
            signed = self._sign(request, utc)
            if signed is None:
                return False
            request = signed
        ok = self.radio.send(request)
        if ok:
            self.n.tx_sent += 1
        else:
            self.n.tx_failed += 1
        return ok

    def _sign(self, request: TxRequest, utc: float) -> TxRequest | None:
        """The request with its payload signed, or None (counted, logged: never sent
        unsigned when it should be signed). ``utc``: the daemon's (GNSS-disciplined) clock."""
        try:
            payload = self.security.sign_frame(request.payload, request.psid, utc)
        except (RsuError, ValueError) as err:
            self.n.sign_failed += 1
            self.security.n.sign_errors += 1
            if self.n.sign_failed <= LOG_FIRST or self.n.sign_failed % LOG_EVERY == 0:
                log.error(
                    "tx_sign_failed", type=request.message_type, key=request.key,
                    psid=request.psid, error=str(err), count=self.n.sign_failed,
                )  # fmt: skip
            return None
        return replace(request, payload=payload)

    def upsert(self, message: BroadcastMessage, now: float, utc: float) -> list[str]:
        stage = self.security
        if stage is not None and stage.wants_signing(message.message_type, message.key):
            try:  # a broadcast that could never be signed is refused now, not at each send
                from rsu.v2x.psid import to_integer

                stage.signer.require(to_integer(message.psid), f"broadcast {message.key}")
            except (RsuError, ValueError) as err:
                return [f"rejected: {message.key} {err}"]
        notices = self.scheduler.on_event(Upsert(message), now, utc)
        return [f"{n.kind}: {n.key} {n.detail}".strip() for n in notices]

    def send_now(self, payload: bytes, psid: int | None, channel: int, now: float) -> TxRequest:
        """A one-shot transmission (``rsu tx``): psid from the message type when not given."""
        msg = self.codec.decode(payload, unwrap=False)
        psid = PSIDS.get(msg.short_name, 0x20) if psid is None else psid
        return TxRequest(payload=payload, psid=psid, channel=channel, message_type=msg.short_name)
