"""The road picture inside the core: fusion of V2X, radar and camera, events, SDSMs, objects.

Built only when the config has ``[fusion]`` (and the RSU's position): radar scans and camera
results feed ``Fusion``; at ``sdsm_hz`` / ``object_list_hz`` it fuses, runs the event rules,
hands an SDSM to the broadcast table and an object list to the uplink.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog

from rsu.broadcast import BroadcastMessage
from rsu.broadcast.standards import make_frame
from rsu.v2x.message import V2xMessage
from rsu.v2x.names import PSIDS

if TYPE_CHECKING:
    from rsu.daemon.core import Core
    from rsu.events.engine import EventEngine
    from rsu.fusion.fuser import Fusion
    from rsu.fusion.model import FusionConfig
    from rsu.fusion.sdsm import SdsmBuilder
    from rsu.geo import LocalFrame
    from rsu.perception.pipeline import FrameResult
    from rsu.sensors.radar import RadarScan

log = structlog.get_logger(__name__)

SDSM_KEY = "sdsm"
V2X_SENDERS = ("BSM", "PSM")


class Picture:
    def __init__(
        self,
        config: FusionConfig,
        frame: LocalFrame,
        fusion: Fusion,
        events: EventEngine | None,
        sdsm: SdsmBuilder,
        rsu_id: str,
    ) -> None:
        self.config = config
        self.frame = frame
        self.fusion = fusion
        self.events = events
        self.sdsm = sdsm
        self.csae: Any = None
        """``rsu.daemon.csae.CsaeShare`` in China mode: RSM/RSI are shared instead of SDSMs."""
        self.rsu_id = rsu_id
        self.objects = 0
        self.seq = 0
        self.events_sent = 0
        self._next_fuse = 0.0
        self._next_list = 0.0
        self._period = 1.0 / max(config.sdsm_hz, config.object_list_hz)

    def on_v2x(self, msg: V2xMessage, now: float) -> None:
        if msg.short_name in V2X_SENDERS:
            self.fusion.update_v2x(msg, now)

    def on_radar(self, scan: RadarScan) -> None:
        self.fusion.update_radar(scan.radar, scan.objects, scan.time)

    def on_camera(self, result: FrameResult) -> None:
        if result.tracker is not None:
            self.fusion.update_camera(result.camera, result.tracker.tracks, result.monotonic)

    def tick(self, core: Core, now: float, utc: float) -> None:
        if now < self._next_fuse:
            return
        self._next_fuse = now + self._period
        objects = self.fusion.fuse(now)
        self.objects = len(objects)
        if self.events is not None:
            for event in self.events.update(objects, now):
                if self.csae is not None:
                    self.csae.on_event(event, utc)
                data = event.as_dict()
                if core.uplink.submit_data("events", data, at=utc):
                    self.events_sent += 1
                    core.tap("events", f"{data.get('type', '')} {data.get('phase', '')}", utc)
        if now >= self._next_list:
            self._next_list = now + 1.0 / self.config.object_list_hz
            self._publish_objects(core, objects, utc)
        self._share(core, objects, now, utc)

    def _publish_objects(self, core: Core, objects: Any, utc: float) -> None:
        from rsu.fusion.record import object_list_record

        self.seq += 1
        record = object_list_record(objects, self.frame, utc=utc, seq=self.seq, rsu_id=self.rsu_id)
        if core.uplink.submit_data("objects", record, at=utc):
            core.tap("objects", f"{len(objects)} objects", utc)

    def _share(self, core: Core, objects: Any, now: float, utc: float) -> None:
        if self.csae is not None:
            self.csae.share(core, objects, now, utc)
            return
        value = self.sdsm.build(objects, utc)
        if value is None:
            return
        message = BroadcastMessage(
            key=SDSM_KEY,
            psid=PSIDS["SDSM"],
            channel=183,
            interval_ms=max(10, int(1000 / self.config.sdsm_hz)),
            frame_jer=make_frame("j2735", "SDSM", value),
            message_type="SDSM",
            source="fusion",
        )
        for text in core.upsert(message, now, utc):
            if text.startswith("rejected"):
                log.warning("sdsm_rejected", detail=text)

    def stats(self) -> dict[str, Any]:
        return {"objects": self.objects, "object_lists": self.seq, "events": self.events_sent}
