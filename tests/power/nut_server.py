"""Debian's NUT (``nut-server``): upsd with the ``dummy-ups`` driver, from a temp config dir.

The driver serves the variables of a ``.dev`` file (rewritten by ``set``: dummy-ups re-reads
it when it changes); upsd listens on a free loopback port. Both run as the current user
(``-u``), foreground, and are stopped by pid.
"""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import free_port, wait_until

UPSD = "/lib/nut/upsd"  # /usr/sbin/upsd is Debian's wrapper that reads /etc/nut/nut.conf
DUMMY_UPS = "/lib/nut/dummy-ups"


@dataclass
class NutServer:
    workdir: Path
    ups: str = "rsu-ups"
    port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        state = self.workdir / "state"
        return {
            **os.environ,
            "NUT_CONFPATH": str(self.workdir),
            "NUT_STATEPATH": str(state),
            "NUT_ALTPIDPATH": str(state),
        }

    def set(self, values: dict[str, str]) -> None:
        dev = self.workdir / f"{self.ups}.dev"
        tmp = dev.with_suffix(".tmp")
        tmp.write_text("".join(f"{k}: {v}\n" for k, v in values.items()))
        tmp.replace(dev)

    def start(self, values: dict[str, str]) -> None:
        (self.workdir / "state").mkdir(exist_ok=True)
        (self.workdir / "ups.conf").write_text(
            f'[{self.ups}]\n  driver = dummy-ups\n  port = {self.ups}.dev\n  desc = "test"\n'
        )
        (self.workdir / "upsd.conf").write_text(f"LISTEN 127.0.0.1 {self.port}\n")
        (self.workdir / "upsd.users").write_text("")
        (self.workdir / "upsd.users").chmod(0o600)
        self.set(values)
        user = getpass.getuser()
        log = open(self.workdir / "nut.log", "ab")  # noqa: SIM115 - kept open for the processes
        sock = self.workdir / "state" / f"dummy-ups-{self.ups}"
        self.procs.append(
            subprocess.Popen([DUMMY_UPS, "-a", self.ups, "-u", user, "-F"], env=self.env,
                             stdout=log, stderr=log)
        )  # fmt: skip
        assert wait_until(sock.exists, 10.0), self.log()
        self.start_upsd()

    def start_upsd(self) -> None:
        log = open(self.workdir / "nut.log", "ab")  # noqa: SIM115
        self.procs.append(
            subprocess.Popen([UPSD, "-u", getpass.getuser(), "-F"], env=self.env,
                             stdout=log, stderr=log)
        )  # fmt: skip
        assert wait_until(self.answers, 10.0), self.log()

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.5) as s:
                s.sendall(f"GET VAR {self.ups} battery.charge\n".encode())
                return s.recv(200).startswith(b"VAR ")
        except OSError:
            return False

    def stop_upsd(self) -> None:
        """upsd disappears (the driver stays)."""
        upsd = self.procs.pop()
        upsd.terminate()
        upsd.wait(5)

    def stop(self) -> None:
        while self.procs:
            proc = self.procs.pop()
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def log(self) -> str:
        path = self.workdir / "nut.log"
        return path.read_text(errors="replace") if path.exists() else ""


def wait_for_value(server: NutServer, name: str, value: str, timeout: float = 10.0) -> bool:
    """True once upsd serves ``name`` = ``value`` (dummy-ups re-reads its file)."""

    def served() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", server.port), 0.5) as s:
                s.sendall(f"GET VAR {server.ups} {name}\n".encode())
                return f'"{value}"' in s.recv(200).decode()
        except OSError:
            return False

    return wait_until(served, timeout, 0.1)
