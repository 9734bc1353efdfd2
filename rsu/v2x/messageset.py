"""What a message set (SAE J2735, CSAE 53, later ETSI C-ITS) is to the rest of the RSU.

Each set is one package (``rsu/j2735/``, ``rsu/csae53/``) holding its ASN.1 modules and a
subclass of :class:`MessageSet`, registered by name in ``rsu.registry.MESSAGE_SETS`` and
loaded only when asked for (``rsu.registry.message_set("csae53")``). The subclass owns
everything that differs between sets: the frame strategy (unwrap, how a message type is named
inside a MessageFrame's JER), the message table (messageId or CHOICE alternative, short name,
PSID/AID), restamping of repeated broadcasts, the ``SenderReport`` of what a vehicle or
pedestrian says about itself, its config section, its sensor-sharing and SPaT plug-ins and the
frames the ``sim`` radio sends. Sans-I/O: nothing here touches a device or the clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from rsu.config.fields import Table
    from rsu.v2x.builders import Sender
    from rsu.v2x.framing import Unwrapped
    from rsu.v2x.message import V2xMessage
    from rsu.v2x.standards import Standard


@dataclass(frozen=True, slots=True)
class MessageInfo:
    """One row of a message table."""

    short: str
    """The name people and configs use: ``MAP``, ``BSM``, ``RSI``."""
    type_name: str
    """The ASN.1 type of the message: ``MapData``, ``RoadSideInformation``."""
    key: int | str
    """How the MessageFrame names it: a J2735 ``messageId`` or a CSAE 53 CHOICE alternative."""
    psid: int | None = None
    """The PSID (p-encoded, as RSU configs write it) or AID it goes out with, when known."""


@dataclass(frozen=True, slots=True)
class SenderReport:
    """What one BSM/PSM says about its sender, in SI units (``None``: not sent/unavailable).

    ``position_field`` is the JER member that held ``lat``/``long`` and ``body`` the one that
    held ``id``/``speed``/``heading`` (``coreData`` of a J2735 BSM, the value itself else).
    """

    kind: str
    """``vehicle`` or ``vru``."""
    sender_id: str | None
    """The temporary id as the message carries it (hex), if it is a string."""
    latitude: float | None
    longitude: float | None
    speed_mps: float | None
    heading_deg: float | None
    msg_cnt: int | None
    sec_mark: int | None
    body: Mapping[str, Any]
    position_field: Mapping[str, Any]


LAT_UNAVAILABLE = 900_000_001
LONG_UNAVAILABLE = 1_800_000_001
SPEED_UNAVAILABLE = 8191
HEADING_UNAVAILABLE = 28800


def scaled(value: Any, scale: float, unavailable: int) -> float | None:
    """A wire integer in SI (``None``: not an integer, or the "unavailable" value)."""
    if not isinstance(value, int) or value == unavailable:
        return None
    return value * scale


def report_of(kind: str, body: Mapping[str, Any], pos: Mapping[str, Any]) -> SenderReport:
    """The ``SenderReport`` of a message whose ``body`` holds id/speed/heading/msgCnt/secMark
    and ``pos`` lat/long, in J2735 wire units (CSAE 53 uses the same)."""
    ident, count, sec = body.get("id"), body.get("msgCnt"), body.get("secMark")
    return SenderReport(
        kind=kind,
        sender_id=ident if isinstance(ident, str) else None,
        latitude=scaled(pos.get("lat"), 1e-7, LAT_UNAVAILABLE),
        longitude=scaled(pos.get("long"), 1e-7, LONG_UNAVAILABLE),
        speed_mps=scaled(body.get("speed"), 0.02, SPEED_UNAVAILABLE),
        heading_deg=scaled(body.get("heading"), 0.0125, HEADING_UNAVAILABLE),
        msg_cnt=count if isinstance(count, int) else None,
        sec_mark=sec if isinstance(sec, int) else None,
        body=body,
        position_field=pos,
    )


class MessageSet:
    """One message set. Subclasses set the class attributes and fill in the frame hooks."""

    name: ClassVar[str]
    """The registry name: what ``[rsu] standard`` and ``--standard`` take."""
    title: ClassVar[str]
    label: ClassVar[str]
    """How messages name the set to people: ``J2735``, ``CSAE 53``."""
    jer_hint: ClassVar[str]
    """What a MessageFrame's JER of the set looks like, for error messages."""
    messages: ClassVar[tuple[MessageInfo, ...]]
    road_info_message: ClassVar[str]
    """The short name of the set's road/traveller information message (``TIM``, ``RSI``)."""
    config_section: ClassVar[str | None] = None
    """The top-level config table of this set (``[csae53]``), if it has one."""
    max_signal_groups: ClassVar[int | None] = None
    """The most signal groups one SPaT intersection takes, when the set limits it."""

    def __init__(self) -> None:
        self.by_short: dict[str, MessageInfo] = {}
        for info in self.messages:
            self.by_short.setdefault(info.short, info)
        self.by_key: dict[int | str, MessageInfo] = {m.key: m for m in self.messages}

    # ---- ASN.1 and framing ------------------------------------------------------------------

    @property
    def standard(self) -> Standard:
        """Where the ASN.1 modules are and what the MessageFrame looks like (for the codec)."""
        raise NotImplementedError

    def unwrap(self, data: bytes) -> Unwrapped:
        """The MessageFrame inside what a radio delivered (see ``rsu.v2x.framing``)."""
        raise NotImplementedError

    def frame_key(self, frame_jer: Any) -> int | str | None:
        """The messageId/alternative of a MessageFrame's JER when it has this set's shape."""
        raise NotImplementedError

    def make_frame(self, short: str, value: Any) -> dict[str, Any] | None:
        """The MessageFrame JER carrying ``value`` as a ``short`` message (None: not in set)."""
        raise NotImplementedError

    def restamp(self, frame: dict[str, Any], revision: int, utc: float) -> None:
        """Set the counters and time stamps of a repeated broadcast in place (a copy)."""

    def hex_type(self, payload: bytes) -> str:
        """The short type of a UPER frame a broadcast file holds; ``RsuError`` when it is not
        a frame of this set."""
        raise NotImplementedError

    # ---- table lookups ----------------------------------------------------------------------

    def owns(self, frame_jer: Any) -> bool:
        return self.frame_key(frame_jer) is not None

    def frame_type(self, frame_jer: Any) -> str:
        """The short name of a MessageFrame's JER of this set, or ``""``."""
        info = self.by_key.get(self.frame_key(frame_jer) or "")
        return info.short if info is not None else ""

    def default_psid(self, short: str) -> int | None:
        """The PSID/AID a message of type ``short`` is sent with, when one is known."""
        info = self.by_short.get(short)
        return info.psid if info is not None else None

    def configured_psid(self, short: str, section: Any) -> int | None:
        """The PSID/AID of ``short`` given this set's config section (None: no section)."""
        return self.default_psid(short)

    def section_of(self, config: Any) -> Any:
        """This set's config section in a daemon ``Config`` (None: none given)."""
        if self.config_section is None or config is None:
            return None
        return config.set_sections.get(self.config_section)

    def psids(self) -> dict[str, int]:
        """Short name -> PSID/AID of every message with one."""
        return {m.short: m.psid for m in self.messages if m.psid is not None}

    # ---- senders, sim traffic, config, plug-ins ---------------------------------------------

    def sender_report(self, msg: V2xMessage) -> SenderReport | None:
        """What a BSM/PSM of this set says about its sender; None for other messages."""
        return None

    def road_user_frame(self, kind: str, sender: Sender) -> dict[str, Any] | None:
        """The MessageFrame JER a simulated ``vehicle``/``pedestrian`` sends (None: none)."""
        return None

    def read_config(self, table: Table) -> Any:
        """This set's config section (``config_section``) as a frozen dataclass."""
        raise NotImplementedError

    def sensor_share(self, context: ShareContext) -> Any:
        """The ``SensorShare`` (``rsu.daemon.sharing``) that broadcasts the fused picture."""
        raise NotImplementedError

    def spat_frame(self, request: SpatRequest) -> dict[str, Any]:
        """The SPaT MessageFrame JER of one intersection's state."""
        raise NotImplementedError

    def map_intersections(self, name: str, frame_jer: Any) -> Any:
        """The intersections of a MAP frame of this set (``rsu.signals.mapref``);
        ``ConfigError`` naming ``name`` when the frame is not a MAP."""
        raise NotImplementedError

    def cloud_frame(self, short: str, jer: Any, rsu_id: str, section: Any) -> Any:
        """The MessageFrame of a cloud broadcast command's value (None: not in this set)."""
        return self.make_frame(short, jer)


@dataclass(frozen=True, slots=True)
class ShareContext:
    """What a sensor-sharing plug-in is built from (the daemon's config, typed loosely so the
    message sets import nothing of the daemon)."""

    rsu_id: str
    frame: Any
    """``rsu.geo.LocalFrame`` of the RSU."""
    fusion: Any
    """``rsu.fusion.model.FusionConfig``."""
    events: Any
    """``rsu.events.zones.EventsConfig`` or None."""
    section: Any
    """This set's config section (``read_config``'s value) or None."""


@dataclass(frozen=True, slots=True)
class SpatRequest:
    """One intersection's signal state to put in a SPaT MessageFrame."""

    ref: tuple[int, int]
    """(region, intersection id)."""
    revision: int
    status: Any
    groups: Sequence[Any]
    utc: float
    name: str
    count: int
    """The message counter of the set's own SPaT stream (CSAE 53 ``msgCnt``)."""


def minute_of_year(utc: float) -> int:
    """MinuteOfTheYear (J2735, CSAE 53) for ``utc``."""
    t = datetime.fromtimestamp(utc, tz=UTC)
    start = datetime(t.year, 1, 1, tzinfo=UTC)
    return int((t - start).total_seconds() // 60)
