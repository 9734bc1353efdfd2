"""RSI (CSAE 53 RoadSideInformation) from the real event engine and from RSI/DOWN bodies:
member names of the reference rsiFrames, lifecycle, units, and the real CSAE codec."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rsu.broadcast.scheduler import minute_of_year
from rsu.clock import FakeClock
from rsu.errors import CommandError
from rsu.events.engine import EventEngine
from rsu.events.rsi import RsiBuilder, RsiSettings, priority_octet
from rsu.events.rsi_cloud import PLACEHOLDER_ID, broadcast_body, cloud_rsi, fill_rsu_id
from rsu.events.zones import EventsConfig, Zone
from rsu.v2x.codec import Codec, get_codec
from tests.events.test_engine import obj
from tests.fusion.helpers import FRAME
from tests.v2x.vectors import load

REFERENCE_RSI = [
    v["value"]["rsiFrame"]
    for name in ("csae53_real.jsonl", "csae53_generated.jsonl")
    for v in load(name)
    if "rsiFrame" in v["value"]
]
UTC = 1_764_085_283.0  # 2025-11-25T15:41:23Z
LANE = Zone("lane-n1", ((0.0, 0.0), (4.0, 0.0), (4.0, 40.0), (0.0, 40.0)), kind="lane",
            direction_deg=0.0, dwell_s=5.0)  # fmt: skip


@pytest.fixture(scope="module")
def codec() -> Codec:
    return get_codec("csae53")


def _members(key: str) -> set[str]:
    return set().union(*(set(r) for v in REFERENCE_RSI for r in v.get(key, [])))


def run_stopped_vehicle() -> tuple[RsiBuilder, list[dict[str, object] | None]]:
    """A car stops in the lane for 8 s, then leaves: one RSI per engine update."""
    clock = FakeClock()
    engine = EventEngine(EventsConfig(zones=(LANE,)))
    builder = RsiBuilder(RsiSettings(FRAME, rsu_id="3132333435000000", zones=(LANE,)))
    values: list[dict[str, object] | None] = []
    t0 = clock.monotonic()
    for step in range(100):
        inside = step < 80
        o = obj(7, 2.0, 20.0, 0.0, 0.0) if inside else obj(7, 30.0, 20.0, 8.0, 90.0)
        for ev in engine.update([o], clock.monotonic()):
            builder.on_event(ev, UTC + clock.monotonic() - t0)
        values.append(builder.build(UTC + clock.monotonic() - t0))
        clock.advance(0.1)
    return builder, values


def test_stopped_vehicle_lives_as_one_rte_until_it_ends() -> None:
    builder, values = run_stopped_vehicle()
    live = [v for v in values if v is not None]
    assert values[0] is None  # no event before the dwell time
    assert 20 <= len(live) <= 31  # from ~5 s of dwell until the car leaves at 8 s
    assert values[-1] is None
    assert len(builder) == 0
    rte = live[-1]["rtes"][0]  # type: ignore[index]
    assert rte["eventType"] == 401
    assert rte["eventSource"] == "detection"
    assert rte["rteId"] == 0
    assert rte["priority"] == "c0"
    assert rte["description"]["textString"].startswith("stopped_vehicle zone=lane-n1 object=7")
    assert rte["timeDetails"]["startTime"] == minute_of_year(UTC)
    assert rte["eventRadius"] == pytest.approx(200, abs=2)  # 20 m from centre to corner
    (path,) = rte["referencePaths"]
    assert len(path["activePath"]) == 4
    assert path["pathRadius"] == 35
    off = rte["eventPos"]["offsetLL"]["position-LL1"]  # 20 m north: ~1800e-7 degree, 12 bits
    assert off["lat"] == pytest.approx(1799, abs=3)


def test_rsi_uses_the_reference_member_names(codec: Codec) -> None:
    _, values = run_stopped_vehicle()
    value = next(v for v in values if v is not None)
    assert set(value) <= set().union(*(set(v) for v in REFERENCE_RSI))
    assert set(value["rtes"][0]) <= _members("rtes")  # type: ignore[index]
    msg = codec.decode(codec.encode({"rsiFrame": value}))
    assert msg.short_name == "RSI"
    assert msg.value["rtes"][0]["eventType"] == 401
    assert msg.value["id"].lower() == "3132333435000000"  # JER hex, either case


def test_types_not_mapped_are_not_broadcast_and_at_most_eight_rtes() -> None:
    clock = FakeClock()
    area = Zone("plaza", LANE.polygon, presence=True)
    engine = EventEngine(EventsConfig(zones=(area,)))
    builder = RsiBuilder(RsiSettings(FRAME))
    for ev in engine.update([obj(1, 2.0, 2.0)], clock.monotonic()):
        assert ev.type == "zone_presence"
        assert builder.on_event(ev, UTC) is False
    assert builder.build(UTC) is None
    mapped = RsiBuilder(RsiSettings(FRAME, event_types={"zone_presence": 9999}))
    engine2 = EventEngine(EventsConfig(zones=(area,)))
    objects = [obj(i, 1.0 + i * 0.2, 2.0) for i in range(1, 11)]
    for ev in engine2.update(objects, clock.monotonic()):
        mapped.on_event(ev, UTC)
    value = mapped.build(UTC)
    assert value is not None
    assert [r["rteId"] for r in value["rtes"]] == list(range(8))
    assert {r["eventType"] for r in value["rtes"]} == {9999}
    assert mapped.left_out == 2
    get_codec("csae53").encode({"rsiFrame": value})


def test_cloud_rsi_down_body_becomes_an_encodable_rsi(codec: Codec) -> None:
    body = {
        "seqNum": "7",
        "eventType": 401,
        "eventSource": "police",
        "eventPosition": {"lat": 39.9087, "lon": 116.3975},
        "eventRadius": 50,
        "eventDescription": "道路施工",
        "eventPriority": 5,
        "referencePaths": [
            {
                "activePath": [
                    {"lat": 399090000, "lon": 1163970000},
                    {"lat": 39.9087, "lon": 116.3975},
                ]
            }
        ],
        "interval_ms": 500,
        "duration_s": 600,
    }
    out = broadcast_body(body)
    assert out["interval_ms"] == 500
    assert out["duration_s"] == 600
    value = out["jer"]
    assert value["refPos"] == {"lat": 399087000, "long": 1163975000}
    rte = value["rtes"][0]
    assert rte["eventRadius"] == 500
    assert rte["priority"] == "a0"
    assert bytes.fromhex(rte["description"]["textGB2312"]).decode("gb2312") == "道路施工"
    first = rte["referencePaths"][0]["activePath"][0]["offsetLL"]["position-LL2"]
    assert first == {"lat": 3000, "lon": -5000}  # 1e-7 degree integers taken as they are
    assert value["id"] == PLACEHOLDER_ID
    filled = fill_rsu_id(value, "5233323833323800")
    assert filled["id"] == "5233323833323800"
    assert value["id"] == PLACEHOLDER_ID
    back = codec.decode(codec.encode({"rsiFrame": filled})).value
    assert back["rtes"][0]["eventSource"] == "police"
    assert back["refPos"]["lat"] == 399087000


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"eventType": "401"}, "eventType"),
        ({"eventSource": "aliens"}, "eventSource"),
        ({"eventPosition": {"lat": 95.0, "lon": 1.0}}, "eventPosition.lat"),
        ({"eventPriority": 9}, "eventPriority"),
        ({"referencePaths": []}, "referencePaths"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_rsi_down_bodies_are_rejected_with_the_field(
    change: dict[str, object], text: str
) -> None:
    body: dict[str, object] = {"eventType": 401, "eventPosition": {"lat": 39.9, "lon": 116.4}}
    body.update(change)
    with pytest.raises(CommandError) as err:
        cloud_rsi(body)
    assert err.value.code == "bad_value"
    assert text in str(err.value)


def test_priority_octet_uses_the_upper_three_bits() -> None:
    assert priority_octet(0) == "00"
    assert priority_octet(7) == "e0"
    assert priority_octet(12) == "e0"


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(-400, 400, allow_nan=False),
    st.text(max_size=300),
    st.lists(
        st.dictionaries(st.sampled_from(["lat", "lon", "activePath"]), st.integers()), max_size=3
    ),
    st.fixed_dictionaries({"lat": st.floats(-91, 91), "lon": st.floats(-181, 181)}),
)


@settings(max_examples=300, deadline=None)
@example({"eventPosition": {"lat": -90.0, "lon": -180.0}, "eventRadius": 6553})
@given(
    st.dictionaries(
        st.sampled_from(
            ["eventType", "eventSource", "eventPosition", "eventRadius", "eventDescription",
             "eventPriority", "eventConfidence", "referencePaths", "rteId", "extra"]
        ),
        _VALUES,
    )
)  # fmt: skip
def test_any_rsi_down_body_is_refused_or_encodes(body: dict[str, object]) -> None:
    body.setdefault("eventType", 401)
    body.setdefault("eventPosition", {"lat": 39.9, "lon": 116.4})
    try:
        value = cloud_rsi(body)
    except CommandError as err:
        code = err.code
    else:
        code = "ok"
        get_codec("csae53").encode({"rsiFrame": fill_rsu_id(value, "0011223344556677")})
    assert code in ("ok", "bad_value")
