"""Fusion of camera tracks, radar objects and V2X senders into one object list."""

from __future__ import annotations

import pytest

from rsu.config.fields import Table
from rsu.errors import ConfigError
from rsu.fusion.fuser import Fusion
from rsu.fusion.model import FusionConfig
from rsu.v2x.message import V2xMessage
from tests.fusion.helpers import FRAME, bsm, psm, radar_obj, track


def make() -> Fusion:
    return Fusion(FusionConfig(), FRAME)


def test_camera_and_radar_seeing_one_car_give_one_object_with_both_sources() -> None:
    f = make()
    f.update_camera("cam0", [track(7, 10.0, 20.0, 0.0, 10.0)], 0.0)
    f.update_radar("r0", [radar_obj(3, 10.8, 20.5, 0.0, 10.2)], 0.0)
    (obj,) = f.fuse(0.0)
    assert obj.sources == ("camera:cam0", "radar:r0")
    assert set(obj.source_ids) == {"cam0#7", "r0#3"}
    assert 10.0 < obj.x_m < 10.8
    assert obj.pos_sigma_m < 0.4  # better than either input alone
    assert obj.confidence == pytest.approx(1 - 0.2 * 0.01)
    assert obj.speed_mps == pytest.approx(10.1, abs=0.15)
    assert obj.heading_deg == pytest.approx(0.0, abs=1.0)
    assert obj.label == "car"
    assert not obj.self_reported


def test_inputs_are_predicted_to_now_before_association() -> None:
    f = make()
    f.update_camera("cam0", [track(1, 0.0, 0.0, 0.0, 15.0, t=1.0)], 1.0)
    f.update_radar("r0", [radar_obj(9, 0.0, 3.0, 0.0, 15.0, t=1.2)], 1.2)
    (obj,) = f.fuse(1.2)  # camera at 1.0 -> predicted 3 m north at 1.2
    assert obj.y_m == pytest.approx(3.0, abs=0.1)


def test_vehicle_broadcasting_its_bsm_is_marked_and_pedestrian_is_not() -> None:
    f = make()
    f.update_camera(
        "cam0", [track(1, 5.0, 30.0, label="car"), track(2, -4.0, 2.0, label="person")], 0.0
    )
    f.update_v2x(bsm("0a0b0c0d", 5.6, 29.2), 0.0)
    objs = {o.label: o for o in f.fuse(0.0)}
    assert set(objs) == {"car", "person"}
    car = objs["car"]
    assert car.self_reported
    assert car.v2x_id == "0a0b0c0d"
    assert "v2x:BSM" in car.sources
    assert car.length_m == pytest.approx(4.8)
    assert not objs["person"].self_reported


def test_v2x_sender_that_no_sensor_sees_is_its_own_self_reported_object() -> None:
    f = make()
    f.update_v2x(psm("11223344", 12.0, -8.0, speed=1.5, heading=90.0), 5.0)
    (obj,) = f.fuse(5.0)
    assert obj.sources == ("v2x:PSM",)
    assert obj.self_reported
    assert obj.label == "person"
    assert obj.kind == "vru"
    assert obj.x_m == pytest.approx(12.0, abs=0.05)
    assert obj.heading_deg == pytest.approx(90.0, abs=0.1)
    assert obj.pos_sigma_m == pytest.approx(2.0)  # semiMajor 40 * 0.05 m


def test_senders_are_forgotten_after_v2x_max_age_and_stale_sensors_ignored() -> None:
    f = make()
    f.update_v2x(bsm("01020304", 0.0, 10.0), 0.0)
    f.update_camera("cam0", [track(1, 30.0, 30.0)], 0.0)
    assert len(f.fuse(0.4)) == 2
    assert [o.sources for o in f.fuse(0.8)] == [("v2x:BSM",)]  # camera older than 0.5 s
    assert f.fuse(1.5) == ()


def test_fused_ids_survive_a_camera_track_id_change_while_radar_continues() -> None:
    f = make()
    f.update_camera("cam0", [track(1, 0.0, 0.0)], 0.0)
    f.update_radar("r0", [radar_obj(5, 0.2, 0.0)], 0.0)
    (first,) = f.fuse(0.0)
    f.update_camera("cam0", [track(2, 0.0, 0.1)], 0.1)  # camera lost and re-found it
    f.update_radar("r0", [radar_obj(5, 0.2, 0.1)], 0.1)
    (second,) = f.fuse(0.1)
    assert second.object_id == first.object_id
    f.update_camera("cam0", [track(2, 0.0, 0.2)], 0.2)
    f.update_radar("r0", [radar_obj(6, 0.2, 0.2)], 0.2)  # now radar renumbers
    (third,) = f.fuse(0.2)
    assert third.object_id == first.object_id


def test_person_next_to_a_car_is_not_merged_into_it() -> None:
    f = make()
    f.update_camera("cam0", [track(1, 0.0, 0.0, label="person")], 0.0)
    f.update_radar("r0", [radar_obj(1, 0.5, 0.0, label="car")], 0.0)
    assert {o.label for o in f.fuse(0.0)} == {"person", "car"}


def test_two_objects_of_one_source_never_merge() -> None:
    f = make()
    f.update_camera("cam0", [track(1, 0.0, 0.0), track(2, 1.0, 0.0)], 0.0)
    assert len(f.fuse(0.0)) == 2


def test_radar_ghosts_below_min_existence_are_left_out() -> None:
    f = make()
    f.update_radar("r0", [radar_obj(1, 0, 0, exist=0.25), radar_obj(2, 9, 9, exist=0.9)], 0.0)
    assert [o.source_ids for o in f.fuse(0.0)] == [("r0#2",)]


def test_other_messages_and_far_senders_are_counted_not_fused() -> None:
    f = make()
    spat = V2xMessage("j2735", "SPAT", 19, {"intersections": []}, b"")
    assert f.update_v2x(spat, 0.0) is None
    assert f.update_v2x(bsm("0000aaaa", 5000.0, 0.0), 0.0) is None
    no_pos = bsm("0000bbbb", 0.0, 0.0)
    no_pos.value["coreData"]["lat"] = 900000001
    assert f.update_v2x(no_pos, 0.0) is None
    assert f.counters["v2x_ignored"] == 2
    assert f.counters["v2x_far"] == 1
    assert f.fuse(0.0) == ()


def test_sender_table_is_bounded() -> None:
    f = Fusion(FusionConfig(max_v2x_senders=3), FRAME)
    for i in range(5):
        f.update_v2x(bsm(f"0000000{i}", float(i * 10), 0.0), 0.0)
    assert f.counters["v2x_dropped"] == 2
    assert sorted(o.v2x_id or "" for o in f.fuse(0.0)) == ["00000002", "00000003", "00000004"]


def test_fusion_config_from_table() -> None:
    cfg = FusionConfig.from_table(Table({"gate_m": 2.5, "source_id": "C0FFEE01"}, "fusion"))
    assert cfg.gate_m == 2.5
    assert cfg.source_id == "c0ffee01"
    with pytest.raises(ConfigError, match=r"fusion\.source_id"):
        FusionConfig.from_table(Table({"source_id": "0102030405"}, "fusion"))
    with pytest.raises(ConfigError, match=r"fusion\.gate$|fusion\.gate:"):
        FusionConfig.from_table(Table({"gate": 2}, "fusion"))
