"""The field commands as a technician types them, against real daemons and brokers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rsu.v2x.codec import get_codec
from tests.daemon.helpers import DEMO, DaemonProcess, copy_demo, rsu
from tests.v2x.vectors import load


def test_config_check_accepts_the_demo_and_names_the_bad_key_of_a_broken_file(
    tmp_path: Path,
) -> None:
    ok = rsu("config", "check", str(DEMO))
    assert ok.returncode == 0, ok.stderr
    assert "map-main" in ok.stdout
    data = json.loads(rsu("config", "check", "--json", str(DEMO)).stdout)
    assert data["ok"] is True
    assert data["files"][0]["result"] == "MAP"
    bad = tmp_path / "bad.toml"
    bad.write_text(DEMO.read_text().replace("vehicles = 6", "vehicle = 6"))
    out = rsu("config", "check", str(bad))
    assert out.returncode == 1
    assert "error: radio.sim.vehicle: unknown key" in out.stderr
    data = json.loads(rsu("config", "check", "--json", str(bad)).stdout)
    assert data == {
        "ok": False,
        "error": data["error"],
        "key": "radio.sim.vehicle",
        "detail": data["detail"],
    }


def test_config_check_encodes_a_csae53_json_frame_of_a_j2735_rsu_as_the_daemon_does(
    tmp_path: Path,
) -> None:
    config = copy_demo(tmp_path)
    (csae_map,) = [v for v in load("csae53_real.jsonl") if "mapFrame" in v["value"]]
    frame = get_codec("csae53").decode(bytes.fromhex(csae_map["hex"])).jer()
    (tmp_path / "cn-map.json").write_text(json.dumps(frame))
    entry = '[[broadcast.messages]]\nname = "cn-map"\nfile = "cn-map.json"\npsid = 3618\n'
    config.write_text(config.read_text() + "\n" + entry)
    out = rsu("config", "check", "--json", str(config))
    assert out.returncode == 0, out.stdout + out.stderr
    files = {f["key"]: f["result"] for f in json.loads(out.stdout)["files"]}
    assert files["broadcast.messages[1].file"] == "MAP"


def test_config_check_of_the_production_template_checks_keys_without_its_files() -> None:
    out = rsu("config", "check", "configs/rsu.toml")
    assert out.returncode == 1
    assert "broadcast.messages[0].file: cannot read /etc/rsu/messages/map.hex" in out.stderr
    assert rsu("config", "check", "--no-files", "configs/rsu.toml").returncode == 0


def test_status_without_a_daemon_says_what_to_do(tmp_path: Path) -> None:
    out = rsu("status", "--socket", str(tmp_path / "none.sock"))
    assert out.returncode == 1
    assert "no daemon at" in out.stderr
    assert "systemctl status rsu" in out.stderr


def test_doctor_gives_a_verdict_and_a_hint_per_check() -> None:
    out = rsu("doctor", "--json", "--config", str(DEMO), "--timeout", "1")
    data = json.loads(out.stdout)
    checks = {c["name"]: c for c in data["checks"]}
    assert checks["config"]["verdict"] == "ok"
    assert checks["radio"]["verdict"] == "warn"  # sim
    assert "set [radio] backend" in checks["radio"]["hint"]
    assert {"gnss", "time", "mqtt", "camera", "spool", "daemon"} <= set(checks)
    assert all(c["verdict"] in ("ok", "warn", "fail") for c in checks.values())
    assert out.returncode == (1 if any(c["verdict"] == "fail" for c in checks.values()) else 0)


@pytest.fixture
def running(tmp_path: Path) -> DaemonProcess:
    d = DaemonProcess(DEMO, tmp_path)
    d.wait_ready()
    return d


def test_standby_operate_tx_and_tail_drive_a_running_daemon(running: DaemonProcess) -> None:
    sock = str(running.socket)
    try:
        out = rsu("standby", "--socket", sock)
        assert out.stdout.strip() == "mode: operate -> standby"
        refused = rsu("tx", "--socket", sock, "--file", "rsu/config/demo/map.hex")
        assert refused.returncode == 1
        assert "standby" in refused.stderr
        assert rsu("operate", "--socket", sock).stdout.strip() == "mode: standby -> operate"
        sent = rsu("tx", "--socket", sock, "--file", "rsu/config/demo/map.hex", "--json")
        assert sent.returncode == 0, sent.stderr
        assert json.loads(sent.stdout)["type"] == "MAP"
        assert json.loads(sent.stdout)["psid"] == "0xe0000017"
        jer = rsu("tx", "--socket", sock, "--file", "configs/examples/tim.json", "--psid", "0x8003")
        assert jer.returncode == 0, jer.stderr
        assert jer.stdout.startswith("sent TIM (")
        tail = rsu("tail", "--socket", sock, "--type", "PSM", "-n", "3", "--json", timeout=30)
        lines = [json.loads(x) for x in tail.stdout.splitlines()]
        assert [x["type"] for x in lines] == ["PSM"] * 3
        assert lines[0]["jer"]["value"]["id"]
        human = rsu("tail", "--socket", sock, "-n", "2", timeout=30)
        assert len(human.stdout.splitlines()) == 2
    finally:
        running.terminate()
        running.close()


def test_demo_runs_for_a_while_with_a_private_broker_and_exits_0() -> None:
    out = rsu("demo", "--duration", "4", timeout=90)
    assert out.returncode == 0, out.stderr
    assert "mosquitto on 127.0.0.1:" in out.stderr
    assert "received by the cloud" in out.stdout
    assert "rsu/demo-rsu/v2x/PSM" in out.stdout
    assert "rsu/demo-rsu/objects" in out.stdout


def test_demo_without_a_broker_says_so_and_spools() -> None:
    out = rsu("demo", "--duration", "3", "--no-broker", timeout=90)
    assert out.returncode == 0, out.stderr
    assert "NO MQTT BROKER" in out.stderr
    assert "spooled for the cloud" in out.stdout
    assert "v2x/PSM" in out.stdout
    assert "mqtt not connected" in out.stdout
