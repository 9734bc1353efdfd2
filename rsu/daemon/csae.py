"""China mode in the daemon: RSM from the fused picture and RSI from road events, handed to
the broadcast table when ``[rsu] standard = "csae53"`` (instead of the J2735 SDSM).

``CsaeShare`` is the ``SensorShare`` of CSAE 53 (``rsu.daemon.sharing``): ``Picture`` calls
``share`` at the fusion rate with the objects and the event-engine messages of the cycle, and
the outputs go to the broadcast table. The RSM entry (key ``rsm``) is replaced each cycle; the
RSI entry (key ``rsi``) is rebuilt when the set of live events changes and removed when none
is left. ``msgCnt`` of both is stamped by the scheduler from the entry's revision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from rsu.broadcast.standards import CSAE_AIDS
from rsu.config.fields import Table
from rsu.errors import ConfigError
from rsu.stage import Outputs
from rsu.wire import DEFAULT_CHANNEL, BroadcastMessage

if TYPE_CHECKING:
    from rsu.events.engine import Event
    from rsu.events.rsi import RsiBuilder
    from rsu.events.zones import EventsConfig
    from rsu.fusion.model import FusedObject, FusionConfig
    from rsu.fusion.rsm import RsmBuilder
    from rsu.geo import LocalFrame

RSM_KEY = "rsm"
RSI_KEY = "rsi"


@dataclass(frozen=True, slots=True)
class CsaeShareSettings:
    rsm_interval_ms: int = 100
    rsi_interval_ms: int = 1000
    channel: int = DEFAULT_CHANNEL
    aids: Mapping[str, int] = field(default_factory=lambda: dict(CSAE_AIDS))


class CsaeShare:
    """CSAE 53: the fused objects as one RSM entry, the live road events as one RSI entry."""

    def __init__(
        self, rsm: RsmBuilder, rsi: RsiBuilder | None, settings: CsaeShareSettings
    ) -> None:
        self.rsm = rsm
        self.rsi = rsi
        self.settings = settings
        self.rsm_built = 0
        self.rsi_built = 0

    def share(
        self, objects: Sequence[FusedObject], now: float, utc: float, events: Sequence[Event] = ()
    ) -> Outputs:
        upserts: list[BroadcastMessage] = []
        value = self.rsm.build(tuple(objects), utc)
        if value is not None:
            self.rsm_built += 1
            upserts.append(self._message(RSM_KEY, "RSM", {"rsmFrame": value}))
        if self.rsi is None:
            return Outputs(upserts=tuple(upserts))
        changed = [self.rsi.on_event(event, utc) for event in events]  # every one, in order
        if not any(changed):
            return Outputs(upserts=tuple(upserts))
        rsi = self.rsi.build(utc)
        if rsi is None:
            return Outputs(upserts=tuple(upserts), removals=(RSI_KEY,))
        self.rsi_built += 1
        upserts.append(self._message(RSI_KEY, "RSI", {"rsiFrame": rsi}))
        return Outputs(upserts=tuple(upserts))

    def _message(self, key: str, mtype: str, frame: dict[str, Any]) -> BroadcastMessage:
        s = self.settings
        return BroadcastMessage(
            key=key,
            psid=s.aids[mtype],
            channel=s.channel,
            interval_ms=s.rsm_interval_ms if mtype == "RSM" else s.rsi_interval_ms,
            frame_jer=frame,
            message_type=mtype,
            source="fusion" if mtype == "RSM" else "events",
        )

    def stats(self) -> dict[str, int]:
        out = {"rsm_built": self.rsm_built, "rsi_built": self.rsi_built}
        out["rsm_left_out"] = self.rsm.left_out
        if self.rsi is not None:
            out["rsi_live"] = len(self.rsi)
            out["rsi_left_out"] = self.rsi.left_out
        return out


def make_csae_share(
    rsu_id: str,
    frame: LocalFrame,
    fusion: FusionConfig,
    events: EventsConfig | None,
    config: CsaeConfig | None = None,
) -> CsaeShare:
    """The RSM/RSI builders for an RSU called ``rsu_id`` standing at ``frame``."""
    from rsu.events.rsi import EVENT_TYPES, RsiBuilder, RsiSettings
    from rsu.fusion.rsm import RsmBuilder, RsmSettings, rsu_id_octets

    cfg = config or CsaeConfig()
    octets = rsu_id_octets(cfg.rsu_id or rsu_id, "csae53.rsu_id")
    rsm = RsmBuilder(RsmSettings(frame, octets))
    rsi = None
    if events is not None:
        types = dict(EVENT_TYPES if cfg.event_types is None else cfg.event_types)
        settings = RsiSettings(
            frame, octets, zones=events.zones, event_types=types, path_radius_m=cfg.path_radius_m
        )
        rsi = RsiBuilder(settings)
    interval = cfg.rsm_interval_ms or max(10, int(1000 / fusion.sdsm_hz))
    share = CsaeShareSettings(interval, cfg.rsi_interval_ms, cfg.channel, dict(cfg.aids))
    return CsaeShare(rsm, rsi, share)


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
    [csae53.aids]               # AID per message (defaults: rsu.broadcast.standards.CSAE_AIDS)
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


def cloud_frame(config: Any, message_type: str, jer: Any) -> dict[str, Any] | None:
    """The MessageFrame JER of a cloud broadcast command's message value in the standard of
    the RSU (``config``: the daemon's ``Config``; None: J2735); ``None`` when that standard has
    no such message. A CSAE RSI/RSM whose ``id`` is the placeholder (an ``RSI/DOWN`` event
    body) gets the RSU's own 8-octet id."""
    from rsu.broadcast.standards import make_frame

    standard = "j2735" if config is None else config.rsu.standard
    if standard == "csae53":
        from rsu.events.rsi_cloud import fill_rsu_id
        from rsu.fusion.rsm import rsu_id_octets

        csae = getattr(config, "csae53", None)
        rsu_id = (csae.rsu_id if csae is not None else None) or config.rsu.id
        jer = fill_rsu_id(jer, rsu_id_octets(rsu_id))
    return make_frame(standard, message_type, jer)
