"""China mode in the daemon: RSM from the fused picture and RSI from road events, handed to
the broadcast table when ``[rsu] standard = "csae53"`` (instead of the J2735 SDSM).

``CsaeShare`` is driven by ``Picture`` on the core thread: ``on_event`` for every event-engine
message, ``share`` at the fusion rate. The RSM entry (key ``rsm``) is replaced each cycle; the
RSI entry (key ``rsi``) is rebuilt when the set of live events changes and removed when none
is left. ``msgCnt`` of both is stamped by the scheduler from the entry's revision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from rsu.broadcast import BroadcastMessage, Remove
from rsu.broadcast.standards import CSAE_AIDS

if TYPE_CHECKING:
    from rsu.daemon.core import Core
    from rsu.events.engine import Event
    from rsu.events.rsi import RsiBuilder
    from rsu.events.zones import EventsConfig
    from rsu.fusion.model import FusedObject, FusionConfig
    from rsu.fusion.rsm import RsmBuilder
    from rsu.perception.geo import LocalFrame

log = structlog.get_logger(__name__)

RSM_KEY = "rsm"
RSI_KEY = "rsi"


@dataclass(frozen=True, slots=True)
class CsaeShareSettings:
    rsm_interval_ms: int = 100
    rsi_interval_ms: int = 1000
    channel: int = 183
    aids: Mapping[str, int] = field(default_factory=lambda: dict(CSAE_AIDS))


class CsaeShare:
    def __init__(
        self, rsm: RsmBuilder, rsi: RsiBuilder | None, settings: CsaeShareSettings
    ) -> None:
        self.rsm = rsm
        self.rsi = rsi
        self.settings = settings
        self._rsi_dirty = False
        self.rsm_built = 0
        self.rsi_built = 0

    def on_event(self, event: Event, utc: float) -> None:
        if self.rsi is not None and self.rsi.on_event(event, utc):
            self._rsi_dirty = True

    def share(self, core: Core, objects: tuple[FusedObject, ...], now: float, utc: float) -> None:
        value = self.rsm.build(objects, utc)
        if value is not None:
            self.rsm_built += 1
            self._upsert(core, RSM_KEY, "RSM", {"rsmFrame": value}, now, utc)
        if self.rsi is None or not self._rsi_dirty:
            return
        self._rsi_dirty = False
        rsi = self.rsi.build(utc)
        if rsi is None:
            core.scheduler.on_event(Remove(RSI_KEY), now, utc)
            return
        self.rsi_built += 1
        self._upsert(core, RSI_KEY, "RSI", {"rsiFrame": rsi}, now, utc)

    def _upsert(
        self, core: Core, key: str, mtype: str, frame: dict[str, Any], now: float, utc: float
    ) -> None:
        s = self.settings
        message = BroadcastMessage(
            key=key,
            psid=s.aids[mtype],
            channel=s.channel,
            interval_ms=s.rsm_interval_ms if mtype == "RSM" else s.rsi_interval_ms,
            frame_jer=frame,
            message_type=mtype,
            source="fusion" if mtype == "RSM" else "events",
        )
        for text in core.upsert(message, now, utc):
            if text.startswith("rejected"):
                log.warning("csae_broadcast_rejected", key=key, detail=text)

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
    event_types: Mapping[str, int] | None = None,
) -> CsaeShare:
    """The RSM/RSI builders for an RSU called ``rsu_id`` standing at ``frame``."""
    from rsu.events.rsi import EVENT_TYPES, RsiBuilder, RsiSettings
    from rsu.fusion.rsm import RsmBuilder, RsmSettings, rsu_id_octets

    octets = rsu_id_octets(rsu_id)
    rsm = RsmBuilder(RsmSettings(frame, octets))
    rsi = None
    if events is not None:
        types = dict(EVENT_TYPES if event_types is None else event_types)
        rsi = RsiBuilder(RsiSettings(frame, octets, zones=events.zones, event_types=types))
    interval = max(10, int(1000 / fusion.sdsm_hz))
    return CsaeShare(rsm, rsi, CsaeShareSettings(rsm_interval_ms=interval))


def cloud_frame(standard: str, rsu_id: str, message_type: str, jer: Any) -> dict[str, Any] | None:
    """The MessageFrame JER for a cloud broadcast command's message value in the RSU's
    standard (``None`` when the standard has no such message). A CSAE RSI/RSM whose ``id`` is
    the placeholder (an ``RSI/DOWN`` event body) gets the RSU's own 8-octet id."""
    from rsu.broadcast.standards import make_frame

    if standard == "csae53":
        from rsu.events.rsi_cloud import fill_rsu_id
        from rsu.fusion.rsm import rsu_id_octets

        jer = fill_rsu_id(jer, rsu_id_octets(rsu_id))
    return make_frame(standard, message_type, jer)
