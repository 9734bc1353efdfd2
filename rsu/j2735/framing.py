"""The J2735 frame strategy (sans-I/O): a MessageFrame carries its own length.

``{messageId, value}`` in UPER: extension bit, 15-bit messageId, the open type ``value`` as a
UPER length determinant and that many octets. So the frame is cut at its own end inside
WSMP/1609.2 (``rsu.v2x.framing`` finds those layers), and everything after it counts as
trailing.
"""

from __future__ import annotations

from rsu.errors import FramingError
from rsu.v2x.coer import Reader
from rsu.v2x.dot2 import looks_like_dot2
from rsu.v2x.framing import Layers, Unwrapped, finish, layers_at, scan_prefix
from rsu.v2x.wsmp import looks_like_wsmp

MAX_J2735_MESSAGE_ID = 255
"""J2735 assigns DSRCmsgID 0..255 only; a first octet other than 0 is not a J2735 frame."""
_FRAGMENT = 16384


def j2735_frame_length(data: bytes, offset: int = 0, end: int | None = None) -> int:
    """Octets of the J2735 MessageFrame starting at ``data[offset]`` (ending before ``end``).

    MessageFrame ::= SEQUENCE { messageId, value, ... } in UPER: extension bit, 15-bit
    messageId, then the open type ``value`` as a length determinant (7-bit, 14-bit, or
    fragments of 16K..64K octets) and that many octets. Raises ``FramingError`` when the bytes
    do not look like a frame (extension bit set, messageId above 255, empty value) or the
    length runs past ``end``.
    """
    r = Reader(data, offset, len(data) if end is None else min(end, len(data)))
    head = r.take(2, "J2735 MessageFrame header")
    if head[0] & 0x80:
        raise r.fail("not a J2735 MessageFrame: extension bit set", offset)
    message_id = head[0] << 8 | head[1]
    if message_id > MAX_J2735_MESSAGE_ID:
        raise r.fail(f"not a J2735 MessageFrame: messageId {message_id} > 255", offset)
    total = 0
    while True:
        at = r.pos
        first = r.u8("J2735 MessageFrame length")
        if first < 0x80:
            n, last = first, True
        elif first < 0xC0:
            n, last = (first & 0x3F) << 8 | r.u8("J2735 MessageFrame length"), True
        elif 1 <= first & 0x3F <= 4:
            n, last = (first & 0x3F) * _FRAGMENT, False
        else:
            raise r.fail(f"J2735 MessageFrame: bad length determinant 0x{first:02x}", at)
        if n > r.remaining:
            raise r.fail(
                f"truncated J2735 MessageFrame (messageId {message_id}): value needs {n} "
                f"octets, {r.remaining} present",
                at,
            )
        r.skip(n, "J2735 MessageFrame value")
        total += n
        if last:
            break
    if total == 0:
        raise r.fail(f"J2735 MessageFrame (messageId {message_id}) has an empty value", offset)
    return r.pos - offset


def looks_like_j2735(data: bytes, offset: int = 0) -> bool:
    """First octet 0: extension bit clear, messageId < 256."""
    return len(data) > offset and data[offset] == 0


def unwrap(data: bytes) -> Unwrapped:
    """The J2735 MessageFrame in ``data`` (not empty): bare, in WSMP/1609.2, or after an
    unknown prefix in front of those; ``FramingError`` when there is none."""
    if looks_like_j2735(data):
        return finish(data, Layers(start=0, end=len(data)), frame_end)
    if looks_like_wsmp(data, 0) or looks_like_dot2(data, 0):
        return finish(data, layers_at(data, 0), frame_end)
    found = scan_prefix(data, frame_end)
    if found is None:
        raise FramingError(
            "not a J2735 MessageFrame, IEEE 1609.2 data or IEEE 1609.3 WSMP header "
            f"(starts {data[:4].hex(' ')})",
            bit_offset=0,
            data=data,
        )
    return found


def frame_end(data: bytes, layers: Layers) -> int:
    """Where the J2735 MessageFrame at the start of the payload span ends."""
    start = layers.start
    if not looks_like_j2735(data, start):
        where = "1609.2 payload" if layers.dot2 else "WSM data" if layers.wsmp else "input"
        raise FramingError(
            f"{where} is not a J2735 MessageFrame (starts {data[start : start + 4].hex(' ')})",
            bit_offset=start * 8,
            data=data,
        )
    return start + j2735_frame_length(data, start, layers.end)
