"""The daemon as systemd runs it: a subprocess with a NOTIFY_SOCKET and a watchdog."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from rsu.daemon.control import ControlClient
from tests.daemon.helpers import DEMO, DaemonProcess, copy_demo, rsu, wait_until


@pytest.fixture
def demo_daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    d = DaemonProcess(DEMO, tmp_path)
    try:
        yield d
    finally:
        d.close()


def test_demo_daemon_notifies_ready_pings_watchdog_answers_status_and_stops_cleanly(
    demo_daemon: DaemonProcess,
) -> None:
    d = demo_daemon
    d.wait_ready()
    ready_at = d.notify.times("READY")[0]
    assert wait_until(lambda: len([t for t in d.notify.times("WATCHDOG") if t > ready_at]) >= 3)

    status = rsu("status", "--json", "--socket", str(d.socket))
    assert status.returncode == 0, status.stderr
    reply = json.loads(status.stdout)
    assert reply["status"]["mode"] == "operate"
    assert reply["status"]["watchdog"]["interval_s"] == pytest.approx(0.2)
    assert {e["key"] for e in reply["broadcast_entries"]} >= {"map-main"}
    assert reply["status"]["signals"]["detail"]["intersections"][0]["intersection_id"] == 36243
    human = rsu("status", "--socket", str(d.socket))
    assert "rsu demo-rsu" in human.stdout
    assert "map-main" in human.stdout

    client = ControlClient(d.socket)
    assert wait_until(lambda: client.request("status")["status"]["decode"]["ok"] > 20)
    metrics_url = client.request("status")["info"]["metrics"]
    with urllib.request.urlopen(metrics_url, timeout=5) as resp:
        text = resp.read().decode()
    assert 'rsu_radio_frames_total{outcome="decoded",psid="0x20"}' in text
    assert "rsu_spool_backlog " in text

    assert d.terminate() == 0, d.output()
    assert d.notify.times("STOPPING"), d.notify.messages
    assert any("draining" in s for s in d.notify.statuses())
    assert '"daemon_stopped"' in d.output()
    with sqlite3.connect(d.workdir / "rsu-demo" / "spool.db") as db:  # no broker: all spooled
        spooled = dict(db.execute("select stream, sum(n) from rows group by stream").fetchall())
    assert spooled["v2x/BSM"] > 0  # the sim radio's vehicles and pedestrians, kept for later
    assert spooled["v2x/PSM"] > 0
    assert not d.socket.exists()


def test_a_stuck_core_stops_the_watchdog_pings(tmp_path: Path) -> None:
    d = DaemonProcess(DEMO, tmp_path)
    try:
        d.wait_ready()
        assert wait_until(lambda: len(d.notify.times("WATCHDOG")) >= 3)
        reply = ControlClient(d.socket).request("hang", seconds=30)
        assert reply["hanging_s"] == 30
        hung_at = time.monotonic()
        time.sleep(1.5)  # 7 ping intervals of 0.2 s
        late = [t for t in d.notify.times("WATCHDOG") if t > hung_at + 0.25]
        assert late == []
        assert d.proc.poll() is None  # alive but stuck: systemd's watchdog would now kill it
    finally:
        d.close()


def test_sighup_applies_broadcast_changes_and_names_what_needs_a_restart(tmp_path: Path) -> None:
    config = copy_demo(tmp_path / "etc")
    d = DaemonProcess(config, tmp_path)
    try:
        d.wait_ready()
        text = config.read_text()
        # the MAP entry only: the charging hub further down has the same interval
        text = text.replace("interval_ms = 1000\n", "interval_ms = 2000\n", 1)
        text = text.replace("vehicles = 6 ", "vehicles = 3 ")
        config.write_text(text)
        d.proc.send_signal(1)  # SIGHUP
        client = ControlClient(d.socket)
        assert wait_until(lambda: client.request("status")["last_reload"] is not None)
        reload = client.request("status")["last_reload"]
        assert reload == {"applied": ["broadcast.messages"], "needs_restart": ["radio"]}
        entries = {e["key"]: e for e in client.request("status")["broadcast_entries"]}
        assert entries["map-main"]["interval_ms"] == 2000
        assert any("restart needed for: radio" in s for s in d.notify.statuses())

        config.write_text("[rsu]\nid = 'x'\n[radio]\nbakend = 'sim'\n")
        d.proc.send_signal(1)
        assert wait_until(lambda: any("reload failed" in s for s in d.notify.statuses()))
        assert any("radio.bakend" in s for s in d.notify.statuses())
        assert client.request("status")["status"]["mode"] == "operate"  # still serving
        assert d.terminate() == 0
    finally:
        d.close()
