"""The daemon against a real mosquitto: records and stats reach the cloud, and cloud commands
(standby, operate, broadcast, reboot) are applied on the core or rejected with an ACK."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rsu.daemon.control import ControlClient
from tests.conftest import Broker
from tests.daemon.helpers import DaemonProcess, copy_demo, wait_until
from tests.uplink.conftest import Collector

MAP_HEX = (Path(__file__).parents[2] / "rsu/config/demo/map.hex").read_text()


def _acks(cloud: Collector) -> list[dict[str, Any]]:
    return cloud.on("rsu/demo-rsu/cmd/ack")


def test_records_stats_and_commands_go_both_ways_through_the_broker(
    tmp_path: Path, mosquitto: Broker
) -> None:
    config = copy_demo(tmp_path / "etc")
    text = config.read_text().replace("mqtt://127.0.0.1:1883", mosquitto.url)
    config.write_text(text.replace("stats_interval_s = 2.0", "stats_interval_s = 0.5"))
    cloud = Collector(mosquitto.url, ["rsu/demo-rsu/#"])
    d = DaemonProcess(config, tmp_path)
    try:
        d.wait_ready()
        control = ControlClient(d.socket)
        assert wait_until(lambda: len(cloud.records("rsu/demo-rsu/v2x/PSM")) >= 4)
        assert wait_until(lambda: bool(cloud.on("rsu/demo-rsu/stats")))
        stats = cloud.on("rsu/demo-rsu/stats")[-1]["data"]
        assert {"radio", "decode", "queues", "uplink", "broadcast", "cloud"} <= set(stats)
        assert stats["rsu_id"] == "demo-rsu"

        cloud.publish("rsu/demo-rsu/cmd/standby", json.dumps({"id": "s1"}))
        assert wait_until(lambda: control.request("status")["status"]["mode"] == "standby")
        cloud.publish("rsu/demo-rsu/cmd/reboot", json.dumps({"id": "r1"}))
        hex_map = "".join(x.split("#")[0].strip() for x in MAP_HEX.splitlines())
        body = {"id": "b1", "message_type": "MAP", "hex": hex_map, "interval_ms": 500}
        cloud.publish("rsu/demo-rsu/cmd/broadcast", json.dumps(body))
        cloud.publish("rsu/demo-rsu/cmd/operate", json.dumps({"id": "o1"}))
        assert wait_until(lambda: len(_acks(cloud)) >= 4)
        acks = {a.get("ref") or a.get("id"): a for a in _acks(cloud)}
        assert json.dumps(acks["r1"]).count("rejected") >= 1
        st = control.request("status")
        assert st["status"]["mode"] == "operate"
        assert "cloud-MAP-b1" in {e["key"] for e in st["broadcast_entries"]}
        assert d.terminate() == 0
    finally:
        d.close()
        cloud.client.loop_stop()
