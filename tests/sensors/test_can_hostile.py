"""Hostile CAN frames at a radar (issue 11, CAN table), over python-can's virtual bus.

Each row is what a bus with a faulty node, a wrong DBC or a babbling device delivers; it must be
counted under the row's counter of the radar's decoder (its ``health()``), and a whole good scan
sent right after it must still come out with every object.
"""

from __future__ import annotations

import itertools

import can
import pytest

from rsu.clock import FakeClock
from rsu.sensors.config import RadarConfig
from rsu.sensors.encode import RadarTarget, encode_scan
from rsu.sensors.radar import CanFrame, RadarDecoder, load_dbc
from rsu.sensors.sources import open_source, pump

_channels = itertools.count()
TARGETS = [
    RadarTarget(3, 42.4, -3.0, -12.5, 0.75, dyn_prop=2, label="car", prob_exist=6),
    RadarTarget(17, 120.2, 6.2, 8.0, -0.25, dyn_prop=0, label="truck", length_m=12.0),
]
ROWS: list[tuple[str, list[CanFrame], str, int]] = [
    ("error frame", [CanFrame(0x0, b"", is_error_frame=True)], "error_frames", 1),
    ("unknown id", [CanFrame(0x123, b"\x01\x02")], "unknown_frames", 1),
    (
        "known id, extended",
        [CanFrame(0x60B, b"\x00" * 8, is_extended_id=True)],
        "unknown_frames",
        1,
    ),
    ("general frame cut short", [CanFrame(0x60B, b"\x05\x54")], "malformed_frames", 1),
    ("empty object frame", [CanFrame(0x60B, b"")], "malformed_frames", 1),
    ("object outside a cycle", [CanFrame(0x60B, b"\x05" + b"\x00" * 7)], "orphan_frames", 1),
    ("babbling node", [CanFrame(0x60B, b"\xff" * 8)] * 300, "flood_dropped", 200),
]


def send(bus: can.BusABC, frames: list[CanFrame]) -> None:
    for f in frames:
        msg = can.Message(
            arbitration_id=f.arbitration_id,
            data=f.data,
            is_extended_id=f.is_extended_id,
            is_error_frame=f.is_error_frame,
        )
        bus.send(msg)


@pytest.mark.parametrize(("name", "frames", "counter", "n"), ROWS, ids=[r[0] for r in ROWS])
def test_bad_can_frames_are_counted_and_the_next_scan_is_whole(
    name: str, frames: list[CanFrame], counter: str, n: int
) -> None:
    channel = f"rsu-can-hostile-{next(_channels)}"
    config = RadarConfig(interface="virtual", channel=channel, max_frames_per_s=100)
    good = encode_scan(load_dbc(), TARGETS, counter=7)
    clock = FakeClock()
    with can.Bus(interface="virtual", channel=channel, ignore_config=True) as tx:
        source = open_source(config, clock)
        decoder = RadarDecoder(config)
        try:
            send(tx, frames)
            pump(source, decoder, clock, max_frames=len(frames), timeout=0.5)
            assert getattr(decoder.counters, counter) == n, (name, decoder.counters)
            clock.advance(1.0)  # the next second (the flood's budget is per second)
            send(tx, good)  # good input afterwards
            scans = pump(source, decoder, clock, max_frames=len(good), timeout=0.5)
        finally:
            source.close()
    scans += decoder.flush()
    assert [len(s.objects) for s in scans][-1:] == [len(TARGETS)], name
