"""TIM (J2735) and RSI (CSAE 53) of a charging site, encoded and decoded back by the codec."""

from __future__ import annotations

from typing import Any

import pytest

from rsu.broadcast import Scheduler, Upsert
from rsu.broadcast.standards import FrameEncoder
from rsu.clock import FakeClock
from rsu.energy import air
from rsu.energy.model import (
    Connector,
    EvseStatus,
    Site,
    SiteIdentity,
    SiteReading,
    SiteView,
)
from rsu.v2x.codec import get_codec
from rsu.wire import BroadcastMessage

HUB = SiteIdentity("hub-1", "Main St", 42.2810, -83.7425)
CCS, TYPE2 = Connector("CCS", 150.0), Connector("Type 2", 22.0)


def view_of(clock: FakeClock, free_ccs: int, *, stale: bool = False) -> SiteView:
    site = Site(HUB, stale_after_s=300.0)
    evses = [
        EvseStatus(f"C{i}", "available" if i < free_ccs else "occupied", (CCS,)) for i in range(6)
    ]
    evses += [EvseStatus(f"T{i}", "available" if i < 4 else "occupied", (TYPE2,)) for i in range(8)]
    site.apply(SiteReading("hub-1", tuple(evses), clock.monotonic(), clock.time(), "sim"))
    return site.view(clock.monotonic() + (400.0 if stale else 0.0))


def decoded_tim(view: SiteView, utc: float) -> dict[str, Any]:
    frame = air.tim_frame(view, 500.0, utc)
    codec = get_codec("j2735")
    msg = codec.decode(codec.encode(frame))
    assert msg.short_name == "TIM"
    value: dict[str, Any] = msg.jer()["value"] if "value" in msg.jer() else msg.jer()
    return value


def advisory(value: dict[str, Any]) -> list[Any]:
    return [next(iter(i["item"].items())) for i in value["dataFrames"][0]["content"]["advisory"]]


def test_the_tim_says_ev_charging_and_the_counts_per_standard() -> None:
    clock = FakeClock()
    value = decoded_tim(view_of(clock, 2), clock.time())
    assert advisory(value) == [("itis", 7980), ("text", "CCS 2/6"), ("text", "Type 2 4/8")]
    frame = value["dataFrames"][0]
    assert frame["frameType"] == "advisory"
    sign = frame["msgId"]["roadSignID"]
    assert (sign["position"]["lat"], sign["position"]["long"]) == (422810000, -837425000)
    circle = frame["regions"][0]["description"]["geometry"]["circle"]
    assert (circle["radius"], circle["units"]) == (500, "meter")
    assert circle["center"]["lat"] == 422810000
    assert frame["regions"][0]["name"] == "Main St"
    assert frame["durationTime"] == 32000


def test_a_stale_site_says_unknown_and_no_count() -> None:
    clock = FakeClock()
    value = decoded_tim(view_of(clock, 2, stale=True), clock.time())
    assert advisory(value) == [("itis", 7980), ("text", "CCS unknown"), ("text", "Type 2 unknown")]


def test_a_site_never_read_says_status_unknown() -> None:
    view = Site(HUB).view(0.0)
    assert advisory(decoded_tim(view, 1_700_000_000.0))[1:] == [("text", "status unknown")]


def test_the_rsi_has_one_charging_station_sign_with_the_counts() -> None:
    clock = FakeClock()
    settings = air.AirSettings(standard="csae53", rsu_id="3132333435000000", sign_type=123)
    frame = air.rsi_frame(view_of(clock, 2), 500.0, clock.time(), settings)
    codec = get_codec("csae53")
    back = codec.decode(codec.encode(frame), unwrap=False)
    assert back.short_name == "RSI"
    value = back.jer()["rsiFrame"]
    assert value["refPos"]["lat"] == 422810000
    (rts,) = value["rtss"]
    assert rts["signType"] == 123
    assert rts["description"]["textString"] == "EV charging Main St: CCS 2/6, Type 2 4/8"
    assert rts["referencePaths"][0]["pathRadius"] == 5000
    stale = air.rsi_frame(view_of(clock, 2, stale=True), 500.0, clock.time(), settings)
    text = stale["rsiFrame"]["rtss"][0]["description"]["textString"]
    assert text == "EV charging Main St: CCS unknown, Type 2 unknown"
    assert "/" not in text


@pytest.mark.parametrize("standard", ["j2735", "csae53"])
def test_the_scheduler_bumps_msgcnt_only_when_the_counts_change(standard: str) -> None:
    clock = FakeClock()
    settings = air.AirSettings(standard=standard)
    scheduler = Scheduler(FrameEncoder())
    codec = get_codec(standard)

    def put(view: SiteView) -> int:
        message = BroadcastMessage(
            key="energy-hub-1",
            psid=0x8003,
            channel=183,
            interval_ms=1000,
            frame_jer=air.frame(view, 500.0, clock.time(), settings),
        )
        scheduler.on_event(Upsert(message), clock.monotonic(), clock.time())
        payload = scheduler.payload_of("energy-hub-1")
        assert payload is not None
        jer = codec.decode(payload, unwrap=False).jer()
        inner = jer["value"] if standard == "j2735" else jer["rsiFrame"]
        count: int = inner["msgCnt"]
        return count

    first = put(view_of(clock, 2))
    assert put(view_of(clock, 2)) == first  # the same counts: same revision, same bytes
    assert put(view_of(clock, 1)) == (first + 1) % 128


def test_every_phrase_of_a_large_hub_fits_an_itis_text_phrase() -> None:
    clock = FakeClock()
    site = Site(HUB)
    evses = tuple(
        EvseStatus(f"G{i}", "available", (Connector("GB/T DC", 120.0), Connector("ChaoJi", 500)))
        for i in range(64)
    )
    site.apply(SiteReading("hub-1", evses, clock.monotonic(), clock.time(), "sim"))
    texts = air.phrases(site.view(clock.monotonic()))
    assert texts == ["GB/T DC 64/64", "ChaoJi 64/64"]
    assert all(len(t) <= 16 for t in texts)
    decoded_tim(site.view(clock.monotonic()), clock.time())  # and it encodes
