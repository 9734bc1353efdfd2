"""What ``rsu demo`` needs besides the daemon: a throw-away broker and a "cloud" listener.

``LocalBroker`` starts ``mosquitto`` on a free loopback port when the binary exists (no
persistence, anonymous, loopback only) and stops it again. ``CloudView`` subscribes to the
RSU's topics like a cloud would and counts what arrives, per topic, with the last payload.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from rsu.loopback import find_mosquitto, free_port

log = structlog.get_logger(__name__)

__all__ = ["CloudView", "LocalBroker", "TopicCount", "describe", "find_mosquitto", "free_port"]


class LocalBroker:
    def __init__(self, binary: str, workdir: Path) -> None:
        self.port = free_port()
        conf = workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "log_dest none\n",
            encoding="utf-8",
        )
        self._proc = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def wait_ready(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(timeout=3.0)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


@dataclass(slots=True)
class TopicCount:
    count: int = 0
    records: int = 0
    last: str = ""


def describe(payload: bytes) -> tuple[int, str]:
    """(records in the payload, a one-line summary of the last one)."""
    try:
        body = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return 1, f"{len(payload)} bytes"
    items = body if isinstance(body, list) else [body]
    last = items[-1] if items else {}
    if not isinstance(last, dict):
        return len(items), str(last)[:60]
    if "message_type" in last:
        decoded = last.get("decoded") or {}
        value = decoded.get("value", decoded) if isinstance(decoded, dict) else {}
        core = value.get("coreData", value) if isinstance(value, dict) else {}
        ident = core.get("id", "") if isinstance(core, dict) else ""
        return len(items), f"{last['message_type']} {ident or ''}".strip()
    data = last.get("data")
    if isinstance(data, dict) and "count" in data:
        return len(items), f"{last.get('kind', '')}: {data['count']} objects"
    keys = ", ".join(list(last)[:4])
    return len(items), f"{last.get('kind') or last.get('status') or ''} {{{keys}}}".strip()


class CloudView:
    """A paho subscriber on ``prefix/#``: what the cloud received."""

    def __init__(self, host: str, port: int, prefix: str) -> None:
        import paho.mqtt.client as paho
        from paho.mqtt.enums import CallbackAPIVersion

        self.topics: dict[str, TopicCount] = {}
        self._lock = threading.Lock()
        cid = f"rsu-demo-cloud-{os.getpid()}"  # two demos on one broker must not take over
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=cid)
        self.client.on_connect = lambda c, u, f, rc, p: (
            None if rc.is_failure else c.subscribe(f"{prefix}/#", qos=1)
        )
        self.client.on_message = self._on_message
        self.client.connect_async(host, port)
        self.client.loop_start()

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        n, text = describe(bytes(msg.payload))
        with self._lock:
            t = self.topics.setdefault(msg.topic, TopicCount())
            t.count += 1
            t.records += n
            t.last = text

    def snapshot(self) -> dict[str, tuple[int, int, str]]:
        with self._lock:
            return {k: (v.count, v.records, v.last) for k, v in sorted(self.topics.items())}

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
