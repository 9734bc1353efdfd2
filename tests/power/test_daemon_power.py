"""The power part in the demo daemon (built on a FakeClock): readings on the ``power`` queue
shed and restore each step through the real core, uplink and snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsu.clock import FakeClock
from rsu.config.loader import config_from_dict, demo_config_path, read_toml
from rsu.daemon.build import build
from rsu.daemon.daemon import Daemon
from rsu.daemon.metrics import render
from rsu.daemon.snapshot import Snapshot
from rsu.power.model import PowerReading, ReadFailure
from rsu.power.shed import ESSENTIAL_TYPES, UPLINK_STREAMS
from rsu.wire import TxRequest


@pytest.fixture
def daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Daemon:
    monkeypatch.chdir(tmp_path)
    data = read_toml(demo_config_path())
    data["power"] = {"source": "sim", "shed": {"camera_below": 40, "uplink_below": 25,
                                               "essential_below": 15}}  # fmt: skip
    return build(config_from_dict(data, demo_config_path()), FakeClock())


def feed(daemon: Daemon, item: PowerReading | ReadFailure) -> None:
    daemon.parts.inbox["power"].put(item)
    daemon.step()


def battery(soc: float) -> PowerReading:
    return PowerReading(soc=soc, voltage=50.0, current=-2.0, watts=100.0, supply="battery")


def tx(daemon: Daemon, message_type: str) -> bool:
    request = TxRequest(payload=b"\x00\x12", psid=0x20, channel=183, message_type=message_type)
    return daemon.core.transmit(request, daemon.clock.time())


def test_the_battery_drains_through_every_step_and_power_returns(daemon: Daemon) -> None:
    core, uplink = daemon.core, daemon.parts.uplink
    feed(daemon, battery(39.0))
    assert core.alarms.is_active("power", "shed_camera")
    assert core.alarms.is_active("power", "on_battery")
    assert core.tx_only is None
    feed(daemon, battery(24.0))
    assert core.alarms.is_active("power", "shed_uplink")
    assert ("hold", UPLINK_STREAMS) in uplink._inbox.events  # the uplink's worker applies it
    feed(daemon, battery(14.0))
    assert core.tx_only == ESSENTIAL_TYPES
    assert tx(daemon, "MAP")  # safety broadcasts stay on the air
    assert not tx(daemon, "SDSM")
    assert core.n.tx_shed == 1
    power = uplink._status_content()["power"]  # what the heartbeat carries
    assert power["soc"] == 14.0
    assert power["source"] == "battery"
    assert power["shed"] == ["camera", "uplink", "essential"]
    assert {"low_battery", "shed_essential"} <= set(power["alarms"])
    snap = daemon.snapshot()
    assert snap.as_dict()["power"]["shed"] == ["camera", "uplink", "essential"]
    assert Snapshot.from_dict(snap.as_dict()) == snap
    assert 'rsu_part_value{name="soc",part="power"} 14' in render(snap)
    feed(daemon, PowerReading(soc=30.0, supply="grid"))  # the mains are back
    assert core.tx_only is None
    assert tx(daemon, "SDSM")
    assert ("hold", None) in uplink._inbox.events
    for step in ("camera", "uplink", "essential"):
        assert not core.alarms.is_active("power", f"shed_{step}")


def test_a_lost_source_is_alarmed_and_unknown_without_a_crash(daemon: Daemon) -> None:
    feed(daemon, battery(20.0))
    feed(daemon, ReadFailure("refused", "upsd gone"))
    feed(daemon, PowerReading(soc=float("nan")))
    core = daemon.core
    assert core.alarms.is_active("power", "bms_lost")
    assert core.alarms.is_active("power", "power_data_invalid")
    power = daemon.parts.uplink._status_content()["power"]
    assert power["state"] == "unknown"
    assert power["soc"] is None
    assert power["shed"] == ["camera", "uplink"]  # unknown: held as it was
    assert daemon.parts.stats.refresh().as_dict()["power"]["failures"] == 1


def test_the_camera_switch_pauses_and_resumes_every_camera_edge() -> None:
    import threading
    from types import SimpleNamespace

    from rsu.daemon.power import shed_actions

    # stand-ins carry only the CameraEdge attribute the switch uses (a real camera edge needs
    # a model and video: tests/daemon/test_perception.py covers those)
    cams = (SimpleNamespace(paused=threading.Event()), SimpleNamespace(paused=threading.Event()))
    core = SimpleNamespace(tx_only=None)
    actions = shed_actions(cams, lambda streams: None, core)
    actions.apply("camera", True)
    assert all(c.paused.is_set() for c in cams)
    actions.apply("camera", False)
    assert not any(c.paused.is_set() for c in cams)


def test_rsu_status_shows_the_power_and_each_step_shed(daemon: Daemon) -> None:
    from rsu.cli.status import render

    feed(daemon, battery(20.0))
    text = render({"status": daemon.snapshot().as_dict()})
    assert "power    sim: 20.0 % on battery" in text
    assert "shed: camera, uplink" in text
    feed(daemon, ReadFailure("timeout", "no answer in 1 s"))
    text = render({"status": daemon.snapshot().as_dict()})
    assert "power    sim: unknown (timeout: no answer in 1 s)" in text
