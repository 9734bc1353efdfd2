"""The CSAE 53 ``MessageSet``: what ``rsu.registry.message_set("csae53")`` gives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from rsu.csae53 import framing
from rsu.csae53.messages import CSAE_AIDS, CSAE_FRAMES, CSAE_SHORT, TYPE_NAMES
from rsu.v2x.messageset import (
    MessageInfo,
    MessageSet,
    SenderReport,
    ShareContext,
    SpatRequest,
    minute_of_year,
    report_of,
)
from rsu.v2x.standards import Standard

if TYPE_CHECKING:
    from rsu.config.fields import Table
    from rsu.v2x.builders import Sender
    from rsu.v2x.framing import Unwrapped
    from rsu.v2x.message import V2xMessage

_STANDARD = Standard("csae53", "T/CSAE 53-2020 / YD/T 3709-2020 day-1", "rsu.csae53", "choice")
CSAE_MAX_GROUPS = 16
"""A CSAE 53 SPAT phase list holds at most 16 phases."""


class Csae53(MessageSet):
    """CSAE 53: ``MessageFrame ::= CHOICE {bsmFrame, mapFrame, rsmFrame, spatFrame, rsiFrame}``."""

    name: ClassVar[str] = _STANDARD.name
    title: ClassVar[str] = _STANDARD.title
    messages: ClassVar[tuple[MessageInfo, ...]] = tuple(
        MessageInfo(short, TYPE_NAMES[short], alt, CSAE_AIDS.get(short))
        for short, alt in CSAE_FRAMES.items()
    )
    label: ClassVar[str] = "CSAE 53"
    road_info_message: ClassVar[str] = "RSI"
    jer_hint: ClassVar[str] = '{"mapFrame": {..}} (CSAE 53)'
    config_section: ClassVar[str | None] = _STANDARD.name
    max_signal_groups: ClassVar[int | None] = CSAE_MAX_GROUPS

    @property
    def standard(self) -> Standard:
        return _STANDARD

    def unwrap(self, data: bytes) -> Unwrapped:
        return framing.unwrap(data)

    def frame_key(self, frame_jer: Any) -> int | str | None:
        if isinstance(frame_jer, dict) and len(frame_jer) == 1:
            alt = next(iter(frame_jer))
            return alt if alt in CSAE_SHORT else None
        return None

    def make_frame(self, short: str, value: Any) -> dict[str, Any] | None:
        choice = CSAE_FRAMES.get(short)
        return None if choice is None else {choice: value}

    def restamp(self, frame: dict[str, Any], revision: int, utc: float) -> None:
        body = next(iter(frame.values()))
        if isinstance(body, dict) and "msgCnt" in body:
            body["msgCnt"] = revision % 128
            if "mapFrame" in frame and "timeStamp" in body:
                body["timeStamp"] = minute_of_year(utc)

    def hex_type(self, payload: bytes) -> str:
        from rsu.v2x.codec import get_codec

        return get_codec(self.name).decode(payload, unwrap=False).short_name

    def sender_report(self, msg: V2xMessage) -> SenderReport | None:
        value = msg.value
        if msg.message_type != "BasicSafetyMessage" or not isinstance(value, Mapping):
            return None
        pos = value.get("pos")
        return report_of("vehicle", value, pos) if isinstance(pos, Mapping) else None

    def road_user_frame(self, kind: str, sender: Sender) -> dict[str, Any] | None:
        from rsu.v2x import builders

        return builders.csae_bsm(sender) if kind == "vehicle" else None  # no PSM in day-1

    def read_config(self, table: Table) -> Any:
        from rsu.csae53.config import CsaeConfig

        return CsaeConfig.from_table(table)

    def configured_psid(self, short: str, section: Any) -> int | None:
        if section is not None:
            found: int | None = section.aids.get(short)
            return found
        return self.default_psid(short)

    def sensor_share(self, context: ShareContext) -> Any:
        from rsu.csae53.share import make_csae_share

        c = context
        return make_csae_share(c.rsu_id, c.frame, c.fusion, c.events, c.section)

    def spat_frame(self, request: SpatRequest) -> dict[str, Any]:
        from rsu.signals import spat

        r = request
        value = spat.csae_intersection(r.ref, r.status, r.groups, r.utc)
        return spat.csae_frame([value], r.utc, r.count)

    def cloud_frame(self, short: str, jer: Any, rsu_id: str, section: Any) -> Any:
        from rsu.events.rsi_cloud import fill_rsu_id
        from rsu.fusion.rsm import rsu_id_octets

        own = (section.rsu_id if section is not None else None) or rsu_id
        return self.make_frame(short, fill_rsu_id(jer, rsu_id_octets(own)))

    def map_intersections(self, name: str, frame_jer: Any) -> Any:
        from rsu.errors import ConfigError
        from rsu.signals.mapref import csae_intersections

        value = frame_jer.get("mapFrame")
        if not isinstance(value, dict):
            raise ConfigError(name, "is not a MAP frame")
        return csae_intersections(value)
