"""TSCBM: the traffic signal controller broadcast message (sans-I/O parse and build).

Most US controllers send it over UDP (default port 6053) once per 100 ms once their SPaT
broadcast is enabled. Big-endian, 241 bytes, or 245 with the two pedestrian bitmaps::

    offset  size  field
    0       1     header 0xCD
    1       1     number of phases (16)
    2       13x16 per phase: phase number (u8), then u16 tenths of a second until the next
                  change: vehicle min, vehicle max, pedestrian min, pedestrian max,
                  overlap min, overlap max (0xFFFF: not available)
    210     2x11  u16 bitmaps, bit n-1 for phase n: phase reds, yellows, greens, don't walks,
                  pedestrian clears, walks, overlap reds, yellows, greens, flashing phases,
                  flashing overlaps
    232     1     intersection status (low byte of the J2735 IntersectionStatusObject)
    233     1     timebase ASC action status
    234     1     discontinuous change flag
    235     1     message sequence counter
    236     3     controller time: hour, minute, second
    239     2     milliseconds
    241     2     pedestrian call bitmap (245-byte form only)
    243     2     pedestrian detect bitmap (245-byte form only)

Written by hand: a fixed layout that ``struct`` reads in one call; no library parses TSCBM.
A datagram that is not exactly this is a ``TscbmError`` whose ``reason`` is a stable name the
receiver counts by (``short``, ``oversized``, ``bad_length``, ``wrong_header``,
``bad_phase_count``, ``bad_phase_number``).
"""

from __future__ import annotations

import struct

from rsu.errors import RsuError
from rsu.signals.model import PHASES, Bitmaps, ControllerState, PhaseTimes

HEADER = 0xCD
SIZE = 241
SIZE_WITH_PED = 245
NOT_AVAILABLE = 0xFFFF
_BLOCK = struct.Struct(">B6H")
_HEAD = struct.Struct(">BB")
_TAIL = struct.Struct(">11H4B3BH")
_PED = struct.Struct(">HH")
_TAIL_AT = _HEAD.size + PHASES * _BLOCK.size  # 210
assert _TAIL_AT + _TAIL.size == SIZE


class TscbmError(RsuError, ValueError):
    """A datagram that is not a TSCBM; ``reason`` names why (counted per reason)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def _time(value: int) -> int | None:
    return None if value == NOT_AVAILABLE else value


def _wire(value: int | None) -> int:
    return NOT_AVAILABLE if value is None else max(0, min(NOT_AVAILABLE - 1, value))


def parse(data: bytes) -> ControllerState:
    """One TSCBM datagram -> ``ControllerState``; ``TscbmError`` for anything else."""
    n = len(data)
    if n < SIZE:
        raise TscbmError("short", f"{n} bytes, a TSCBM has {SIZE} or {SIZE_WITH_PED}")
    if n > SIZE_WITH_PED:
        raise TscbmError("oversized", f"{n} bytes, a TSCBM has {SIZE} or {SIZE_WITH_PED}")
    if n not in (SIZE, SIZE_WITH_PED):
        raise TscbmError("bad_length", f"{n} bytes, a TSCBM has {SIZE} or {SIZE_WITH_PED}")
    header, count = _HEAD.unpack_from(data, 0)
    if header != HEADER:
        raise TscbmError("wrong_header", f"first byte 0x{header:02X}, expected 0x{HEADER:02X}")
    if not 1 <= count <= PHASES:
        raise TscbmError("bad_phase_count", f"{count} phases, expected 1..{PHASES}")
    blocks: list[PhaseTimes] = []
    seen: set[int] = set()
    for i in range(count):
        number, *times = _BLOCK.unpack_from(data, _HEAD.size + i * _BLOCK.size)
        if number == 0:
            continue  # an unused block
        if number > PHASES or number in seen:
            raise TscbmError("bad_phase_number", f"block {i} has phase {number}")
        seen.add(number)
        blocks.append(PhaseTimes(number, *(_time(t) for t in times)))
    *maps, status, action, discontinuous, sequence, hour, minute, second, ms = _TAIL.unpack_from(
        data, _TAIL_AT
    )
    valid_time = hour < 24 and minute < 60 and second < 61 and ms < 1000
    ped = _PED.unpack_from(data, SIZE) if n == SIZE_WITH_PED else (None, None)
    return ControllerState(
        phases=tuple(blocks),
        maps=Bitmaps(*maps),
        status=status,
        action=action,
        discontinuous=discontinuous,
        sequence=sequence,
        controller_time=(hour, minute, second, ms) if valid_time else None,
        ped_calls=ped[0],
        ped_detects=ped[1],
    )


def build(state: ControllerState, *, pedestrian: bool | None = None) -> bytes:
    """The TSCBM datagram of ``state`` (the emulator's and the tests' builder).

    ``pedestrian`` picks the 245-byte form; by default it is used when the state has the
    pedestrian bitmaps. Phases are written in blocks 1..16 by number; absent ones as 0.
    """
    out = bytearray(_HEAD.pack(HEADER, PHASES))
    by_number = {p.number: p for p in state.phases}
    for number in range(1, PHASES + 1):
        p = by_number.get(number)
        if p is None:
            out += _BLOCK.pack(0, *(NOT_AVAILABLE,) * 6)
            continue
        times = (p.vehicle_min, p.vehicle_max, p.ped_min, p.ped_max, p.overlap_min, p.overlap_max)
        out += _BLOCK.pack(number, *(_wire(t) for t in times))
    m = state.maps
    maps = (
        m.reds,
        m.yellows,
        m.greens,
        m.dont_walks,
        m.ped_clears,
        m.walks,
        m.overlap_reds,
        m.overlap_yellows,
        m.overlap_greens,
        m.flashing,
        m.overlap_flashing,
    )
    hour, minute, second, ms = state.controller_time or (0, 0, 0, 0)
    out += _TAIL.pack(
        *(v & 0xFFFF for v in maps),
        state.status & 0xFF,
        state.action & 0xFF,
        state.discontinuous & 0xFF,
        state.sequence & 0xFF,
        hour,
        minute,
        second,
        ms,
    )
    if pedestrian is None:
        pedestrian = state.ped_calls is not None or state.ped_detects is not None
    if pedestrian:
        out += _PED.pack((state.ped_calls or 0) & 0xFFFF, (state.ped_detects or 0) & 0xFFFF)
    return bytes(out)
