"""Sensor sharing: what the RSU broadcasts of its fused picture, one plug-in per message set.

``SensorShare`` is the narrow step the road picture calls at the fusion rate: the fused
objects (and the event-engine messages of this cycle), ``now`` and ``utc`` in, outputs out
(broadcast entries to put in or take out). ``SdsmShare`` is the J2735 one (an SDSM, key
``sdsm``); ``rsu.daemon.csae.CsaeShare`` the CSAE 53 one (RSM and RSI).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from rsu.broadcast.standards import make_frame
from rsu.stage import NOTHING, Outputs
from rsu.v2x.names import PSIDS
from rsu.wire import DEFAULT_CHANNEL, BroadcastMessage

if TYPE_CHECKING:
    from rsu.events.engine import Event
    from rsu.fusion.model import FusedObject
    from rsu.fusion.sdsm import SdsmBuilder

SDSM_KEY = "sdsm"


class SensorShare(Protocol):
    def share(
        self, objects: Sequence[FusedObject], now: float, utc: float, events: Sequence[Event] = ()
    ) -> Outputs: ...

    def stats(self) -> Mapping[str, int]: ...


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
            frame_jer=make_frame("j2735", "SDSM", value),
            message_type="SDSM",
            source="fusion",
        )
        return Outputs(upserts=(message,))

    def stats(self) -> Mapping[str, int]:
        return {"sdsm_built": self.built}
