"""The J2735 ``MessageSet``: what ``rsu.registry.message_set("j2735")`` gives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rsu.j2735 import framing, report
from rsu.j2735.messages import J2735_MESSAGES, PSIDS, SHORT
from rsu.v2x.messageset import (
    MessageInfo,
    MessageSet,
    SenderReport,
    ShareContext,
    SpatRequest,
    minute_of_year,
)
from rsu.v2x.standards import Standard

if TYPE_CHECKING:
    from rsu.v2x.builders import Sender
    from rsu.v2x.framing import Unwrapped
    from rsu.v2x.message import V2xMessage

_STANDARD = Standard(
    "j2735", "SAE J2735 (2020; J3224 SDSM and J2945/4 RSM from 2024)", "rsu.j2735", "id-value"
)
_MAP, _SPAT, _RSA, _TIM, _RSM, _SDSM = 18, 19, 27, 31, 33, 41


def _table() -> tuple[MessageInfo, ...]:
    rows = []
    for mid, type_name in J2735_MESSAGES.items():
        short = SHORT.get(type_name, type_name)
        rows.append(MessageInfo(short, type_name, mid, PSIDS.get(short)))
    return tuple(rows)


class J2735(MessageSet):
    """SAE J2735: ``MessageFrame ::= {messageId, value}``, the value an open type."""

    name: ClassVar[str] = _STANDARD.name
    title: ClassVar[str] = _STANDARD.title
    label: ClassVar[str] = "J2735"
    road_info_message: ClassVar[str] = "TIM"
    jer_hint: ClassVar[str] = '{"messageId": .., "value": ..} (J2735)'
    messages: ClassVar[tuple[MessageInfo, ...]] = _table()

    @property
    def standard(self) -> Standard:
        return _STANDARD

    def unwrap(self, data: bytes) -> Unwrapped:
        return framing.unwrap(data)

    def frame_key(self, frame_jer: Any) -> int | str | None:
        if isinstance(frame_jer, dict) and "messageId" in frame_jer and "value" in frame_jer:
            mid = frame_jer["messageId"]
            return mid if isinstance(mid, int) and not isinstance(mid, bool) else -1
        return None

    def make_frame(self, short: str, value: Any) -> dict[str, Any] | None:
        info = self.by_short.get(short)
        return None if info is None else {"messageId": info.key, "value": value}

    def restamp(self, frame: dict[str, Any], revision: int, utc: float) -> None:
        value = frame.get("value")
        if not isinstance(value, dict):
            return
        count = revision % 128
        mid = frame.get("messageId")
        if mid == _MAP:
            value["msgIssueRevision"] = count
            for inter in value.get("intersections", []):
                inter["revision"] = count
        if mid in (_RSA, _TIM, _SDSM, _RSM) and "msgCnt" in value:
            value["msgCnt"] = count
        if mid in (_MAP, _SPAT, _TIM, _RSA) and ("timeStamp" in value or mid == _TIM):
            value["timeStamp"] = minute_of_year(utc)

    def hex_type(self, payload: bytes) -> str:
        from rsu.j2735.sniff import sniff

        return sniff(payload).message_type

    def sender_report(self, msg: V2xMessage) -> SenderReport | None:
        return report.sender_report(msg)

    def road_user_frame(self, kind: str, sender: Sender) -> dict[str, Any] | None:
        from rsu.v2x import builders

        return builders.bsm(sender) if kind == "vehicle" else builders.psm(sender)

    def sensor_share(self, context: ShareContext) -> Any:
        from rsu.fusion.sdsm import SdsmBuilder, SdsmSettings
        from rsu.j2735.share import SdsmShare

        fc = context.fusion
        settings = SdsmSettings(context.frame, fc.source_id, max_objects=fc.sdsm_max_objects)
        return SdsmShare(SdsmBuilder(settings), fc.sdsm_hz)

    def spat_frame(self, request: SpatRequest) -> dict[str, Any]:
        from rsu.signals import spat

        r = request
        value = spat.j2735_intersection(r.ref, r.revision, r.status, r.groups, r.utc, r.name)
        return spat.j2735_frame([value], r.utc)

    def map_intersections(self, name: str, frame_jer: Any) -> Any:
        from rsu.errors import ConfigError
        from rsu.signals.mapref import j2735_intersections

        if frame_jer.get("messageId") != _MAP or not isinstance(frame_jer.get("value"), dict):
            raise ConfigError(name, "is not a J2735 MapData frame")
        return j2735_intersections(frame_jer["value"])
