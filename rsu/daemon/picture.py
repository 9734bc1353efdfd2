"""The road picture, a stage of the core: fusion of V2X, radar and camera, events, objects.

Built only when the config has ``[fusion]`` (and the RSU's position). Radar scans and camera
results (their queues' handlers) and decoded BSM/PSM (a message listener of the core) feed
``Fusion``; at ``sdsm_hz`` / ``object_list_hz`` ``tick`` fuses, runs the event rules and returns
the event and object-list records and what the message set's ``SensorShare`` makes of the
objects (an SDSM, or RSM and RSI) as outputs. It calls nothing in the core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rsu.daemon.snapshot import FusionStats
from rsu.stage import NOTHING, Outputs, Record
from rsu.v2x.message import V2xMessage

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rsu.daemon.sharing import SensorShare
    from rsu.events.engine import Event, EventEngine
    from rsu.fusion.fuser import Fusion
    from rsu.fusion.model import FusedObject, FusionConfig
    from rsu.geo import LocalFrame
    from rsu.perception.pipeline import FrameResult
    from rsu.sensors.radar import RadarScan

V2X_SENDERS = ("BSM", "PSM")


class Picture:
    name = "fusion"

    def __init__(
        self,
        config: FusionConfig,
        frame: LocalFrame,
        fusion: Fusion,
        events: EventEngine | None,
        share: SensorShare,
        rsu_id: str,
    ) -> None:
        self.config = config
        self.frame = frame
        self.fusion = fusion
        self.events = events
        self.share = share
        self.rsu_id = rsu_id
        self.objects = 0
        self.seq = 0
        self.events_made = 0
        self._next_fuse = 0.0
        self._next_list = 0.0
        self._period = 1.0 / max(config.sdsm_hz, config.object_list_hz)

    # --- inputs (handlers of the radar and camera queues, listener of decoded messages) ---

    def on_v2x(self, msg: V2xMessage, now: float) -> None:
        if msg.short_name in V2X_SENDERS:
            self.fusion.update_v2x(msg, now)

    def on_radar(self, scan: RadarScan, now: float, utc: float) -> None:
        self.fusion.update_radar(scan.radar, scan.objects, scan.time)

    def on_camera(self, result: FrameResult, now: float, utc: float) -> None:
        if result.tracker is not None:
            self.fusion.update_camera(result.camera, result.tracker.tracks, result.monotonic)

    # --- the stage ------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        return self._next_fuse

    def tick(self, now: float, utc: float) -> Outputs:
        if now < self._next_fuse:
            return NOTHING
        self._next_fuse = now + self._period
        objects = self.fusion.fuse(now)
        self.objects = len(objects)
        events = tuple(self.events.update(objects, now)) if self.events is not None else ()
        records = [self._event_record(e) for e in events]
        if now >= self._next_list:
            self._next_list = now + 1.0 / self.config.object_list_hz
            records.append(self._object_list(objects, utc))
        return Outputs(records=tuple(records)) + self.share.share(objects, now, utc, events)

    def _event_record(self, event: Event) -> Record:
        self.events_made += 1
        data = event.as_dict()
        return Record("events", data, f"{data.get('type', '')} {data.get('phase', '')}")

    def _object_list(self, objects: Sequence[FusedObject], utc: float) -> Record:
        from rsu.fusion.record import object_list_record

        self.seq += 1
        record = object_list_record(objects, self.frame, utc=utc, seq=self.seq, rsu_id=self.rsu_id)
        return Record("objects", record, f"{len(objects)} objects")

    def stats(self) -> FusionStats:
        return FusionStats(self.objects, self.seq, self.events_made)
