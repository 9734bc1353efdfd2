"""The message bodies of the firmware protocol (PROTOCOL.md), as frozen values.

``encode_message(msg) -> (type, body)`` and ``decode_message(type, body) -> Message`` are pure;
a body that does not parse raises ``ValueError``. All integers are big-endian.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from firmware_bridge.framing import Frame, encode_frame

PROTOCOL_MAJOR = 1
PROTOCOL_MINOR = 0

# capability bits announced in HELLO
CAP_TX = 0x01
CAP_RX = 0x02
CAP_TIME = 0x04
CAP_STATUS = 0x08

# TX_RESULT status codes
TX_OK = 0
TX_BUSY = 1
TX_BAD_CHANNEL = 2
TX_TOO_LONG = 3
TX_RADIO_OFF = 4
TX_STATUS_NAMES = {0: "ok", 1: "busy", 2: "bad_channel", 3: "too_long", 4: "radio_off"}

# STATUS radio states
RADIO_STATES = {0: "off", 1: "idle", 2: "active", 3: "fault"}


@dataclass(frozen=True, slots=True)
class Hello:
    """Sent by the host on connect; the firmware answers with its own HELLO."""

    TYPE: ClassVar[int] = 0x01
    _S: ClassVar[struct.Struct] = struct.Struct(">BBI")
    major: int = PROTOCOL_MAJOR
    minor: int = PROTOCOL_MINOR
    capabilities: int = 0
    firmware: str = ""

    def body(self) -> bytes:
        text = self.firmware.encode()[:255]
        return self._S.pack(self.major, self.minor, self.capabilities) + bytes([len(text)]) + text

    @classmethod
    def parse(cls, b: bytes) -> Hello:
        major, minor, caps = cls._S.unpack_from(b)
        n = b[cls._S.size]
        text = b[cls._S.size + 1 : cls._S.size + 1 + n]
        if len(text) != n:
            raise ValueError("HELLO firmware string truncated")
        return cls(major, minor, caps, text.decode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class RxPdu:
    """A message the radio received over the air."""

    TYPE: ClassVar[int] = 0x10
    _S: ClassVar[struct.Struct] = struct.Struct(">IHbBQ")
    psid: int
    channel: int
    rssi: int
    rx_time_us: int
    payload: bytes
    flags: int = 0

    def body(self) -> bytes:
        head = self._S.pack(self.psid, self.channel, self.rssi, self.flags, self.rx_time_us)
        return head + self.payload

    @classmethod
    def parse(cls, b: bytes) -> RxPdu:
        psid, channel, rssi, flags, t = cls._S.unpack_from(b)
        return cls(psid, channel, rssi, t, bytes(b[cls._S.size :]), flags)


@dataclass(frozen=True, slots=True)
class TxRequestMsg:
    """Ask the radio to transmit ``payload`` once."""

    TYPE: ClassVar[int] = 0x20
    _S: ClassVar[struct.Struct] = struct.Struct(">IHBbB")
    psid: int
    channel: int
    priority: int
    tx_power_dbm: int
    payload: bytes
    flags: int = 0

    def body(self) -> bytes:
        head = self._S.pack(self.psid, self.channel, self.priority, self.tx_power_dbm, self.flags)
        return head + self.payload

    @classmethod
    def parse(cls, b: bytes) -> TxRequestMsg:
        psid, channel, prio, power, flags = cls._S.unpack_from(b)
        return cls(psid, channel, prio, power, bytes(b[cls._S.size :]), flags)


@dataclass(frozen=True, slots=True)
class TxResult:
    """The outcome of one TX_REQUEST (``ack_seq`` is that request's sequence number)."""

    TYPE: ClassVar[int] = 0x21
    _S: ClassVar[struct.Struct] = struct.Struct(">HBQ")
    ack_seq: int
    status: int
    tx_time_us: int

    def body(self) -> bytes:
        return self._S.pack(self.ack_seq, self.status, self.tx_time_us)

    @classmethod
    def parse(cls, b: bytes) -> TxResult:
        return cls(*cls._S.unpack_from(b))

    @property
    def ok(self) -> bool:
        return self.status == TX_OK


@dataclass(frozen=True, slots=True)
class Status:
    """Radio health. An empty STATUS body from the host is a request for one."""

    TYPE: ClassVar[int] = 0x30
    _S: ClassVar[struct.Struct] = struct.Struct(">BhIII")
    state: int
    temperature_centi_c: int
    tx_count: int
    rx_count: int
    error_count: int

    def body(self) -> bytes:
        return self._S.pack(
            self.state, self.temperature_centi_c, self.tx_count, self.rx_count, self.error_count
        )

    @classmethod
    def parse(cls, b: bytes) -> Status:
        return cls(*cls._S.unpack_from(b))


@dataclass(frozen=True, slots=True)
class TimeInfo:
    """GNSS/PPS time as the radio sees it. An empty TIME body from the host is a request."""

    TYPE: ClassVar[int] = 0x40
    _S: ClassVar[struct.Struct] = struct.Struct(">QBB")
    utc_us: int
    source: int  # 0 none, 1 gnss, 2 pps
    flags: int = 0  # bit 0: PPS locked

    def body(self) -> bytes:
        return self._S.pack(self.utc_us, self.source, self.flags)

    @classmethod
    def parse(cls, b: bytes) -> TimeInfo:
        return cls(*cls._S.unpack_from(b))


@dataclass(frozen=True, slots=True)
class ErrorMsg:
    """The firmware could not handle a frame (``ref_seq``) or hit a fault."""

    TYPE: ClassVar[int] = 0x7F
    _S: ClassVar[struct.Struct] = struct.Struct(">HH")
    code: int
    ref_seq: int
    text: str = ""

    def body(self) -> bytes:
        return self._S.pack(self.code, self.ref_seq) + self.text.encode()

    @classmethod
    def parse(cls, b: bytes) -> ErrorMsg:
        code, ref = cls._S.unpack_from(b)
        return cls(code, ref, bytes(b[cls._S.size :]).decode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class Request:
    """An empty-bodied STATUS or TIME frame: a request for one."""

    type: int


Message = Hello | RxPdu | TxRequestMsg | TxResult | Status | TimeInfo | ErrorMsg | Request

_TYPES: dict[int, type[Hello | RxPdu | TxRequestMsg | TxResult | Status | TimeInfo | ErrorMsg]] = {
    c.TYPE: c for c in (Hello, RxPdu, TxRequestMsg, TxResult, Status, TimeInfo, ErrorMsg)
}
TYPE_NAMES = {
    0x01: "HELLO",
    0x10: "RX_PDU",
    0x20: "TX_REQUEST",
    0x21: "TX_RESULT",
    0x30: "STATUS",
    0x40: "TIME",
    0x7F: "ERROR",
}


def encode_message(msg: Message) -> tuple[int, bytes]:
    """``(frame type, body)`` for ``msg``."""
    if isinstance(msg, Request):
        return msg.type, b""
    return msg.TYPE, msg.body()


def message_frame(msg: Message, seq: int) -> bytes:
    """The wire bytes of ``msg`` sent as frame number ``seq``."""
    ftype, body = encode_message(msg)
    return encode_frame(Frame(ftype, seq, body))


def decode_message(ftype: int, body: bytes) -> Message:
    """The value of one frame body; raises ``ValueError`` for unknown types or short bodies."""
    if ftype in (Status.TYPE, TimeInfo.TYPE) and not body:
        return Request(ftype)
    cls = _TYPES.get(ftype)
    if cls is None:
        raise ValueError(f"unknown message type 0x{ftype:02x}")
    try:
        return cls.parse(body)
    except (struct.error, IndexError) as err:
        raise ValueError(f"{TYPE_NAMES[ftype]} body too short ({len(body)} bytes)") from err
