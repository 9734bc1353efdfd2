"""Downlink commands, parsed and validated whole before anything is applied (no broker)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rsu.errors import CommandError
from rsu.uplink import commands as cmds
from rsu.uplink.dialects import CnRsuDialect, DefaultDialect, Inbound
from tests.uplink.conftest import make_config


def parse(name: str, body: object, max_bytes: int = 4096) -> cmds.Command:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    data = cmds.parse_json(raw, max_bytes, name)
    return cmds.parse_default(name, data, cmds.ref_in(data, "id"))


def inbound(topic: str, payload: bytes) -> Inbound:
    return Inbound(topic, payload, len(payload))


def test_config_command_keeps_only_given_policy_fields() -> None:
    cmd = parse(
        "config", {"id": "c1", "policy": {"BSM": {"sample": 4, "enabled": True}}, "heartbeat_s": 2}
    )
    assert cmd.kind == "config"
    assert cmd.ref == "c1"
    assert cmd.config is not None
    assert cmd.config.policies == (cmds.PolicyChange("BSM", (("enabled", True), ("sample", 4))),)
    assert cmd.config.heartbeat_s == 2.0


def test_broadcast_request_from_hex() -> None:
    cmd = parse("broadcast", {"message_type": "MAP", "hex": "0012ab", "interval_ms": 500})
    assert cmd.broadcast == cmds.BroadcastRequest("MAP", b"\x00\x12\xab", None, 500, 0.0)


@pytest.mark.parametrize(
    ("name", "body", "code"),
    [
        ("config", b"{not json", "bad_json"),
        ("config", b"[1, 2]", "bad_json"),
        ("config", b"\xff\xfe", "bad_json"),
        ("selfdestruct", {}, "unknown_command"),
        ("config", {"policy": {"BSM": {"sample": -1}}}, "bad_value"),
        ("config", {"policy": {"BSM": {"sampel": 2}}}, "bad_value"),
        ("config", {"policy": {"BSM": {}}}, "bad_value"),
        ("config", {"heartbeat_s": "fast"}, "bad_value"),
        ("config", {"log_level": "loud"}, "bad_value"),
        ("config", {"id": 1}, "bad_value"),
        ("broadcast", {"message_type": "BSM", "hex": "00"}, "bad_value"),
        ("broadcast", {"message_type": "MAP", "hex": "zz"}, "bad_value"),
        ("broadcast", {"message_type": "MAP"}, "bad_value"),
        ("broadcast", {"message_type": "MAP", "hex": "00", "jer": {}}, "bad_value"),
        ("broadcast", {"message_type": "MAP", "hex": "00", "interval_ms": 5}, "bad_value"),
        ("reboot", {"now": True}, "bad_value"),
        ("config", b"{" + b" " * 5000 + b"}", "too_large"),
    ],
)
def test_bad_commands_are_rejected_whole(name: str, body: object, code: str) -> None:
    with pytest.raises(CommandError) as err:
        parse(name, body)
    assert err.value.code == code


def test_default_dialect_acks_carry_the_request_id(tmp_path: Path) -> None:
    d = DefaultDialect(make_config(tmp_path, "mqtt://127.0.0.1:1"))
    reply, result = d.command(inbound("rsu/rsu-0042/cmd/reboot", b'{"id": "r-7"}'))
    assert result == cmds.Command("reboot", "r-7")
    ack = json.loads(d.ack(reply, None, 0.0).payload)
    assert (ack["id"], ack["command"], ack["ok"], ack["code"]) == ("r-7", "reboot", True, "ok")
    reply, result = d.command(inbound("rsu/rsu-0042/cmd/config", b'{"id": "r-8", "policy": 3}'))
    assert isinstance(result, CommandError)
    ack = json.loads(d.ack(reply, result, 0.0).payload)
    assert (ack["id"], ack["ok"], ack["code"]) == ("r-8", False, "bad_value")


def test_cn_config_maps_sample_rate_up_limit_and_mode(tmp_path: Path) -> None:
    d = CnRsuDialect(make_config(tmp_path, "mqtt://127.0.0.1:1", dialect="cn-rsu"))
    body = {
        "seqNum": "41",
        "bsmConfig": {"sampleMode": "ByID", "sampleRate": 5, "upLimit": 20},
        "rsiConfig": {"upFilters": [{"path": "rtes.0.eventType", "equals": 100}]},
    }
    reply, cmd = d.command(inbound("V2X/RSU/rsu-0042/CONFIG/DOWN", json.dumps(body).encode()))
    assert reply.topic == "V2X/RSU/rsu-0042/CONFIG/DOWN/ACK"
    assert reply.ref == "41"
    assert isinstance(cmd, cmds.Command)
    assert cmd.config is not None
    bsm, rsi = cmd.config.policies
    assert dict(bsm.changes) == {"sample": 5, "sample_mode": "by_id", "rate_limit": 20.0}
    assert rsi.message_type == "RSI"


@pytest.mark.parametrize(
    ("topic", "body", "code"),
    [
        ("V2X/RSU/rsu-0042/CONFIG/DOWN", {"seqNum": "1", "bsmConfig": {"sampleMode": "Some"}}, 3),
        ("V2X/RSU/rsu-0042/CONFIG/DOWN", {"seqNum": "1", "fooConfig": {}}, 3),
        ("V2X/RSU/rsu-0042/MAP/DOWN", {"seqNum": "1"}, 3),
        ("V2X/RSU/rsu-0042/MNG/DOWN", {"seqNum": "1", "reboot": 1, "heartbeatRate": 5}, 3),
        ("V2X/RSU/rsu-0042/MNG/DOWN", {"seqNum": "1", "mode": "sleep"}, 3),
    ],
)
def test_cn_bad_downlinks_get_error_codes(
    tmp_path: Path, topic: str, body: object, code: int
) -> None:
    d = CnRsuDialect(make_config(tmp_path, "mqtt://127.0.0.1:1", dialect="cn-rsu"))
    reply, result = d.command(inbound(topic, json.dumps(body).encode()))
    assert isinstance(result, CommandError)
    ack = json.loads(d.ack(reply, result, 0.0).payload)
    assert ack["seqNum"] == "1"
    assert ack["errorCode"] == code
    assert ack["errorDesc"]


def test_cn_topics_for_records(tmp_path: Path) -> None:
    d = CnRsuDialect(make_config(tmp_path, "mqtt://127.0.0.1:1", dialect="cn-rsu", esn="ESN9"))
    assert d.topic("v2x/BSM") == "V2X/RSU/rsu-0042/BSM/UP"
    assert d.topic("v2x/SPAT") == "V2X/RSU/rsu-0042/SPAT/UP"
    assert "V2X/RSU/ESN9/MNG/DOWN" in d.subscriptions()
    assert all("#" not in t and "+" not in t for t in d.subscriptions())


@pytest.mark.parametrize(
    ("payload", "code", "text"),
    [
        (b"[" * 200_000 + b"]" * 200_000, "bad_json", "nested deeper than 32"),
        (b'{"a": "' + b"[" * 1000 + b'"}', None, ""),  # brackets inside a string do not count
        (b'{"x": ' + b"9" * 5000 + b"}", "bad_json", "digits"),
        (b'{"x": [1, {"y": NaN}]}', "bad_value", "cfg.x[1].y: expected a finite number"),
        (b'{"x": -Infinity}', "bad_value", "expected a finite number"),
    ],
)
def test_json_is_bounded_before_and_checked_after_parsing(
    payload: bytes, code: str | None, text: str
) -> None:
    if code is None:
        assert cmds.parse_json(payload, 10**7, "cfg")["a"].startswith("[")
        return
    with pytest.raises(CommandError) as err:
        cmds.parse_json(payload, 10**7, "cfg")
    assert err.value.code == code
    assert text in str(err.value)
