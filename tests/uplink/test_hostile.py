"""Hostile cloud commands, both dialects, over a real mosquitto: each row asserts the ACK
(error code and text) and that a good command sent right after it is still served."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rsu.uplink.service import Uplink
from rsu.v2x.message import V2xMessage
from tests.conftest import Broker, wait_until
from tests.uplink.conftest import Collector, make_config
from tests.uplink.test_downlink import Daemon

MAX = 4096
DEEP = b'{"policy": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"


def _default_rows(map_hex: str, spat_hex: str) -> list[tuple[str, bytes, str, str]]:
    def j(body: Any) -> bytes:
        return json.dumps(body).encode()

    bad_map_jer = {"message_type": "MAP", "jer": {"msgIssueRevision": 500, "intersections": []}}
    return [
        ("config", b"{oops", "bad_json", "not JSON"),
        ("config", b"\xff\xfe", "bad_json", "not JSON"),
        ("config", b'"a string"', "bad_json", "expected a JSON object"),
        ("config", DEEP[:MAX], "bad_json", "nested deeper than 32"),
        ("config", b'{"heartbeat_s": NaN}', "bad_value", "heartbeat_s: expected a finite number"),
        ("config", b'{"heartbeat_s": Infinity}', "bad_value", "expected a finite number"),
        ("config", b'{"heartbeat_s": 1e400}', "bad_value", "expected a finite number"),
        ("config", b'{"heartbeat_s": ' + b"9" * 4400 + b"}", "too_large", "bytes >"),
        ("config", b'{"heartbeat_s": ' + b"9" * 4000 + b"}", "bad_value", "expected a value in"),
        ("config", b'{"policy": {"BSM": {"rate_limit": NaN}}}', "bad_value", "rate_limit"),
        ("config", j({"heartbeat_s": 0.1}), "bad_value", "expected a value in [0.5"),
        ("config", j({"heartbeat_s": "fast"}), "bad_value", "expected a number"),
        ("config", j({"policy": {"B/SM": {"sample": 2}}}), "bad_value", "unknown message type"),
        ("config", j({"policy": {"BMS": {"sample": 2}}}), "bad_value", "expected one of BSM"),
        ("config", j({"policy": {"BSM": {"ids": ["0a0b", "zz"]}}}), "bad_value", "hex digits"),
        (
            "config",
            j({"policy": {"BSM": {"filters": [{"path": "a." * 20 + "x"}]}}}),
            "bad_value",
            "dotted JER path",
        ),
        ("config", j({"policy": {"BSM": {"payload": "all"}}}), "bad_value", "payload"),
        ("config", b'{"id": "x", "pad": "' + b"a" * MAX + b'"}', "too_large", "bytes >"),
        ("launch", j({}), "unknown_command", "unknown command 'launch'"),
        ("reboot", j({"now": True}), "bad_value", "reboot.now: unknown key"),
        ("broadcast", j({"message_type": "MAP", "hex": "zz"}), "bad_value", "not hex"),
        (
            "broadcast",
            j({"message_type": "MAP", "hex": "0012ab"}),
            "bad_value",
            "not a j2735 MessageFrame",
        ),
        (
            "broadcast",
            j({"message_type": "MAP", "hex": spat_hex}),
            "bad_value",
            "a SPAT MessageFrame, not MAP",
        ),
        ("broadcast", j(bad_map_jer), "bad_value", "broadcast.jer: does not encode"),
        ("broadcast", j({"message_type": "MAP", "jer": 5}), "bad_value", "expected an object"),
        (
            "broadcast",
            b'{"message_type": "MAP", "hex": "' + map_hex.encode() + b'", "duration_s": NaN}',
            "bad_value",
            "duration_s: expected a finite number",
        ),
        (
            "broadcast",
            j({"message_type": "MAP", "hex": map_hex, "interval_ms": 1.5}),
            "bad_value",
            "interval_ms: expected an integer",
        ),
    ]


@pytest.fixture
def running(tmp_path: Path, mosquitto: Broker) -> Any:
    def start(**extra: Any) -> tuple[Uplink, Daemon]:
        daemon = Daemon()
        cfg = make_config(tmp_path, mosquitto.url, max_command_bytes=MAX, **extra)
        up = Uplink(cfg, on_command=daemon)
        up.start()
        assert wait_until(lambda: up.stats().connected)
        made.append(up)
        return up, daemon

    made: list[Uplink] = []
    yield start
    for up in made:
        up.stop()


def _ack(sub: Collector, topic: str, ack_topic: str, payload: bytes) -> dict[str, Any]:
    before = len(sub.on(ack_topic))
    sub.publish(topic, payload)
    assert wait_until(lambda: len(sub.on(ack_topic)) > before, timeout=5.0), payload[:80]
    ack: dict[str, Any] = sub.on(ack_topic)[before]
    return ack


def test_default_dialect_hostile_commands(
    running: Any,
    mosquitto: Broker,
    collect: Callable[..., Collector],
    smallest: Callable[[str], V2xMessage],
) -> None:
    up, daemon = running()
    sub = collect(mosquitto.url, ["rsu/rsu-0042/cmd/ack"])
    ack_topic = "rsu/rsu-0042/cmd/ack"
    rows = _default_rows(smallest("MAP").raw.hex(), smallest("SPAT").raw.hex())
    for n, (name, payload, code, text) in enumerate(rows):
        ack = _ack(sub, f"rsu/rsu-0042/cmd/{name}", ack_topic, payload)
        assert (ack["ok"], ack["code"]) == (False, code), (name, payload[:60], ack)
        assert text in ack["error"], (name, payload[:60], ack)
        good = json.dumps({"id": f"good-{n}", "heartbeat_s": 30}).encode()
        assert _ack(sub, "rsu/rsu-0042/cmd/config", ack_topic, good)["code"] == "ok"
    assert daemon.got == []  # nothing bad reached the daemon
    assert up.stats().connected


def test_codec_errors_reach_the_ack_with_path_and_offset(
    running: Any, mosquitto: Broker, collect: Callable[..., Collector]
) -> None:
    running()
    sub = collect(mosquitto.url, ["rsu/rsu-0042/cmd/ack"])
    ack_topic = "rsu/rsu-0042/cmd/ack"
    bad_hex = json.dumps({"message_type": "MAP", "hex": "0012ab"}).encode()
    ack = _ack(sub, "rsu/rsu-0042/cmd/broadcast", ack_topic, bad_hex)
    assert ack["detail"]["bit_offset"] is not None
    assert "reason" in ack["detail"]
    jer = {"message_type": "MAP", "jer": {"msgIssueRevision": 500, "intersections": []}}
    ack = _ack(sub, "rsu/rsu-0042/cmd/broadcast", ack_topic, json.dumps(jer).encode())
    assert ack["detail"]["message"] == "MapData"
    assert "msgIssueRevision" in ack["detail"]["path"] + ack["detail"]["reason"]


def _cn_rows(map_hex: str) -> list[tuple[str, bytes, int, str]]:
    def j(body: Any) -> bytes:
        return json.dumps(body).encode()

    base = "V2X/RSU/rsu-0042"
    return [
        (f"{base}/CONFIG/DOWN", b"{oops", 1, "not JSON"),
        (f"{base}/CONFIG/DOWN", DEEP[:MAX], 1, "nested deeper"),
        (f"{base}/CONFIG/DOWN", b'{"bsmConfig": {"upLimit": NaN}}', 3, "upLimit"),
        (f"{base}/CONFIG/DOWN", j({"bsmConfig": {"sampleRate": 0}}), 3, "sample"),
        (f"{base}/CONFIG/DOWN", j({"xConfig": {}}), 3, "unknown or bad key 'xConfig'"),
        (f"{base}/CONFIG/DOWN", j({"bsmConfig": {"sampleMode": "ByX"}}), 3, "ByAll or ByID"),
        ("V2X/RSU/ESN-7/MNG/DOWN", b'{"heartbeatRate": NaN}', 3, "finite number"),
        ("V2X/RSU/ESN-7/MNG/DOWN", j({"heartbeatRate": 0.01}), 3, "heartbeat_s"),
        ("V2X/RSU/ESN-7/MNG/DOWN", j({"mode": "sleep"}), 3, "standby or operate"),
        ("V2X/RSU/ESN-7/MNG/DOWN", j({"reboot": 1, "mode": "standby"}), 3, "one action"),
        (f"{base}/MAP/DOWN", j({"hex": "0012ab"}), 3, "not a j2735 MessageFrame"),
        (f"{base}/MAP/DOWN", j({"data": {"bogus": 1}}), 3, "does not encode"),
        (f"{base}/MAP/DOWN", j({"hex": map_hex, "interval_ms": 1e400}), 3, "finite number"),
        (f"{base}/RSI/DOWN", j({"eventType": 401}), 3, "RSI"),
        (f"{base}/MAP/DOWN", b'{"pad": "' + b"a" * MAX + b'"}', 4, "bytes >"),
    ]


def test_cn_rsu_dialect_hostile_commands(
    running: Any,
    mosquitto: Broker,
    collect: Callable[..., Collector],
    smallest: Callable[[str], V2xMessage],
) -> None:
    up, daemon = running(dialect="cn-rsu", esn="ESN-7")
    sub = collect(mosquitto.url, ["V2X/RSU/+/+/DOWN/ACK"])
    good_topic = "V2X/RSU/rsu-0042/CONFIG/DOWN"
    for n, (topic, payload, code, text) in enumerate(_cn_rows(smallest("MAP").raw.hex())):
        ack = _ack(sub, topic, f"{topic}/ACK", payload)
        assert ack["errorCode"] == code, (topic, payload[:60], ack)
        assert text in ack["errorDesc"], (topic, payload[:60], ack)
        good = json.dumps({"seqNum": f"g{n}", "bsmConfig": {"sampleRate": 2}}).encode()
        served = _ack(sub, good_topic, f"{good_topic}/ACK", good)
        assert (served["seqNum"], served["errorCode"]) == (f"g{n}", 0)
    assert daemon.got == []
    assert up.gate.policy("BSM").sample == 2
