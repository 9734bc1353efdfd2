"""The energy core on a FakeClock: broadcasts on change, records, events, alarms, staleness."""

from __future__ import annotations

from typing import Any

from rsu.clock import FakeClock
from rsu.config.fields import Table
from rsu.energy.air import AirSettings
from rsu.energy.config import EnergyConfig
from rsu.energy.core import FAILED, UNKNOWN, EnergyCore
from rsu.energy.model import Connector, EvseStatus, SiteFailure, SiteReading
from rsu.stage import Outputs
from rsu.v2x.codec import get_codec

CCS = (Connector("CCS", 150.0),)


def config(stale_after_s: float = 300.0, **site: Any) -> EnergyConfig:
    entry = {
        "id": "hub-1",
        "name": "Main St",
        "latitude": 42.281,
        "longitude": -83.7425,
        "source": "cloud",
        "stale_after_s": stale_after_s,
        "interval_ms": 1000,
        **site,
    }
    return EnergyConfig.from_table(Table({"sites": [entry]}, "energy"))


def reading(clock: FakeClock, *statuses: str) -> SiteReading:
    evses = tuple(EvseStatus(f"E{i}", s, CCS) for i, s in enumerate(statuses))  # type: ignore[arg-type]
    return SiteReading("hub-1", evses, clock.monotonic(), clock.time(), "test")


def failure(clock: FakeClock, reason: str = "timeout") -> SiteFailure:
    return SiteFailure("hub-1", reason, "x", clock.monotonic(), clock.time(), "ocpi")


def phrases(out: Outputs) -> list[str]:
    (message,) = out.upserts
    assert message.frame_jer is not None
    codec = get_codec("j2735")
    value = codec.decode(codec.encode(message.frame_jer), unwrap=False).jer()["value"]
    items = value["dataFrames"][0]["content"]["advisory"]
    return [i["item"]["text"] for i in items if "text" in i["item"]]


def make(clock: FakeClock, **kw: Any) -> EnergyCore:
    return EnergyCore(
        config(**kw), AirSettings(), clock.monotonic(), check=get_codec("j2735").encode
    )


def test_the_first_tick_puts_every_site_on_the_air_as_unknown() -> None:
    clock = FakeClock()
    core = make(clock)
    out = core.tick(clock.monotonic(), clock.time())
    assert phrases(out) == ["status unknown"]
    (message,) = out.upserts
    assert (message.key, message.message_type, message.psid, message.interval_ms) == (
        "energy-hub-1",
        "TIM",
        0x8003,
        1000,
    )
    assert out.records[0].stream == "sites"
    assert out.records[0].data["state"] == "unknown"
    assert not out.raises  # never read, but still in its start-up grace


def test_a_change_of_counts_is_a_new_broadcast_and_a_record_the_same_is_nothing() -> None:
    clock = FakeClock()
    core = make(clock)
    core.tick(clock.monotonic(), clock.time())
    out = core.on_item(reading(clock, "available", "occupied"), clock.monotonic(), clock.time())
    assert phrases(out) == ["CCS 1/2"]
    (record,) = out.records
    assert record.data["free"] == 1
    assert record.data["counts"] == [{"standard": "CCS", "free": 1, "total": 2, "max_kw": 150.0}]
    clock.advance(30.0)
    assert not core.on_item(reading(clock, "available", "occupied"), clock.monotonic(), 0.0)


def test_full_and_available_again_are_events() -> None:
    clock = FakeClock()
    core = make(clock)
    core.on_item(reading(clock, "available", "occupied"), clock.monotonic(), clock.time())
    out = core.on_item(reading(clock, "occupied", "occupied"), clock.monotonic(), clock.time())
    events = [r for r in out.records if r.stream == "events"]
    assert [e.data["type"] for e in events] == ["site_full"]
    assert events[0].data["site"] == "hub-1"
    out = core.on_item(reading(clock, "reserved", "occupied"), clock.monotonic(), clock.time())
    assert not [r for r in out.records if r.stream == "events"]  # still full
    out = core.on_item(reading(clock, "available", "occupied"), clock.monotonic(), clock.time())
    assert [r.data["type"] for r in out.records if r.stream == "events"] == ["site_available"]


def test_stale_data_goes_unknown_at_its_deadline_and_raises_the_alarm() -> None:
    clock = FakeClock()
    core = make(clock, stale_after_s=120.0)
    core.tick(clock.monotonic(), clock.time())
    core.on_item(reading(clock, "available", "occupied"), clock.monotonic(), clock.time())
    assert core.next_deadline() == clock.monotonic() + 120.0
    clock.advance(119.0)
    assert not core.tick(clock.monotonic(), clock.time())
    clock.advance(1.0)
    out = core.tick(clock.monotonic(), clock.time())
    assert phrases(out) == ["CCS unknown"]
    assert out.records[0].data["reason"] == "stale"
    assert [(a.kind, a.detail) for a in out.raises] == [(UNKNOWN, "status unknown: hub-1 (stale)")]
    assert core.next_deadline() is None  # nothing left to expire: the loop may sleep
    out = core.on_item(reading(clock, "available", "occupied"), clock.monotonic(), clock.time())
    assert phrases(out) == ["CCS 1/2"]
    assert [c.kind for c in out.clears] == [UNKNOWN]


def test_a_failed_read_is_unknown_at_once_alarmed_and_cleared_by_a_good_one() -> None:
    clock = FakeClock()
    core = make(clock)
    core.on_item(reading(clock, "available", "occupied"), clock.monotonic(), clock.time())
    clock.advance(1.0)
    out = core.on_item(failure(clock, "unauthorized"), clock.monotonic(), clock.time())
    assert phrases(out) == ["CCS unknown"]  # never the old count as current
    assert {a.kind: a.detail for a in out.raises} == {
        FAILED: "source failed: hub-1 (unauthorized)",
        UNKNOWN: "status unknown: hub-1 (source_failed)",
    }
    assert core.live["hub-1"].failures == {"unauthorized": 1}
    assert not core.on_item(failure(clock, "unauthorized"), clock.monotonic(), clock.time())
    out = core.on_item(reading(clock, "available", "occupied"), clock.monotonic(), clock.time())
    assert {c.kind for c in out.clears} == {FAILED, UNKNOWN}
    assert phrases(out) == ["CCS 1/2"]


def test_a_site_never_read_is_alarmed_after_the_grace() -> None:
    clock = FakeClock()
    core = make(clock, stale_after_s=30.0)
    core.tick(clock.monotonic(), clock.time())
    assert core.next_deadline() == clock.monotonic() + 30.0
    clock.advance(30.0)
    out = core.tick(clock.monotonic(), clock.time())
    assert [a.detail for a in out.raises] == ["status unknown: hub-1 (never_read)"]


def test_a_reading_for_a_site_not_configured_is_counted_and_dropped() -> None:
    clock = FakeClock()
    core = make(clock)
    stray = SiteReading("hub-9", (), clock.monotonic(), clock.time(), "x")
    assert not core.on_item(stray, clock.monotonic(), clock.time())
    assert core.n.unknown_site == 1


def test_csae53_sites_go_out_as_rsi_on_the_rsi_aid() -> None:
    clock = FakeClock()
    settings = AirSettings(standard="csae53", psid=3620)
    core = EnergyCore(config(), settings, clock.monotonic(), check=get_codec("csae53").encode)
    out = core.on_item(reading(clock, "available"), clock.monotonic(), clock.time())
    (message,) = out.upserts
    assert (message.message_type, message.psid) == ("RSI", 3620)
    assert message.frame_jer is not None
    back = get_codec("csae53").decode(get_codec("csae53").encode(message.frame_jer), unwrap=False)
    text = back.jer()["rsiFrame"]["rtss"][0]["description"]["textString"]
    assert text == "EV charging Main St: CCS 1/1"


def test_a_reading_before_the_first_tick_does_not_keep_other_sites_off_the_air() -> None:
    clock = FakeClock()
    cfg = EnergyConfig.from_table(
        Table(
            {
                "sites": [
                    {"id": "a", "name": "A", "latitude": 1.0, "longitude": 2.0, "source": "cloud"},
                    {"id": "b", "name": "B", "latitude": 1.0, "longitude": 2.0, "source": "cloud"},
                ]
            },
            "energy",
        )
    )
    core = EnergyCore(cfg, AirSettings(), clock.monotonic())
    evse = EvseStatus("E1", "available", CCS)
    first = SiteReading("a", (evse,), clock.monotonic(), clock.time(), "test")
    assert [m.key for m in core.on_item(first, clock.monotonic(), clock.time()).upserts] == [
        "energy-a"
    ]
    assert core.next_deadline() == clock.monotonic()
    out = core.tick(clock.monotonic(), clock.time())
    assert [m.key for m in out.upserts] == ["energy-b"]
