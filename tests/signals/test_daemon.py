"""The daemon with live SPaT: ``rsu demo``'s config (emulator + its MAP), and a real TSCBM
controller (this test) beside an RSU 4.1 radio (this test's immediate-forward socket):
SPaT on the air as ``Type=SPAT`` PSID 0x8002, the controller-lost alarm raised and cleared."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import time
import zlib
from pathlib import Path
from typing import Any

from rsu.config.loader import demo_config_path
from rsu.daemon.control import ControlClient
from rsu.radio.rsu41 import parse_ifm
from rsu.signals.emulator import PlanConfig
from rsu.signals.sim import EmulatorSender
from rsu.v2x.codec import get_codec
from tests.conftest import wait_until
from tests.daemon.helpers import DaemonProcess, rsu


def _udp() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


def _port() -> int:
    with _udp() as s:
        return int(s.getsockname()[1])


def test_the_demo_broadcasts_live_spat_for_its_map(tmp_path: Path) -> None:
    d = DaemonProcess(demo_config_path(), tmp_path)
    try:
        d.wait_ready()
        client = ControlClient(d.socket)

        def signals() -> dict[str, Any]:
            return client.request("status")["status"]["signals"]["detail"]["intersections"][0]

        assert wait_until(lambda: signals()["spat_sent"] >= 10, timeout=20)
        inter = signals()
        assert inter["intersection_id"] == 36243
        assert inter["revision"] == 113  # the demo MAP's
        assert inter["lost"] is False
        assert {g["signal_group"] for g in inter["groups"]} == {2, 4, 6, 8}
        by_type = client.request("status")["status"]["radio"]["counters"]["by_type"]
        assert by_type["SPAT"]["sent"] >= 10
        human = rsu("status", "--socket", str(d.socket))
        line = next(x for x in human.stdout.splitlines() if x.startswith("signals "))
        assert "source sim" in line
        assert "[36243] 127.0.0.1:" in line
        assert " ok, " in line
        assert d.terminate() == 0
    finally:
        d.close()


def _config(tmp_path: Path, tscbm_port: int, radio_port: int, ifm: int) -> Path:
    shutil.copy(demo_config_path().parent / "map.hex", tmp_path / "map.hex")
    groups = "".join(
        f"[[signals.groups]]\nsignal_group = {n}\nphase = {n}\n\n" for n in (2, 4, 6, 8)
    )
    path = tmp_path / "rsu.toml"
    path.write_text(
        f"""
[rsu]
id = "sig-rsu"
[daemon]
control_socket = "rsu-demo/control.sock"
metrics_listen = ""
stats_interval_s = 0.0
[radio]
backend = "rsu41"
[radio.rsu41]
listen = "127.0.0.1:{radio_port}"
ifm_target = "127.0.0.1:{ifm}"
[uplink]
broker = "mqtt://127.0.0.1:{_port()}"
spool_path = "rsu-demo/spool.db"
[[broadcast.messages]]
name = "map-main"
file = "map.hex"
psid = 0xE0000017
interval_ms = 1000
[signals]
source = "tscbm"
listen = "127.0.0.1:{tscbm_port}"
intersection_id = 36243
map = "map-main"
{groups}"""
    )
    return path


def test_spat_goes_out_through_rsu41_and_a_lost_controller_raises_the_alarm(
    tmp_path: Path,
) -> None:
    ifm = _udp()
    ifm.settimeout(0.5)
    tscbm_port = _port()
    d = DaemonProcess(_config(tmp_path, tscbm_port, _port(), ifm.getsockname()[1]), tmp_path)
    # a field controller: the emulator's TSCBM at 10 Hz to the daemon, pausable
    controller = EmulatorSender(PlanConfig(pedestrian=()), ("127.0.0.1", tscbm_port))
    try:
        d.wait_ready()
        controller.start()
        spats: list[dict[str, str]] = []
        deadline = time.monotonic() + 20
        while len(spats) < 5 and time.monotonic() < deadline:
            try:
                fields = parse_ifm(ifm.recv(65535))
            except TimeoutError:
                continue
            if fields["Type"] == "SPAT":
                spats.append(fields)
        assert len(spats) == 5, d.output()[-3000:]
        assert spats[0]["PSID"] == "0x8002"
        msg = get_codec("j2735").decode(bytes.fromhex(spats[-1]["Payload"]))
        inter = msg.value["intersections"][0]
        assert (inter["id"], inter["revision"]) == ({"id": 36243}, 113)
        client = ControlClient(d.socket)

        def alarms() -> list[dict[str, Any]]:
            active = client.request("status")["status"]["alarms"]
            return [a for a in active if a["source"] == "signals"]

        assert alarms() == []
        controller.paused = True
        assert wait_until(lambda: [a["kind"] for a in alarms()] == ["signal_controller_lost"])
        signals = client.request("status")["status"]["signals"]
        assert signals["detail"]["intersections"][0]["lost"]
        assert signals["lost"] == 1
        ifm.setblocking(False)
        while True:  # what was sent before the controller went quiet
            try:
                ifm.recv(65535)
            except BlockingIOError:
                break
        ifm.settimeout(0.5)
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 0.5:  # no SPaT for a lost controller
            try:
                assert parse_ifm(ifm.recv(65535))["Type"] != "SPAT"
            except TimeoutError:
                break
        controller.paused = False
        assert wait_until(lambda: alarms() == [])
        assert d.terminate() == 0
    finally:
        controller.stop()
        d.close()
    with sqlite3.connect(tmp_path / "rsu-demo" / "spool.db") as db:
        rows = db.execute("select payload from rows where stream = 'alarms'").fetchall()
    states = [json.loads(zlib.decompress(r[0]))["data"]["state"] for r in rows]
    assert states[-2:] == ["raised", "cleared"], states
