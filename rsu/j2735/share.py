"""The J2735 sensor-sharing plug-in: the fused objects as one SDSM entry (key ``sdsm``),
replaced every fusion cycle (a ``SensorShare`` of ``rsu.daemon.sharing``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rsu.j2735.messages import PSIDS
from rsu.stage import NOTHING, Outputs
from rsu.wire import DEFAULT_CHANNEL, BroadcastMessage

if TYPE_CHECKING:
    from rsu.events.engine import Event
    from rsu.fusion.model import FusedObject
    from rsu.fusion.sdsm import SdsmBuilder

SDSM_KEY = "sdsm"
SDSM_MESSAGE_ID = 41


class SdsmShare:
    """J2735: the fused objects as one SDSM entry, replaced every fusion cycle."""

    def __init__(self, sdsm: SdsmBuilder, sdsm_hz: float) -> None:
        self.sdsm = sdsm
        self.interval_ms = max(10, int(1000 / sdsm_hz))
        self.built = 0

    def share(
        self, objects: Sequence[FusedObject], now: float, utc: float, events: Sequence[Event] = ()
    ) -> Outputs:
        value = self.sdsm.build(objects, utc)
        if value is None:
            return NOTHING
        self.built += 1
        message = BroadcastMessage(
            key=SDSM_KEY,
            psid=PSIDS["SDSM"],
            channel=DEFAULT_CHANNEL,
            interval_ms=self.interval_ms,
            frame_jer={"messageId": SDSM_MESSAGE_ID, "value": value},
            message_type="SDSM",
            source="fusion",
        )
        return Outputs(upserts=(message,))

    def stats(self) -> Mapping[str, int]:
        return {"sdsm_built": self.built}
