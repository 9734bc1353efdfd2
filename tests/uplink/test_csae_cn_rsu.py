"""End to end: real CSAE 53 frames, wrapped as a radio hands them over (WSMP + IEEE 1609.2
unsecured), through framing and the CSAE codec into the uplink with the cn-rsu dialect, to a
real mosquitto: topics, units, the JER and the standard in every record."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rsu.uplink.service import Uplink
from rsu.v2x.codec import get_codec
from tests.conftest import Broker, wait_until
from tests.uplink.conftest import Collector, make_config
from tests.v2x.vectors import load

CSAE = load("csae53_real.jsonl")


def _len(n: int) -> bytes:
    """A one- or two-octet length (COER / 1609.3 style) for the short frames used here."""
    return bytes([n]) if n < 128 else bytes([0x81, n])


def radio_bytes(frame: bytes, psid: int = 0x20) -> bytes:
    """WSMP v3 header (PSID 0x20 in one octet) around 1609.2 unsecuredData around the frame."""
    dot2 = b"\x03\x80" + _len(len(frame)) + frame
    assert len(dot2) < 128
    return bytes([0x03, 0x00, psid]) + _len(len(dot2)) + dot2


def test_csae_bsm_and_rsm_reach_the_cn_rsu_topics_with_cn_units_and_jer(
    tmp_path: Path, mosquitto: Broker, collect: Callable[..., Collector]
) -> None:
    codec = get_codec("csae53")
    vectors = [v for v in CSAE if next(iter(v["value"])) in ("bsmFrame", "rsmFrame")]
    wrapped = [radio_bytes(bytes.fromhex(v["hex"])) for v in vectors if len(v["hex"]) < 230]
    messages = [codec.decode(data) for data in wrapped]
    assert {m.short_name for m in messages} == {"BSM", "RSM"}
    assert all(m.envelope.kind == "unsecured" for m in messages)
    sub = collect(mosquitto.url, ["V2X/RSU/#"])
    cfg = make_config(  # fixed receive times in the past: nothing may expire here
        tmp_path, mosquitto.url, dialect="cn-rsu", esn="ESN-7", perishable=[]
    )
    up = Uplink(cfg)
    up.start()
    try:
        for msg in messages:
            assert up.submit_message(msg, received_at=1_764_085_283.25)
        assert wait_until(lambda: len(sub.records("V2X/RSU/rsu-0042/")) >= len(messages))
    finally:
        up.stop(drain_timeout=2.0)
    bsms = sub.records("V2X/RSU/rsu-0042/BSM/UP")
    rsms = sub.records("V2X/RSU/rsu-0042/RSM/UP")
    assert len(bsms) + len(rsms) == len(messages)
    assert bsms
    assert rsms
    for record in bsms + rsms:
        assert record["standard"] == "csae53"
        assert record["rsuId"] == "rsu-0042"
        assert record["timestamp"] == 1_764_085_283_250
        assert record["security"]["kind"] == "unsecured"
    bsm = bsms[0]
    ref = next(v["value"]["bsmFrame"] for v in vectors if v["value"].get("bsmFrame"))
    assert bsm["msgType"] == "BSM"
    assert bsm["frame"] == "bsmFrame"
    assert set(bsm["decoded"]) == {"bsmFrame"}  # the JER of the CSAE CHOICE
    assert bsm["decoded"]["bsmFrame"]["pos"] == ref["pos"]
    content = bsm["content"]
    assert content["pos"] == {"lat": ref["pos"]["lat"], "lon": ref["pos"]["long"], "ele": 375}
    assert content["heading"] == ref["heading"]  # 0.0125 degree
    assert content["speed"] == ref["speed"]  # 0.02 m/s
    (p,) = rsms[0]["content"]["participants"]
    assert p["pos"] == {"lat": 297241937, "lon": 1074134465}  # 1e-7 degree, absolute
    assert p["ptcType"] == 2
    assert rsms[0]["decoded"]["rsmFrame"]["participants"][0]["ptcType"] == "non-motor"


def test_default_dialect_records_carry_the_standard_but_no_cn_view(
    tmp_path: Path, mosquitto: Broker, collect: Callable[..., Collector]
) -> None:
    codec = get_codec("csae53")
    bsm = next(v for v in CSAE if "bsmFrame" in v["value"])
    msg = codec.decode(bytes.fromhex(bsm["hex"]))
    sub = collect(mosquitto.url, ["rsu/#"])
    up = Uplink(make_config(tmp_path, mosquitto.url))
    up.start()
    try:
        assert up.submit_message(msg)
        assert wait_until(lambda: len(sub.records("rsu/rsu-0042/v2x/")) >= 1)
    finally:
        up.stop(drain_timeout=2.0)
    (record,) = sub.records("rsu/rsu-0042/v2x/BSM")
    assert record["standard"] == "csae53"
    assert "content" not in record
    assert "bsmFrame" in record["decoded"]
