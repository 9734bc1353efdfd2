"""Attacker datagrams: any bytes, and valid TSCBMs with flipped bits, never raise out of the
core; every datagram is either used or counted."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rsu.signals import tscbm
from rsu.signals.emulator import Emulator, PlanConfig
from rsu.signals.model import Datagram
from tests.signals.helpers import core

GOOD = [tscbm.build(Emulator(PlanConfig()).state(t * 0.7, (1, 2, 3, 4)), pedestrian=p)
        for t in range(10) for p in (False, True)]  # fmt: skip
CORE = core()


def _feed(data: bytes) -> None:
    before = CORE.n.reports + sum(CORE.n.bad.values())
    CORE.on_datagram(Datagram(data, "10.0.0.1:1", 1000.0, 0.0), 1000.0)
    assert CORE.n.reports + sum(CORE.n.bad.values()) == before + 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes(data: bytes) -> None:
    _feed(data)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(GOOD), st.lists(st.integers(0, 245 * 8 - 1), max_size=8))
def test_bit_flipped_tscbm(good: bytes, flips: list[int]) -> None:
    data = bytearray(good)
    for f in flips:
        if f // 8 < len(data):
            data[f // 8] ^= 1 << (f % 8)
    _feed(bytes(data))
