"""What a J2735 BSM (``coreData.{id, lat, long, speed, heading}``) or PSM (``{id,
position.{lat, long}, speed, heading}``) says about its sender."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rsu.v2x.messageset import SenderReport, report_of

if TYPE_CHECKING:
    from rsu.v2x.message import V2xMessage


def sender_report(msg: V2xMessage) -> SenderReport | None:
    value = msg.value
    if not isinstance(value, Mapping):
        return None
    if msg.message_type == "BasicSafetyMessage":
        core = value.get("coreData")
        if isinstance(core, Mapping):
            return report_of("vehicle", core, core)
    if msg.message_type == "PersonalSafetyMessage":
        pos = value.get("position")
        if isinstance(pos, Mapping):
            return report_of("vru", value, pos)
    return None
