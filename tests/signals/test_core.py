"""The SPaT core: SPaT right after each update, stale controllers on a FakeClock, addresses,
bad datagrams counted by reason, records and phase-change events."""

from __future__ import annotations

from dataclasses import replace

import pytest
from structlog.testing import capture_logs

from rsu.alarms import AlarmBoard
from rsu.clock import FakeClock
from rsu.signals import tscbm
from rsu.signals.core import ALARM_KIND, ALARM_SOURCE, STARTUP_GRACE_S
from rsu.signals.model import Datagram
from rsu.v2x.codec import get_codec
from tests.signals.helpers import ONE, config, core, state


def datagram(clock: FakeClock, peer: str = "10.0.0.21:6053", **maps: int) -> Datagram:
    return Datagram(tscbm.build(state(**maps)), peer, clock.monotonic(), clock.time())


def test_each_update_is_one_spat_at_once_for_the_radio() -> None:
    clock = FakeClock()
    c = core(started=clock.monotonic())
    out = c.on_datagram(datagram(clock), clock.monotonic())
    assert len(out.transmissions) == 1
    tx = out.transmissions[0]
    assert (tx.psid, tx.message_type, tx.key) == (0x8002, "SPAT", "spat-1001")
    msg = get_codec("j2735").decode(tx.payload)
    inter = msg.value["intersections"][0]
    assert inter["id"] == {"id": 1001}
    assert {m["signalGroup"] for m in inter["states"]} == {2, 4, 12, 22}


def test_times_count_from_receipt_on_the_rsu_clock() -> None:
    clock = FakeClock(start=1_700_000_000.0)  # 800.0 s into the hour: tenth 8000
    c = core(started=clock.monotonic())
    d = datagram(clock)
    late = replace(d, data=tscbm.build(replace(state(), controller_time=(3, 17, 5, 0))))
    tx = c.on_datagram(late, clock.monotonic()).transmissions[0]
    inter = get_codec("j2735").decode(tx.payload).value["intersections"][0]
    timing = next(m for m in inter["states"] if m["signalGroup"] == 2)["state-time-speed"][0]
    assert timing["timing"] == {"minEndTime": 8050, "maxEndTime": 8080}
    assert inter["timeStamp"] == 20_000  # 1_700_000_000 is 20.0 s into its minute


def test_stale_controller_raises_the_alarm_and_its_spat_stops() -> None:
    clock = FakeClock()
    c = core(started=clock.monotonic())
    board = AlarmBoard()
    c.on_datagram(datagram(clock), clock.monotonic())
    clock.advance(0.29)
    assert not c.tick(clock.monotonic())
    deadline = c.next_deadline()
    assert deadline is not None
    assert deadline > clock.monotonic()
    clock.advance(0.02)  # 310 ms without an update
    out = c.tick(clock.monotonic())
    assert len(out.raises) == 1
    assert not out.clears
    alarm = out.raises[0]
    assert (alarm.source, alarm.kind) == (ALARM_SOURCE, ALARM_KIND) == ("signals", ALARM_KIND)
    assert ALARM_KIND == "signal_controller_lost"
    assert "1001" in alarm.detail
    assert board.raise_(alarm, clock.time()) is not None
    assert not c.tick(clock.monotonic() + 5)  # raised once, not on every tick
    assert c.snapshot(clock.monotonic())["intersections"][0]["lost"] is True
    # a report that waited in a queue beyond the staleness is not sent
    old = datagram(clock)
    clock.advance(0.35)
    assert c.on_datagram(old, clock.monotonic()).transmissions == ()
    assert c.n.stale_on_arrival == 1
    # recovery clears it
    back = c.on_datagram(datagram(clock), clock.monotonic())
    assert len(back.transmissions) == 1
    assert [(c.source, c.kind) for c in back.clears] == [(ALARM_SOURCE, ALARM_KIND)]
    assert not back.raises
    assert board.clear(ALARM_SOURCE, ALARM_KIND, clock.time()) is not None


def test_a_controller_never_heard_is_lost_after_the_startup_grace() -> None:
    clock = FakeClock()
    c = core(started=clock.monotonic())
    assert not c.tick(clock.monotonic() + STARTUP_GRACE_S - 0.01)
    out = c.tick(clock.monotonic() + STARTUP_GRACE_S + 0.01)
    assert "never heard" in out.raises[0].detail


FOUR = {
    "source": "tscbm",
    "intersections": [
        {**{k: v for k, v in ONE.items() if k in ("groups",)}, "intersection_id": 100 + n,
         "controller": f"10.0.0.{n}"}
        for n in range(1, 5)
    ],
}  # fmt: skip


def test_two_controllers_on_one_port_are_never_mixed() -> None:
    clock = FakeClock()
    c = core(config(FOUR), started=clock.monotonic())
    a = c.on_datagram(datagram(clock, "10.0.0.1:5000", greens=0b10), clock.monotonic())
    b = c.on_datagram(datagram(clock, "10.0.0.2:5000", greens=0, reds=0b1010), clock.monotonic())
    codec = get_codec("j2735")
    ia = codec.decode(a.transmissions[0].payload).value["intersections"][0]
    ib = codec.decode(b.transmissions[0].payload).value["intersections"][0]
    assert ia["id"]["id"] == 101
    assert ib["id"]["id"] == 102
    sa = {m["signalGroup"]: m["state-time-speed"][0]["eventState"] for m in ia["states"]}
    sb = {m["signalGroup"]: m["state-time-speed"][0]["eventState"] for m in ib["states"]}
    assert sa[2] == "protected-Movement-Allowed"
    assert sb[2] == "stop-And-Remain"
    # an address no intersection names: counted, not used
    with capture_logs() as logs:
        assert c.on_datagram(datagram(clock, "10.9.9.9:5000"), clock.monotonic()) == c.on_datagram(
            datagram(clock, "10.0.0.10:5000"), clock.monotonic()
        )
    assert c.n.unknown_source == 2
    assert any(e["event"] == "signal_report_dropped" for e in logs)
    # only the quiet one is lost
    clock.advance(0.2)
    c.on_datagram(datagram(clock, "10.0.0.1:5000"), clock.monotonic())
    clock.advance(0.2)
    out = c.tick(clock.monotonic())
    lost = [i["intersection"] for i in c.snapshot(clock.monotonic())["intersections"] if i["lost"]]
    assert lost == ["102"]  # 103 and 104 are still in their start-up grace
    assert "102" in out.raises[0].detail
    assert "101 " not in out.raises[0].detail


def test_single_intersection_latches_its_sender_until_it_goes_quiet() -> None:
    clock = FakeClock()
    c = core(started=clock.monotonic())
    assert c.on_datagram(datagram(clock, "10.0.0.1:1"), clock.monotonic()).transmissions
    assert c.on_datagram(datagram(clock, "10.0.0.2:1"), clock.monotonic()).transmissions == ()
    assert c.n.other_source == 1
    clock.advance(0.5)
    assert c.on_datagram(datagram(clock, "10.0.0.2:1"), clock.monotonic()).transmissions
    assert c.snapshot(clock.monotonic())["intersections"][0]["controller"] == "10.0.0.2:1"


def test_a_named_controller_with_port_must_match_exactly() -> None:
    clock = FakeClock()
    c = core(config(controller="10.0.0.1:6000"), started=clock.monotonic())
    assert c.on_datagram(datagram(clock, "10.0.0.1:6001"), clock.monotonic()).transmissions == ()
    assert c.on_datagram(datagram(clock, "10.0.0.1:6000"), clock.monotonic()).transmissions


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00" * 10, "short"),
        (b"\xcd" + b"\x10" * 300, "oversized"),
        (b"\xcc" + b"\x10" * 240, "wrong_header"),
        (b"\xcd" + b"\x10" * 241, "bad_length"),
    ],
)
def test_bad_datagrams_are_counted_by_reason_and_dropped(data: bytes, reason: str) -> None:
    clock = FakeClock()
    c = core(started=clock.monotonic())
    with capture_logs() as logs:
        out = c.on_datagram(Datagram(data, "10.0.0.1:1", 1000.0, 0.0), 1000.0)
    assert out.transmissions == ()
    assert c.n.bad == {reason: 1}
    assert logs[0]["event"] == "signal_datagram_bad"
    assert logs[0]["hex"] == data.hex()


def test_records_are_sampled_and_phase_changes_are_events() -> None:
    clock = FakeClock()
    c = core(config(record_hz=1.0), started=clock.monotonic())
    streams = []
    for i in range(20):  # 2 s at 10 Hz; phase 2 turns yellow at the 11th update
        maps = {"yellows": 0b10, "greens": 0} if i >= 10 else {}
        out = c.on_datagram(datagram(clock, **maps), clock.monotonic())
        streams += [r.stream for r in out.records]
        if i == 10:
            (change,) = [r.data for r in out.records if r.stream == "signals"]
            assert change["type"] == "signal_phase_change"
            assert change["changes"] == [
                {"signal_group": 2, "from": "protected-Movement-Allowed",
                 "to": "protected-clearance", "colour": "yellow"}
            ]  # fmt: skip
        clock.advance(0.1)
    assert streams.count("spat") == 2
    assert streams.count("signals") == 1


def test_no_records_when_record_hz_is_zero() -> None:
    clock = FakeClock()
    c = core(config(record_hz=0.0), started=clock.monotonic())
    assert c.on_datagram(datagram(clock), clock.monotonic()).records == ()


def test_csae53_mode_sends_the_csae_spat_with_its_aid() -> None:
    clock = FakeClock()
    c = core(standard="csae53", started=clock.monotonic())
    tx = c.on_datagram(datagram(clock), clock.monotonic()).transmissions[0]
    assert tx.psid == 3619
    msg = get_codec("csae53").decode(tx.payload)
    assert msg.short_name == "SPAT"
    assert msg.value["intersections"][0]["intersectionId"] == {"id": 1001}


def test_snapshot_shows_controller_age_and_phase_table() -> None:
    clock = FakeClock()
    c = core(started=clock.monotonic())
    c.on_datagram(datagram(clock, "10.0.0.7:6053"), clock.monotonic())
    clock.advance(0.05)
    snap = c.snapshot(clock.monotonic())["intersections"][0]
    assert snap["controller"] == "10.0.0.7:6053"
    assert snap["age_s"] == pytest.approx(0.05)
    assert [g["signal_group"] for g in snap["groups"]] == [2, 4, 12, 22]
    assert [p["phase"] for p in snap["phases"]] == [1, 2, 4]  # overlap 1 is lit
