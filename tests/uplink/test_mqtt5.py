"""MQTT 5 at fleet scale, against a real mosquitto: response topic and correlation data,
retained birth beside the will, status that follows changes, message expiry on perishable
streams (stale ones dropped and counted, not sent), content types, shared subscriptions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from rsu.clock import FakeClock
from rsu.uplink.identity import REPLAY
from rsu.uplink.service import Uplink
from rsu.uplink.status import Birth, RsuStatus
from rsu.uplink.wire import decode_payload
from rsu.v2x.message import V2xMessage
from tests.conftest import Broker, wait_until
from tests.uplink.conftest import Collector, make_config
from tests.uplink.test_downlink import Daemon

V5 = {"protocol": "5"}


def test_acks_go_to_the_response_topic_with_the_correlation_data(
    tmp_path: Path, mosquitto: Broker, collect: Callable[..., Collector]
) -> None:
    up = Uplink(make_config(tmp_path, mosquitto.url, **V5), on_command=Daemon())
    up.start()
    try:
        assert wait_until(lambda: up.stats().connected)
        sub = collect(mosquitto.url, ["cloud/replies/#", "rsu/rsu-0042/cmd/ack"], v5=True)
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = "cloud/replies/op-7"
        props.CorrelationData = b"\x00corr-1"
        sub.publish("rsu/rsu-0042/cmd/config", b'{"heartbeat_s": 5}', properties=props)
        assert wait_until(lambda: bool(sub.on("cloud/replies/op-7")))
        assert sub.on("cloud/replies/op-7")[0]["code"] == "ok"
        (corr,) = [p.CorrelationData for t, p in sub.properties if t == "cloud/replies/op-7"]
        assert corr == b"\x00corr-1"
        bad = Properties(PacketTypes.PUBLISH)
        bad.ResponseTopic = "cloud/#"  # not a topic one may publish to: the default ACK topic
        sub.publish("rsu/rsu-0042/cmd/reboot", b"{}", properties=bad)
        assert wait_until(lambda: bool(sub.on("rsu/rsu-0042/cmd/ack")))
    finally:
        up.stop()


def test_birth_and_status_are_retained_and_the_status_follows_changes(
    tmp_path: Path, mosquitto: Broker, collect: Callable[..., Collector]
) -> None:
    birth = Birth("csae53", (31.2, 121.5), ("receive", "broadcast"), version="9.9")
    up = Uplink(make_config(tmp_path, mosquitto.url, **V5, heartbeat_s=3600.0), birth=birth)
    up.set_status(RsuStatus(mode="operate", radio={"backend": "sim", "state": "up"}))
    up.start()
    try:
        assert wait_until(lambda: up.stats().connected)
        late = collect(mosquitto.url, ["rsu/rsu-0042/status", "rsu/rsu-0042/birth"], v5=True)
        assert wait_until(lambda: bool(late.on("rsu/rsu-0042/birth")))
        got = late.on("rsu/rsu-0042/birth")[0]
        assert (got["message_set"], got["position"]["lat"]) == ("csae53", 31.2)
        assert got["software"]["version"] == "9.9"
        assert all(retained for _, _, retained in late.messages)
        status = late.on("rsu/rsu-0042/status")[-1]
        assert (status["mode"], status["radio"]["state"], status["mqtt"]["connected"]) == (
            "operate",
            "up",
            True,
        )
        assert "pending" in status["spool"]
        alarm = {"source": "gnss", "kind": "loss_of_fix", "severity": "warning"}
        up.set_status(RsuStatus(mode="standby", radio={"state": "up"}, alarms=(alarm,)))
        assert wait_until(lambda: late.on("rsu/rsu-0042/status")[-1]["mode"] == "standby")
        assert late.on("rsu/rsu-0042/status")[-1]["alarms"][0]["kind"] == "loss_of_fix"
    finally:
        up.stop()
    assert wait_until(lambda: late.on("rsu/rsu-0042/status")[-1]["state"] == "offline")
    last = late.on("rsu/rsu-0042/status")[-1]
    assert last["cause"] == "stopped"
    assert last["since"].endswith("Z")


def test_stale_perishable_records_are_dropped_and_counted_fresh_ones_carry_an_expiry(
    tmp_path: Path,
    broker_factory: Callable[..., Broker],
    collect: Callable[..., Collector],
    smallest: Callable[[str], V2xMessage],
) -> None:
    broker = broker_factory()
    clock = FakeClock(start=1_800_000_000.0)
    cfg = make_config(tmp_path, broker.url, **V5, expiry_s=1.0, batch_linger_ms=0.0)
    up = Uplink(cfg, clock=clock)
    up.start()  # broker down: records wait in the spool
    spat = smallest("SPAT")
    try:
        for _ in range(5):
            assert up.submit_message(spat)
        assert wait_until(lambda: up.stats().pending == 5)
        clock.advance(5.0)  # the outage outlasts the SPATs' expiry
        broker.start()
        sub = collect(broker.url, ["rsu/rsu-0042/#"], v5=True)
        assert up.wait_drained(15.0)
        assert up.submit_data("events", {"kind": "wrong_way"})
        assert wait_until(lambda: bool(sub.on("rsu/rsu-0042/events")))
        assert sub.records("rsu/rsu-0042/v2x/") == []  # no stale signal states
        assert up.stats().dropped["expired:v2x/SPAT"] == 5
        assert up.stats().expired == 5
        assert up.submit_message(spat)  # a fresh one goes out, with its expiry
        assert wait_until(lambda: len(sub.records("rsu/rsu-0042/v2x/SPAT")) == 1)
        props = [p for t, p in sub.properties if t == "rsu/rsu-0042/v2x/SPAT"]
        assert props[0].MessageExpiryInterval == 1
        events = [p for t, p in sub.properties if t == "rsu/rsu-0042/events"]
        assert not hasattr(events[0], "MessageExpiryInterval")  # events never expire
    finally:
        up.stop()


def test_a_replay_uploads_its_capture_whole_however_long_the_broker_was_away(
    tmp_path: Path,
    broker_factory: Callable[..., Broker],
    collect: Callable[..., Collector],
    smallest: Callable[[str], V2xMessage],
) -> None:
    broker = broker_factory(persistent=True).start()
    sub = collect(broker.url, ["rsu/rsu-0042/#"], persistent=True)  # kept across the restart
    broker.stop()
    clock = FakeClock(start=1_800_000_000.0)
    cfg = make_config(tmp_path, broker.url, **V5, expiry_s=1.0, batch_linger_ms=0.0)
    up = Uplink(cfg, clock=clock, role=REPLAY)
    up.start()  # broker down: records wait in the (replay's own) spool
    try:
        for _ in range(5):
            assert up.submit_message(smallest("SPAT"))
        assert wait_until(lambda: up.stats().pending == 5)
        clock.advance(5.0)  # what made the daemon's SPATs stale
        broker.start()
        assert up.wait_drained(15.0)
        assert wait_until(lambda: len(sub.records("rsu/rsu-0042/v2x/SPAT")) == 5)
        assert up.stats().expired == 0
    finally:
        up.stop()


def test_cbor_zlib_payloads_say_their_content_type(
    tmp_path: Path,
    mosquitto: Broker,
    collect: Callable[..., Collector],
    messages: list[V2xMessage],
) -> None:
    sub = collect(mosquitto.url, ["rsu/rsu-0042/v2x/#"], v5=True)
    cfg = make_config(
        tmp_path, mosquitto.url, **V5, encoding="cbor", compression="zlib", perishable=[]
    )
    up = Uplink(cfg)
    up.start()
    bsms = [m for m in messages if m.short_name == "BSM"][:20]
    try:
        assert all(up.submit_message(m) for m in bsms)
        assert up.wait_drained(10.0)
        assert wait_until(lambda: bool(sub.messages))
    finally:
        up.stop()
    records = []
    for (_, payload, _), (_, props) in zip(sub.messages, sub.properties, strict=True):
        assert props.ContentType == "application/cbor+zlib"
        body = decode_payload(payload, props.ContentType)
        records += body if isinstance(body, list) else [body]
    assert sorted(r["raw"] for r in records) == sorted(m.raw.hex() for m in bsms)


def test_a_shared_subscription_group_gets_each_record_once_and_no_stream_is_retained(
    tmp_path: Path,
    mosquitto: Broker,
    collect: Callable[..., Collector],
    messages: list[V2xMessage],
) -> None:
    group = [collect(mosquitto.url, ["$share/cloud/rsu/+/v2x/#"], v5=True) for _ in range(2)]
    up = Uplink(make_config(tmp_path, mosquitto.url, **V5, perishable=[], batch_max=5))
    up.start()
    try:
        for m in messages[:200]:
            assert up.submit_message(m)
        assert up.wait_drained(15.0)
        assert wait_until(lambda: sum(len(c.records()) for c in group) >= 200)
    finally:
        up.stop()
    ids = [r["id"] for c in group for r in c.records()]
    assert len(ids) == len(set(ids)) == 200
    assert all(len(c.records()) > 0 for c in group)  # the group shares the load
    assert not any(retained for c in group for _, _, retained in c.messages)
    assert json.loads(group[0].messages[0][1])  # plain JSON without a content type
