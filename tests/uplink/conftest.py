"""Uplink test helpers: a real MQTT subscriber, configs on tmp paths, real decoded frames."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from rsu.uplink.config import UplinkConfig, read_uplink_config
from rsu.v2x.codec import get_codec
from rsu.v2x.message import V2xMessage
from tests.v2x.vectors import load

_IDS = itertools.count()


def _presence(topic: str) -> bool:
    """The retained status and birth topics (not records)."""
    return topic.endswith(("/status", "/birth", "/STATUS/UP", "/BIRTH/UP"))


class Collector:
    """A paho subscriber that keeps every message; ``records`` flattens batched payloads."""

    def __init__(
        self,
        url: str,
        topics: list[str],
        persistent: bool = False,
        auth: Any = None,
        tls_insecure: bool = False,
        v5: bool = False,
        **tls: Any,
    ) -> None:
        host_port = url.split("://", 1)[1]
        host, port = host_port.rsplit(":", 1)
        self.messages: list[tuple[str, bytes, bool]] = []
        self.properties: list[tuple[str, Any]] = []
        """(topic, MQTT 5 properties) of every message (v5 collectors)."""
        self._lock = threading.Lock()
        self._ready = threading.Event()
        kwargs: dict[str, Any] = {"protocol": paho.MQTTv5} if v5 else {}
        if not v5:
            kwargs["clean_session"] = not persistent
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=f"collector-{next(_IDS)}-{persistent}", **kwargs
        )
        self.client.reconnect_delay_set(0.05, 0.5)
        if auth is not None:
            self.client.username_pw_set(*auth)
        if tls:
            self.client.tls_set(**tls)
            self.client.tls_insecure_set(tls_insecure)
        self.client.on_connect = lambda c, u, f, rc, p: [c.subscribe(t, qos=1) for t in topics]
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self._ready.set()
        self.client.on_message = self._on_message
        self.client.connect(host, int(port))
        self.client.loop_start()
        assert self._ready.wait(5.0), "collector did not subscribe"

    def _on_message(self, client: Any, userdata: Any, msg: paho.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, bytes(msg.payload), bool(msg.retain)))
            self.properties.append((msg.topic, getattr(msg, "properties", None)))

    def on(self, topic: str) -> list[Any]:
        with self._lock:
            return [json.loads(p) for t, p, _ in self.messages if t == topic]

    def records(self, prefix: str = "") -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        with self._lock:
            msgs = list(self.messages)
        for topic, payload, _ in msgs:
            if topic.startswith(prefix) and "/cmd/" not in topic and not _presence(topic):
                body = json.loads(payload)
                out.extend(body if isinstance(body, list) else [body])
        return out

    def publish(self, topic: str, payload: bytes | str, properties: Any = None) -> None:
        self.client.publish(topic, payload, qos=1, properties=properties).wait_for_publish(5.0)

    def ids(self, prefix: str = "") -> list[str]:
        return [r["id"] for r in self.records(prefix)]

    def close(self) -> None:
        self.client.disconnect()  # first: wakes paho's loop so loop_stop does not wait 1 s
        self.client.loop_stop()


@pytest.fixture
def collect() -> Iterator[Callable[..., Collector]]:
    made: list[Collector] = []

    def make(url: str, topics: list[str] | None = None, **kwargs: Any) -> Collector:
        c = Collector(url, topics or ["#"], **kwargs)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def config_dict(tmp_path: Path, broker: str, **uplink: Any) -> dict[str, Any]:
    table = {
        "broker": broker,
        "spool_path": str(tmp_path / "spool.db"),
        "reconnect_min_s": 0.05,
        "reconnect_max_s": 0.3,
        "heartbeat_s": 0.0,
        "running_info_s": 0.0,
    }
    table.update(uplink)
    return {"rsu": {"id": "rsu-0042"}, "uplink": table, "other": {"ignored": True}}


def make_config(tmp_path: Path, broker: str, **uplink: Any) -> UplinkConfig:
    return read_uplink_config(config_dict(tmp_path, broker, **uplink))


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    lines: list[str] = []
    for table, values in data.items():
        lines.append(f"[{table}]")
        lines.extend(f"{k} = {json.dumps(v)}" for k, v in values.items())
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="session")
def frames() -> list[dict[str, Any]]:
    """The real J2735 frames (hex as captured, wrapped or bare)."""
    return load("j2735_real.jsonl")


@pytest.fixture(scope="session")
def messages(frames: list[dict[str, Any]]) -> list[V2xMessage]:
    codec = get_codec("j2735")
    return [codec.decode(bytes.fromhex(f["outer_hex"] or f["hex"])) for f in frames[:400]]


@pytest.fixture(scope="session")
def smallest() -> Callable[[str], V2xMessage]:
    """The smallest real J2735 frame of a type (``MAP``, ``SPAT`` ...), decoded."""
    codec = get_codec("j2735")
    decoded = [codec.decode(bytes.fromhex(f["hex"])) for f in load("j2735_real.jsonl")]

    def pick(short: str) -> V2xMessage:
        return min((m for m in decoded if m.short_name == short), key=lambda m: len(m.raw))

    return pick
