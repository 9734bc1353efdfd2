"""The retained MQTT status follows the running daemon: mode, radio, GNSS and active alarms.

In-process: ``uplink_status`` maps the typed snapshot. Against a real mosquitto: a running
daemon's ``rsu/{id}/status`` changes on ``rsu standby`` / ``rsu operate`` and when an alarm is
raised (the test hook ``fail``: an unexpected exception on the core thread raises
``core/internal_error``), with heartbeats far apart so only the change can have published it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rsu.alarms import Alarm
from rsu.clock import FakeClock
from rsu.config.loader import demo_config_path, load_config
from rsu.daemon import build
from rsu.daemon.control import ControlClient
from rsu.daemon.stats import radio_state, uplink_status
from rsu.errors import ControlError
from tests.conftest import Broker
from tests.daemon.helpers import DaemonProcess, copy_demo, rsu, wait_until
from tests.uplink.conftest import Collector

STATUS = "rsu/demo-rsu/status"


def test_the_status_is_the_snapshots_mode_radio_gnss_and_active_alarms() -> None:
    clock = FakeClock()
    daemon = build(load_config(demo_config_path()), clock)
    core = daemon.core
    core.mode = "standby"
    core.alarms.raise_(Alarm("gnss", "loss_of_fix", "no fix for 5 s", "critical"), 1.7e9)
    status = uplink_status(daemon.snapshot())
    assert status.mode == "standby"
    assert status.radio == {"backend": "sim", "state": "up"}
    assert status.gnss is not None
    assert status.gnss["backend"] == "sim"
    assert status.gnss["fix"] is False  # not started: no fix yet
    assert status.alarms == (
        {
            "source": "gnss",
            "kind": "loss_of_fix",
            "severity": "critical",
            "detail": "no fix for 5 s",
            "since": "2023-11-14T22:13:20.000Z",
        },
    )
    core.alarms.clear("gnss", "loss_of_fix", 1.7e9 + 9)
    core.mode = "operate"
    after = uplink_status(daemon.snapshot())
    assert after.key != status.key  # what makes the uplink publish at once
    assert after.alarms == ()
    assert after.mode == "operate"


@pytest.mark.parametrize(
    ("health", "state"),
    [
        ({"connected": True}, "up"),
        ({"connected": False}, "down"),
        ({"connected": True, "error": "protocol version 9"}, "down"),
        ({"running": False}, "down"),
        ({"backend": "sim"}, "up"),
    ],
)
def test_radio_state_from_each_backends_health(health: dict[str, object], state: str) -> None:
    assert radio_state(health) == state


def _last(cloud: Collector) -> dict[str, Any]:
    got = cloud.on(STATUS)
    return got[-1] if got else {}


def test_the_retained_status_follows_standby_operate_and_alarms_of_a_running_daemon(
    tmp_path: Path, mosquitto: Broker
) -> None:
    config = copy_demo(tmp_path / "etc")
    text = config.read_text().replace("mqtt://127.0.0.1:1883", mosquitto.url)
    config.write_text(text.replace("heartbeat_s = 5.0", "heartbeat_s = 3600.0"))
    cloud = Collector(mosquitto.url, [STATUS])
    d = DaemonProcess(config, tmp_path)
    try:
        d.wait_ready()
        assert wait_until(lambda: _last(cloud).get("mode") == "operate", 20)
        first = _last(cloud)
        assert first["state"] == "online"
        assert first["radio"] == {"backend": "sim", "state": "up"}
        assert first["gnss"]["backend"] == "sim"
        assert first["mqtt"]["connects"] == 1
        assert wait_until(lambda: _last(cloud).get("gnss", {}).get("fix") is True, 20)

        sock = str(d.socket)
        assert rsu("standby", "--socket", sock).returncode == 0
        assert wait_until(lambda: _last(cloud).get("mode") == "standby", 20), cloud.on(STATUS)

        with pytest.raises(ControlError, match="internal error"):
            ControlClient(d.socket).request("fail")
        assert wait_until(
            lambda: any(a["kind"] == "internal_error" for a in _last(cloud).get("alarms", [])),
            20,
        ), cloud.on(STATUS)
        alarm = next(a for a in _last(cloud)["alarms"] if a["kind"] == "internal_error")
        assert alarm["source"] == "core"
        assert alarm["severity"] == "critical"
        assert _last(cloud)["mode"] == "standby"

        assert rsu("operate", "--socket", sock).returncode == 0
        assert wait_until(lambda: _last(cloud).get("mode") == "operate", 20), cloud.on(STATUS)
        assert d.terminate() == 0
        assert wait_until(lambda: _last(cloud).get("state") == "offline")
        assert _last(cloud)["cause"] == "stopped"
    finally:
        d.close()
        cloud.client.loop_stop()

    late = Collector(mosquitto.url, [STATUS])  # retained: a subscriber after the fact sees it
    try:
        assert wait_until(lambda: bool(late.on(STATUS)))
        assert late.on(STATUS)[-1]["state"] == "offline"
    finally:
        late.client.loop_stop()
