"""China mode in the daemon (built in-process on a FakeClock from the demo config with
``standard = "csae53"``): RSM from the fused picture, RSI from road events and from an
``RSI/DOWN`` cloud command, and MAP files of both standards on store-and-repeat."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rsu.clock import FakeClock
from rsu.config.loader import config_from_dict, demo_config_path, read_toml
from rsu.csae53.messages import CSAE_AIDS
from rsu.csae53.share import CsaeShare
from rsu.daemon import Daemon, build
from rsu.errors import ConfigError
from rsu.uplink.dialects import Inbound
from rsu.v2x.codec import get_codec
from rsu.wire import RxFrame, TxRequest
from tests.fusion.helpers import radar_obj
from tests.v2x.vectors import load

CSAE_MAP = next(v for v in load("csae53_real.jsonl") if "mapFrame" in v["value"])


def china_daemon(tmp_path: Path) -> Daemon:
    demo = demo_config_path()
    data = read_toml(demo)
    data["rsu"]["standard"] = "csae53"
    data["rsu"]["id"] = "R328328"
    map_jer = get_codec("csae53").decode(bytes.fromhex(CSAE_MAP["hex"])).jer()
    (tmp_path / "map-cn.json").write_text(json.dumps(map_jer))
    (tmp_path / "map-cn.hex").write_text(CSAE_MAP["hex"] + "\n")
    (tmp_path / "map.hex").write_text((demo.parent / "map.hex").read_text())
    (tmp_path / "spat.hex").write_text((demo.parent / "spat.hex").read_text())
    data["broadcast"]["messages"] += [
        {"name": "map-cn-json", "file": "map-cn.json", "psid": 3618, "interval_ms": 1000},
        {
            "name": "map-cn-hex",
            "file": "map-cn.hex",
            "psid": 3618,
            "interval_ms": 1000,
            "standard": "csae53",
        },
    ]
    lane = [[-2.0, 0.0], [2.0, 0.0], [2.0, 30.0], [-2.0, 30.0]]
    data["events"] = {"zones": [{"name": "lane-n", "points": lane, "kind": "lane", "dwell_s": 1.0}]}
    data["uplink"]["dialect"] = "cn-rsu"
    return build(config_from_dict(data, tmp_path / "rsu.toml"), FakeClock())


def decoded(requests: list[TxRequest]) -> dict[str, Any]:
    """Short type -> decoded message, decoding each payload with the codec of its standard."""
    out: dict[str, Any] = {}
    for r in requests:
        standard = "csae53" if r.psid in CSAE_AIDS.values() else "j2735"
        msg = get_codec(standard).decode(r.payload)
        out.setdefault(f"{standard}:{msg.short_name}", []).append(msg)
    return out


@pytest.fixture
def daemon(tmp_path: Path) -> Daemon:
    return china_daemon(tmp_path)


def test_map_files_of_both_standards_are_repeated(daemon: Daemon) -> None:
    clock = daemon.clock
    sent = decoded(daemon.core.scheduler.poll(clock.monotonic(), clock.time()))
    assert len(sent["csae53:MAP"]) == 2  # the JSON and the hex file
    assert len(sent["j2735:MAP"]) == 1  # the demo's J2735 MAP, unchanged
    node = sent["csae53:MAP"][0].value["nodes"][0]
    assert node["id"] == {"id": 149, "region": 1}


def test_fused_objects_and_a_stopped_car_become_rsm_and_rsi(daemon: Daemon) -> None:
    clock, core, picture = daemon.clock, daemon.core, daemon.parts.picture
    assert picture is not None
    msg_counts = []
    for _ in range(25):  # 2.5 s of a car standing in the lane (dwell 1 s)
        now, utc = clock.monotonic(), clock.time()
        picture.fusion.update_radar("radar-north", [radar_obj(3, 0.5, 12.0)], now)
        core.route(picture.tick(now, utc), now, utc)
        for request in core.scheduler.poll(now, utc):
            if request.psid == CSAE_AIDS["RSM"]:
                msg_counts.append(get_codec("csae53").decode(request.payload).value["msgCnt"])
        clock.advance(1.0)
    assert len(msg_counts) >= 20
    assert len(set(msg_counts)) > 10  # each new RSM content is a new msgCnt
    now, utc = clock.monotonic(), clock.time()
    sent = decoded(core.scheduler.poll(now + 10.0, utc + 10.0))
    (rsm,) = sent["csae53:RSM"]
    (p,) = rsm.value["participants"]
    assert rsm.value["id"] == "5233323833323800"  # "R328328" as 8 octets
    assert p["source"] == "microwaveRadar"
    assert p["ptcType"] == "motor"
    (rsi,) = sent["csae53:RSI"]
    (rte,) = rsi.value["rtes"]
    assert rte["eventType"] == 401
    assert "lane-n" in rte["description"]["textString"]
    assert "j2735:SDSM" not in sent  # China mode shares RSM, not SDSM
    assert picture.share.stats()["rsi_live"] == 1


def test_rsi_down_from_the_cloud_is_broadcast_as_a_csae_rsi(daemon: Daemon) -> None:
    body = {
        "seqNum": "42",
        "eventType": 401,
        "eventPosition": {"lat": 42.281, "lon": -83.743},
        "eventRadius": 30,
        "eventDescription": "road works",
        "duration_s": 600,
    }
    payload = json.dumps(body).encode()
    down = daemon.parts.uplink.downlink  # what the uplink thread does: check whole, then ACK
    ack = down.handle(Inbound("V2X/RSU/R328328/RSI/DOWN", payload, len(payload)), 0.0, 0.0)
    assert ack is not None
    assert json.loads(ack.payload)["errorCode"] == 0
    assert len(daemon.parts.inbox["commands"]) == 1  # handed to the core's queue
    assert daemon.serve() == 1  # what the core loop does with it
    clock = daemon.clock
    sent = decoded(daemon.core.scheduler.poll(clock.monotonic(), clock.time()))
    (rsi,) = sent["csae53:RSI"]
    assert rsi.value["id"] == "5233323833323800"
    assert rsi.value["refPos"] == {"lat": 422810000, "long": -837430000}
    assert rsi.value["rtes"][0]["description"] == {"textString": "road works"}


def test_a_j2735_rsu_refuses_rsi_json_it_cannot_encode(tmp_path: Path) -> None:
    data = read_toml(demo_config_path())
    data["uplink"]["dialect"] = "cn-rsu"
    (tmp_path / "map.hex").write_text((demo_config_path().parent / "map.hex").read_text())
    (tmp_path / "spat.hex").write_text((demo_config_path().parent / "spat.hex").read_text())
    d = build(config_from_dict(data, tmp_path / "rsu.toml"), FakeClock())
    body = {"eventType": 401, "eventPosition": {"lat": 42.281, "lon": -83.743}}
    payload = json.dumps(body).encode()
    inbound = Inbound("V2X/RSU/demo-rsu/RSI/DOWN", payload, len(payload))
    ack = d.parts.uplink.downlink.handle(inbound, 0.0, 0.0)
    assert ack is not None
    reply = json.loads(ack.payload)
    assert reply["errorCode"] == 3  # bad_value: no J2735 PSID or frame for it
    assert "RSI" in reply["errorDesc"]
    assert not d.parts.inbox["commands"].drain()


def test_csae53_table_overrides_ids_intervals_aids_and_event_types(tmp_path: Path) -> None:
    data = read_toml(demo_config_path())
    data["rsu"]["standard"] = "csae53"
    data["csae53"] = {
        "rsu_id": "00112233aabbccdd",
        "rsi_interval_ms": 500,
        "aids": {"RSM": 4000},
        "event_types": {"stopped_vehicle": 9902, "over_speed": False},
    }
    (tmp_path / "map.hex").write_text((demo_config_path().parent / "map.hex").read_text())
    (tmp_path / "spat.hex").write_text((demo_config_path().parent / "spat.hex").read_text())
    config = config_from_dict(data, tmp_path / "rsu.toml")
    assert config.set_sections["csae53"] is not None
    assert config.set_sections["csae53"].aids["RSM"] == 4000
    assert config.set_sections["csae53"].aids["RSI"] == CSAE_AIDS["RSI"]
    assert config.set_sections["csae53"].event_types is not None
    assert config.set_sections["csae53"].event_types["stopped_vehicle"] == 9902
    assert "over_speed" not in config.set_sections["csae53"].event_types
    assert "csae53" in config.sections
    d = build(config, FakeClock())
    picture = d.parts.picture
    assert picture is not None
    share = picture.share
    assert isinstance(share, CsaeShare)
    assert share.settings.aids["RSM"] == 4000
    assert share.settings.rsi_interval_ms == 500
    now, utc = d.clock.monotonic(), d.clock.time()
    picture.fusion.update_radar("radar-north", [radar_obj(3, 0.5, 12.0)], now)
    d.core.route(picture.tick(now, utc), now, utc)
    (rsm,) = [r for r in d.core.scheduler.poll(now, utc) if r.psid == 4000]
    assert get_codec("csae53").decode(rsm.payload).value["id"] == "00112233AABBCCDD"


@pytest.mark.parametrize(
    ("table", "where"),
    [
        ({"aids": {"TIM": 1}}, "csae53.aids.TIM"),
        ({"event_types": {"stopped_vehicle": 70000}}, "csae53.event_types.stopped_vehicle"),
        ({"event_types": {"fire": 1}}, "csae53.event_types.fire"),
        ({"rsu_id": ""}, "csae53.rsu_id"),
        ({"colour": "red"}, "csae53.colour"),
    ],
)
def test_bad_csae53_tables_name_the_key(table: dict[str, Any], where: str) -> None:
    data = read_toml(demo_config_path())
    data["csae53"] = table
    with pytest.raises(ConfigError) as err:
        config_from_dict(data, demo_config_path())
    assert where in str(err.value)


def test_csae_frames_from_the_radio_are_decoded_fused_and_queued_for_the_cloud(
    daemon: Daemon,
) -> None:
    core = daemon.core
    real = [v for v in load("csae53_real.jsonl") if "bsmFrame" in v["value"]]
    for v in real:
        core.on_rx(RxFrame(bytes.fromhex(v["hex"]), 1.0, 1_764_085_283.0, 183, -70, 111), 1.0, 2.0)
    bad = RxFrame(bytes.fromhex("00ff"), 1.0, 1.0, 183, -70, 111, "sim")
    core.on_rx(bad, 1.0, 2.0)  # a truncated frame: counted, logged, skipped
    assert core.n.decoded == len(real)
    assert sum(core.n.decode_errors.values()) == 1
    assert "v2x/BSM" in core.streams
    assert daemon.parts.uplink.stats().queued >= 1  # (BSMs sampled 1 in 5 per sender)
