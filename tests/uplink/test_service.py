"""Uplink object behaviour that needs no broker: stop keeps what was queued, one process per
spool, bounded queue with room kept for critical records."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsu.errors import SpoolError
from rsu.uplink.records import CRITICAL, Record
from rsu.uplink.service import Uplink
from rsu.uplink.spool import Spool
from tests.conftest import free_port
from tests.uplink.conftest import make_config

NOWHERE = f"mqtt://127.0.0.1:{free_port()}"


def rec(i: int, prio: int = 0) -> Record:
    return Record(f"r{i}", "events" if prio else "v2x/BSM", {"id": f"r{i}"}, prio)


def test_stop_puts_everything_queued_into_the_spool(tmp_path: Path) -> None:
    up = Uplink(make_config(tmp_path, NOWHERE, batch_linger_ms=5000.0))
    up.start()
    assert all(up.submit(rec(i)) for i in range(25))
    assert up.stop() is False  # not drained: nothing reached a broker
    spool = Spool(tmp_path / "spool.db")
    assert spool.pending_records == 25


def test_one_process_per_spool(tmp_path: Path) -> None:
    first = Uplink(make_config(tmp_path, NOWHERE))
    first.start()
    try:
        with pytest.raises(SpoolError, match="in use"):
            Uplink(make_config(tmp_path, NOWHERE)).start()
    finally:
        first.stop()
    again = Uplink(make_config(tmp_path, NOWHERE))
    again.start()
    again.stop()


def test_full_queue_refuses_bulk_but_keeps_room_for_critical(tmp_path: Path) -> None:
    up = Uplink(make_config(tmp_path, NOWHERE, queue_size=10))  # not started: nothing drains
    assert all(up.submit(rec(i)) for i in range(10))
    assert not up.submit(rec(10))
    assert not up.has_room()
    assert all(up.submit(rec(i, CRITICAL)) for i in range(11, 21))
    assert not up.submit(rec(21, CRITICAL))
    assert up.stats().dropped == {"queue_full": 2}
