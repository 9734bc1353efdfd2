"""The GNSS queue's handler: keeps the latest fix, turns the receiver's alarms into alarms.

``loss_of_fix`` raises the alarm ``gnss/loss_of_fix`` and ``fix_restored`` clears it; ``drift``
raises ``gnss/drift`` and ``drift_cleared`` clears it. Each change goes (through the core's
alarm board) to the uplink's ``alarms`` stream with the receiver's own name for it as ``kind``.
Built only when the config has ``[gnss]``.
"""

from __future__ import annotations

import structlog

from rsu.alarms import Alarm
from rsu.gnss import GnssAlarm, GnssEvent, GnssFix
from rsu.stage import Clear, Outputs

log = structlog.get_logger(__name__)

CLEARS = {"fix_restored": "loss_of_fix", "drift_cleared": "drift"}
"""The receiver's clearing event -> the alarm it clears."""


class GnssWatch:
    name = "gnss"

    def __init__(self) -> None:
        self.fix: GnssFix | None = None
        self.fixes = 0
        self.alarms = 0

    def on_event(self, event: GnssEvent, now: float, utc: float) -> Outputs | None:
        if not isinstance(event, GnssAlarm):
            self.fixes += 1
            self.fix = event
            return None
        self.alarms += 1
        log.warning("gnss_alarm", kind=event.kind, detail=event.detail)
        cleared = CLEARS.get(event.kind)
        if cleared is not None:
            return Outputs(clears=(Clear("gnss", cleared, event.detail, event=event.kind),))
        return Outputs(raises=(Alarm("gnss", event.kind, event.detail),))
