"""The publisher core on a FakeClock: window, acks, linger, expiry, hold, timers (no broker,
no threads, no sleeps)."""

from __future__ import annotations

import json
import math

from rsu.clock import FakeClock
from rsu.uplink.packing import Row
from rsu.uplink.publisher import Publisher, PublisherSettings
from rsu.uplink.wire import WireFormat, decode_payload


def row(seq: int, stream: str = "v2x/BSM", n: int = 1, batch: bool = False, **kw: object) -> Row:
    blob = b"\n".join(json.dumps({"id": f"{seq}-{i}"}).encode() for i in range(n))
    return Row(seq, stream, n, batch, blob, **kw)  # type: ignore[arg-type]


def make(clock: FakeClock, **kw: object) -> Publisher:
    settings = PublisherSettings(**{"heartbeat_s": 0.0, "running_info_s": 0.0, **kw})  # type: ignore[arg-type]
    pub = Publisher(settings, lambda s: f"rsu/x/{s}", clock.monotonic())
    pub.on_connected(clock.monotonic())
    return pub


def send_all(pub: Publisher, utc: float, first_mid: int = 1) -> list[int]:
    outs, _ = pub.publishes(utc)
    mids = []
    for i, out in enumerate(outs):
        assert out.seq is not None
        pub.sent(first_mid + i, out.seq)
        mids.append(first_mid + i)
    return mids


def test_the_window_bounds_publishes_and_a_row_is_done_when_all_its_publishes_are_acked() -> None:
    clock = FakeClock()
    pub = make(clock, inflight=2)
    assert pub.rows_wanted() > 0
    pub.take([row(1, n=2), row(2, n=2)])  # non-batched: one publish per record
    mids = send_all(pub, clock.time())
    assert len(mids) == 2  # row 1 fills the window of 2
    assert pub.inflight == 2
    assert send_all(pub, clock.time(), first_mid=10) == []
    assert pub.acked([(mids[0], True)]) == []  # row 1 still has one publish out
    mids += send_all(pub, clock.time(), first_mid=10)
    assert pub.inflight == 3  # a row goes out whole once the window has room
    assert pub.rows_wanted() == 0  # full window: read nothing more
    assert pub.acked([(mids[1], True)]) == [1]
    assert pub.acked([(999, True)]) == []  # unknown ids are ignored
    assert pub.acked([(mids[2], False), (mids[3], True)]) == [2]
    assert pub.n.rejected == 1
    assert pub.idle()


def test_nothing_is_published_while_disconnected_and_in_flight_acks_still_count() -> None:
    clock = FakeClock()
    pub = make(clock)
    pub.take([row(1)])
    (mid,) = send_all(pub, clock.time())
    pub.on_disconnected()
    assert pub.rows_wanted() == 0
    pub.take([row(2)])
    assert pub.publishes(clock.time()) == ([], [])
    assert pub.acked([(mid, True)]) == [1]  # the client re-sent it after the reconnect
    pub.on_connected(clock.monotonic())
    assert [o.seq for o in pub.publishes(clock.time())[0]] == [2]


def test_linger_commits_a_row_worth_at_once_or_the_first_record_after_linger_s() -> None:
    clock = FakeClock()
    pub = make(clock, linger_s=0.05, batch_max=10)
    pub.due(clock.monotonic())  # the start-up timers
    assert not pub.ingest_due(0, clock.monotonic())
    assert not pub.ingest_due(3, clock.monotonic())
    deadline = pub.next_deadline()
    assert deadline is not None
    assert abs(deadline - (clock.monotonic() + 0.05)) < 1e-9
    clock.advance(0.049)
    assert not pub.ingest_due(4, clock.monotonic())
    clock.advance(0.002)
    assert pub.ingest_due(4, clock.monotonic())
    assert pub.ingest_due(10, clock.monotonic())  # a full row does not wait
    # records that came while those were committed: due at once, to start their linger
    assert pub.next_deadline(queued=2) == -math.inf
    assert not pub.ingest_due(2, clock.monotonic())
    assert pub.next_deadline(queued=2) == clock.monotonic() + 0.05


def test_perishable_rows_expire_unsent_and_fresh_ones_carry_the_expiry_left() -> None:
    clock = FakeClock()
    pub = make(clock)
    utc = clock.time()
    pub.take([row(1, "v2x/SPAT", expires=utc - 0.1), row(2, "v2x/SPAT", expires=utc + 1.2)])
    outs, expired = pub.publishes(utc)
    assert [r.seq for r in expired] == [1]
    assert pub.n.expired == 1
    assert [(o.seq, o.expiry_s) for o in outs] == [(2, 2)]  # ceil(1.2)


def test_a_hold_keeps_other_streams_in_the_spool_and_they_follow_in_order_when_lifted() -> None:
    clock = FakeClock()
    pub = make(clock)
    pub.hold(frozenset({"events"}))
    pub.take([row(1), row(2, "events"), row(3)])
    outs, _ = pub.publishes(clock.time())
    assert [o.seq for o in outs] == [2]
    pub.sent(7, 2)
    assert pub.cursor == 3
    pub.hold(None)
    assert pub.cursor == 0  # rows 1 and 3 are read again
    pub.take([row(1), row(2, "events"), row(3)])  # 2 is in flight: not sent twice
    assert [o.seq for o in pub.publishes(clock.time())[0]] == [1, 3]


def test_timers_fire_on_the_fake_clock_and_wait_for_a_connection() -> None:
    clock = FakeClock()
    settings = PublisherSettings(heartbeat_s=10.0, running_info_s=60.0, expire_every_s=60.0)
    pub = Publisher(settings, str, clock.monotonic())
    assert pub.due(clock.monotonic()) == ["expire"]  # the spool is swept even offline
    pub.on_connected(clock.monotonic())
    assert pub.due(clock.monotonic()) == ["running_info", "status"]  # birth status at once
    clock.advance(9.9)
    assert pub.due(clock.monotonic()) == []
    clock.advance(0.2)
    assert pub.due(clock.monotonic()) == ["heartbeat"]
    pub.set_rates(clock.monotonic(), heartbeat_s=0.0, running_info_s=None)
    clock.advance(100.0)
    assert pub.due(clock.monotonic()) == ["running_info", "expire"]


def test_status_changes_are_coalesced_to_one_per_gap() -> None:
    clock = FakeClock()
    pub = make(clock, status_gap_s=1.0)
    assert pub.due(clock.monotonic()) == ["expire", "status"]
    pub.status_changed(clock.monotonic())
    pub.status_changed(clock.monotonic())
    assert pub.due(clock.monotonic()) == []
    clock.advance(1.0)
    assert pub.due(clock.monotonic()) == ["status"]
    assert pub.due(clock.monotonic()) == []


def test_wire_formats_always_array_cbor_and_zlib_round_trip() -> None:
    records = [b'{"id":"a","n":1}', b'{"id":"b","n":2}']
    assert WireFormat().payloads(records[:1], batch=True) == [records[0]]
    (one,) = WireFormat(always_array=True).payloads(records[:1], batch=True)
    assert json.loads(one) == [{"id": "a", "n": 1}]
    for fmt in (WireFormat("cbor"), WireFormat("json", "zlib"), WireFormat("cbor", "zlib")):
        (payload,) = fmt.payloads(records, batch=True)
        assert decode_payload(payload, fmt.content_type) == [
            {"id": "a", "n": 1},
            {"id": "b", "n": 2},
        ]
    clock = FakeClock()
    pub = make(clock, wire=WireFormat("cbor", "zlib"))
    pub.take([row(1, n=3, batch=True)])
    (out,), _ = pub.publishes(clock.time())
    assert out.content_type == "application/cbor+zlib"
    assert [r["id"] for r in decode_payload(out.payload, out.content_type)] == ["1-0", "1-1", "1-2"]
