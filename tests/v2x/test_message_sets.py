"""Message sets as plug-ins: the registry, each set's table against its ASN.1, its frame shape
and restamping, and the sender report of a real BSM of each set."""

from __future__ import annotations

import pytest

from rsu.errors import UnknownStandardError
from rsu.registry import DEFAULT_MESSAGE_SET, message_set, message_set_names, message_sets
from rsu.v2x.codec import get_codec
from rsu.v2x.names import short_name, short_names
from tests.v2x.vectors import load


def test_the_registry_names_each_set_once_and_refuses_others() -> None:
    assert message_set_names() == ("j2735", "csae53")
    assert DEFAULT_MESSAGE_SET in message_set_names()
    assert message_set("csae53") is message_set("csae53")  # one instance per set
    assert [ms.name for ms in message_sets()] == list(message_set_names())
    with pytest.raises(UnknownStandardError, match=r"unknown standard 'etsi' \(known: csae53"):
        message_set("etsi")


@pytest.mark.parametrize("name", message_set_names())
def test_the_table_matches_the_asn1(name: str) -> None:
    ms, codec = message_set(name), get_codec(name)
    if ms.standard.frame_style == "id-value":
        for message_id, type_ref in codec.message_ids.items():
            assert ms.by_key[message_id].type_name == type_ref.rsplit(".", 1)[-1]
    else:
        assert {m.key for m in ms.messages} == set(codec._alternatives)
    assert {m.type_name for m in ms.messages} >= set(codec.message_types())


@pytest.mark.parametrize("name", message_set_names())
def test_a_frame_made_by_the_set_is_owned_by_it_alone(name: str) -> None:
    ms = message_set(name)
    frame = ms.make_frame("MAP", {"msgCnt": 1})
    assert frame is not None
    assert ms.owns(frame)
    assert ms.frame_type(frame) == "MAP"
    assert [other.name for other in message_sets() if other.owns(frame)] == [name]
    assert ms.make_frame("NOPE", {}) is None


def test_each_set_restamps_its_own_counters() -> None:
    j2735, csae = message_set("j2735"), message_set("csae53")
    tim = j2735.make_frame("TIM", {"msgCnt": 0, "timeStamp": 0})
    assert tim is not None
    j2735.restamp(tim, 130, 1_704_067_200.0 + 120)
    assert tim["value"] == {"msgCnt": 2, "timeStamp": 2}
    cn_map = csae.make_frame("MAP", {"msgCnt": 0, "timeStamp": 0})
    assert cn_map is not None
    csae.restamp(cn_map, 5, 1_704_067_200.0 + 60)
    assert cn_map["mapFrame"] == {"msgCnt": 5, "timeStamp": 1}


def test_short_names_come_from_every_set() -> None:
    assert short_name("RoadSideInformation") == "RSI"
    assert short_name("SensorDataSharingMessage") == "SDSM"
    assert short_name("NoSuchMessage") == "NoSuchMessage"
    assert {"RSI", "SDSM", "BSM", "MAP"} <= short_names()


@pytest.mark.parametrize(
    ("name", "vectors"), [("j2735", "j2735_real.jsonl"), ("csae53", "csae53_real.jsonl")]
)
def test_the_sender_report_of_a_real_bsm(name: str, vectors: str) -> None:
    codec = get_codec(name)
    for vector in load(vectors):
        msg = codec.decode(bytes.fromhex(vector["hex"]))
        if msg.message_type == "BasicSafetyMessage":
            break
    else:
        pytest.fail(f"no BSM in {vectors}")
    report = message_set(name).sender_report(msg)
    assert report is not None
    assert report.kind == "vehicle"
    assert isinstance(report.sender_id, str)
    assert report.latitude is not None
    assert -90 <= report.latitude <= 90
    assert report.longitude is not None
    assert -180 <= report.longitude <= 180
    assert report.msg_cnt is not None
    assert 0 <= report.msg_cnt <= 127
    map_msg = next(
        codec.decode(bytes.fromhex(v["hex"]))
        for v in load(vectors)
        if codec.decode(bytes.fromhex(v["hex"])).message_type == "MapData"
    )
    assert message_set(name).sender_report(map_msg) is None
