"""The ``power`` object in the heartbeat of both uplink dialects and the C-ITS running info."""

from __future__ import annotations

import json
from pathlib import Path

from rsu.uplink.dialects import CnRsuDialect, DefaultDialect
from tests.uplink.conftest import make_config

POWER = {"soc": 14.0, "voltage": 50.0, "current": -2.0, "watts": 100.0, "temperature": 25.0,
         "source": "battery", "runtime_min": 8.4, "alarms": ["low_battery"]}  # fmt: skip


def test_both_dialects_carry_power_in_the_heartbeat(tmp_path: Path) -> None:
    default = DefaultDialect(make_config(tmp_path, "mqtt://127.0.0.1:1"))
    (out,) = default.heartbeat(7, 1.7e9, {"health": {}, "power": POWER})
    assert json.loads(out.payload)["power"] == POWER
    cn = CnRsuDialect(make_config(tmp_path, "mqtt://127.0.0.1:1", dialect="cn-rsu"))
    (hb,) = cn.heartbeat(7, 1.7e9, {"health": {}, "power": POWER})
    assert hb.topic == "V2X/RSU/HB/UP"
    assert json.loads(hb.payload)["power"] == POWER
    (info,) = cn.running_info(1.7e9, {"cpu": {}, "power": POWER})
    assert json.loads(info.payload)["power"] == POWER
    (bare,) = cn.heartbeat(8, 1.7e9, {"health": {}})  # no [power]: no key
    assert "power" not in json.loads(bare.payload)
