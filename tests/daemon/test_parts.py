"""The daemon's parts in-process: notify, control socket, core handling, metrics text."""

from __future__ import annotations

import os
import re
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from rsu.clock import FakeClock
from rsu.config.loader import demo_config_path, load_config
from rsu.daemon import Daemon, build
from rsu.daemon.control import ControlClient, ControlServer
from rsu.daemon.core import TailHub
from rsu.daemon.metrics import render
from rsu.daemon.notify import Notifier, watchdog_interval
from rsu.errors import ControlError, DaemonError
from rsu.uplink.commands import Command, ConfigChange
from rsu.v2x.names import PSIDS
from rsu.wire import RxFrame
from tests.daemon.helpers import copy_demo
from tests.fusion.helpers import radar_obj


def test_notifier_sends_key_value_datagrams_to_a_path_and_to_the_abstract_namespace(
    tmp_path: Path,
) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as rx:
        rx.bind(str(path))
        n = Notifier(str(path))
        assert n.ready("serving")
        assert rx.recv(100) == b"READY=1\nSTATUS=serving"
        assert n.watchdog()
        assert rx.recv(100) == b"WATCHDOG=1"
        assert n.sent == {"READY": 1, "STATUS": 1, "WATCHDOG": 1}
    name = f"rsu-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as rx:
        rx.bind("\0" + name)
        assert Notifier("@" + name).stopping()
        assert rx.recv(100) == b"STOPPING=1\nSTATUS=stopping"


def test_notifier_without_a_socket_is_a_no_op_and_a_dead_socket_is_counted(
    tmp_path: Path,
) -> None:
    assert not Notifier("").watchdog()
    dead = Notifier(str(tmp_path / "nobody.sock"))
    assert not dead.watchdog()
    assert not dead.watchdog()
    assert dead.failed == 2


def test_watchdog_interval_is_half_of_watchdog_usec_for_this_pid_only() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "10000000"}) == 5.0
    assert watchdog_interval({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(os.getpid())}) == 5.0
    assert watchdog_interval({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "0"}) is None


@pytest.fixture
def control(tmp_path: Path) -> Iterator[ControlServer]:
    def handler(req: dict[str, Any]) -> dict[str, Any] | Iterator[dict[str, Any]]:
        if req["cmd"] == "count":
            return iter([{"ok": True, "n": i} for i in range(3)])
        return {"ok": True, "echo": req}

    server = ControlServer(tmp_path / "run" / "control.sock", handler)
    server.start()
    yield server
    server.stop()


def test_the_control_socket_is_owner_only_and_answers_json_lines(control: ControlServer) -> None:
    assert stat.S_IMODE(control.path.stat().st_mode) == 0o600
    client = ControlClient(control.path)
    assert client.request("ping", x=1)["echo"] == {"cmd": "ping", "x": 1}
    assert [r["n"] for r in client.stream("count")] == [0, 1, 2]


def test_a_second_daemon_on_the_same_socket_is_refused_and_a_stale_socket_is_replaced(
    control: ControlServer, tmp_path: Path
) -> None:
    with pytest.raises(DaemonError, match="another daemon is listening"):
        ControlServer(control.path, lambda r: {"ok": True}).start()
    stale = tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(str(stale))  # bound, never listening: what a crash leaves behind
    server = ControlServer(stale, lambda r: {"ok": True, "fresh": True})
    server.start()
    try:
        assert ControlClient(stale).request("x")["fresh"] is True
    finally:
        server.stop()


def test_the_client_explains_a_missing_daemon(tmp_path: Path) -> None:
    with pytest.raises(ControlError, match=r"no daemon at .* \(is it running\?"):
        ControlClient(tmp_path / "none.sock").request("status")


@pytest.fixture
def daemon() -> Daemon:
    """The demo daemon built (not started) on a FakeClock: the core can be driven directly."""
    return build(load_config(demo_config_path()), FakeClock())


def test_received_frames_are_decoded_counted_and_queued_for_the_cloud(daemon: Daemon) -> None:
    frames = daemon.parts.radio.step()  # type: ignore[attr-defined]  # the sim backend's tick
    core = daemon.core
    for f in frames:
        core.on_rx(f, 1.0, 1_700_000_000.0)
    assert core.n.decoded == len(frames) == 8
    assert set(core.streams) == {"v2x/BSM", "v2x/PSM"}  # BSMs are sampled 1 in 5 per sender
    assert daemon.parts.uplink.stats().queued == sum(s.count for s in core.streams.values())
    assert core.streams["v2x/PSM"].count == 2


def test_a_tail_client_sees_every_decoded_frame_with_the_same_summary_the_cloud_view_shows(
    daemon: Daemon,
) -> None:
    frames = daemon.parts.radio.step()  # type: ignore[attr-defined]  # the sim backend's tick
    core = daemon.core
    lines, _ = core.tail.subscribe()
    for f in frames:
        core.on_rx(f, 1.0, 1_700_000_000.0)
    assert [line["type"] for line in lines] == [
        core.codec.decode(f.payload).short_name for f in frames
    ]
    psm = [line for line in lines if line["type"] == "PSM"]
    assert psm[-1]["summary"] == core.streams["v2x/PSM"].last
    assert psm[-1]["summary"].startswith("PSM id=")
    assert all(line["summary"].split()[0] == line["type"] for line in lines)  # sampled-out too
    assert lines[0]["jer"] == core.codec.decode(frames[0].payload).jer()


def test_an_undecodable_frame_is_counted_and_logged_with_its_hex_then_skipped(
    daemon: Daemon,
) -> None:
    bad = RxFrame(bytes.fromhex("0014ffff"), 1.0, 1.0, 172, -60, 0x20, "sim")
    with capture_logs() as logs:
        daemon.core.on_rx(bad, 1.0, 1.0)
    assert daemon.core.n.decode_errors == {"FramingError": 1}  # a DecodeError subclass
    assert logs[0]["event"] == "frame_undecodable"
    assert logs[0]["hex"] == "0014ffff"
    assert daemon.parts.radio.counters.snapshot()["by_psid"]["0x20"]["failed"] == 1


def cloud(daemon: Daemon, cmd: Command) -> None:
    """What the uplink thread does with a command (check, queue), then the core loop's turn."""
    assert daemon.parts.uplink.on_command is not None
    daemon.parts.uplink.on_command(cmd)
    assert daemon.step() >= 1


def test_a_cloud_standby_changes_the_mode_and_the_status_systemd_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as rx:
        rx.bind(str(path))
        rx.settimeout(2.0)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        daemon = build(load_config(demo_config_path()), FakeClock())
        cloud(daemon, Command("standby", "s1"))
        assert daemon.core.mode == "standby"
        assert rx.recv(200).decode().startswith("STATUS=standby;")


def test_a_cloud_log_level_change_keeps_the_daemon_logging_on_stdout(
    daemon: Daemon, capsys: pytest.CaptureFixture[str]
) -> None:
    cloud(daemon, Command("config", "c1", config=ConfigChange(log_level="debug")))
    out, err = capsys.readouterr()
    assert "log_level_changed" in out  # where `rsu run` logs; journald reads both
    assert "log_level_changed" not in err


def test_a_reload_applies_the_stats_interval_live_and_names_the_control_socket_for_restart(
    tmp_path: Path,
) -> None:
    config = copy_demo(tmp_path / "etc")
    d = build(load_config(config), FakeClock())
    text = config.read_text().replace("stats_interval_s = 2.0", "stats_interval_s = 7.5")
    config.write_text(text.replace('"rsu-demo/control.sock"', '"rsu-demo/other.sock"'))
    d.reload()
    assert d.last_reload == {"applied": ["daemon.stats_interval_s"], "needs_restart": ["daemon"]}
    assert d.config.daemon.stats_interval_s == 7.5  # what the core loop reads
    assert d.config.daemon.control_socket.endswith("control.sock")  # in force until a restart


def test_a_fused_radar_object_is_broadcast_as_a_j2735_sdsm(daemon: Daemon) -> None:
    clock, core, picture = daemon.clock, daemon.core, daemon.parts.picture
    now, utc = clock.monotonic(), clock.time()
    assert picture is not None
    picture.fusion.update_radar("radar-north", [radar_obj(3, 0.5, 12.0)], now)
    core.route(picture.tick(now, utc), now, utc)  # the stage's outputs, routed by the core
    sdsm = [r for r in core.scheduler.poll(now, utc) if r.psid == PSIDS["SDSM"]]
    (msg,) = [core.codec.decode(r.payload) for r in sdsm]
    assert msg.short_name == "SDSM"
    assert len(msg.value["objects"]) == 1


def test_standby_stops_every_transmission_and_operate_resumes(daemon: Daemon) -> None:
    core, clock = daemon.core, daemon.clock
    from rsu.signals import tscbm
    from rsu.signals.emulator import Emulator, PlanConfig
    from rsu.signals.model import Datagram

    signals = next(s for s in core.stages if s.name == "signals")

    def spat_update(now: float, utc: float) -> None:  # a controller update: live SPaT at once
        data = tscbm.build(Emulator(PlanConfig()).state(0.0))
        item = Datagram(data, "127.0.0.1:1", now, utc)
        core.route(signals.on_item(item, now, utc), now, utc)  # type: ignore[attr-defined]

    core.mode = "standby"
    core.tick(clock.monotonic(), clock.time())
    spat_update(clock.monotonic(), clock.time())
    assert core.n.tx_suppressed == 2  # the MAP was due, and the SPaT of the update
    assert core.n.tx_sent == 0
    core.mode = "operate"
    core.tick(clock.monotonic() + 1.0, clock.time() + 1.0)
    spat_update(clock.monotonic() + 1.0, clock.time() + 1.0)
    # the MAP, the demo charging hub's TIM (put in the table by the first tick) and the SPaT
    assert core.n.tx_sent == 3


def test_the_metrics_text_is_well_formed_prometheus_and_openmetrics(daemon: Daemon) -> None:
    for f in daemon.parts.radio.step():  # type: ignore[attr-defined]
        daemon.core.on_rx(f, 1.0, 1.0)
    snap = daemon.snapshot()
    text = render(snap)
    sample = re.compile(r'^[a-z_][a-z0-9_]*(\{([a-z_]+="[^"\n]*",?)*\})? -?[0-9.e+]+$')
    for line in text.splitlines():
        assert line.startswith("# ") or sample.match(line), line
    assert 'rsu_radio_frames_total{outcome="decoded",psid="0x20"} 6' in text
    assert 'rsu_v2x_messages_total{direction="rx",type="PSM"} 2' in text
    assert "# TYPE rsu_queue_dropped_total counter" in text
    om = render(snap, openmetrics=True)
    assert om.endswith("# EOF\n")
    assert "# TYPE rsu_queue_dropped counter" in om


def test_a_slow_tail_client_loses_its_oldest_lines_counted() -> None:
    hub = TailHub(maxlen=3)
    queue, wake = hub.subscribe()
    for i in range(5):
        hub.publish({"i": i})
    assert [x["i"] for x in queue] == [2, 3, 4]
    assert hub.dropped == 2
    assert wake.is_set()
    hub.unsubscribe((queue, wake))
    assert not hub.active


def test_build_starts_nothing(daemon: Daemon) -> None:
    names = {t.name for t in threading.enumerate()}
    assert not {"uplink", "radio-sim", "control", "metrics"} & names
