"""The paho-mqtt 2.x edge: one client, one network thread, reconnect with backoff and jitter.

Callbacks only append to the owner's bounded inbox and set its wake event (an exception in a
paho callback would kill the network thread). Publishing is QoS 1; paho keeps unacknowledged
publishes across reconnects of this process and re-sends them itself; the spool covers restarts.

MQTT 5: the daemon's session outlives a dropped connection (``session_expiry_s``: no
re-subscribe storm, commands sent meanwhile are delivered); publishes carry the content type
and, on perishable streams, a message expiry; ACKs carry the command's correlation data. A
downlink message larger than ``max_command_bytes`` is not copied: only its size is queued (and
with MQTT 5 the broker is told the largest packet this client takes).
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as paho
import structlog
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from rsu.errors import UplinkError
from rsu.reader import Backoff  # the one backoff of every edge
from rsu.uplink.config import UplinkConfig
from rsu.uplink.dialects import Inbound
from rsu.uplink.publisher import Publish

log = structlog.get_logger(__name__)

COMMAND_QUEUE = 256
SESSION_TAKEN_OVER = 142
"""MQTT 5 DISCONNECT reason: another connection with our client id took the session."""
LOOP_TIMEOUT_S = 1.0
"""paho's select timeout: publish() and disconnect() wake it at once (its socket pair)."""


def _no_op(client: paho.Client, userdata: Any, sock: Any) -> None:
    return None


class Commands:
    """The downlink queue: bounded in count and in bytes; a message that does not fit is
    dropped (the newest: the cloud gets no ACK for it and may send it again), counted."""

    def __init__(self, max_items: int, max_bytes: int, wake: threading.Event) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.dropped = 0
        self.bytes = 0
        self._items: deque[Inbound] = deque()
        self._lock = threading.Lock()
        self._wake = wake

    def put(self, msg: Inbound) -> bool:
        size = 0 if msg.payload is None else len(msg.payload)
        with self._lock:
            if len(self._items) >= self.max_items or self.bytes + size > self.max_bytes:
                self.dropped += 1
                return False
            self._items.append(msg)
            self.bytes += size
        self._wake.set()
        return True

    def drain(self) -> list[Inbound]:
        with self._lock:
            items = list(self._items)
            self._items.clear()
            self.bytes = 0
        return items

    def __len__(self) -> int:
        return len(self._items)


@dataclass(slots=True)
class Inbox:
    """What the network thread hands to the uplink worker. Bounded: acks are at most the
    in-flight window; commands by ``Commands``. ``events``, at most a few between two worker
    turns: ``True`` connected, ``False`` connection lost, ``None`` the status changed,
    ``("hold", streams)`` a hold set or lifted."""

    max_command_bytes: int = 256 * 1024
    queue_bytes: int = 4 * 1024 * 1024
    wake: threading.Event = field(default_factory=threading.Event)
    acks: deque[tuple[int, bool]] = field(default_factory=deque)
    events: deque[Any] = field(default_factory=lambda: deque(maxlen=64))
    commands: Commands = field(init=False)
    connects: int = 0
    takeovers: int = 0

    def __post_init__(self) -> None:
        self.commands = Commands(COMMAND_QUEUE, self.queue_bytes, self.wake)


@dataclass(frozen=True, slots=True)
class LinkOptions:
    """What differs between the daemon's connection and a tool's (``rsu.uplink.identity``)."""

    client_id: str
    subscriptions: tuple[str, ...] = ()
    will: Callable[[], Publish | None] = lambda: None
    """Called before every (re)connect: the last will to arm (None: none)."""
    session_expiry_s: int = 0


class MqttLink:
    """A connected-or-reconnecting paho client."""

    def __init__(self, cfg: UplinkConfig, options: LinkOptions, inbox: Inbox) -> None:
        self.cfg = cfg
        self.options = options
        self.inbox = inbox
        self.v5 = cfg.protocol == "5"
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = self._build()
        self._rng = random.Random()

    def _build(self) -> paho.Client:
        cfg = self.cfg
        proto = paho.MQTTv5 if self.v5 else paho.MQTTv311
        kwargs: dict[str, Any] = {"client_id": self.options.client_id, "protocol": proto}
        if proto == paho.MQTTv311:
            kwargs["clean_session"] = True
        client = paho.Client(CallbackAPIVersion.VERSION2, **kwargs)
        client.enable_logger(logging.getLogger("paho.mqtt"))
        client.max_inflight_messages_set(cfg.inflight + 16)
        if cfg.broker.tls:
            self._tls(client)
        if cfg.username is not None:
            client.username_pw_set(cfg.username, cfg.read_password())
        # Only the network thread may touch the socket (an SSL socket is not safe for a write
        # from one thread while another reads). With a register-write callback set, paho's
        # publish() queues the packet and wakes the network thread instead of writing itself.
        client.on_socket_register_write = _no_op
        client.on_socket_unregister_write = _no_op
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    def _tls(self, client: paho.Client) -> None:
        tls = self.cfg.tls
        try:
            ctx = ssl.create_default_context(cafile=tls.ca_file)
            if tls.cert_file:
                ctx.load_cert_chain(tls.cert_file, tls.key_file)
        except (OSError, ssl.SSLError) as err:
            raise UplinkError(f"uplink TLS set-up failed: {err}") from err
        ctx.check_hostname = tls.check_hostname
        client.tls_set_context(ctx)

    # --- paho callbacks (network thread): hand over and return -----------------------------

    def _on_connect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: Any,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        if reason_code.is_failure:
            log.warning("uplink_connect_refused", reason=str(reason_code))
            return
        resumed = bool(getattr(flags, "session_present", False))
        try:
            if not resumed:  # a resumed MQTT 5 session keeps its subscriptions
                self._subscribe(client)
        except Exception as err:  # never let an error kill paho's network thread
            log.error("uplink_on_connect_failed", error=repr(err))
        self.inbox.connects += 1
        self.connected.set()
        self.inbox.events.append(True)
        self.inbox.wake.set()
        log.info(
            "uplink_connected",
            broker=f"{self.cfg.broker.host}:{self.cfg.broker.port}",
            client_id=self.options.client_id,
            session_resumed=resumed,
        )

    def _subscribe(self, client: paho.Client) -> None:
        for topic in self.options.subscriptions:
            if self.v5:  # MQTT 5: do not get our own ACKs back
                client.subscribe(topic, options=SubscribeOptions(qos=1, noLocal=True))
            else:
                client.subscribe(topic, qos=1)

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: Any,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        if getattr(reason_code, "value", None) == SESSION_TAKEN_OVER:
            self.inbox.takeovers += 1
            log.error(
                "uplink_session_taken_over",
                client_id=self.options.client_id,
                hint="another process connects with this client id",
            )
        if self.connected.is_set() and not self._stop.is_set():
            log.warning("uplink_disconnected", reason=str(reason_code))
            self.inbox.events.append(False)
            self.inbox.wake.set()
        self.connected.clear()

    def _on_publish(
        self, client: paho.Client, userdata: Any, mid: int, reason_code: ReasonCode, properties: Any
    ) -> None:
        acks = self.inbox.acks
        acks.append((mid, not reason_code.is_failure))
        if len(acks) == 1:  # the worker drains them all; one wake-up per batch is enough
            self.inbox.wake.set()

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        size = len(msg.payload)
        payload = bytes(msg.payload) if size <= self.inbox.max_command_bytes else None
        props = getattr(msg, "properties", None)
        self.inbox.commands.put(
            Inbound(
                msg.topic,
                payload,
                size,
                _prop(props, "ResponseTopic", str),
                _prop(props, "CorrelationData", bytes),
            )
        )

    # --- owner API ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="uplink-mqtt", daemon=True)
        self._thread.start()

    def publish(self, out: Publish) -> int:
        """QoS 1 publish; returns the message id to match with the PUBACK."""
        info = self._client.publish(
            out.topic, out.payload, qos=1, retain=out.retain, properties=self._props(out)
        )
        return int(info.mid)

    def _props(self, out: Publish) -> Properties | None:
        if not self.v5 or (
            out.expiry_s is None and out.content_type is None and out.correlation is None
        ):
            return None
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho: untyped
        if out.expiry_s is not None:
            props.MessageExpiryInterval = out.expiry_s
        if out.content_type is not None:
            props.ContentType = out.content_type
        if out.correlation is not None:
            props.CorrelationData = out.correlation
        return props

    def send(self, out: Publish) -> None:
        """A direct (not spooled) message: only while connected, else it is stale anyway."""
        if self.connected.is_set():
            self.publish(out)

    def stop(self, farewell: Publish | None = None) -> None:
        if farewell is not None and self.connected.is_set():
            info = self._client.publish(farewell.topic, farewell.payload, qos=1, retain=True)
            info.wait_for_publish(timeout=2.0)
        self._stop.set()
        self._client.disconnect()  # wakes the network thread's select at once
        if self._thread is not None:
            self._thread.join(timeout=10.0)
        self.connected.clear()

    # --- network thread -------------------------------------------------------------------

    def _connect(self, first: bool) -> None:
        will = self.options.will()
        if will is not None:  # re-armed before each connect: it says since when we were up
            self._client.will_set(will.topic, will.payload, qos=1, retain=will.retain)
        if not first:
            self._client.reconnect()
            return
        kwargs: dict[str, Any] = {}
        if self.v5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho: untyped
            props.SessionExpiryInterval = self.options.session_expiry_s
            # the broker does not send us packets we would refuse anyway
            props.MaximumPacketSize = self.inbox.max_command_bytes + 64 * 1024
            kwargs = {"properties": props, "clean_start": self.options.session_expiry_s == 0}
        self._client.connect(
            self.cfg.broker.host, self.cfg.broker.port, self.cfg.keepalive, **kwargs
        )

    def _run(self) -> None:
        backoff = Backoff(self.cfg.reconnect_min_s, self.cfg.reconnect_max_s)
        first, sock_open, failures = True, False, 0
        while not self._stop.is_set():
            if not sock_open:
                try:
                    self._connect(first)
                    first, sock_open = False, True
                except (OSError, ssl.SSLError) as err:
                    failures += 1
                    if failures == 1:
                        log.warning("uplink_connect_failed", error=str(err))
                    self._stop.wait(backoff.next(self._rng.random()))
                    continue
            rc = self._client.loop(timeout=LOOP_TIMEOUT_S)
            if self.connected.is_set():
                backoff.reset()
                failures = 0
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                sock_open = False
                if self.connected.is_set():
                    self.inbox.events.append(False)
                    self.inbox.wake.set()
                self.connected.clear()
                self._stop.wait(backoff.next(self._rng.random()))


def _prop(props: Any, name: str, kind: type) -> Any:
    value = getattr(props, name, None) if props is not None else None
    return value if isinstance(value, kind) else None
