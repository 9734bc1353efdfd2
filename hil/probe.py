"""Is the daemon responsive and bounded? A thread that asks it ``status`` over its control
socket every ``period_s`` (answered by the core loop, so a stuck core shows up as a slow or
missing answer) and samples its resident memory from ``/proc``."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rsu.errors import ControlError


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


class Probe:
    def __init__(self, daemon: Any, socket_path: Path, period_s: float = 0.25) -> None:
        from rsu.daemon.control import ControlClient

        self.daemon = daemon
        self.client = ControlClient(socket_path)
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
                self.client.request("status")
            except (ControlError, OSError, ValueError) as err:
                if proc.poll() is None and self.daemon.ready:  # not killed meanwhile
                    self.log.failures.append(f"{type(err).__name__}: {err}"[:200])
                continue
            self.log.answers_ms.append((time.monotonic() - t) * 1000)
