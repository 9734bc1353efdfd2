"""ARS408-style radar: DBC round trips over python-can's virtual bus, pose -> ENU, bad input."""

from __future__ import annotations

import itertools
import math

import can
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from rsu.clock import FakeClock
from rsu.config.fields import Table
from rsu.errors import BackendError, ConfigError
from rsu.geo import LocalFrame
from rsu.sensors.can_bus import CanBusSource
from rsu.sensors.config import MountPose, RadarConfig, radars_from_table
from rsu.sensors.encode import RadarTarget, encode_scan
from rsu.sensors.radar import CanFrame, RadarDecoder, load_dbc, rms_index_to_m
from rsu.sensors.sim import SimRadarSource
from rsu.sensors.sources import open_source, pump
from tests.conftest import narrow

_channels = itertools.count()

TARGETS = [
    RadarTarget(3, 42.4, -3.0, -12.5, 0.75, dyn_prop=2, label="car", prob_exist=6),
    RadarTarget(17, 120.2, 6.2, 8.0, -0.25, dyn_prop=0, label="truck", length_m=12.0),
    RadarTarget(200, 15.0, 0.0, 0.0, 0.0, dyn_prop=1, label="person", orientation_deg=30.0),
]


@pytest.fixture
def channel() -> str:
    return f"rsu-radar-test-{next(_channels)}"


def virtual_bus(channel: str) -> can.BusABC:
    return can.Bus(interface="virtual", channel=channel, ignore_config=True)


def send_all(bus: can.BusABC, frames: list[CanFrame]) -> None:
    for f in frames:
        bus.send(
            can.Message(
                arbitration_id=f.arbitration_id,
                data=f.data,
                is_extended_id=f.is_extended_id,
                is_error_frame=f.is_error_frame,
            )
        )


def receive_scans(config: RadarConfig, n_frames: int, frame: LocalFrame | None = None) -> list:
    clock = FakeClock()
    source = open_source(config, clock)
    decoder = RadarDecoder(config, frame)
    try:
        scans = pump(source, decoder, clock, max_frames=n_frames, timeout=0.5)
    finally:
        source.close()
    return scans + decoder.flush()


def test_scan_round_trips_through_the_virtual_bus(channel: str) -> None:
    config = RadarConfig(backend="can", interface="virtual", channel=channel)
    db = load_dbc()
    frames = encode_scan(db, TARGETS, counter=4321)
    with virtual_bus(channel) as tx:
        rx = open_source(config, FakeClock())
        send_all(tx, frames)
        decoder = RadarDecoder(config)
        scans = pump(rx, decoder, FakeClock(), max_frames=len(frames), timeout=0.5)
        rx.close()
    assert len(scans) == 1
    scan = scans[0]
    assert scan.complete
    assert scan.meas_counter == 4321
    by_id = {o.object_id: o for o in scan.objects}
    assert set(by_id) == {3, 17, 200}
    car = by_id[3]
    # yaw 0: boresight north, left = west
    assert car.dist_long_m == pytest.approx(42.4, abs=0.1)
    assert car.dist_lat_m == pytest.approx(-3.0, abs=0.1)
    assert (car.x_m, car.y_m) == (pytest.approx(3.0, abs=0.1), pytest.approx(42.4, abs=0.1))
    assert car.vy_mps == pytest.approx(-12.5)
    assert car.vx_mps == pytest.approx(-0.75)
    assert car.dyn_prop == "oncoming"
    assert car.label == "car"
    assert car.prob_exist == 0.999
    assert car.sigma_m == pytest.approx(rms_index_to_m(10))
    assert by_id[17].label == "truck"
    assert by_id[17].length_m == pytest.approx(12.0)
    ped = by_id[200]
    assert ped.label == "person"
    assert ped.dyn_prop == "stationary"
    assert ped.heading_deg == pytest.approx(330.0, abs=0.5)  # 30 deg left of north


def test_mounting_pose_rotates_and_offsets_into_enu() -> None:
    pose = MountPose(east_m=10.0, north_m=-5.0, yaw_deg=90.0)  # looking east
    config = RadarConfig(pose=pose)
    decoder = RadarDecoder(config)
    frames = encode_scan(decoder.db, [RadarTarget(1, 20.0, 4.0, 10.0, 0.0)], counter=1)
    scans = [s for f in frames for s in decoder.feed(f, 1.0)]
    (obj,) = scans[0].objects
    # forward = east, left = north
    assert obj.x_m == pytest.approx(30.0, abs=0.1)
    assert obj.y_m == pytest.approx(-1.0, abs=0.1)
    assert obj.heading_deg == pytest.approx(90.0, abs=0.5)
    assert obj.speed_mps == pytest.approx(10.0)


def test_lat_lon_mount_is_placed_with_the_local_frame() -> None:
    ref = LocalFrame(42.30, -83.70, 250.0)
    lat, lon, _ = ref.to_geodetic(25.0, 40.0)
    pose = MountPose(lat=lat, lon=lon, yaw_deg=180.0)  # looking south
    decoder = RadarDecoder(RadarConfig(pose=pose), ref)
    frames = encode_scan(decoder.db, [RadarTarget(1, 10.0, 0.0)], counter=1)
    (scan,) = [s for f in frames for s in decoder.feed(f, 0.0)]
    assert scan.objects[0].x_m == pytest.approx(25.0, abs=0.15)
    assert scan.objects[0].y_m == pytest.approx(30.0, abs=0.15)
    with pytest.raises(ConfigError):
        RadarDecoder(RadarConfig(pose=pose), None)


def test_second_radar_on_the_same_bus_uses_its_own_ids(channel: str) -> None:
    db = load_dbc()
    cfg0 = RadarConfig(name="r0", interface="virtual", channel=channel)
    cfg1 = RadarConfig(name="r1", interface="virtual", channel=channel, sensor_id=1)
    frames = encode_scan(db, TARGETS[:1], 1) + encode_scan(db, TARGETS, 2, sensor_id=1)
    dec0, dec1 = RadarDecoder(cfg0, db=db), RadarDecoder(cfg1, db=db)
    out0 = [s for f in frames for s in dec0.feed(f, 0.0)]
    out1 = [s for f in frames for s in dec1.feed(f, 0.0)]
    assert [len(s.objects) for s in out0] == [1]
    assert [len(s.objects) for s in out1] == [3]
    assert dec0.counters.unknown_frames == len(frames) - 4


def test_error_frames_unknown_and_malformed_frames_are_counted_and_skipped(channel: str) -> None:
    config = RadarConfig(interface="virtual", channel=channel)
    db = load_dbc()
    good = encode_scan(db, TARGETS, counter=7)
    bad = [
        CanFrame(0x0, b"", is_error_frame=True),
        CanFrame(0x123, b"\x01\x02"),
        CanFrame(0x60B, b"\x05\x54"),  # general, truncated
        CanFrame(0x60B, b"\x00" * 8, is_extended_id=True),
    ]
    frames = good[:3] + bad + good[3:]
    with virtual_bus(channel) as tx, capture_logs() as logs:
        rx = open_source(config, FakeClock())
        send_all(tx, frames)
        decoder = RadarDecoder(config)
        scans = pump(rx, decoder, FakeClock(), max_frames=len(frames), timeout=0.5)
        rx.close()
    c = decoder.counters
    assert (c.error_frames, c.unknown_frames, c.malformed_frames) == (1, 2, 1)
    assert len(scans) == 1
    assert len(scans[0].objects) == 3
    malformed = [e for e in logs if e["event"] == "radar_malformed"]
    assert malformed
    assert malformed[0]["hex"] == "0554"
    assert any(e["event"] == "can_error_frame" for e in logs)


def test_a_flood_is_dropped_counted_and_recovered_from() -> None:
    config = RadarConfig(max_frames_per_s=100)
    decoder = RadarDecoder(config)
    frames = encode_scan(decoder.db, TARGETS, counter=1)
    with capture_logs() as logs:
        for i in range(1000):
            decoder.feed(CanFrame(0x60B, b"\xff" * 8), 10.0 + i * 1e-4)
    assert decoder.counters.flood_dropped == 900
    assert sum(e["event"] == "can_flood" for e in logs) == 1
    scans = [s for f in frames for s in decoder.feed(f, 12.0)]  # next second: back to normal
    assert len(scans) == 1
    assert len(scans[0].objects) == 3


def test_incomplete_cycle_is_emitted_when_the_next_one_starts() -> None:
    decoder = RadarDecoder(RadarConfig())
    first = encode_scan(decoder.db, TARGETS, counter=1)
    second = encode_scan(decoder.db, TARGETS[:1], counter=2)
    out = [s for f in first[:3] + second for s in decoder.feed(f, 0.0)]
    assert [(s.meas_counter, s.complete, len(s.objects)) for s in out] == [
        (1, False, 2),
        (2, True, 1),
    ]
    assert decoder.counters.incomplete_scans == 1


def test_object_frames_outside_a_cycle_are_orphans() -> None:
    decoder = RadarDecoder(RadarConfig())
    frames = encode_scan(decoder.db, TARGETS, counter=1)
    for f in frames[1:4]:
        assert decoder.feed(f, 0.0) == []
    assert decoder.counters.orphan_frames == 3


def test_radar_without_quality_and_extended_messages() -> None:
    config = RadarConfig(expect_quality=False, expect_extended=False)
    decoder = RadarDecoder(config)
    frames = encode_scan(decoder.db, TARGETS, counter=1, quality=False, extended=False)
    (scan,) = [s for f in frames for s in decoder.feed(f, 0.0)]
    assert scan.complete
    assert {o.label for o in scan.objects} == {"unknown"}
    assert all(o.prob_exist is None for o in scan.objects)


def test_sim_backend_produces_decodable_moving_targets() -> None:
    clock = FakeClock()
    config = RadarConfig(backend="sim", sim_targets=5, sim_cycle_s=0.1)
    source = SimRadarSource(config, clock, sleep=clock.advance)
    decoder = RadarDecoder(config)
    scans = pump(source, decoder, clock, max_frames=16 * 20, timeout=1.0)
    assert len(scans) >= 15
    assert all(s.complete and len(s.objects) == 5 for s in scans)
    a, b = scans[0].objects[0], scans[10].objects[0]
    assert a.speed_mps >= 4.9
    moved = math.hypot(b.x_m - a.x_m, b.y_m - a.y_m)
    assert moved == pytest.approx(a.speed_mps * (scans[10].time - scans[0].time), rel=0.1)


def test_unknown_backend_is_a_backend_error() -> None:
    with pytest.raises(BackendError, match="nope"):
        open_source(RadarConfig(backend="nope"), FakeClock())


def test_radar_tables_are_read_with_pose_and_unknown_keys_rejected() -> None:
    data = {
        "radar": [
            {
                "name": "north",
                "interface": "virtual",
                "channel": "x",
                "yaw_deg": 180.0,
                "east_m": 3.0,
                "sensor_id": 2,
            },
            {"name": "south", "backend": "sim", "lat": 42.0, "lon": -83.0},
        ]
    }
    north, south = radars_from_table(Table(data, "sensors"))
    assert north.pose.yaw_deg == 180.0
    assert north.pose.east_m == 3.0
    assert north.sensor_id == 2
    assert south.pose.lat == 42.0
    assert south.backend == "sim"
    with pytest.raises(ConfigError, match=r"sensors\.radar\[0\]\.yaw"):
        radars_from_table(Table({"radar": [{"yaw": 3}]}, "sensors"))
    with pytest.raises(ConfigError, match="duplicate"):
        radars_from_table(Table({"radar": [{}, {}]}, "sensors"))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 255),
            st.floats(-500.0, 1138.0),
            st.floats(-204.6, 204.8),
            st.floats(-128.0, 127.75),
            st.floats(-64.0, 63.75),
            st.sampled_from(["unknown", "car", "truck", "person", "motorcycle", "bicycle"]),
        ),
        max_size=20,
        unique_by=lambda t: t[0],
    )
)
def test_any_object_list_round_trips_to_signal_resolution(targets: list[tuple]) -> None:
    decoder = RadarDecoder(RadarConfig())
    objs = [RadarTarget(i, dl, dt, vl, vt, label=lab) for i, dl, dt, vl, vt, lab in targets]
    frames = encode_scan(decoder.db, objs, counter=9)
    (scan,) = [s for f in frames for s in decoder.feed(f, 0.0)]
    got = {o.object_id: o for o in scan.objects}
    assert set(got) == {t.object_id for t in objs}
    for t in objs:
        o = got[t.object_id]
        assert o.dist_long_m == pytest.approx(t.dist_long_m, abs=0.1 + 1e-6)
        assert o.dist_lat_m == pytest.approx(t.dist_lat_m, abs=0.1 + 1e-6)
        assert o.vy_mps == pytest.approx(t.vrel_long_mps, abs=0.125 + 1e-6)
        assert -o.vx_mps == pytest.approx(t.vrel_lat_mps, abs=0.125 + 1e-6)
        assert o.label == t.label


def test_a_closed_can_source_reopens_on_the_next_recv(channel: str) -> None:
    config = RadarConfig(interface="virtual", channel=channel)
    db = load_dbc()
    source = open_source(config, FakeClock())
    source.close()
    with virtual_bus(channel) as tx:
        assert source.recv(0.01) is None  # reopened, nothing sent yet
        send_all(tx, encode_scan(db, TARGETS[:1], counter=1))
        frame = source.recv(0.5)
    source.close()
    assert frame is not None
    assert frame.arbitration_id == 0x60A
    assert narrow(source, CanBusSource).reopens == 1
