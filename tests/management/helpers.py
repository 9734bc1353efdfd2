"""A running daemon with ``[snmp]`` on a loopback port, and net-snmp's tools against it.

net-snmp (Debian's ``snmp`` package: ``snmpget``, ``snmpwalk``, ``snmpset``) is the
independent manager: the same command lines docs/management.md gives operators.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import free_port, wait_until
from tests.daemon.helpers import DaemonProcess, copy_demo, rsu

RSU = "1.3.6.1.4.1.1206.4.2.18"
SNMPGET = shutil.which("snmpget") or "/usr/bin/snmpget"
SNMPTRAPD = shutil.which("snmptrapd") or "/usr/sbin/snmptrapd"
ADMIN = ("rsu-admin", "SHA-512", "AES256")
VIEWER = ("rsu-viewer", "SHA-256", "AES")
AUTH_PASS, PRIV_PASS = "admin-auth-pass", "admin-priv-pass"

SNMP_SECTION = """
[snmp]
listen = "127.0.0.1:{port}"
state_file = "{state}"
location_description = "test bench, loopback"
[[snmp.users]]
name = "rsu-admin"
access = "read-write"
auth = "SHA-512"
auth_password_file = "{secrets}/admin.auth"
priv = "AES-256"
priv_password_file = "{secrets}/admin.priv"
[[snmp.users]]
name = "rsu-viewer"
access = "read-only"
auth = "SHA-256"
auth_password_file = "{secrets}/admin.auth"
priv = "AES-128"
priv_password_file = "{secrets}/admin.priv"
"""


def write_secret(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text + "\n")
    path.chmod(mode)
    return path


@dataclass
class Bench:
    workdir: Path
    config: Path
    port: int
    daemon: DaemonProcess | None = None
    log: str = ""

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Bench:
        self.daemon = DaemonProcess(self.config, self.workdir)
        self.daemon.wait_ready()
        return self

    def stop(self) -> int:
        """SIGTERM, the exit code (0 when already stopped)."""
        if self.daemon is None:
            return 0
        code = self.daemon.terminate()
        self.log = self.daemon.output()
        self.daemon.close()
        self.daemon = None
        (self.workdir / "notify.sock").unlink(missing_ok=True)
        return code

    def snmp(
        self,
        tool: str,
        *args: str,
        user: tuple[str, str, str] = ADMIN,
        auth: str = AUTH_PASS,
        priv: str = PRIV_PASS,
    ) -> subprocess.CompletedProcess[str]:
        name, a, x = user
        cmd = [
            tool,
            *("-v3", "-l", "authPriv", "-u", name, "-a", a, "-A", auth, "-x", x, "-X", priv),
            *("-On", "-r", "1", "-t", "3", "-m", ""),
            self.target,
            *args,
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)

    def status(self) -> dict[str, Any]:
        assert self.daemon is not None
        out = rsu("status", "--socket", str(self.daemon.socket), "--json")
        assert out.returncode == 0, out.stderr
        return dict(json.loads(out.stdout))


def make_bench(tmp: Path, extra: str = "", gnss: str | None = None) -> Bench:
    """The demo config with ``[snmp]`` (and ``extra`` after it); ``gnss`` replaces the demo's
    ``[gnss]`` table."""
    secrets = tmp / "secrets"
    secrets.mkdir()
    write_secret(secrets / "admin.auth", AUTH_PASS)
    write_secret(secrets / "admin.priv", PRIV_PASS)
    config = copy_demo(tmp / "conf")
    port = free_port()
    state = tmp / "state" / "ntcip1218.json"
    text = config.read_text().replace("[uplink]\n", "[uplink]\nreconnect_max_s = 5.0\n", 1)
    if gnss is not None:
        start = text.index("[gnss]\n")
        text = text[:start] + gnss + text[text.index("\n\n", start) :]
    snmp = SNMP_SECTION.format(port=port, state=state, secrets=secrets)
    config.write_text(text + snmp + extra.format(secrets=secrets))
    return Bench(tmp, config, port)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TrapReceiver:
    """net-snmp's snmptrapd on loopback ports, with the agent's SNMPv3 user: for traps under
    the agent's engine id (the sender is authoritative), for informs under its own."""

    def __init__(self, workdir: Path, ports: tuple[int, ...], engine_id: str) -> None:
        self.log = workdir / "traps.log"
        conf = workdir / "snmptrapd.conf"
        user = f"rsu-admin SHA-512 {AUTH_PASS} AES256 {PRIV_PASS}"
        conf.write_text(
            f"createUser -e 0x{engine_id} {user}\ncreateUser {user}\nauthUser log rsu-admin priv\n"
        )
        listen = ",".join(f"udp:127.0.0.1:{p}" for p in ports)
        self.proc = subprocess.Popen(
            [
                SNMPTRAPD, "-f", "-C", "-c", str(conf), "-Lf", str(self.log), "-On", "-m", "",
                f"--persistentDir={workdir / 'snmptrapd'}", "-F", "%P\t%v\n", listen,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        assert wait_until(lambda: "NET-SNMP version" in self.text(), 20), self.text()

    def text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def notifications(self) -> list[tuple[str, dict[str, str]]]:
        """Each notification received: (``TRAP2`` / ``INFORM``, {oid: value})."""
        out = []
        for line in self.text().splitlines():
            head, _, rest = line.partition("\t")
            if not head.startswith(("TRAP2", "INFORM")):
                continue
            binds = dict(b.split(" = ", 1) for b in rest.split("\t") if " = " in b)
            out.append((head.split(",")[0], binds))
        return out

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def values(walk_output: str) -> dict[str, str]:
    """``snmpwalk -On`` lines -> {".1.3...": "INTEGER: 3"}."""
    out = {}
    for line in walk_output.splitlines():
        if " = " in line:
            name, value = line.split(" = ", 1)
            out[name.strip()] = value.strip()
    return out
