"""Sensor sharing: what the RSU broadcasts of its fused picture, one plug-in per message set.

``SensorShare`` is the narrow step the road picture calls at the fusion rate: the fused
objects (and the event-engine messages of this cycle), ``now`` and ``utc`` in, outputs out
(broadcast entries to put in or take out). Each message set brings its own
(``MessageSet.sensor_share``): ``rsu.j2735.share.SdsmShare`` (an SDSM, key ``sdsm``),
``rsu.csae53.share.CsaeShare`` (RSM and RSI).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from rsu.stage import Outputs

if TYPE_CHECKING:
    from rsu.events.engine import Event
    from rsu.fusion.model import FusedObject


class SensorShare(Protocol):
    def share(
        self, objects: Sequence[FusedObject], now: float, utc: float, events: Sequence[Event] = ()
    ) -> Outputs: ...

    def stats(self) -> Mapping[str, int]: ...
