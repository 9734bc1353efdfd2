"""The cloud side: a real mosquitto started by the harness, and a subscriber that keeps
everything the daemon publishes (with the harness's receive time, for latency)."""

from __future__ import annotations

import contextlib
import getpass
import json
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rsu import loopback
from rsu.errors import RsuError
from rsu.loopback import free_port

__all__ = ["Cloud", "Mosquitto", "Received", "find_mosquitto", "free_port"]


def find_mosquitto() -> str:
    found = loopback.find_mosquitto()
    if found is None:
        raise RsuError("mosquitto not found (apt-get install mosquitto)")
    return found


class Mosquitto:
    """One broker on ``127.0.0.1:port``; ``stop()``/``start()`` again is a broker outage."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.conf = workdir / "mosquitto.conf"
        # Persistent, like a cloud broker: the harness's subscriber keeps its session (and
        # the messages queued for it) across a restart of the broker.
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {workdir}/\n"
            f"user {getpass.getuser()}\n"  # as root: do not drop to a user that cannot write
            "max_queued_messages 1000000\nmax_inflight_messages 0\n"
        )
        self.log = workdir / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def start(self, timeout: float = 5.0) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [find_mosquitto(), "-c", str(self.conf)], stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RsuError(f"mosquitto did not start on port {self.port} (see {self.log})")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=3.0)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=3.0)
            self.proc = None

    def restart(self) -> None:
        self.restarts += 1
        self.start()


@dataclass(frozen=True, slots=True)
class Received:
    """One MQTT message as the cloud saw it."""

    topic: str
    payload: bytes
    at: float  # harness monotonic time of arrival
    retained: bool

    def records(self) -> list[dict[str, Any]]:
        """The JSON records in it (a batch is a JSON array of records)."""
        try:
            value = json.loads(self.payload)
        except ValueError:
            return []
        items = value if isinstance(value, list) else [value]
        return [v for v in items if isinstance(v, dict)]


class Cloud:
    """A paho subscriber on ``topic`` that survives broker restarts: a persistent session
    (QoS 1, clean_session false), so what the daemon publishes while the subscriber is still
    reconnecting is queued for it by the broker, as a cloud's durable consumer would be."""

    def __init__(self, port: int, topic: str = "#") -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.topic = topic
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"hil-cloud-{port}", clean_session=False
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = lambda *_: self.connected.clear()
        self.client.reconnect_delay_set(0.1, 0.5)  # type: ignore[arg-type]  # floats work
        self.port = port

    def start(self) -> None:
        self.client.connect_async("127.0.0.1", self.port, keepalive=10)
        self.client.loop_start()
        if not self.connected.wait(5.0):
            raise RsuError("the harness's MQTT subscriber could not connect")

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            return
        client.subscribe(self.topic, qos=1)
        self.connected.set()

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        item = Received(msg.topic, bytes(msg.payload), time.monotonic(), bool(msg.retain))
        with self._lock:
            self.messages.append(item)

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.messages)
