"""The daemon as a real subprocess, with a real NOTIFY_SOCKET (a Unix datagram socket)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import wait_until  # re-exported for the daemon tests

ROOT = Path(__file__).parents[2]
DEMO = ROOT / "configs" / "demo.toml"
DEMO_DIR = ROOT / "rsu" / "config" / "demo"


class NotifyListener:
    """What systemd would receive: every datagram, with its monotonic arrival time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.messages: list[tuple[float, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            with self._lock:
                self.messages.append((time.monotonic(), fields))

    def times(self, key: str, value: str = "1") -> list[float]:
        with self._lock:
            return [t for t, f in self.messages if f.get(key) == value]

    def statuses(self) -> list[str]:
        with self._lock:
            return [f["STATUS"] for _, f in self.messages if "STATUS" in f]

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


class DaemonProcess:
    """``rsu run --config ...`` in ``workdir`` (runtime paths of the demo config are relative)."""

    def __init__(self, config: Path, workdir: Path, watchdog_usec: int = 400_000) -> None:
        self.workdir = workdir
        self.notify = NotifyListener(workdir / "notify.sock")
        env = {
            **os.environ,
            "NOTIFY_SOCKET": str(self.notify.path),
            "WATCHDOG_USEC": str(watchdog_usec),
            "RSU_TEST_HOOKS": "1",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("WATCHDOG_PID", None)
        self.log = (workdir / "daemon.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rsu.cli.main", "run", "--config", str(config)],
            cwd=workdir,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    @property
    def socket(self) -> Path:
        return self.workdir / "rsu-demo" / "control.sock"

    def wait_ready(self, timeout: float = 60.0) -> None:
        ok = wait_until(
            lambda: bool(self.notify.times("READY")) or self.proc.poll() is not None, timeout
        )
        assert ok, f"daemon not ready:\n{self.output()}"
        assert self.proc.poll() is None, f"daemon exited:\n{self.output()}"

    def output(self) -> str:
        self.log.flush()
        return (self.workdir / "daemon.log").read_text()

    def terminate(self, timeout: float = 20.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.notify.close()
        self.log.close()


def rsu(
    *args: str, cwd: Path | None = None, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """The ``rsu`` CLI as a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "rsu.cli.main", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )


def copy_demo(dest: Path) -> Path:
    """The demo config and its message files in ``dest`` (to edit for reload tests)."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in DEMO_DIR.iterdir():
        if f.suffix in (".toml", ".hex"):
            shutil.copy(f, dest / f.name)
    return dest / "demo.toml"
