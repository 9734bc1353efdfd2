"""SDSM content from fused objects: J3224 member names and units, and the real codec."""

from __future__ import annotations

import pytest

from rsu.fusion.fuser import Fusion
from rsu.fusion.model import FusionConfig
from rsu.fusion.record import object_list_record
from rsu.fusion.sdsm import SdsmBuilder, SdsmSettings, position_confidence, sdsm_timestamp
from rsu.v2x.codec import Codec, get_codec
from tests.fusion.helpers import FRAME, picture, psm, radar_obj, track
from tests.v2x.vectors import load

REAL_SDSM = [v["value"]["value"] for v in load("j2735_real.jsonl") if v["messageId"] == 41]
UTC = 1_764_085_260.250  # 2025-11-25T15:41:00.250Z


@pytest.fixture(scope="module")
def codec() -> Codec:
    return get_codec("j2735")


def test_sdsm_uses_the_real_frames_member_names_and_wire_units() -> None:
    objects = picture().fuse(0.0)
    value = SdsmBuilder(SdsmSettings(FRAME, source_id="c0ffee01")).build(objects, UTC)
    assert value is not None
    real_top = set().union(*(set(v) for v in REAL_SDSM))
    assert set(value) <= real_top
    real_common = set().union(*(set(o["detObjCommon"]) for v in REAL_SDSM for o in v["objects"]))
    assert all(set(o["detObjCommon"]) <= real_common for o in value["objects"])
    assert value["refPos"] == {"lat": 423000000, "long": -837000000, "elevation": 2500}
    assert value["sDSMTimeStamp"] == sdsm_timestamp(UTC)
    assert value["sDSMTimeStamp"]["second"] == 250  # 00.250 s as ms
    assert value["sourceID"] == "c0ffee01"
    assert value["equipmentType"] == "rsu"
    by_type = {o["detObjCommon"]["objType"]: o for o in value["objects"]}
    car = by_type["vehicle"]["detObjCommon"]
    assert abs(car["pos"]["offsetX"] - 124) <= 2  # 0.1 m east
    assert abs(car["pos"]["offsetY"] + 455) <= 2  # 0.1 m north
    assert car["speed"] == pytest.approx(500, abs=5)  # 10 m/s in 0.02 m/s
    assert car["heading"] == pytest.approx(0, abs=80) or car["heading"] > 28700
    assert by_type["vehicle"]["detObjOptData"]["detVeh"]["size"] == {"width": 180, "length": 450}
    assert by_type["vru"]["detObjOptData"] == {"detVRU": {"basicType": "aPEDESTRIAN"}}
    assert by_type["vru"]["detObjCommon"]["heading"] == 90 * 80


def test_vehicle_with_its_own_bsm_is_not_re_announced() -> None:
    objects = picture().fuse(0.0)
    assert len(objects) == 3
    value = SdsmBuilder(SdsmSettings(FRAME)).build(objects, UTC)
    assert value is not None
    announced = {o["detObjCommon"]["objectID"] for o in value["objects"]}
    self_reported = {o.object_id for o in objects if o.self_reported}
    assert len(self_reported) == 1
    assert announced == {o.object_id for o in objects} - self_reported


def test_nothing_to_share_gives_no_sdsm_and_msgcnt_wraps() -> None:
    f = Fusion(FusionConfig(), FRAME)
    f.update_v2x(psm("11111111", 1.0, 1.0), 0.0)
    builder = SdsmBuilder(SdsmSettings(FRAME))
    assert builder.build(f.fuse(0.0), UTC) is None
    objects = picture().fuse(0.0)
    counts = [builder.build(objects, UTC)["msgCnt"] for _ in range(130)]  # type: ignore[index]
    assert counts[:2] == [0, 1]
    assert counts[127:] == [127, 0, 1]


def test_sdsm_content_encodes_and_decodes_with_the_codec(codec: Codec) -> None:
    value = SdsmBuilder(SdsmSettings(FRAME, source_id="c0ffee01")).build(picture().fuse(0.0), UTC)
    data = codec.encode_message("SensorDataSharingMessage", value)
    msg = codec.decode(data)
    assert msg.message_id == 41
    assert msg.message_type == "SensorDataSharingMessage"
    back = msg.value
    assert back["refPos"]["lat"] == 423000000
    assert len(back["objects"]) == len(value["objects"])  # type: ignore[index]
    for ours, theirs in zip(value["objects"], back["objects"], strict=True):  # type: ignore[index]
        assert theirs["detObjCommon"]["pos"] == ours["detObjCommon"]["pos"]
        assert theirs["detObjCommon"]["speed"] == ours["detObjCommon"]["speed"]


def test_objects_far_away_are_left_out_and_at_most_max_objects_are_sent(codec: Codec) -> None:
    f = Fusion(FusionConfig(), FRAME)
    f.update_camera("cam0", [track(i, float(i * 3), 0.0) for i in range(1, 40)], 0.0)
    f.update_radar("r0", [radar_obj(1, 5000.0, 0.0)], 0.0)
    value = SdsmBuilder(SdsmSettings(FRAME, max_objects=20)).build(f.fuse(0.0), UTC)
    assert value is not None
    assert len(value["objects"]) == 20
    codec.encode_message("SensorDataSharingMessage", value)


def test_position_confidence_classes() -> None:
    assert position_confidence(0.3) == "a50cm"
    assert position_confidence(1.0) == "a1m"
    assert position_confidence(7.0) == "a10m"
    assert position_confidence(900.0) == "unavailable"


def test_object_list_record_has_wgs84_positions_and_sources() -> None:
    objects = picture().fuse(0.0)
    rec = object_list_record(objects, FRAME, utc=UTC, seq=7, rsu_id="rsu-1")
    assert rec["time"] == "2025-11-25T15:41:00.250Z"
    assert rec["count"] == 3
    car = next(o for o in rec["objects"] if o["v2x_id"] == "0a0b0c0d")
    lat, lon, _ = FRAME.to_geodetic(car["x_m"], car["y_m"])
    assert car["lat"] == pytest.approx(lat, abs=1e-6)
    assert car["lon"] == pytest.approx(lon, abs=1e-6)
    assert car["self_reported"] is True
    assert car["sources"] == ["camera:cam0", "v2x:BSM"]
