"""RSM (CSAE 53 RoadsideSafetyMessage) from fused objects: member names of the real and
generated rsmFrame references, wire units, and the real CSAE codec."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rsu.errors import ConfigError
from rsu.fusion.fuser import Fusion
from rsu.fusion.model import FusedObject, FusionConfig
from rsu.fusion.rsm import (
    RsmBuilder,
    RsmSettings,
    position_offset,
    rsu_id_octets,
    sec_mark,
    source_type,
)
from rsu.geo import LocalFrame
from rsu.v2x.codec import Codec, get_codec
from rsu.v2x.message import V2xMessage
from tests.fusion import helpers
from tests.fusion.helpers import FRAME, psm, radar_obj, track
from tests.v2x.vectors import load

REFERENCE_RSM = [
    v["value"]["rsmFrame"]
    for name in ("csae53_real.jsonl", "csae53_generated.jsonl")
    for v in load(name)
    if "rsmFrame" in v["value"]
]
UTC = 1_764_085_283.250  # 2025-11-25T15:41:23.250Z


@pytest.fixture(scope="module")
def codec() -> Codec:
    return get_codec("csae53")


def picture() -> Fusion:
    return helpers.picture([track(4, 8.0, 8.0, 0.0, 3.0, label="bicycle")])


def build(objects: object = None) -> dict:  # type: ignore[type-arg]
    settings = RsmSettings(FRAME, rsu_id=rsu_id_octets("12345"))
    value = RsmBuilder(settings).build(picture().fuse(0.0) if objects is None else objects, UTC)  # type: ignore[arg-type]
    assert value is not None
    return value


def test_rsm_uses_the_reference_member_names() -> None:
    value = build()
    top = set().union(*(set(v) for v in REFERENCE_RSM))
    assert set(value) <= top
    members = set().union(*(set(p) for v in REFERENCE_RSM for p in v["participants"]))
    for p in value["participants"]:
        assert set(p) <= members
        assert {"ptcType", "ptcId", "source", "secMark", "pos", "posConfidence"} <= set(p)
        assert {"speed", "heading", "size"} <= set(p)
    choices = {next(iter(p["pos"]["offsetLL"])) for v in REFERENCE_RSM for p in v["participants"]}
    assert {next(iter(p["pos"]["offsetLL"])) for p in value["participants"]} <= choices


def test_rsm_wire_units_and_types() -> None:
    value = build()
    assert value["id"] == "3132333435000000"  # "12345" padded, as the real frame's RSU id
    assert value["refPos"] == {"lat": 423000000, "long": -837000000, "elevation": 2500}
    assert value["msgCnt"] == 0  # stamped by the broadcast scheduler
    by_type = {p["ptcType"]: p for p in value["participants"]}
    assert set(by_type) == {"motor", "pedestrian", "non-motor"}
    car = by_type["motor"]
    lat, lon, _ = FRAME.to_geodetic(12.4, -45.55)
    off = car["pos"]["offsetLL"]["position-LL2"]  # 45.6 m north = ~4100e-7 degree: 14 bits
    assert off["lat"] == pytest.approx(round(lat * 1e7) - 423000000, abs=20)
    assert off["lon"] == pytest.approx(round(lon * 1e7) + 837000000, abs=20)
    assert car["speed"] == pytest.approx(500, abs=5)  # 10 m/s in 0.02 m/s
    assert car["heading"] < 80 or car["heading"] > 28720  # north, 0.0125 degree
    assert car["source"] == "integrated"  # camera + radar
    assert car["size"] == {"width": 180, "length": 450}
    assert car["vehicleClass"] == {"classification": 10}
    assert car["secMark"] == 23250  # ms within the minute
    walker = by_type["pedestrian"]
    assert walker["source"] == "video"
    assert walker["heading"] == 90 * 80
    assert walker["size"] == {"width": 0, "length": 0}  # not measured
    assert "id" not in walker


def test_vehicle_with_its_own_bsm_is_not_re_announced() -> None:
    objects = picture().fuse(0.0)
    value = build(objects)
    self_reported = {o.object_id for o in objects if o.self_reported}
    assert len(self_reported) == 1
    announced = {p["ptcId"] for p in value["participants"]}
    assert announced == {o.object_id for o in objects} - self_reported


def test_nothing_to_announce_gives_no_rsm() -> None:
    f = Fusion(FusionConfig(), FRAME)
    f.update_v2x(psm("11111111", 1.0, 1.0), 0.0)
    assert RsmBuilder(RsmSettings(FRAME)).build(f.fuse(0.0), UTC) is None


def test_rsm_encodes_and_decodes_with_the_csae_codec(codec: Codec) -> None:
    value = build()
    data = codec.encode({"rsmFrame": value})
    msg = codec.decode(data)
    assert msg.standard == "csae53"
    assert msg.short_name == "RSM"
    assert msg.frame_choice == "rsmFrame"
    assert msg.value["participants"] == value["participants"]


def test_at_most_16_participants_and_far_objects_use_wider_offsets(codec: Codec) -> None:
    f = Fusion(FusionConfig(), FRAME)
    f.update_camera("cam0", [track(i, float(i * 3), 0.0) for i in range(1, 30)], 0.0)
    f.update_radar("r0", [radar_obj(1, 0.0, 2900.0)], 0.0)
    builder = RsmBuilder(RsmSettings(FRAME))
    value = builder.build(f.fuse(0.0), UTC)
    assert value is not None
    assert len(value["participants"]) == 16
    assert builder.left_out == 30 - 16
    codec.encode({"rsmFrame": value})
    far = RsmBuilder(RsmSettings(FRAME, max_participants=1))
    f2 = Fusion(FusionConfig(), FRAME)
    f2.update_radar("r0", [radar_obj(1, 0.0, 2900.0)], 0.0)
    v2 = far.build(f2.fuse(0.0), UTC)
    assert v2 is not None
    assert "position-LL5" in v2["participants"][0]["pos"]["offsetLL"]  # ~2.9 km north
    assert v2["participants"][0]["source"] == "microwaveRadar"
    codec.encode({"rsmFrame": v2})


def test_position_offset_picks_the_smallest_choice() -> None:
    assert position_offset(2047, -2048 + 1, 0, 0) == {
        "offsetLL": {"position-LL1": {"lon": -2047, "lat": 2047}}
    }
    assert "position-LL2" in position_offset(2048, 0, 0, 0)["offsetLL"]
    assert "position-LL6" in position_offset(8388607, 0, 0, 0)["offsetLL"]
    absolute = position_offset(8388608, 0, 399000000, 1160000000)["offsetLL"]
    assert absolute == {"position-LatLon": {"lon": 1160000000, "lat": 399000000}}


def test_ids_sources_and_sec_mark() -> None:
    assert rsu_id_octets("00112233aabbccdd") == "00112233aabbccdd"
    assert rsu_id_octets("R328328") == "5233323833323800"
    long = rsu_id_octets("a-very-long-rsu-name")
    assert len(long) == 16
    assert long == rsu_id_octets("a-very-long-rsu-name")
    with pytest.raises(ConfigError):
        rsu_id_octets("")
    assert source_type(["radar:north"]) == "microwaveRadar"
    assert source_type(["v2x:BSM"]) == "v2x"
    assert source_type(["camera:c", "camera:d"]) == "video"
    assert sec_mark(60.0) == 0
    assert sec_mark(119.9994) == 59999


def test_a_csae_bsm_sender_is_fused_and_not_re_announced() -> None:
    real = next(v for v in load("csae53_real.jsonl") if "bsmFrame" in v["value"])
    msg = get_codec("csae53").decode(bytes.fromhex(real["hex"]))
    frame = LocalFrame(39.9764, 116.3509, 37.0)  # a few metres from the real BSM's sender
    pos = msg.value["pos"]
    x, y, _ = frame.to_enu(pos["lat"] / 1e7, pos["long"] / 1e7)
    f = Fusion(FusionConfig(), frame)
    f.update_camera("cam0", [track(1, x + 0.5, y, label="car"), track(2, x + 30, y)], 0.0)
    sender = f.update_v2x(msg, 0.0)
    assert sender is not None
    assert sender.v2x_id == real["value"]["bsmFrame"]["id"]
    objects = f.fuse(0.0)
    assert [o.self_reported for o in objects].count(True) == 1
    value = RsmBuilder(RsmSettings(frame)).build(objects, UTC)
    assert value is not None
    assert len(value["participants"]) == 1  # only the car that does not send its own BSM
    accurate = {**msg.value, "posAccuracy": {"semiMajor": 20, "semiMinor": 20, "orientation": 0}}
    m2 = V2xMessage("csae53", "BasicSafetyMessage", None, accurate, b"", frame_choice="bsmFrame")
    s2 = Fusion(FusionConfig(), frame).update_v2x(m2, 0.0)
    assert s2 is not None
    assert s2.sigma_m == pytest.approx(1.0)  # CSAE posAccuracy.semiMajor in 0.05 m


SOURCES = ["camera:c", "radar:r", "v2x:BSM", "lidar:x"]
_OBJECT = st.builds(
    FusedObject,
    object_id=st.integers(0, 70000),
    time=st.just(0.0),
    x_m=st.floats(-200_000, 200_000),
    y_m=st.floats(-200_000, 200_000),
    vx_mps=st.just(0.0),
    vy_mps=st.just(0.0),
    speed_mps=st.floats(0, 500),
    heading_deg=st.none() | st.floats(-1000, 1000),
    label=st.sampled_from(["car", "bus", "person", "bicycle", "unknown", "truck"]),
    kind=st.sampled_from(["vehicle", "vru", "unknown"]),
    moving=st.booleans(),
    confidence=st.floats(0, 1),
    pos_sigma_m=st.floats(0, 2000),
    sources=st.lists(st.sampled_from(SOURCES), max_size=3).map(tuple),
    source_ids=st.just(()),
    v2x_id=st.none() | st.sampled_from(["0a0b0c0d", "00112233aabbccdd"]),
    length_m=st.none() | st.floats(0, 100),
    width_m=st.none() | st.floats(0, 30),
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(_OBJECT, max_size=20))
def test_any_object_list_gives_an_encodable_rsm(objects: list[FusedObject]) -> None:
    value = RsmBuilder(RsmSettings(FRAME, max_participants=16)).build(objects, UTC)
    if value is None:
        assert not objects
        return
    get_codec("csae53").encode({"rsmFrame": value})
