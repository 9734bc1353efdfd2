"""TSCBM golden vectors (both sizes), and every kind of bad datagram."""

from __future__ import annotations

import struct

import pytest

from rsu.signals import tscbm
from rsu.signals.model import Bitmaps, ControllerState, PhaseTimes

# Hand-written from the layout (issue 15), checked byte by byte: header, 16 phase blocks (phase
# 1 with times 5.0/8.0 s vehicle, 3.0/3.0 s pedestrian, overlap not available; every other
# block unused), the eleven bitmaps, status, action, discontinuous flag, sequence, time.
PHASE1 = "01" + "0032" + "0050" + "001e" + "001e" + "ffff" + "ffff"
UNUSED = "00" + "ffff" * 6
BITMAPS = (
    "0008"  # reds: phase 4
    "0004"  # yellows: phase 3
    "0001"  # greens: phase 1
    "0008"  # don't walks: phase 4
    "0000"  # pedestrian clears
    "0001"  # walks: phase 1
    "0002"  # overlap reds: overlap 2
    "0000"  # overlap yellows
    "0001"  # overlap greens: overlap 1
    "8000"  # flashing phases: phase 16
    "0000"  # flashing overlaps
)
TAIL = (
    "09" + "03" + "00" + "2a" + "0d" + "1e" + "3b" + "03e7"
)  # status 0b1001, seq 42, 13:30:59.999
GOLDEN_241 = bytes.fromhex("cd10" + PHASE1 + UNUSED * 15 + BITMAPS + TAIL)
GOLDEN_245 = GOLDEN_241 + bytes.fromhex("0001" + "8001")

EXPECTED = ControllerState(
    phases=(PhaseTimes(1, 50, 80, 30, 30, None, None),),
    maps=Bitmaps(
        reds=8, yellows=4, greens=1, dont_walks=8, walks=1, overlap_reds=2, overlap_greens=1,
        flashing=0x8000,
    ),
    status=9,
    action=3,
    sequence=42,
    controller_time=(13, 30, 59, 999),
)  # fmt: skip


def test_golden_vectors_have_the_layout_sizes() -> None:
    assert len(GOLDEN_241) == tscbm.SIZE == 241
    assert len(GOLDEN_245) == tscbm.SIZE_WITH_PED == 245


def test_golden_241_parses_field_by_field() -> None:
    assert tscbm.parse(GOLDEN_241) == EXPECTED


def test_golden_245_carries_the_pedestrian_bitmaps() -> None:
    from dataclasses import replace

    assert tscbm.parse(GOLDEN_245) == replace(EXPECTED, ped_calls=1, ped_detects=0x8001)


def test_our_builder_writes_the_golden_bytes() -> None:
    from dataclasses import replace

    assert tscbm.build(EXPECTED) == GOLDEN_241
    assert tscbm.build(replace(EXPECTED, ped_calls=1, ped_detects=0x8001)) == GOLDEN_245


def test_build_parse_round_trip_for_every_phase() -> None:
    phases = tuple(PhaseTimes(n, n, n + 1, n + 2, n + 3, n + 4, 0xFFFE) for n in range(1, 17))
    s = ControllerState(
        phases=phases, maps=Bitmaps(*range(1, 12)), status=0xFF, controller_time=(0, 0, 0, 0)
    )
    assert tscbm.parse(tscbm.build(s)) == s


def test_times_are_big_endian() -> None:
    data = tscbm.build(ControllerState(phases=(PhaseTimes(1, 0x1234),)))
    assert data[2:5] == bytes([1, 0x12, 0x34])


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "short"),
        (GOLDEN_241[:240], "short"),
        (GOLDEN_245 + b"\0", "oversized"),
        (GOLDEN_241 + b"\0" * 1000, "oversized"),
        (GOLDEN_241 + b"\0", "bad_length"),
        (GOLDEN_241 + b"\0\0\0", "bad_length"),
        (b"\xcc" + GOLDEN_241[1:], "wrong_header"),
        (GOLDEN_241[:1] + b"\x00" + GOLDEN_241[2:], "bad_phase_count"),
        (GOLDEN_241[:1] + b"\x11" + GOLDEN_241[2:], "bad_phase_count"),
        (GOLDEN_241[:2] + b"\x11" + GOLDEN_241[3:], "bad_phase_number"),
        (GOLDEN_241[:15] + b"\x01" + GOLDEN_241[16:], "bad_phase_number"),  # phase 1 twice
    ],
)
def test_bad_datagrams_name_their_reason(data: bytes, reason: str) -> None:
    with pytest.raises(tscbm.TscbmError) as err:
        tscbm.parse(data)
    assert err.value.reason == reason


def test_a_nonsense_controller_clock_is_not_used() -> None:
    bad = GOLDEN_241[:236] + struct.pack(">BBBH", 25, 61, 99, 5000)
    assert tscbm.parse(bad).controller_time is None
