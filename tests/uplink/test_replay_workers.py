"""The receive path in worker processes (issue 14.2): ``rsu.procpool`` keeps order and loses
nothing when a worker dies; ``rsu replay --jobs`` through a real mosquitto keeps order per
stream and delivers every record once across a SIGKILLed worker; a record made ahead in a
worker is byte for byte what the uplink would have spooled."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rsu.cli.replay_workers import feed_pool, start_pool
from rsu.procpool import OrderedPool
from rsu.uplink.config import read_uplink_config
from rsu.uplink.identity import REPLAY
from rsu.uplink.packing import encode_body
from rsu.uplink.prepared import RecordMaker
from rsu.uplink.records import Origin, message_body
from rsu.uplink.service import Uplink
from rsu.v2x.codec import get_codec
from rsu.v2x.message import V2xMessage
from tests.conftest import Broker, wait_until
from tests.uplink.conftest import Collector, config_dict

PARENT = os.getpid()


def _square_dying_once(marker: Path) -> Callable[[], Callable[[int], int]]:
    """A worker function that kills its process (like a segfault) the first time it sees 5."""

    def make() -> Callable[[int], int]:
        def fn(x: int) -> int:
            if x == 5 and not marker.exists():
                marker.write_text("died")
                os._exit(1)
            return x * x

        return fn

    return make


def test_pool_keeps_order_and_redoes_the_items_of_a_dead_worker(tmp_path: Path) -> None:
    with OrderedPool(2, _square_dying_once(tmp_path / "marker")) as pool:
        got: list[int] = []
        for x in range(40):
            pool.put(x)
            got.extend(pool.ready())
        got.extend(pool.finish())
        assert got == [x * x for x in range(40)]
        assert pool.restarts == 1
        assert pool.local == 0


def _poison() -> Callable[[int], int]:
    def fn(x: int) -> int:
        if x == 3 and os.getpid() != PARENT:
            os.kill(os.getpid(), signal.SIGKILL)
        return x + 1

    return fn


def test_an_item_that_kills_every_worker_is_done_in_the_parent_not_retried_forever() -> None:
    with OrderedPool(2, _poison) as pool:
        for x in range(10):
            pool.put(x)
        assert list(pool.finish()) == [x + 1 for x in range(10)]
        assert pool.restarts == 2
        assert pool.local == 1


def _raises() -> Callable[[int], int]:
    def fn(x: int) -> int:
        if x == 2:
            raise KeyError("a bug")
        return x

    return fn


def test_an_error_in_a_worker_surfaces_in_the_parent() -> None:
    with OrderedPool(2, _raises) as pool:
        for x in range(4):
            pool.put(x)
        with pytest.raises(KeyError):
            list(pool.finish())


@pytest.mark.parametrize("dialect", ["default", "cn-rsu"])
def test_a_record_made_ahead_is_what_submit_message_spools(
    tmp_path: Path, messages: list[V2xMessage], dialect: str
) -> None:
    cfg = read_uplink_config(config_dict(tmp_path, "mqtt://127.0.0.1:1", dialect=dialect))
    maker = RecordMaker(cfg)
    up = Uplink(cfg, role=REPLAY)
    origin = Origin(backend="replay")
    for msg in messages[:300]:
        ahead = maker.prepare(msg, received_at=1.7e9, origin=origin)
        body = message_body(
            msg, record_id="r-1", rsu_id="rsu-0042", received_at=1.7e9, origin=origin
        )
        body.update(up.dialect.message_fields(msg, "rsu-0042", 1.7e9, cfg.payload))
        assert ahead.payload("r-1") == encode_body(body)
        assert ahead.short_name == msg.short_name


def _lines_killing_a_worker(
    hexes: list[str], pool: OrderedPool[Any, Any], at: int
) -> Iterator[str]:
    for i, text in enumerate(hexes):
        if i == at:
            os.kill(pool.pids[0], signal.SIGKILL)
        yield text


def test_replay_workers_keep_order_per_stream_and_lose_nothing_across_a_killed_worker(
    tmp_path: Path,
    mosquitto: Broker,
    collect: Callable[..., Collector],
    frames: list[dict[str, Any]],
) -> None:
    sub = collect(mosquitto.url, ["rsu/rsu-0042/#"])
    cfg = read_uplink_config(config_dict(tmp_path, mosquitto.url))
    hexes = [f["outer_hex"] or f["hex"] for f in frames] * 2  # the same frame twice: two records
    hexes.insert(700, "not-hex")
    pool = start_pool(2, get_codec("j2735"), cfg)
    up = Uplink(cfg, role=REPLAY)
    up.start()
    try:
        counts = feed_pool(_lines_killing_a_worker(hexes, pool, 1500), pool, up)
    finally:
        pool.close()
        assert up.stop(drain_timeout=60)
    good = len(hexes) - 1
    assert counts["worker_restarts"] == 1
    assert (counts["decoded"], counts["bad"], counts["submitted"]) == (good, 1, good)
    assert wait_until(lambda: len(sub.records("rsu/rsu-0042/v2x/")) >= good, timeout=30)
    got = sub.records("rsu/rsu-0042/v2x/")
    assert len(got) == good
    assert len({r["id"] for r in got}) == good  # each record once
    codec = get_codec("j2735")
    expected: dict[str, list[str]] = {}
    for text in hexes:
        if text != "not-hex":
            msg = codec.decode(bytes.fromhex(text))
            expected.setdefault(msg.message_type, []).append(msg.raw.hex())
    seen: dict[str, list[str]] = {}
    for r in got:
        seen.setdefault(r["message_type"], []).append(r["raw"])
    assert seen == expected  # per stream, in input order
