"""The daemon with charging sites, all real: an OCPI server (http.server on loopback), a
mosquitto broker (the cloud site's ``site_status`` command and the records), and an RSU 4.1
radio (this test's immediate-forward socket) whose TIMs are decoded back through the codec.
Plus ``rsu demo``'s config: the sim hub on the air."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

from rsu.config.loader import demo_config_path
from rsu.daemon.control import ControlClient
from rsu.radio.rsu41 import parse_ifm
from rsu.v2x.codec import get_codec
from tests.conftest import Broker, free_port, wait_until
from tests.daemon.helpers import DaemonProcess, rsu
from tests.energy.helpers import TOKEN, Behaviour, fixture, ocpi_server
from tests.uplink.conftest import Collector


def _udp() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


def _config(tmp_path: Path, url: str, broker: str, ifm: int) -> Path:
    token = tmp_path / "ocpi.token"
    token.write_text(TOKEN)
    path = tmp_path / "rsu.toml"
    path.write_text(
        f"""
[rsu]
id = "ev-rsu"
[daemon]
control_socket = "rsu-demo/control.sock"
metrics_listen = ""
stats_interval_s = 0.0
[radio]
backend = "rsu41"
[radio.rsu41]
listen = "127.0.0.1:{free_port()}"
ifm_target = "127.0.0.1:{ifm}"
[uplink]
broker = "{broker}"
spool_path = "rsu-demo/spool.db"

[[energy.sites]]
id = "hub-1"
name = "Main St"
latitude = 42.2810
longitude = -83.7425
source = "ocpi"
stale_after_s = 300
interval_ms = 200
[energy.sites.ocpi]
url = "{url}"
token_file = "ocpi.token"
poll_s = 1
timeout_s = 0.5

[[energy.sites]]
id = "lot-7"
name = "Lot 7"
latitude = 42.2790
longitude = -83.7400
source = "cloud"
interval_ms = 200
"""
    )
    return path


class Air:
    """TIMs heard on the immediate-forward socket, decoded, the latest per site name."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(0.2)
        self.latest: dict[str, list[str]] = {}
        self.psids: set[str] = set()

    def pump(self) -> None:
        try:
            fields = parse_ifm(self.sock.recv(65535))
        except TimeoutError:
            return
        if fields["Type"] != "TIM":
            return
        self.psids.add(fields["PSID"])
        value = get_codec("j2735").decode(bytes.fromhex(fields["Payload"])).jer()["value"]
        frame = value["dataFrames"][0]
        items = frame["content"]["advisory"]
        texts = [i["item"]["text"] for i in items if "text" in i["item"]]
        assert items[0]["item"] == {"itis": 7980}
        self.latest[frame["regions"][0]["name"]] = texts

    def says(self, site: str, texts: list[str], timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            if self.latest.get(site) == texts:
                return True
        return False


def test_ocpi_and_cloud_sites_on_the_air_in_status_and_in_the_cloud(
    tmp_path: Path, mosquitto: Broker
) -> None:
    ifm = _udp()
    behaviour = Behaviour()
    cloud = Collector(mosquitto.url, ["rsu/ev-rsu/#"])
    with ocpi_server(behaviour) as url:
        d = DaemonProcess(_config(tmp_path, url, mosquitto.url, ifm.getsockname()[1]), tmp_path)
        try:
            d.wait_ready()
            air = Air(ifm)
            assert air.says("Main St", ["CCS 1/3", "CHAdeMO 1/1", "Type 1 1/2"]), d.output()[-3000:]
            assert air.says("Lot 7", ["status unknown"]), (air.latest, d.output()[-3000:])
            assert air.psids == {"0x8003"}

            # the cloud sets Lot 7; a command for the OCPI site is refused
            body = {"id": "c1", "site": "lot-7", "counts": {"Type 2": {"free": 3, "total": 8}}}
            cloud.publish("rsu/ev-rsu/cmd/site_status", json.dumps(body))
            wrong = {"id": "c2", "site": "hub-1", "counts": {"CCS": {"free": 1, "total": 1}}}
            cloud.publish("rsu/ev-rsu/cmd/site_status", json.dumps(wrong))
            bad = {"id": "c3", "site": "lot-7", "counts": {"CCS": {"free": 5, "total": 2}}}
            cloud.publish("rsu/ev-rsu/cmd/site_status", json.dumps(bad))
            assert air.says("Lot 7", ["Type 2 3/8"])
            assert wait_until(lambda: len(cloud.on("rsu/ev-rsu/cmd/ack")) >= 3)
            acks = {a["id"]: a for a in cloud.on("rsu/ev-rsu/cmd/ack")}
            assert acks["c1"]["ok"] is True
            assert (acks["c2"]["ok"], acks["c2"]["code"]) == (False, "rejected")
            assert (acks["c3"]["ok"], acks["c3"]["code"]) == (False, "bad_value")
            assert "counts.CCS.free" in acks["c3"]["error"]

            # the CPO's site fills: an event; then its token is revoked: unknown, alarmed
            behaviour.body = fixture("location_full.json")
            assert air.says("Main St", ["CCS 0/2"])
            behaviour.token = "revoked"
            assert air.says("Main St", ["CCS unknown"])
            control = ControlClient(d.socket)

            def alarms() -> set[str]:
                active = control.request("status")["status"]["alarms"]
                return {a["kind"] for a in active if a["source"] == "energy"}

            assert wait_until(
                lambda: alarms() == {"charging_source_failed", "charging_site_unknown"}
            )
            st = control.request("status")["status"]["energy"]
            sites = {s["site"]: s for s in st["detail"]["sites"]}
            assert (sites["hub-1"]["state"], sites["hub-1"]["reason"]) == (
                "unknown",
                "source_failed",
            )
            assert sites["hub-1"]["failures"].get("unauthorized", 0) >= 1
            assert sites["lot-7"]["counts"][0] == {
                "standard": "Type 2",
                "free": 3,
                "total": 8,
                "max_kw": None,
            }
            human = rsu("status", "--socket", str(d.socket)).stdout
            line = next(x for x in human.splitlines() if x.startswith("site     lot-7"))
            assert "'Lot 7': Type 2 3/8; cloud," in line
            assert "hub-1 'Main St': unknown (source_failed)" in human
            as_json = json.loads(rsu("status", "--json", "--socket", str(d.socket)).stdout)
            shown = as_json["status"]["energy"]["detail"]["sites"]
            assert {s["site"]: s["age_s"] is not None for s in shown} == {
                "hub-1": True,
                "lot-7": True,
            }

            behaviour.token = TOKEN  # back: known again, the alarms clear
            assert air.says("Main St", ["CCS 0/2"])
            assert wait_until(lambda: alarms() == set())
            assert d.terminate() == 0
        finally:
            d.close()
            cloud.client.loop_stop()
    records = cloud.records("rsu/ev-rsu/sites")
    assert {r["data"]["site"] for r in records} == {"hub-1", "lot-7"}
    events = [r["data"] for r in cloud.records("rsu/ev-rsu/events")]
    assert [(e["type"], e["site"]) for e in events] == [("site_full", "hub-1")]


def test_the_demo_hub_is_on_the_air(tmp_path: Path) -> None:
    d = DaemonProcess(demo_config_path(), tmp_path)
    try:
        d.wait_ready()
        client = ControlClient(d.socket)

        def hub() -> dict[str, Any]:
            st = client.request("status")["status"]
            sites: list[dict[str, Any]] = st["energy"]["detail"]["sites"]
            return sites[0]

        assert wait_until(lambda: hub()["state"] == "ok", timeout=20)
        assert hub()["total"] == 10
        entries = {e["key"]: e for e in client.request("status")["broadcast_entries"]}
        assert (entries["energy-demo-hub"]["type"], entries["energy-demo-hub"]["source"]) == (
            "TIM",
            "energy",
        )
        assert wait_until(lambda: entries_sent(client) >= 2, timeout=20)
        assert d.terminate() == 0
    finally:
        d.close()


def entries_sent(client: ControlClient) -> int:
    entries = {e["key"]: e for e in client.request("status")["broadcast_entries"]}
    sent: int = entries["energy-demo-hub"]["sent"]
    return sent
