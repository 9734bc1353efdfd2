"""A free loopback port and the mosquitto binary: what ``rsu demo``, the tests, the HIL
harness and the benches share to run a local broker. A floor module (standard library only).
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

MOSQUITTO_PATHS = ("/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto")


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A free loopback port (TCP, or UDP with ``socket.SOCK_DGRAM``): the one helper the
    demo, the tests, the HIL harness and the benches use."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_mosquitto() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    return next((p for p in MOSQUITTO_PATHS if Path(p).exists()), None)
