"""Notifications end to end: the running daemon's alarms at net-snmp's trap receiver.

``snmptrapd`` (Debian's snmptrapd) listens on two free loopback ports with the agent's SNMPv3
user (SHA-512 / AES-256, authPriv): one ``[[snmp.notify]]`` target gets traps, the other
informs, which snmptrapd acknowledges. The alarms are real ones of the core's board: the
test hook ``fail`` raises ``core/internal_error`` on the core thread, and a GNSS receiver on a
pseudo-terminal (the serial backend, real NMEA) that falls silent raises ``gnss/loss_of_fix``
and clears it when it speaks again.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rsu.daemon.control import ControlClient
from rsu.errors import ControlError
from rsu.gnss.nmea import GnssFix, sentences
from tests.conftest import wait_until
from tests.management.helpers import RSU, Bench, TrapReceiver, free_udp_port, make_bench

WATCHDOG_ERROR = f".{RSU}.17.1.13"  # rsuWatchdogError: core/internal_error
TIME_SOURCE_LOST = f".{RSU}.17.1.6"  # rsuTimeSourceLost: gnss/loss_of_fix
TRAP_OID = ".1.3.6.1.6.3.1.1.4.1.0"
LEVEL = f".{RSU}.17.2.11.0"  # rsuAlertLevel

GNSS = """[gnss]
backend = "serial"
port = "{port}"
surveyed_lat = 42.2808
surveyed_lon = -83.7430
drift_alarm_m = 1000.0
fix_timeout_s = 1.0
"""
NOTIFY = """
[[snmp.notify]]
target = "127.0.0.1:{trap}"
user = "rsu-admin"
type = "trap"
[[snmp.notify]]
target = "127.0.0.1:{inform}"
user = "rsu-admin"
type = "inform"
"""


class Receiver:
    """A GNSS receiver on a pty: real NMEA (GGA + RMC) five times a second while ``on``."""

    def __init__(self) -> None:
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        self._slave = slave
        self.on = threading.Event()
        self.on.set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            if self.on.is_set():
                now = time.time()
                fix = GnssFix(now, now, 42.2808, -83.7430, 270.0, 1, 9, 0.9)
                os.write(self.master, sentences(fix))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        os.close(self.master)
        os.close(self._slave)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _with(found: list[tuple[str, dict[str, str]]], kind: str, trap: str) -> list[dict[str, str]]:
    return [binds for k, binds in found if k == kind and binds.get(TRAP_OID) == f"OID: {trap}"]


def test_alarms_of_the_running_daemon_arrive_as_traps_and_acknowledged_informs(
    tmp_path: Path, receiver: Receiver
) -> None:
    ports = (free_udp_port(), free_udp_port())
    extra = NOTIFY.format(trap=ports[0], inform=ports[1])
    bench = make_bench(tmp_path, extra, gnss=GNSS.format(port=receiver.path)).start()
    traps: TrapReceiver | None = None
    try:
        assert wait_until(lambda: _fix_valid(bench), 20), bench.status()["status"]["gnss"]
        state = json.loads((tmp_path / "state" / "ntcip1218.json").read_text())
        traps = TrapReceiver(tmp_path, ports, state["engine_id"])
        _internal_error(bench, traps)
        _gnss_loss_and_recovery(bench, traps, receiver)
        snmp = bench.status()["status"]["snmp"]
        assert snmp["notifications"] >= 6  # three alarm changes, two targets each
        assert snmp["agent"]["informs_acked"] >= 3, snmp  # snmptrapd acknowledged them
        assert snmp["agent"]["informs_failed"] == 0
    finally:
        if traps is not None:
            traps.close()
        bench.stop()


def _fix_valid(bench: Bench) -> bool:
    fix = (bench.status()["status"].get("gnss") or {}).get("fix")
    return bool(fix and fix["valid"])


def _internal_error(bench: Bench, traps: TrapReceiver) -> None:
    """``fail`` raises on the core thread: ``core/internal_error`` -> rsuWatchdogError."""
    assert bench.daemon is not None
    with pytest.raises(ControlError, match="internal error"):
        ControlClient(bench.daemon.socket).request("fail")

    def both() -> bool:
        got = traps.notifications()
        return bool(_with(got, "TRAP2", WATCHDOG_ERROR) and _with(got, "INFORM", WATCHDOG_ERROR))

    assert wait_until(both, 20), traps.text()
    for kind in ("TRAP2", "INFORM"):
        (binds,) = _with(traps.notifications(), kind, WATCHDOG_ERROR)
        assert binds[LEVEL] == "INTEGER: 4"  # critical
        assert "core internal_error" in binds[f".{RSU}.17.2.14.0"]  # its message object
        assert binds[".1.3.6.1.2.1.1.3.0"].startswith("Timeticks:")  # sysUpTime


def _gnss_loss_and_recovery(bench: Bench, traps: TrapReceiver, receiver: Receiver) -> None:
    """The receiver falls silent (rsuTimeSourceLost, warning) and speaks again (cleared)."""
    receiver.on.clear()
    lost = lambda: _with(traps.notifications(), "TRAP2", TIME_SOURCE_LOST)  # noqa: E731
    assert wait_until(lambda: len(lost()) >= 1, 20), traps.text()
    raised = lost()[0]
    assert raised[LEVEL] == "INTEGER: 2"  # warning
    assert "gnss loss_of_fix" in raised[f".{RSU}.17.2.6.0"]
    assert any(a["kind"] == "loss_of_fix" for a in bench.status()["status"]["alarms"])
    receiver.on.set()
    assert wait_until(lambda: len(lost()) >= 2, 20), traps.text()
    cleared = lost()[1]
    assert cleared[LEVEL] == "INTEGER: 0"  # info: the clear
    assert cleared[f".{RSU}.17.2.6.0"].startswith('STRING: "cleared: gnss loss_of_fix')
    informs = _with(traps.notifications(), "INFORM", TIME_SOURCE_LOST)
    assert wait_until(lambda: len(_with(traps.notifications(), "INFORM", TIME_SOURCE_LOST)) >= 2)
    assert informs  # the inform target got the same changes
