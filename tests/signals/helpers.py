"""Shared builders for the signals tests."""

from __future__ import annotations

from typing import Any

from rsu.config.fields import Table
from rsu.signals.config import SignalsConfig
from rsu.signals.core import SignalsCore, SpatSettings
from rsu.signals.model import Bitmaps, ControllerState, PhaseTimes

ONE = {
    "source": "tscbm",
    "listen": "127.0.0.1:0",
    "intersection_id": 1001,
    "groups": [
        {"signal_group": 2, "phase": 2},
        {"signal_group": 4, "phase": 4, "movement": "permissive"},
        {"signal_group": 12, "phase": 2, "kind": "pedestrian"},
        {"signal_group": 22, "overlap": 1},
    ],
}


def config(data: dict[str, Any] | None = None, **overrides: Any) -> SignalsConfig:
    return SignalsConfig.from_table(Table({**(data or ONE), **overrides}, "signals"))


def core(cfg: SignalsConfig | None = None, standard: str = "j2735", **kw: Any) -> SignalsCore:
    from rsu.v2x.codec import get_codec

    codec = get_codec(standard)
    psid = 0x8002 if standard == "j2735" else 3619
    return SignalsCore(cfg or config(), SpatSettings(standard, psid), codec.encode, **kw)


def state(**maps: int) -> ControllerState:
    """Phase 2 green with walk, phase 4 red, overlap 1 green; times 5.0-8.0 s on phase 2."""
    m = {"greens": 0b10, "reds": 0b1000, "walks": 0b10, "dont_walks": 0b1000, "overlap_greens": 1}
    m.update(maps)
    return ControllerState(
        phases=(PhaseTimes(2, 50, 80, 30, 30, 40, 40), PhaseTimes(4, 120, 150, 120, 150)),
        maps=Bitmaps(**m),
        status=0b0010_0000,
        controller_time=(12, 0, 0, 0),
    )
