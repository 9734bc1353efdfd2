"""The harness's own parts without a daemon: scenario files, actors, checks, reports,
generated configs and the camera calibration."""

from __future__ import annotations

import math
import socket
import time
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from hil.actors import Traffic, key_of_decoded
from hil.broker import Received
from hil.camera import BOX_H, BOX_W, ROW, calibration_points
from hil.daemon import merge, to_toml
from hil.expect import Observations, evaluate
from hil.radio import Rsu41Peer, Transmission
from hil.record import compare
from hil.report import junit, summary
from hil.rig import ORIGIN
from hil.runner import Result
from hil.scenario import Scenario, load_scenario, scenario_paths
from rsu.errors import ConfigError
from rsu.perception.calibration import Calibration
from rsu.radio.rsu41 import format_ifm
from rsu.v2x.codec import get_codec
from rsu.wire import TxRequest

SUITE = Path(__file__).resolve().parents[2] / "hil" / "scenarios"


def _scenario(**extra: object) -> Scenario:
    data: dict[str, object] = {"scenario": {"name": "t", "seed": 3}}
    data.update(extra)
    return Scenario.from_dict(data)


def test_every_shipped_scenario_loads() -> None:
    for path in scenario_paths([str(SUITE)]):
        s = load_scenario(path)
        assert s.expectations, path
        assert s.duration_s <= 10.0, "keep CI scenarios short"


def test_unknown_scenario_key_is_an_error_naming_its_path() -> None:
    with pytest.raises(ConfigError, match=r"actors\[0\]\.colour"):
        _scenario(actors=[{"name": "a", "colour": "red"}])


def test_radar_that_sees_an_unknown_actor_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no actor named 'ghost'"):
        _scenario(actors=[{"name": "a"}], radar=[{"sees": ["ghost"]}])


def test_traffic_is_deterministic_from_the_seed() -> None:
    actors = _scenario(actors=[{"name": "cars", "count": 20, "lanes": 3.0}]).actors
    a, b, c = Traffic(actors, 1), Traffic(actors, 1), Traffic(actors, 2)
    assert [m.ident for m in a.members] == [m.ident for m in b.members]
    assert [m.ident for m in a.members] != [m.ident for m in c.members]
    assert a.pose(a.members[5], 1.5) == b.pose(b.members[5], 1.5)


def test_actor_moves_along_its_path_at_its_speed() -> None:
    actors = _scenario(actors=[{"name": "car", "path": [[0, 0], [0, 100]], "speed_mps": 10}]).actors
    traffic = Traffic(actors, 1)
    m = traffic.members[0]
    pose = traffic.pose(m, 2.0)
    assert (pose.east_m, pose.north_m) == pytest.approx((0.0, 20.0))
    assert pose.heading_deg == pytest.approx(0.0)


def test_actor_frames_encode_and_decode_back_to_their_key() -> None:
    from hil.actors import frame_jer, message_key

    actors = _scenario(
        actors=[{"name": "car"}, {"name": "walker", "kind": "pedestrian", "speed_mps": 1.4}]
    ).actors
    traffic = Traffic(actors, 9)
    codec = get_codec("j2735")
    for m in traffic.members:
        jer = frame_jer(m, traffic.pose(m, 0.5), ORIGIN, 7, 12345)
        msg = codec.decode(codec.encode(jer))
        assert key_of_decoded(msg.short_name, msg.jer()) == message_key(
            msg.short_name, m.ident, 7, 12345
        )


def _obs(**kw: object) -> Observations:
    return Observations(rsu_id="r", t0=0.0, end=10.0, **kw)  # type: ignore[arg-type]


def _bsm_record(key: str) -> dict[str, object]:
    _, ident, count, sec = key.split("/")
    core = {"id": ident, "msgCnt": int(count), "secMark": int(sec)}
    return {"decoded": {"messageId": 20, "value": {"coreData": core}}}


def _cloud(keys: list[str], at: float) -> list[Received]:
    import json

    body = json.dumps([_bsm_record(k) for k in keys]).encode()
    return [Received("rsu/r/v2x/BSM", body, at, False)]


def test_delivered_check_fails_when_one_broadcast_is_missing() -> None:
    sent = {"BSM/aa/1/100": 1.0, "BSM/aa/2/200": 1.1}
    ok = evaluate(
        "delivered", "d", {"types": ["BSM"]}, _obs(sent=sent, cloud=_cloud(list(sent), 2))
    )
    assert ok.passed
    assert ok.metrics["lost"] == 0
    lost = evaluate("delivered", "d", {}, _obs(sent=sent, cloud=_cloud(["BSM/aa/1/100"], 2)))
    assert not lost.passed
    assert lost.metrics["lost"] == 1
    assert "BSM/aa/2/200" in lost.detail


def test_latency_check_reports_percentiles_and_applies_its_bound() -> None:
    sent = {f"BSM/aa/{i}/{i}": 0.0 for i in range(100)}
    cloud = _cloud(list(sent)[:99], 0.010) + _cloud(list(sent)[99:], 0.500)
    out = evaluate(
        "latency", "l", {"types": ["BSM"], "p99_max_ms": 100.0}, _obs(sent=sent, cloud=cloud)
    )
    assert out.metrics["p50_ms"] == pytest.approx(10.0)
    assert out.metrics["max_ms"] == pytest.approx(500.0)
    assert out.passed  # the 99th of 100 samples is still 10 ms
    strict = evaluate("latency", "l", {"p99_max_ms": 5.0}, _obs(sent=sent, cloud=cloud))
    assert not strict.passed


def test_radio_tx_check_measures_the_interval() -> None:
    tx = [Transmission(0.1 * i, "SPAT", 0x8002, 183, b"x") for i in range(20)]
    good = {"message_type": "SPAT", "interval_ms": 100, "tolerance_ms": 10, "min_count": 10}
    assert evaluate("radio_tx", "t", good, _obs(transmissions=tx)).passed
    wrong = {**good, "interval_ms": 1000}
    assert not evaluate("radio_tx", "t", wrong, _obs(transmissions=tx)).passed


def test_mqtt_check_matches_fields_inside_lists() -> None:
    import json

    objects = {"data": {"objects": [{"kind": "vru", "sources": ["camera:c", "radar:n"]}]}}
    cloud = [Received("rsu/r/objects", json.dumps(objects).encode(), 1.0, False)]
    params = {
        "stream": "objects",
        "each": "data.objects",
        "where": {"kind": "vru", "sources": {"has_prefixes": ["radar:", "camera:"]}},
    }
    assert evaluate("mqtt", "m", params, _obs(cloud=cloud)).passed
    params["where"] = {"kind": "vru", "sources": {"has_prefixes": ["v2x:"]}}
    assert not evaluate("mqtt", "m", params, _obs(cloud=cloud)).passed


def test_a_misspelt_expectation_parameter_fails_the_check() -> None:
    out = evaluate("counter", "c", {"pth": "decode.ok"}, _obs())
    assert not out.passed
    assert out.detail.startswith("bad expectation")
    assert "expect.c.path" in out.detail


def test_junit_and_summary_carry_seed_failures_and_measurements() -> None:
    from hil.expect import Outcome

    r = Result("demo", 42, timings={"total_s": 3.5})
    r.outcomes = [
        ("fine", Outcome(True, "all good", {"p99_ms": 12.5})),
        ("broken", Outcome(False, "2 lost", {"lost": 2})),
    ]
    root = junit([r])
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "1"
    assert suite.get("time") == "3.500"
    seed = [p for p in suite.iter("property") if p.get("name") == "seed"]
    assert seed[0].get("value") == "42"
    failure = root.find(".//testcase[@name='broken']/failure")
    assert failure is not None
    assert failure.get("message") == "2 lost"
    text = summary([r])
    assert "FAIL" in text
    assert "2 lost" in text
    assert "0/1 scenarios passed" in text
    ET.tostring(root)  # serialisable


def test_generated_config_is_valid_toml_and_merges_scenario_tables() -> None:
    base = {"rsu": {"id": "x"}, "uplink": {"broker": "mqtt://127.0.0.1:1"}}
    extra = {"uplink": {"heartbeat_s": 2.0}, "broadcast": {"messages": [{"name": "m", "psid": 1}]}}
    cfg = merge(base, extra)
    assert tomllib.loads(to_toml(cfg)) == cfg


def test_golden_comparison_reports_a_changed_output() -> None:
    want = {
        "v2x": ["a", "b"],
        "tx": ["MAP:00"],
        "events": [["wrong_way", "z", "new"]],
        "alarms": [],
    }
    assert compare(want, want) == []
    got = {**want, "v2x": ["a"], "events": []}
    diffs = compare(want, got)
    assert any("missing b" in d for d in diffs)
    assert any(d.startswith("events") for d in diffs)


def test_camera_calibration_puts_the_sim_walker_on_the_actors_path() -> None:
    s = _scenario(
        actors=[{"name": "w", "kind": "pedestrian", "path": [[-6, 12], [6, 12]], "speed_mps": 1.4}],
        camera=[{"sees": ["w"], "fps": 10.0}],
    )
    cal = Calibration.from_data(
        tomllib.loads(calibration_points(s.cameras[0], s.actors[0], ORIGIN))
    )
    start = cal.pixel_to_enu(BOX_W / 2, ROW + BOX_H - 1)
    assert start is not None
    assert start == pytest.approx((-6.0, 12.0), abs=0.05)
    # 4 px a frame at 10 fps for one second is the actor's 1.4 m along its path (east)
    later = cal.pixel_to_enu(BOX_W / 2 + 40, ROW + BOX_H - 1)
    assert later is not None
    assert math.dist(start, later) == pytest.approx(1.4, abs=0.05)
    assert later[0] > start[0]


def test_responsive_check_fails_on_a_slow_answer_a_failure_or_too_much_memory() -> None:
    from hil.probe import ProbeLog

    good = ProbeLog(answers_ms=[5.0, 8.0, 90.0], rss_mb=[80.0, 84.0])
    params = {"max_ms": 500.0, "max_rss_mb": 200.0}
    out = evaluate("responsive", "r", params, _obs(probe=good))
    assert out.passed
    assert out.metrics["max_ms"] == pytest.approx(90.0)
    slow = ProbeLog(answers_ms=[5.0, 900.0], rss_mb=[80.0])
    assert not evaluate("responsive", "r", params, _obs(probe=slow)).passed
    failed = ProbeLog(answers_ms=[5.0], failures=["TimeoutError: timed out"], rss_mb=[80.0])
    assert not evaluate("responsive", "r", params, _obs(probe=failed)).passed
    fat = ProbeLog(answers_ms=[5.0], rss_mb=[80.0, 450.0])
    assert not evaluate("responsive", "r", params, _obs(probe=fat)).passed


def test_time_bounds_fail_when_enforced_and_are_only_reported_otherwise() -> None:
    # SPaT every 100 ms wanted; the daemon sent every 250 ms
    tx = [Transmission(0.25 * i, "SPAT", 0x82, 183, b"") for i in range(8)]
    params = {"message_type": "SPAT", "interval_ms": 100, "tolerance_ms": 30, "min_count": 5}
    enforced = evaluate("radio_tx", "spat", dict(params), _obs(transmissions=tx))
    assert not enforced.passed
    reported = evaluate(
        "radio_tx", "spat", dict(params), _obs(transmissions=tx, enforce_timing=False)
    )
    assert reported.passed
    assert "reported, not enforced" in reported.detail
    too_few = evaluate(
        "radio_tx",
        "spat",
        {**params, "min_count": 20},
        _obs(transmissions=tx, enforce_timing=False),
    )
    assert not too_few.passed  # what happened (the count) is still enforced


def _wait_for(cond: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_rsu41_peer_neither_forwards_nor_transmits_while_unplugged() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        daemon.settimeout(1.0)
        peer = Rsu41Peer(daemon.getsockname()[1]).start()
        try:
            ifm = format_ifm(TxRequest(b"\x00\x13\x01", 0x8002, 183, message_type="SPAT"))
            daemon.sendto(ifm, peer.ifm_address)
            _wait_for(lambda: len(peer.ifm_log) == 1)
            peer.unplug()
            peer.hear(b"lost", 0x20)
            daemon.sendto(ifm, peer.ifm_address)
            _wait_for(lambda: len(peer.ifm_log) == 2)
            peer.replug()
            peer.corrupt(1)
            peer.hear(bytes(4), 0x20)
            assert daemon.recv(100) == bytes([0, 0, 0x10, 0])  # the lost frame never came
            daemon.sendto(ifm, peer.ifm_address)
            _wait_for(lambda: len(peer.ifm_log) == 3)
            tx = peer.transmissions()
        finally:
            peer.stop()
    assert [(x.message_type, x.psid, x.channel, x.payload) for x in tx] == [
        ("SPAT", 0x8002, 183, b"\x00\x13\x01")
    ] * 2
