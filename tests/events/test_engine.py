"""Every event rule with a fake clock: lifecycle, before/after states and zones."""

from __future__ import annotations

import math

import pytest

from rsu.clock import FakeClock
from rsu.config.fields import Table
from rsu.errors import ConfigError
from rsu.events.engine import Event, EventEngine
from rsu.events.zones import EventsConfig, Line, Zone, line_from_table, zone_from_table
from rsu.fusion.model import FusedObject
from tests.fusion.helpers import FRAME

SQUARE = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0))


def obj(
    oid: int, x: float, y: float, speed: float = 0.0, heading: float | None = 0.0, **kw: object
) -> FusedObject:
    label = str(kw.pop("label", "car"))
    kind = {"car": "vehicle", "truck": "vehicle", "person": "vru"}.get(label, "unknown")
    h = heading if heading is not None else 0.0
    return FusedObject(
        object_id=oid,
        time=0.0,
        x_m=x,
        y_m=y,
        vx_mps=speed * math.sin(math.radians(h)),
        vy_mps=speed * math.cos(math.radians(h)),
        speed_mps=speed,
        heading_deg=heading,
        label=label,
        kind=kind,
        moving=speed > 0.5,
        confidence=0.9,
        pos_sigma_m=0.5,
        sources=("camera:cam0",),
        source_ids=(f"cam0#{oid}",),
        length_m=kw.get("length_m"),  # type: ignore[arg-type]
    )


def phases(events: list[Event], kind: str) -> list[str]:
    return [e.phase for e in events if e.type == kind]


def test_pedestrian_entering_a_crosswalk_is_reported_in_the_same_frame() -> None:
    clock = FakeClock()
    crosswalk = Zone("xwalk-north", SQUARE, kind="crosswalk")
    lane = Zone("lane-1", ((0.0, -5.0), (10.0, -5.0), (10.0, 20.0), (0.0, 20.0)), kind="lane")
    engine = EventEngine(EventsConfig(zones=(crosswalk, lane)))
    assert engine.update([obj(1, -2.0, 5.0, 1.4, 90.0, label="person")], clock.monotonic()) == []
    clock.advance(0.1)
    (ev,) = engine.update([obj(1, 0.5, 5.0, 1.4, 90.0, label="person")], clock.monotonic())
    assert (ev.type, ev.phase, ev.zone, ev.object_id) == (
        "pedestrian_in_crosswalk",
        "new",
        "xwalk-north",
        1,
    )
    assert ev.zones == ("xwalk-north", "lane-1")
    assert ev.before is None
    assert ev.after.x_m == 0.5
    assert ev.after.label == "person"
    clock.advance(0.1)
    assert engine.update([obj(1, 0.6, 5.0, 1.4, 90.0, label="person")], clock.monotonic()) == []
    clock.advance(3.0)
    (end,) = engine.update([obj(1, 12.0, 5.0, 1.4, 90.0, label="person")], clock.monotonic())
    assert (end.phase, end.event_id) == ("end", ev.event_id)
    assert end.before is not None
    assert end.after.duration_s == pytest.approx(3.1)
    assert end.zones == ("xwalk-north", "lane-1")


def test_cars_in_a_crosswalk_are_not_pedestrians() -> None:
    engine = EventEngine(EventsConfig(zones=(Zone("x", SQUARE, kind="crosswalk"),)))
    assert engine.update([obj(1, 5, 5, label="car")], 0.0) == []


def test_stopped_vehicle_after_dwell_with_periodic_updates_and_end_when_it_moves() -> None:
    clock = FakeClock()
    zone = Zone("shoulder", SQUARE, dwell_s=5.0)
    engine = EventEngine(EventsConfig(zones=(zone,), update_interval_s=1.0))
    out: list[Event] = []
    for _ in range(80):  # 8 s stopped at 10 Hz
        out += engine.update([obj(4, 5.0, 5.0, 0.1)], clock.monotonic())
        clock.advance(0.1)
    new = [e for e in out if e.phase == "new"]
    assert len(new) == 1
    assert new[0].after.value == pytest.approx(5.0)
    assert new[0].time == pytest.approx(1005.0)
    updates = [e for e in out if e.phase == "update"]
    assert 2 <= len(updates) <= 3
    assert updates[0].before == new[0].after
    assert updates[-1].after.value > updates[0].after.value
    (end,) = engine.update([obj(4, 5.5, 5.0, 3.0)], clock.monotonic())
    assert (end.type, end.phase) == ("stopped_vehicle", "end")
    assert end.after.duration_s == pytest.approx(3.0, abs=0.11)


def test_a_vehicle_that_stops_briefly_is_not_a_stopped_vehicle() -> None:
    engine = EventEngine(EventsConfig(zones=(Zone("z", SQUARE, dwell_s=5.0),)))
    t = 0.0
    for i in range(100):
        speed = 0.0 if i % 40 < 30 else 4.0  # 3 s stopped, 1 s moving, repeat
        assert engine.update([obj(1, 5, 5, speed)], t) == []
        t += 0.1


def test_wrong_way_against_the_zone_direction_after_confirmation() -> None:
    clock = FakeClock()
    lane = Zone("northbound", ((0, 0), (4, 0), (4, 100), (0, 100)), kind="lane", direction_deg=0.0)
    engine = EventEngine(EventsConfig(zones=(lane,), wrong_way_confirm_s=0.5))
    out: list[Event] = []
    y = 90.0
    for _ in range(10):
        out += engine.update(
            [obj(9, 2.0, y, 15.0, 182.0), obj(10, 2.0, 100 - y, 15.0, 3.0)], clock.monotonic()
        )
        clock.advance(0.1)
        y -= 1.5
    (new,) = [e for e in out if e.type == "wrong_way"]
    assert (new.phase, new.object_id) == ("new", 9)
    assert new.after.value == pytest.approx(178.0)
    assert new.time == pytest.approx(1000.5)
    (end,) = engine.update([], clock.monotonic())
    assert (end.type, end.phase, end.object_id) == ("wrong_way", "end", 9)


def test_over_speed_with_peak_updates_and_hysteresis() -> None:
    zone = Zone("school", SQUARE, speed_limit_mps=50 / 3.6)
    engine = EventEngine(EventsConfig(zones=(zone,), over_speed_tolerance=0.1))
    limit = 50 / 3.6
    assert engine.update([obj(2, 5, 5, limit * 1.05)], 0.0) == []  # inside tolerance
    (new,) = engine.update([obj(2, 5, 5, limit * 1.2)], 0.1)
    assert (new.type, new.phase) == ("over_speed", "new")
    (upd,) = engine.update([obj(2, 5, 5, limit * 1.2 + 2.0)], 0.2)
    assert upd.phase == "update"
    assert upd.after.value == pytest.approx(limit * 1.2 + 2.0)
    assert upd.before is not None
    assert upd.before.value == pytest.approx(limit * 1.2)
    assert engine.update([obj(2, 5, 5, limit * 1.05)], 0.3) == []  # still above the limit
    (end,) = engine.update([obj(2, 5, 5, limit * 0.9)], 0.4)
    assert end.phase == "end"
    assert end.after.value == pytest.approx(limit * 1.2 + 2.0)  # the peak


def test_line_crossings_are_counted_per_direction_and_label() -> None:
    line = Line("stopbar", (0.0, 0.0), (10.0, 0.0))  # A west, B east: forward = southward
    engine = EventEngine(EventsConfig(lines=(line,)))
    engine.update(
        [obj(1, 2, 3, label="car"), obj(2, 5, -3, label="car"), obj(3, 8, 2, label="person")], 0.0
    )
    out = engine.update(
        [obj(1, 2, -1, label="car"), obj(2, 5, 1, label="car"), obj(3, 8, -2, label="person")], 0.1
    )
    crossings = [(e.object_id, e.direction, e.phase) for e in out if e.type == "line_crossing"]
    assert sorted(crossings) == [
        (1, "forward", "end"),
        (1, "forward", "new"),
        (2, "backward", "end"),
        (2, "backward", "new"),
        (3, "forward", "end"),
        (3, "forward", "new"),
    ]
    assert engine.line_counts["stopbar"] == {
        "forward": {"car": 1, "person": 1},
        "backward": {"car": 1},
    }
    engine.update([obj(1, 2, -3, label="car")], 0.2)  # keeps going, no second crossing
    engine.update([obj(4, 20, 3, label="car")], 0.3)
    out = engine.update([obj(4, 20, -3, label="car")], 0.4)  # beyond the segment's end
    assert out == []
    assert engine.line_counts["stopbar"]["forward"]["car"] == 1


def test_queue_length_per_approach_grows_and_ends() -> None:
    # approach heading north, stop line at y = 0, lane from y = -60 to 0
    approach = Zone(
        "north-approach", ((0, -60), (4, -60), (4, 0), (0, 0)), kind="approach", direction_deg=0.0
    )
    engine = EventEngine(EventsConfig(zones=(approach,)))
    (new,) = engine.update([obj(1, 2, -3, 0.0, 0.0, length_m=4.0)], 0.0)
    assert (new.type, new.phase, new.object_id) == ("queue_length", "new", None)
    assert new.after.count == 1
    assert new.after.value == pytest.approx(5.0)
    assert new.zones == ("north-approach",)
    cars = [
        obj(1, 2, -3, 0.0, length_m=4.0),
        obj(2, 2, -10, 0.3, length_m=4.0),
        obj(3, 2, -17, 1.0),
    ]
    (upd,) = engine.update([*cars, obj(4, 2, -40, 12.0)], 1.0)  # a moving car is not queued
    assert upd.phase == "update"
    assert upd.after.count == 3
    assert upd.after.value == pytest.approx(17 + 2.25)
    assert engine.queues["north-approach"] == (3, pytest.approx(19.25))
    (end,) = engine.update([obj(1, 2, 5, 8.0)], 2.0)
    assert end.phase == "end"
    assert engine.queues["north-approach"] == (0, 0.0)


def test_presence_zone_reports_every_labelled_object_and_zone_changes() -> None:
    a = Zone("plaza", SQUARE, presence=True, labels=("person",))
    b = Zone("plaza-east", ((5, 0), (10, 0), (10, 10), (5, 10)))
    engine = EventEngine(EventsConfig(zones=(a, b)))
    out = engine.update([obj(1, 2, 2, label="person"), obj(2, 3, 3, label="car")], 0.0)
    assert [(e.type, e.phase, e.object_id, e.zones) for e in out] == [
        ("zone_presence", "new", 1, ("plaza",))
    ]
    (upd,) = engine.update([obj(1, 7, 2, label="person")], 0.1)
    assert upd.phase == "update"
    assert upd.before is not None
    assert (upd.before.zones, upd.after.zones) == (("plaza",), ("plaza", "plaza-east"))
    (end,) = engine.update([], 0.2)
    assert end.phase == "end"
    d = end.as_dict()
    assert d["before"]["zones"] == ["plaza", "plaza-east"]
    assert d["after"]["duration_s"] == pytest.approx(0.2)


def test_zones_and_lines_from_config_in_metres_and_lat_lon() -> None:
    corners = [FRAME.to_geodetic(x, y)[:2] for x, y in SQUARE]
    data = {
        "update_interval_s": 2.0,
        "zones": [
            {"name": "xw", "kind": "crosswalk", "latlon": [list(c) for c in corners]},
            {
                "name": "ap",
                "kind": "approach",
                "direction_deg": 90,
                "points": [[0, 0], [9, 0], [9, 3]],
                "speed_limit_kph": 36,
            },
        ],
        "lines": [{"name": "l1", "points": [[0, 0], [0, 5]], "labels": ["car"]}],
    }
    cfg = EventsConfig.from_table(Table(data, "events"), FRAME)
    xw, ap = cfg.zones
    assert xw.contains(5, 5)
    assert not xw.contains(11, 5)
    assert xw.polygon[2] == (pytest.approx(10.0, abs=0.01), pytest.approx(10.0, abs=0.01))
    assert ap.speed_limit_mps == pytest.approx(10.0)
    assert cfg.lines[0].labels == ("car",)
    assert cfg.update_interval_s == 2.0
    with pytest.raises(ConfigError, match=r"events\.zones\[0\]\.direction_deg"):
        zone_from_table(
            Table(
                {"name": "a", "kind": "approach", "points": [[0, 0], [1, 0], [1, 1]]},
                "events.zones[0]",
            ),
            None,
        )
    with pytest.raises(ConfigError, match="reference point"):
        zone_from_table(
            Table({"name": "a", "latlon": [[1, 1], [1, 2], [2, 2]]}, "events.zones[0]"), None
        )
    with pytest.raises(ConfigError, match="exactly 2"):
        line_from_table(
            Table({"name": "l", "points": [[0, 0], [1, 0], [2, 0]]}, "events.lines[0]"), None
        )
    with pytest.raises(ConfigError, match=r"events\.zones\[0\]\.colour"):
        zone_from_table(
            Table(
                {"name": "a", "points": [[0, 0], [1, 0], [1, 1]], "colour": "red"},
                "events.zones[0]",
            ),
            None,
        )


def test_dwell_restarts_when_a_vehicle_leaves_the_zone_and_comes_back() -> None:
    engine = EventEngine(EventsConfig(zones=(Zone("z", SQUARE, dwell_s=5.0),)))
    t = 0.0
    for _ in range(30):  # 3 s stopped inside
        assert engine.update([obj(1, 5, 5, 0.0)], t) == []
        t += 0.1
    for _ in range(20):  # 2 s parked just outside
        assert engine.update([obj(1, 15, 5, 0.0)], t) == []
        t += 0.1
    for _ in range(30):  # 3 s inside again: 3 + 3 s, but never 5 s in one go
        assert engine.update([obj(1, 5, 5, 0.0)], t) == []
        t += 0.1
