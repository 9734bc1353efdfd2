"""Is the daemon responsive and bounded? A thread that asks it ``status`` over its control
socket every ``period_s`` (answered by the core loop, so a stuck core shows up as a slow or
missing answer) and samples its resident memory from ``/proc``."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class ProbeLog:
    answers_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)


def rss_mb(pid: int) -> float | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return None


def ask(path: Path, request: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    """One control request and its one-line answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(json.dumps(request).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    answer = json.loads(buf)
    return answer if isinstance(answer, dict) else {}


class Probe:
    def __init__(self, daemon: Any, socket_path: Path, period_s: float = 0.25) -> None:
        self.daemon = daemon
        self.path = socket_path
        self.period_s = period_s
        self.log = ProbeLog()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hil-probe", daemon=True)

    def start(self) -> Probe:
        self._thread.start()
        return self

    def stop(self) -> ProbeLog:
        self._stop.set()
        self._thread.join(timeout=6.0)
        return self.log

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            proc = self.daemon.proc
            if proc is None or proc.poll() is not None or not self.daemon.ready:
                continue  # killed or restarting on purpose: not a failure to answer
            mem = rss_mb(proc.pid)
            if mem is not None:
                self.log.rss_mb.append(mem)
            t = time.monotonic()
            try:
                answer = ask(self.path, {"cmd": "status"})
            except (OSError, ValueError) as err:
                with contextlib.suppress(Exception):
                    if proc.poll() is not None or not self.daemon.ready:
                        continue
                self.log.failures.append(f"{type(err).__name__}: {err}")
                continue
            self.log.answers_ms.append((time.monotonic() - t) * 1000)
            if not answer.get("ok", False):
                self.log.failures.append(str(answer.get("error", answer))[:200])
