"""The paho-mqtt 2.x edge: one client, one network thread, reconnect with backoff and jitter.

Callbacks only append to the owner's bounded inbox and set its wake event (an exception in a
paho callback would kill the network thread). Publishing is QoS 1; paho keeps unacknowledged
publishes across reconnects of this process and re-sends them itself; the spool covers restarts.
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
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from rsu.clock import Clock
from rsu.errors import UplinkError
from rsu.queues import BoundedQueue
from rsu.uplink.config import UplinkConfig
from rsu.uplink.dialects import Dialect, Outgoing

log = structlog.get_logger(__name__)

COMMAND_QUEUE = 256


def _no_op(client: paho.Client, userdata: Any, sock: Any) -> None:
    return None


class Backoff:
    """Exponential backoff with "equal jitter": the n-th delay is uniform in
    [d/2, d] with d = min(max_s, min_s * 2**n). Pure: the random draw is passed in."""

    def __init__(self, min_s: float, max_s: float) -> None:
        self.min_s = min_s
        self.max_s = max(max_s, min_s)
        self.attempt = 0

    def next(self, draw: float) -> float:
        d: float = min(self.max_s, self.min_s * float(2 ** min(self.attempt, 30)))
        self.attempt += 1
        return d / 2 + d / 2 * draw

    def reset(self) -> None:
        self.attempt = 0


@dataclass(slots=True)
class Inbox:
    """What the network thread hands to the uplink worker. Bounded: acks are at most the
    in-flight window; commands are capped at COMMAND_QUEUE (the oldest dropped, counted)."""

    wake: threading.Event = field(default_factory=threading.Event)
    acks: deque[tuple[int, bool]] = field(default_factory=deque)
    commands: BoundedQueue[tuple[str, bytes]] = field(init=False)
    connects: int = 0

    def __post_init__(self) -> None:
        self.commands = BoundedQueue(COMMAND_QUEUE, wake=self.wake)


class MqttLink:
    """A connected-or-reconnecting paho client."""

    def __init__(
        self,
        cfg: UplinkConfig,
        dialect: Dialect,
        inbox: Inbox,
        clock: Clock,
        health: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.cfg = cfg
        self.clock = clock
        self.dialect = dialect
        self.inbox = inbox
        self.health: Callable[[], dict[str, Any]] = health or dict
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = self._build()
        self._rng = random.Random()

    def _build(self) -> paho.Client:
        cfg = self.cfg
        proto = paho.MQTTv5 if cfg.protocol == "5" else paho.MQTTv311
        kwargs: dict[str, Any] = {"client_id": cfg.client_id, "protocol": proto}
        if proto == paho.MQTTv311:
            kwargs["clean_session"] = True
        client = paho.Client(CallbackAPIVersion.VERSION2, **kwargs)
        client.enable_logger(logging.getLogger("paho.mqtt"))
        client.max_inflight_messages_set(cfg.inflight + 16)
        if cfg.broker.tls:
            self._tls(client)
        if cfg.username is not None:
            client.username_pw_set(cfg.username, cfg.read_password())
        will = self.dialect.will()
        client.will_set(will.topic, will.payload, qos=1, retain=will.retain)
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
        try:
            self._subscribe_and_announce(client)
        except Exception as err:  # never let an error kill paho's network thread
            log.error("uplink_on_connect_failed", error=repr(err))
        self.inbox.connects += 1
        self.connected.set()
        self.inbox.wake.set()
        log.info("uplink_connected", broker=f"{self.cfg.broker.host}:{self.cfg.broker.port}")

    def _subscribe_and_announce(self, client: paho.Client) -> None:
        for topic in self.dialect.subscriptions():
            if self.cfg.protocol == "5":  # MQTT 5: do not get our own ACKs back
                client.subscribe(topic, options=SubscribeOptions(qos=1, noLocal=True))
            else:
                client.subscribe(topic, qos=1)
        for out in self.dialect.birth(self.clock.time(), self.health()):
            client.publish(out.topic, out.payload, qos=1, retain=out.retain)

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: Any,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        if self.connected.is_set() and not self._stop.is_set():
            log.warning("uplink_disconnected", reason=str(reason_code))
        self.connected.clear()

    def _on_publish(
        self, client: paho.Client, userdata: Any, mid: int, reason_code: ReasonCode, properties: Any
    ) -> None:
        acks = self.inbox.acks
        acks.append((mid, not reason_code.is_failure))
        if len(acks) == 1:  # the worker drains them all; one wake-up per batch is enough
            self.inbox.wake.set()

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        self.inbox.commands.put((msg.topic, bytes(msg.payload)))

    # --- owner API ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="uplink-mqtt", daemon=True)
        self._thread.start()

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> int:
        """QoS 1 publish; returns the message id to match with the PUBACK."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        return int(info.mid)

    def send(self, out: Outgoing) -> None:
        """A direct (not spooled) message: only while connected, else it is stale anyway."""
        if self.connected.is_set():
            self._client.publish(out.topic, out.payload, qos=1, retain=out.retain)

    def stop(self, farewell: Outgoing | None = None) -> None:
        if farewell is not None and self.connected.is_set():
            info = self._client.publish(farewell.topic, farewell.payload, qos=1, retain=True)
            info.wait_for_publish(timeout=2.0)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
        self._client.disconnect()
        self.connected.clear()

    # --- network thread -------------------------------------------------------------------

    def _run(self) -> None:
        backoff = Backoff(self.cfg.reconnect_min_s, self.cfg.reconnect_max_s)
        first, sock_open, failures = True, False, 0
        while not self._stop.is_set():
            if not sock_open:
                try:
                    if first:
                        self._client.connect(
                            self.cfg.broker.host, self.cfg.broker.port, self.cfg.keepalive
                        )
                    else:
                        self._client.reconnect()
                    first, sock_open = False, True
                except (OSError, ssl.SSLError) as err:
                    failures += 1
                    if failures == 1:
                        log.warning("uplink_connect_failed", error=str(err))
                    self._stop.wait(backoff.next(self._rng.random()))
                    continue
            rc = self._client.loop(timeout=0.05)
            if self.connected.is_set():
                backoff.reset()
                failures = 0
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                sock_open = False
                self.connected.clear()
                self._stop.wait(backoff.next(self._rng.random()))
