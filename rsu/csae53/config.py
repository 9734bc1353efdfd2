"""``[csae53]``: the China-mode details of the CSAE 53 message set (RSM/RSI ids, intervals,
AIDs, event types). Read without importing the daemon or paho."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Self

from rsu.config.fields import Table
from rsu.csae53.messages import CSAE_AIDS
from rsu.errors import ConfigError
from rsu.wire import DEFAULT_CHANNEL

ENGINE_TYPES = (
    "zone_presence",
    "pedestrian_in_crosswalk",
    "stopped_vehicle",
    "wrong_way",
    "over_speed",
    "line_crossing",
    "queue_length",
)


@dataclass(frozen=True, slots=True)
class CsaeConfig:
    """``[csae53]``: China-mode details, used when ``[rsu] standard = "csae53"``.

    ```toml
    [csae53]
    rsu_id = "R328328"          # RSM/RSI id: 16 hex digits or up to 8 characters ([rsu] id)
    rsm_interval_ms = 100       # default: 1000 / [fusion] sdsm_hz
    rsi_interval_ms = 1000
    channel = 183
    path_radius_m = 3.5         # RSI reference path half-width around a zone outline
    [csae53.aids]               # AID per message (defaults: rsu.csae53.messages.CSAE_AIDS)
    RSM = 3623
    [csae53.event_types]        # GB/T 29100 eventType per event-engine type; false: not sent
    stopped_vehicle = 401
    zone_presence = false
    ```
    """

    rsu_id: str | None = None
    rsm_interval_ms: int | None = None
    rsi_interval_ms: int = 1000
    channel: int = DEFAULT_CHANNEL
    path_radius_m: float = 3.5
    aids: Mapping[str, int] = field(default_factory=lambda: dict(CSAE_AIDS))
    event_types: Mapping[str, int] | None = None
    """None: ``rsu.events.rsi.EVENT_TYPES``."""

    @classmethod
    def from_table(cls, t: Table) -> Self:
        cfg = cls(
            rsu_id=t.string("rsu_id", None),
            rsm_interval_ms=t.integer("rsm_interval_ms", None, lo=10, hi=60_000),
            rsi_interval_ms=t.integer("rsi_interval_ms", 1000, lo=10, hi=60_000),
            channel=t.integer("channel", DEFAULT_CHANNEL, lo=0, hi=255),
            path_radius_m=t.number("path_radius_m", 3.5, lo=0.1, hi=100.0),
            aids={**CSAE_AIDS, **_aids(t.table("aids"))},
            event_types=_event_types(t.table("event_types")) if t.has("event_types") else None,
        )
        if cfg.rsu_id is not None:
            from rsu.fusion.rsm import rsu_id_octets

            rsu_id_octets(cfg.rsu_id, t.where("rsu_id"))
        t.done()
        return cfg


def _aids(t: Table) -> dict[str, int]:
    out = {}
    for name in list(t.data):
        if name not in CSAE_AIDS:
            raise ConfigError(t.where(name), f"expected one of {', '.join(CSAE_AIDS)}")
        out[name] = int(t.integer(name, lo=0, hi=0xFFFFFFFF))
    t.done()
    return out


def _event_types(t: Table) -> dict[str, int]:
    from rsu.events.rsi import EVENT_TYPES

    out = dict(EVENT_TYPES)
    for name in list(t.data):
        if name not in ENGINE_TYPES:
            raise ConfigError(t.where(name), f"expected one of {', '.join(ENGINE_TYPES)}")
        value = t.raw(name)
        if value is False:
            out.pop(name, None)
        elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535:
            out[name] = value
        else:
            raise ConfigError(t.where(name), "expected an eventType 0..65535 or false")
    return out
