"""The spool: pure room planning and chunking, then the real SQLite file."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from rsu.errors import SpoolError
from rsu.uplink.config import SpoolLimits
from rsu.uplink.packing import Row, chunk, plan_room
from rsu.uplink.records import BULK, CRITICAL, NORMAL, Record
from rsu.uplink.spool import ROW_OVERHEAD, Spool
from rsu.uplink.wire import WireFormat


def rec(
    i: int, stream: str = "v2x/BSM", prio: int = BULK, batch: bool = False, pad: int = 0
) -> Record:
    # random padding: zlib must not squeeze it away
    body = {"id": f"id-{stream}-{i}", "pad": random.randbytes(pad // 2).hex()}
    return Record(f"id-{stream}-{i}", stream, body, prio, batch)


def ids_of(row: Row) -> list[str]:
    return [json.loads(part)["id"] for part in row.records()]


def test_plan_room_frees_lowest_class_first() -> None:
    assert plan_room([50, 30, 20], 10, CRITICAL, 100) == [10, 0, 0]
    assert plan_room([5, 30, 60], 10, CRITICAL, 100) == [5, 0, 0]
    assert plan_room([0, 30, 60], 20, CRITICAL, 100) == [0, 10, 0]


def test_plan_room_never_evicts_a_higher_class_for_bulk() -> None:
    assert plan_room([0, 0, 95], 10, BULK, 100) is None
    assert plan_room([3, 40, 55], 10, NORMAL, 100) == [3, 5, 0]
    assert plan_room([0, 0, 95], 10, NORMAL, 100) is None


def test_plan_room_fits_without_eviction_and_rejects_oversize() -> None:
    assert plan_room([10, 10, 10], 10, BULK, 100) == [0, 0, 0]
    assert plan_room([0, 0, 0], 101, CRITICAL, 100) is None


def test_chunk_groups_per_stream_batch_flag_and_class_in_order() -> None:
    records = [
        rec(0, batch=True),
        rec(0, "events", CRITICAL),
        rec(1, batch=True),
        rec(2, batch=True),
        rec(0, "v2x/PSM", batch=True),
        rec(3, batch=True),
        rec(4),
        rec(1, "events", CRITICAL),
    ]
    rows = chunk(records, batch_max=3, batch_max_bytes=10_000, sizes=[10] * len(records))
    assert rows == [[0, 2, 3], [1, 7], [4], [5], [6]]


def test_chunk_respects_byte_cap() -> None:
    records = [rec(i, batch=True) for i in range(4)]
    assert chunk(records, 100, 25, [10, 10, 10, 10]) == [[0, 1], [2, 3]]


def test_rows_come_back_in_order_and_ack_deletes(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db", batch_max=2)
    spool.append([rec(i) for i in range(5)], now=1.0)
    spool.append([rec(i, "events", CRITICAL) for i in range(2)], now=2.0)
    rows = spool.fetch(0, 100)
    assert [ids_of(r) for r in rows] == [
        ["id-v2x/BSM-0", "id-v2x/BSM-1"],
        ["id-v2x/BSM-2", "id-v2x/BSM-3"],
        ["id-v2x/BSM-4"],
        ["id-events-0", "id-events-1"],
    ]
    spool.ack([rows[0].seq, rows[3].seq])
    assert spool.pending_records == 3
    assert [r.seq for r in spool.fetch(0, 100)] == [rows[1].seq, rows[2].seq]


def test_a_row_publishes_one_array_when_batched_else_one_object_per_record(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path / "s.db", batch_max=50)
    spool.append([rec(i, batch=True) for i in range(120)], now=1.0)
    spool.append([rec(i, "v2x/MAP") for i in range(3)], now=1.0)
    rows = spool.fetch(0, 100)
    assert [(r.stream, r.n, r.batch) for r in rows] == [
        ("v2x/BSM", 50, True),
        ("v2x/BSM", 50, True),
        ("v2x/BSM", 20, True),
        ("v2x/MAP", 3, False),
    ]
    assert [i for r in rows for i in ids_of(r)][:120] == [f"id-v2x/BSM-{i}" for i in range(120)]
    (array,) = WireFormat().payloads(rows[0].records(), rows[0].batch)
    assert [b["id"] for b in json.loads(array)] == [f"id-v2x/BSM-{i}" for i in range(50)]
    singles = WireFormat().payloads(rows[3].records(), rows[3].batch)
    assert [json.loads(p)["id"] for p in singles] == [f"id-v2x/MAP-{i}" for i in range(3)]


# The bound tests below use one record a row (batch_max=1) so the arithmetic stays visible;
# with larger rows eviction works the same, a whole row at a time.


def test_backlog_survives_reopen_with_same_ids_and_counters(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    spool = Spool(path, SpoolLimits(max_bytes=6000), batch_max=1)
    spool.append([rec(i, pad=500) for i in range(20)], now=1.0)
    before = spool.stats()
    spool.close()  # (a kill -9 keeps the same state: every append is one committed transaction)
    again = Spool(path, SpoolLimits(max_bytes=6000), batch_max=1)
    after = again.stats()
    assert after.pending == before.pending > 0
    assert after.dropped == before.dropped
    assert after.dropped["size:v2x/BSM"] == 20 - after.pending
    assert again.usage == spool.usage
    kept = [i for r in again.fetch(0, 100) for i in ids_of(r)]
    assert kept == [f"id-v2x/BSM-{i}" for i in range(20 - after.pending, 20)]


def test_full_spool_drops_new_bulk_but_never_critical_for_bulk(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db", SpoolLimits(max_bytes=4000), batch_max=1)
    spool.append([rec(i, "events", CRITICAL, pad=300) for i in range(20)], now=1.0)
    critical = spool.stats().streams["events"]
    assert spool.append([rec(i, pad=2000) for i in range(3)], now=2.0) == 0
    assert spool.append([rec(i, pad=300) for i in range(10, 15)], now=3.0) >= 1
    st = spool.stats()
    assert st.streams["events"] == critical
    assert st.dropped["full:v2x/BSM"] == 3
    kept = st.streams.get("v2x/BSM", 0)
    assert kept + st.dropped.get("size:v2x/BSM", 0) == 5
    assert sum(spool.usage) <= 4000


def test_critical_evicts_bulk_first(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db", SpoolLimits(max_bytes=4000), batch_max=1)
    spool.append([rec(i, pad=300) for i in range(10)], now=1.0)
    spool.append([rec(i, "events", CRITICAL, pad=300) for i in range(8)], now=2.0)
    st = spool.stats()
    assert st.streams["events"] == 8
    assert "size:events" not in st.dropped
    assert st.dropped["size:v2x/BSM"] == 10 - st.streams.get("v2x/BSM", 0) > 0
    assert sum(spool.usage) <= 4000


def test_age_bound_drops_old_bulk_keeps_critical_longer(tmp_path: Path) -> None:
    limits = SpoolLimits(max_age_s=100.0, critical_max_age_s=1000.0)
    spool = Spool(tmp_path / "s.db", limits)
    spool.append([rec(0), rec(0, "events", CRITICAL)], now=0.0)
    spool.append([rec(1)], now=150.0)
    assert spool.expire(now=200.0) == 1
    assert spool.stats().streams == {"events": 1, "v2x/BSM": 1}
    assert spool.expire(now=1500.0) == 2
    assert spool.stats().dropped == {"age:events": 1, "age:v2x/BSM": 2}
    assert spool.usage == [0, 0, 0]


def test_usage_counts_payload_plus_row_overhead(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db")
    spool.append([rec(0)], now=0.0)
    (row,) = spool.fetch(0, 1)
    assert spool.usage[BULK] > ROW_OVERHEAD
    spool.ack([row.seq])
    assert spool.usage == [0, 0, 0]


def test_disk_full_is_a_spool_error_and_nothing_half_written(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db", batch_max=1)
    spool.append([rec(0, pad=200)], now=0.0)
    usage, pending = spool.usage, spool.pending_records
    pages = spool._db.execute("PRAGMA page_count").fetchone()[0]  # test-only: cap the file
    spool._db.execute(f"PRAGMA max_page_count = {pages + 1}")
    with pytest.raises(SpoolError, match="full"):
        spool.append([rec(i, pad=3000) for i in range(1, 40)], now=1.0)
    assert (spool.usage, spool.pending_records) == (usage, pending)
    assert [ids_of(r) for r in spool.fetch(0, 100)] == [["id-v2x/BSM-0"]]


def test_rows_read_the_same_from_the_write_cache_and_from_the_file(tmp_path: Path) -> None:
    writer = Spool(tmp_path / "s.db", batch_max=10)
    # ~20 MB of rows: more than the 8 MB write cache, so the oldest come from the file
    writer.append([rec(i, pad=3000) for i in range(6800)], now=0.0)
    reader = Spool(tmp_path / "s.db")  # another process: nothing cached
    from_writer = writer.fetch(0, 2000)
    assert len(from_writer) == 680
    assert from_writer == reader.fetch(0, 2000)
    assert writer.fetch(from_writer[-1].seq, 10) == []


def test_drops_are_logged_at_most_every_ten_seconds_with_counts(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db", SpoolLimits(max_age_s=1.0), batch_max=1)
    with capture_logs() as logs:
        for t in range(0, 30, 2):
            spool.append([rec(t)], now=float(t))
            spool.expire(now=float(t) + 1.5)
    warned = [e for e in logs if e["event"] == "spool_dropped"]
    assert len(warned) == 3  # at t = 1.5, 11.5, 21.5
    assert sum(sum(e["counts"].values()) for e in warned) <= 15
    assert all(set(e["counts"]) == {"age:v2x/BSM"} for e in warned)


def test_drop_counts_are_current_after_each_write_and_kept_in_the_file(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db", SpoolLimits(max_bytes=4000), batch_max=1)
    spool.append([rec(i, "events", CRITICAL, pad=300) for i in range(20)], now=1.0)
    assert spool.append([rec(i, pad=2000) for i in range(3)], now=2.0) == 0
    dropped = spool.stats().dropped
    assert dropped["full:v2x/BSM"] == 3
    assert spool.dropped == dropped
    spool.close()
    assert Spool(tmp_path / "s.db").dropped == dropped


def test_a_rolled_back_write_leaves_no_drop_counted(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db", SpoolLimits(max_bytes=4000), batch_max=1)
    spool.append([rec(i, pad=300) for i in range(10)], now=0.0)
    before = (spool.usage, spool.pending_records, spool.dropped)
    assert before[2] == {}
    # test-only: the write of the drop counts fails (as a full disk would), after eviction
    spool._db.execute(
        "CREATE TEMP TRIGGER no_room BEFORE INSERT ON counters"
        " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    with pytest.raises(SpoolError, match="full"):
        spool.append([rec(0, "events", CRITICAL, pad=3000)], now=1.0)
    assert (spool.usage, spool.pending_records, spool.dropped) == before
    assert spool.stats().dropped == {}
    assert spool.stats().pending == 10
