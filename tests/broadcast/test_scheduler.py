"""Store-and-repeat scheduling with a FakeClock: intervals, windows, replacement, expiry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rsu.broadcast import Remove, Scheduler, Upsert, stamp
from rsu.broadcast.scheduler import minute_of_year
from rsu.clock import FakeClock
from rsu.v2x.codec import get_codec
from rsu.wire import BroadcastMessage


def msg(key: str = "map", interval_ms: int = 1000, **kw: Any) -> BroadcastMessage:
    kw.setdefault("payload", b"\x00\x12" + key.encode())
    return BroadcastMessage(key=key, psid=0xE0000017, channel=183, interval_ms=interval_ms, **kw)


def run(s: Scheduler, clock: FakeClock, seconds: float) -> list[Any]:
    """Drive the scheduler like the daemon does: poll, then sleep until ``next_deadline``."""
    out = []
    end = clock.monotonic() + seconds
    while True:
        for req in s.poll(clock.monotonic(), clock.time()):
            out.append((round(clock.monotonic() - 1000.0, 6), req))
        deadline = s.next_deadline()
        if deadline is None or deadline >= end:
            clock.advance(max(0.0, end - clock.monotonic()))
            return out
        clock.advance(max(0.0, deadline - clock.monotonic()))


def test_entry_is_sent_at_once_then_every_interval() -> None:
    clock, s = FakeClock(), Scheduler()
    s.on_event(Upsert(msg(interval_ms=100)), clock.monotonic(), clock.time())
    sent = run(s, clock, 1.0)
    times = [t for t, _ in sent]
    assert times == pytest.approx([i * 0.1 for i in range(10)], abs=1e-6)
    assert {r.payload for _, r in sent} == {b"\x00\x12map"}
    assert s.next_deadline() == pytest.approx(1001.0)


def test_two_entries_keep_their_own_rhythm_and_priority_orders_a_tie() -> None:
    clock, s = FakeClock(), Scheduler()
    s.on_event(Upsert(msg("map", 1000, priority=3)), 1000.0, clock.time())
    s.on_event(Upsert(msg("spat", 100, priority=7)), 1000.0, clock.time())
    first = s.poll(1000.0, clock.time())
    assert [r.key for r in first] == ["spat", "map"]
    sent = run(s, clock, 2.0)
    counts = {k: sum(1 for _, r in sent if r.key == k) for k in ("map", "spat")}
    assert counts == {"map": 1, "spat": 19}  # plus the first of each, polled above


def test_late_poll_does_not_burst_and_keeps_the_interval_afterwards() -> None:
    clock, s = FakeClock(), Scheduler()
    s.on_event(Upsert(msg(interval_ms=100)), clock.monotonic(), clock.time())
    s.poll(clock.monotonic(), clock.time())
    clock.advance(0.55)  # the daemon was busy for five intervals
    assert len(s.poll(clock.monotonic(), clock.time())) == 1
    assert s.next_deadline() == pytest.approx(clock.monotonic() + 0.1)


def test_window_start_delays_the_first_transmission() -> None:
    clock, s = FakeClock(), Scheduler()
    s.on_event(Upsert(msg(start=clock.time() + 5.0)), clock.monotonic(), clock.time())
    assert s.poll(clock.monotonic(), clock.time()) == []
    assert s.next_deadline() == pytest.approx(clock.monotonic() + 5.0)
    assert s.report(clock.time())[0].state == "waiting"
    sent = run(s, clock, 7.0)
    assert [t for t, _ in sent] == pytest.approx([5.0, 6.0], abs=1e-6)


def test_entry_expires_at_its_stop_time_and_is_reported() -> None:
    clock, s = FakeClock(), Scheduler()
    s.on_event(Upsert(msg(interval_ms=1000, stop=clock.time() + 2.5)), 1000.0, clock.time())
    sent = run(s, clock, 5.0)
    assert [t for t, _ in sent] == pytest.approx([0.0, 1.0, 2.0], abs=1e-6)
    assert len(s) == 0
    assert [n.kind for n in s.take_notices()] == ["added", "expired"]
    assert s.next_deadline() is None
    assert s.stats.expired == 1


def test_request_carries_the_entry_fields() -> None:
    clock, s = FakeClock(), Scheduler()
    stop = clock.time() + 60
    s.on_event(Upsert(msg(interval_ms=250, priority=5, stop=stop)), 1000.0, clock.time())
    (req,) = s.poll(1000.0, clock.time())
    assert (req.psid, req.channel, req.priority, req.interval_ms) == (0xE0000017, 183, 5, 250)
    assert (req.key, req.delivery_stop) == ("map", stop)


def test_replacement_by_key_changes_bytes_bumps_revision_and_sends_now() -> None:
    clock, s = FakeClock(), Scheduler()
    s.on_event(Upsert(msg(payload=b"\x00\x12v1")), clock.monotonic(), clock.time())
    run(s, clock, 0.5)
    notices = s.on_event(Upsert(msg(payload=b"\x00\x12v2")), clock.monotonic(), clock.time())
    assert [(n.kind, n.revision) for n in notices] == [("changed", 1)]
    (req,) = s.poll(clock.monotonic(), clock.time())
    assert req.payload == b"\x00\x12v2"
    assert len(s) == 1
    assert s.report(clock.time())[0].sent == 2


def test_identical_upsert_keeps_schedule_and_revision() -> None:
    clock, s = FakeClock(), Scheduler()
    s.on_event(Upsert(msg()), clock.monotonic(), clock.time())
    s.poll(clock.monotonic(), clock.time())
    clock.advance(0.3)
    notices = s.on_event(Upsert(msg()), clock.monotonic(), clock.time())
    assert [(n.kind, n.revision) for n in notices] == [("unchanged", 0)]
    assert s.poll(clock.monotonic(), clock.time()) == []
    assert s.next_deadline() == pytest.approx(1001.0)


def test_remove_stops_transmission() -> None:
    clock, s = FakeClock(), Scheduler()
    s.on_event(Upsert(msg()), clock.monotonic(), clock.time())
    s.on_event(Remove("map"), clock.monotonic(), clock.time())
    assert run(s, clock, 3.0) == []
    assert s.next_deadline() is None


def test_table_is_bounded_and_bad_entries_are_rejected() -> None:
    clock, s = FakeClock(), Scheduler(max_entries=2)
    for key in ("a", "b", "c"):
        s.on_event(Upsert(msg(key)), 1000.0, clock.time())
    s.on_event(Upsert(msg("d", interval_ms=0)), 1000.0, clock.time())
    s.on_event(Upsert(BroadcastMessage("e", 1, 183, 100)), 1000.0, clock.time())
    assert len(s) == 2
    kinds = [(n.kind, n.key) for n in s.take_notices()]
    assert kinds[-3:] == [("rejected", "c"), ("rejected", "d"), ("rejected", "e")]


def test_minute_of_year() -> None:
    assert minute_of_year(1_704_067_200.0) == 0  # 2024-01-01T00:00Z
    assert minute_of_year(1_704_067_200.0 + 86_400 + 61) == 1441


def test_stamp_sets_map_revisions_and_tim_counter_without_touching_the_input() -> None:
    frame = {"messageId": 18, "value": {"msgIssueRevision": 3, "intersections": [{"revision": 3}]}}
    out = stamp(frame, 130, 1_704_067_200.0)
    assert out["value"]["msgIssueRevision"] == 2
    assert out["value"]["intersections"][0]["revision"] == 2
    assert frame["value"]["msgIssueRevision"] == 3
    tim = stamp({"messageId": 31, "value": {"msgCnt": 0}}, 5, 1_704_067_200.0 + 600)
    assert tim["value"] == {"msgCnt": 5, "timeStamp": 10}


def test_changed_jer_entry_is_restamped_and_encoded_with_the_codec() -> None:
    codec = get_codec("j2735")
    real = codec.decode(bytes.fromhex(_real_tim_hex()))
    clock, s = FakeClock(), Scheduler(encoder=codec.encode)
    frame = real.jer()
    entry = msg("tim", payload=None, frame_jer=frame, message_type="TIM")
    s.on_event(Upsert(entry), clock.monotonic(), clock.time())
    first = codec.decode(s.poll(clock.monotonic(), clock.time())[0].payload)
    changed = {"messageId": 31, "value": {**frame["value"], "packetID": "00" * 9}}
    clock.advance(120.0)
    s.on_event(Upsert(msg("tim", payload=None, frame_jer=changed)), 1120.0, clock.time())
    second = codec.decode(s.poll(clock.monotonic(), clock.time())[0].payload)
    assert second.value["msgCnt"] == (first.value["msgCnt"] + 1) % 128
    assert second.value["timeStamp"] == first.value["timeStamp"] + 2
    assert second.value["packetID"] == "00" * 9


def _real_tim_hex() -> str:
    frame = json.loads((Path(__file__).parents[2] / "configs/examples/tim.json").read_text())
    return get_codec("j2735").encode(frame).hex()
