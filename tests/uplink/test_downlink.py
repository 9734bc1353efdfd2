"""Downlink over a real broker: valid commands applied and ACKed, bad ones rejected with an
ACK; the cn-rsu topic tree (INFO, BaseINFO, HB, RunningInfo, per-type UP) and its ACK flow."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rsu.errors import CommandError
from rsu.uplink.commands import Command
from rsu.uplink.service import Uplink
from rsu.v2x.message import V2xMessage
from tests.conftest import Broker, wait_until
from tests.uplink.conftest import Collector, make_config

ACK = "rsu/rsu-0042/cmd/ack"


class Daemon:
    """Stands in for the daemon's side of ``on_command``: records, rejects standby."""

    def __init__(self) -> None:
        self.got: list[Command] = []

    def __call__(self, cmd: Command) -> None:
        if cmd.kind == "standby":
            raise CommandError("rejected", "standby not allowed while broadcasting")
        if cmd.kind == "operate":
            raise RuntimeError("a bug in the daemon's handler")
        self.got.append(cmd)


@pytest.fixture
def running(
    tmp_path: Path, mosquitto: Broker, request: pytest.FixtureRequest
) -> Iterator[tuple[Uplink, Daemon]]:
    daemon = Daemon()
    extra = getattr(request, "param", {})
    up = Uplink(
        make_config(tmp_path, mosquitto.url, max_command_bytes=2048, **extra), on_command=daemon
    )
    up.start()
    assert wait_until(lambda: up.stats().connected)
    yield up, daemon
    up.stop()


def send(sub: Collector, name: str, body: object) -> dict[str, object]:
    before = len(sub.on(ACK))
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sub.publish(f"rsu/rsu-0042/cmd/{name}", raw)
    assert wait_until(lambda: len(sub.on(ACK)) > before, timeout=5.0)
    ack: dict[str, object] = sub.on(ACK)[before]
    return ack


def test_config_command_changes_upload_policy(
    running: tuple[Uplink, Daemon],
    mosquitto: Broker,
    collect: Callable[..., Collector],
    messages: list[V2xMessage],
) -> None:
    up, daemon = running
    sub = collect(mosquitto.url, ["rsu/rsu-0042/#"])
    bsm = next(m for m in messages if m.short_name == "BSM")
    assert up.submit_message(bsm)
    ack = send(sub, "config", {"id": "c1", "policy": {"BSM": {"enabled": False}}})
    assert ack == {**ack, "id": "c1", "command": "config", "ok": True, "code": "ok"}
    assert not up.submit_message(bsm)
    assert up.stats().held == {"BSM:disabled": 1}
    assert daemon.got == []  # owned by the uplink: not handed on


def test_broadcast_and_reboot_go_to_the_daemon(
    running: tuple[Uplink, Daemon],
    mosquitto: Broker,
    collect: Callable[..., Collector],
    smallest: Callable[[str], V2xMessage],
) -> None:
    up, daemon = running
    sub = collect(mosquitto.url, ["rsu/rsu-0042/cmd/#"])
    map_hex = smallest("MAP").raw.hex()
    ack = send(
        sub, "broadcast", {"id": "b1", "message_type": "MAP", "hex": map_hex, "interval_ms": 1000}
    )
    assert ack["ok"] is True
    ack = send(sub, "reboot", {"id": "r1"})
    assert ack["ok"] is True
    assert [c.kind for c in daemon.got] == ["broadcast", "reboot"]
    assert daemon.got[0].broadcast is not None
    assert daemon.got[0].broadcast.data == bytes.fromhex(map_hex)
    assert daemon.got[0].broadcast.encoded == bytes.fromhex(map_hex)  # checked: decodes
    ack = send(sub, "standby", {"id": "s1"})
    assert (ack["ok"], ack["code"]) == (False, "rejected")
    assert up.stats().commands == {"ok": 2, "rejected": 1}


@pytest.mark.parametrize(
    ("name", "body", "code"),
    [
        ("config", b"{oops", "bad_json"),
        ("launch", {"id": "x"}, "unknown_command"),
        ("config", {"id": "x", "policy": {"BSM": {"sample": "many"}}}, "bad_value"),
        ("config", b'{"id": "x", "pad": "' + b"a" * 4000 + b'"}', "too_large"),
    ],
)
def test_bad_commands_get_an_error_ack_and_change_nothing(
    running: tuple[Uplink, Daemon],
    mosquitto: Broker,
    collect: Callable[..., Collector],
    name: str,
    body: object,
    code: str,
) -> None:
    up, daemon = running
    sub = collect(mosquitto.url, ["rsu/rsu-0042/cmd/#"])
    policy_before = up.gate.policy("BSM")
    ack = send(sub, name, body)
    assert (ack["ok"], ack["code"]) == (False, code)
    assert ack["error"]
    assert up.gate.policy("BSM") == policy_before
    assert daemon.got == []
    assert up.stats().connected  # and still alive: a second command works
    assert send(sub, "reboot", {"id": "after"})["ok"] is True


def test_a_failing_handler_gets_an_error_ack_and_the_uplink_carries_on(
    running: tuple[Uplink, Daemon], mosquitto: Broker, collect: Callable[..., Collector]
) -> None:
    sub = collect(mosquitto.url, ["rsu/rsu-0042/cmd/#"])
    ack = send(sub, "operate", {"id": "o1"})
    assert (ack["ok"], ack["code"]) == (False, "rejected")
    assert send(sub, "reboot", {"id": "r2"})["ok"] is True


def test_partial_config_is_never_applied(
    running: tuple[Uplink, Daemon],
    mosquitto: Broker,
    collect: Callable[..., Collector],
) -> None:
    up, _ = running
    sub = collect(mosquitto.url, ["rsu/rsu-0042/cmd/#"])
    body = {"id": "p", "policy": {"MAP": {"enabled": False}, "BSM": {"rate_limit": -5}}}
    assert send(sub, "config", body)["code"] == "bad_value"
    assert up.gate.policy("MAP").enabled


CN = {"dialect": "cn-rsu", "esn": "ESN-7", "heartbeat_s": 0.2, "running_info_s": 0.2}


def test_cn_rsu_topics_and_acks(
    tmp_path: Path,
    mosquitto: Broker,
    collect: Callable[..., Collector],
    messages: list[V2xMessage],
    smallest: Callable[[str], V2xMessage],
) -> None:
    sub = collect(mosquitto.url, ["V2X/#"])  # before the RSU connects: INFO/UP is sent then
    daemon = Daemon()
    up = Uplink(make_config(tmp_path, mosquitto.url, **CN), on_command=daemon)
    up.start()
    try:
        _cn_flow(up, daemon, sub, messages, smallest("MAP").raw.hex())
    finally:
        up.stop()


def _cn_flow(
    up: Uplink, daemon: Daemon, sub: Collector, messages: list[V2xMessage], map_hex: str
) -> None:
    bsm = next(m for m in messages if m.short_name == "BSM")
    spat = next(m for m in messages if m.short_name == "SPAT")
    assert up.submit_message(bsm)
    assert up.submit_message(spat)
    assert wait_until(
        lambda: (
            sub.on("V2X/RSU/rsu-0042/SPAT/UP")
            and sub.on("V2X/RSU/HB/UP")
            and sub.on("V2X/RSU/RunningInfo/UP")
            and sub.on("V2X/RSU/rsu-0042/BSM/UP")
        )
    )
    hb = sub.on("V2X/RSU/HB/UP")[0]
    assert (hb["rsuId"], hb["rsuEsn"]) == ("rsu-0042", "ESN-7")
    assert "mem" in sub.on("V2X/RSU/RunningInfo/UP")[0]
    assert sub.on("V2X/RSU/rsu-0042/SPAT/UP")[0]["raw"] == spat.raw.hex()

    # downlinks, each ACKed on <topic>/ACK with the request's seqNum
    for topic, body, code in [
        ("V2X/RSU/rsu-0042/CONFIG/DOWN", {"seqNum": "11", "bsmConfig": {"sampleRate": 10}}, 0),
        ("V2X/RSU/ESN-7/MNG/DOWN", {"seqNum": "12", "reboot": 1}, 0),
        ("V2X/RSU/rsu-0042/MAP/DOWN", {"seqNum": "13", "hex": map_hex}, 0),
        ("V2X/RSU/rsu-0042/RSI/DOWN", b'{"seqNum": "14", ', 1),
        ("V2X/RSU/rsu-0042/CONFIG/DOWN", {"seqNum": "15", "bsmConfig": {"upLimit": -1}}, 3),
    ]:
        before = len(sub.on(f"{topic}/ACK"))
        sub.publish(topic, body if isinstance(body, bytes) else json.dumps(body))
        assert wait_until(lambda t=topic, n=before: len(sub.on(f"{t}/ACK")) > n, timeout=5.0)
        ack = sub.on(f"{topic}/ACK")[-1]
        assert ack["errorCode"] == code, ack
        if code == 1:
            assert ack["seqNum"] is None
        else:
            assert ack["seqNum"] == body["seqNum"]  # type: ignore[index]
    assert up.gate.policy("BSM").sample == 10
    assert [c.kind for c in daemon.got] == ["reboot", "broadcast"]
    assert sub.on("V2X/RSU/INFO/UP")[0]["rsuEsn"] == "ESN-7"
    assert sub.on("V2X/RSU/BaseINFO/UP")


def test_status_is_retained_online_with_health_and_offline_after_stop(
    tmp_path: Path, mosquitto: Broker, collect: Callable[..., Collector]
) -> None:
    up = Uplink(make_config(tmp_path, mosquitto.url, heartbeat_s=0.2))
    up.set_health({"radio": "ok"})
    up.start()
    try:
        assert wait_until(lambda: up.stats().connected)
        late = collect(mosquitto.url, ["rsu/rsu-0042/status"])  # after the birth: retained
        assert wait_until(lambda: bool(late.on("rsu/rsu-0042/status")))
        first = late.on("rsu/rsu-0042/status")[0]
        assert first["state"] == "online"
        assert first["health"]["radio"] == "ok"
        assert late.messages[0][2] is True  # delivered as a retained message
        up.set_health({"radio": "degraded"})
        assert wait_until(
            lambda: late.on("rsu/rsu-0042/status")[-1]["health"].get("radio") == "degraded"
        )
    finally:
        up.stop()
    assert wait_until(lambda: late.on("rsu/rsu-0042/status")[-1]["state"] == "offline")
