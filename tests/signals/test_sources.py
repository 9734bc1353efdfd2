"""The ``tscbm`` and ``sim`` sources on real loopback UDP sockets."""

from __future__ import annotations

import socket

from rsu.clock import SystemClock
from rsu.queues import BoundedQueue
from rsu.signals import tscbm
from rsu.signals.model import Datagram, Report
from rsu.signals.sim import SimSource
from rsu.signals.udp import READ_SIZE, TscbmSource
from tests.conftest import wait_until
from tests.signals.helpers import config, state


def test_tscbm_source_delivers_datagrams_with_the_sender_address() -> None:
    q: BoundedQueue[Datagram | Report] = BoundedQueue(16)
    src = TscbmSource(config(), SystemClock(), q)
    src.start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            tx.bind(("127.0.0.1", 0))
            data = tscbm.build(state())
            tx.sendto(data, src.address)
            tx.sendto(b"\xcd" * 5000, src.address)  # oversized: read truncated, never whole
            assert wait_until(lambda: len(q) == 2)
            first, second = q.drain()
            assert isinstance(first, Datagram)
            assert first.data == data
            assert first.peer == f"127.0.0.1:{tx.getsockname()[1]}"
            assert isinstance(second, Datagram)
            assert len(second.data) == READ_SIZE
    finally:
        src.stop()
    assert src.health()["received"] == 2


def test_the_queue_is_bounded_under_a_flood() -> None:
    q: BoundedQueue[Datagram | Report] = BoundedQueue(8)
    src = TscbmSource(config(), SystemClock(), q)
    src.start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            for _ in range(200):
                tx.sendto(b"x" * 245, src.address)
            assert wait_until(lambda: src.received == 200 or q.dropped > 150, timeout=5.0)
    finally:
        src.stop()
    assert len(q) <= 8
    assert q.dropped >= 1


def test_sim_source_sends_tscbm_at_its_rate_from_each_controller_address() -> None:
    groups = [{"signal_group": 2, "phase": 2}]
    cfg = config(
        {
            "source": "sim",
            "intersections": [
                {"intersection_id": 1, "controller": "127.0.0.11", "groups": groups},
                {"intersection_id": 2, "controller": "127.0.0.12", "groups": groups},
            ],
            "sim": {"rate_hz": 20.0},
        }
    )
    q: BoundedQueue[Datagram | Report] = BoundedQueue(1000)
    src = SimSource(cfg, SystemClock(), q)
    src.start()
    try:
        assert wait_until(lambda: len(q) >= 10)
    finally:
        src.stop()
    items = [i for i in q.drain() if isinstance(i, Datagram)]
    hosts = {i.peer.rsplit(":", 1)[0] for i in items}
    assert hosts == {"127.0.0.11", "127.0.0.12"}
    assert all(tscbm.parse(i.data).phases for i in items)
