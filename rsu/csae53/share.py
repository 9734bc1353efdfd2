"""The CSAE 53 sensor-sharing plug-in: RSM from the fused picture and RSI from road events,
handed to the broadcast table of an RSU whose ``[rsu] standard`` is this set.

``CsaeShare`` is the ``SensorShare`` of CSAE 53 (``rsu.daemon.sharing``): ``Picture`` calls
``share`` at the fusion rate with the objects and the event-engine messages of the cycle, and
the outputs go to the broadcast table. The RSM entry (key ``rsm``) is replaced each cycle; the
RSI entry (key ``rsi``) is rebuilt when the set of live events changes and removed when none
is left. ``msgCnt`` of both is stamped by the scheduler from the entry's revision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rsu.csae53.messages import CSAE_AIDS
from rsu.stage import Outputs
from rsu.wire import DEFAULT_CHANNEL, BroadcastMessage

if TYPE_CHECKING:
    from rsu.csae53.config import CsaeConfig
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
    from rsu.csae53.config import CsaeConfig
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
