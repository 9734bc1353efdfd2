"""Sans-I/O framing of the host<->firmware serial link (see PROTOCOL.md).

A frame on the wire is ``0x00 COBS(header | payload | crc32) 0x00``::

    header = type u8 | flags u8 | seq u16 BE | length u16 BE
    crc32  = CRC-32/IEEE (zlib) of header+payload, u32 BE

``encode_frame`` builds the bytes; ``FrameDecoder.feed(data)`` returns the frames found so far.
The decoder never buffers more than one maximal frame: a run of bytes without a delimiter longer
than that is dropped (counted as ``overflow``) and decoding resumes after the next ``0x00``.
Bad frames are counted by reason, logged once each with their hex, and skipped.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

import structlog

from rsu.lograte import due

log = structlog.get_logger(__name__)

HEADER = struct.Struct(">BBHH")
CRC = struct.Struct(">I")
MAX_PAYLOAD = 2048
"""Largest payload a frame may carry (a J2735 MessageFrame is at most ~1.5 kB on the air)."""
_OVERHEAD = HEADER.size + CRC.size
MAX_ENCODED = MAX_PAYLOAD + _OVERHEAD + (MAX_PAYLOAD + _OVERHEAD) // 254 + 2
"""Longest COBS run (without delimiter) a valid frame can produce."""
DELIMITER = b"\x00"


def cobs_encode(data: bytes) -> bytes:
    """Consistent Overhead Byte Stuffing: the result contains no zero byte."""
    out = bytearray()
    parts = data.split(b"\x00")
    for part in parts:
        start = 0
        while len(part) - start >= 254:
            out.append(0xFF)
            out += part[start : start + 254]
            start += 254
        out.append(len(part) - start + 1)
        out += part[start:]
    return bytes(out)


def cobs_decode(data: bytes) -> bytes:
    """Inverse of ``cobs_encode``; raises ``ValueError`` on a zero byte or a truncated block."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        code = data[i]
        end = i + code
        if code == 0 or end > n:
            raise ValueError("zero code byte" if code == 0 else "truncated COBS block")
        block = data[i + 1 : end]
        if 0 in block:
            raise ValueError("zero byte inside a COBS block")
        out += block
        if code < 0xFF and end < n:
            out.append(0)
        i = end
    return bytes(out)


@dataclass(frozen=True, slots=True)
class Frame:
    """One link-layer frame: message type, sequence number and the message body."""

    type: int
    seq: int
    payload: bytes
    flags: int = 0


def encode_frame(frame: Frame) -> bytes:
    """The bytes to write for ``frame``: ``00 COBS(...) 00``.

    The leading delimiter ends any garbage the line picked up before this frame, so noise costs
    at most the frame it touches, never the next good one.
    """
    if len(frame.payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(frame.payload)} bytes exceeds {MAX_PAYLOAD}")
    body = (
        HEADER.pack(frame.type, frame.flags, frame.seq & 0xFFFF, len(frame.payload)) + frame.payload
    )
    return DELIMITER + cobs_encode(body + CRC.pack(zlib.crc32(body))) + DELIMITER


def parse_frame(raw: bytes) -> Frame:
    """Check and split one de-stuffed frame; raises ``ValueError(reason)``."""
    if len(raw) < _OVERHEAD:
        raise ValueError("length")
    ftype, flags, seq, length = HEADER.unpack_from(raw)
    if length != len(raw) - _OVERHEAD:
        raise ValueError("length")
    (crc,) = CRC.unpack_from(raw, len(raw) - CRC.size)
    if crc != zlib.crc32(raw[: -CRC.size]):
        raise ValueError("crc")
    return Frame(ftype, seq, raw[HEADER.size : -CRC.size], flags)


@dataclass(slots=True)
class DecoderStats:
    """What the decoder has seen; every bad frame lands in exactly one counter."""

    frames: int = 0
    bytes_in: int = 0
    crc_errors: int = 0
    length_errors: int = 0
    cobs_errors: int = 0
    overflows: int = 0
    empty: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return self.crc_errors + self.length_errors + self.cobs_errors + self.overflows


class FrameDecoder:
    """Incremental decoder: ``feed(bytes) -> list[Frame]``; resynchronises on ``0x00``."""

    def __init__(self, name: str = "link") -> None:
        self._buf = bytearray()
        self._skipping = False
        self._name = name
        self.stats = DecoderStats()

    def feed(self, data: bytes) -> list[Frame]:
        self.stats.bytes_in += len(data)
        frames: list[Frame] = []
        chunks = bytes(data).split(DELIMITER)
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            if not self._skipping:
                self._buf += chunk
            if len(self._buf) > MAX_ENCODED:
                self._reject("overflow", bytes(self._buf[:64]))
                self._buf.clear()
                self._skipping = True
            if last:
                break
            # a delimiter follows this chunk
            if self._skipping:
                self._skipping = False
            elif self._buf:
                frame = self._complete(bytes(self._buf))
                if frame is not None:
                    frames.append(frame)
            else:
                self.stats.empty += 1
            self._buf.clear()
        return frames

    def _complete(self, encoded: bytes) -> Frame | None:
        try:
            raw = cobs_decode(encoded)
        except ValueError:
            self._reject("cobs", encoded)
            return None
        try:
            frame = parse_frame(raw)
        except ValueError as err:
            self._reject(str(err), raw)
            return None
        self.stats.frames += 1
        return frame

    def _reject(self, reason: str, data: bytes) -> None:
        st = self.stats
        if reason == "crc":
            st.crc_errors += 1
        elif reason == "length":
            st.length_errors += 1
        elif reason == "cobs":
            st.cobs_errors += 1
        else:
            st.overflows += 1
        n = st.by_reason[reason] = st.by_reason.get(reason, 0) + 1
        if due(n):  # every one counted; the first few logged with hex, then one per thousand
            log.warning(
                "link_frame_dropped", link=self._name, reason=reason, count=n, hex=data[:256].hex()
            )
