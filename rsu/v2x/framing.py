"""Find the V2X MessageFrame inside what radios and RSUs deliver (sans-I/O, pure functions).

Seen in the field, in any combination:

- a bare MessageFrame, sometimes with bytes after it (CR LF, padding, a stray signature);
- an IEEE 1609.2 ``Ieee1609Dot2Data`` (unsecuredData or signedData, COER) around it;
- an IEEE 1609.3 WSMP header in front of that;
- an unknown capture/log prefix in front of a WSMP header (found by a bounded scan).

``unwrap(data)`` returns the frame bytes and an :class:`~rsu.v2x.message.Envelope` saying
what was around them. For SAE J2735 the frame is cut at its own end (extension bit,
15-bit messageId, UPER length determinant, that many octets), everything after it counts as
trailing. For CSAE 53 (a CHOICE, no length of its own) only WSMP/1609.2 are stripped and the
codec trims. Malformed input always raises :class:`~rsu.errors.FramingError`, after work
bounded by the input size.
"""

from __future__ import annotations

from dataclasses import dataclass

from rsu.errors import FramingError, UnknownStandardError
from rsu.v2x.coer import Reader
from rsu.v2x.dot2 import Dot2Data, looks_like_dot2, parse_dot2
from rsu.v2x.message import Envelope
from rsu.v2x.wsmp import WsmpHeader, looks_like_wsmp, parse_wsmp

STANDARDS = ("j2735", "csae53")
MAX_PREFIX = 32
"""Longest unknown prefix skipped in front of a WSMP header or 1609.2 data."""
MAX_J2735_MESSAGE_ID = 255
"""J2735 assigns DSRCmsgID 0..255 only; a first octet other than 0 is not a J2735 frame."""
_FRAGMENT = 16384


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """The MessageFrame bytes and what was found around them."""

    frame: bytes
    envelope: Envelope


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


def unwrap(data: bytes, *, standard: str = "j2735") -> Unwrapped:
    """Find the MessageFrame in ``data`` as received; raise ``FramingError`` if there is none.

    ``standard`` is ``"j2735"`` (the frame is cut at its own end) or ``"csae53"`` (WSMP and
    1609.2 are stripped, the rest is returned whole; bytes that do not parse completely as
    WSMP/1609.2 are passed through as a bare frame, since a CSAE frame may start like them).
    """
    if standard not in STANDARDS:
        raise UnknownStandardError(f"unknown standard {standard!r} (known: {STANDARDS})")
    data = bytes(data)
    if not data:
        raise FramingError("empty input: no MessageFrame", bit_offset=0, data=data)
    if standard == "csae53":
        return _unwrap_csae53(data)
    if looks_like_j2735(data):
        return _finish(data, _Layers(start=0, end=len(data)), "j2735")
    if looks_like_wsmp(data, 0) or looks_like_dot2(data, 0):
        return _finish(data, _layers(data, 0), "j2735")
    found = _scan_prefix(data)
    if found is None:
        raise FramingError(
            "not a J2735 MessageFrame, IEEE 1609.2 data or IEEE 1609.3 WSMP header "
            f"(starts {data[:4].hex(' ')})",
            bit_offset=0,
            data=data,
        )
    return found


def find_frame(data: bytes, *, standard: str = "j2735") -> tuple[int, int]:
    """The ``(start, end)`` span of the MessageFrame inside ``data`` (see :func:`unwrap`)."""
    env = unwrap(data, standard=standard).envelope
    return env.offset, len(data) - env.trailing


@dataclass(slots=True)
class _Layers:
    """The layers found so far; ``start``/``end`` bound the payload (the frame's bytes)."""

    start: int
    end: int
    wsmp: WsmpHeader | None = None
    dot2: Dot2Data | None = None
    prefix: int = 0


def _layers(data: bytes, pos: int) -> _Layers:
    """WSMP (optional) then 1609.2 (optional) at ``pos``; the payload span they leave."""
    layers = _Layers(start=pos, end=len(data), prefix=pos)
    if looks_like_wsmp(data, pos):
        layers.wsmp = parse_wsmp(data, pos)
        layers.start, layers.end = layers.wsmp.data_start, layers.wsmp.data_end
    if looks_like_dot2(data, layers.start):
        layers.dot2 = parse_dot2(data, layers.start, layers.end)
        layers.start, layers.end = layers.dot2.payload_start, layers.dot2.payload_end
    elif layers.wsmp is None:
        raise FramingError(
            f"no WSMP header or IEEE 1609.2 data at offset {pos}", bit_offset=pos * 8, data=data
        )
    return layers


def _structure_end(layers: _Layers) -> int:
    """Where the outermost structure found ends (the WSM end, else the 1609.2 end)."""
    if layers.wsmp is not None:
        return layers.wsmp.data_start + layers.wsmp.length
    if layers.dot2 is not None:
        return layers.dot2.end
    return layers.end


def _scan_prefix(data: bytes) -> Unwrapped | None:
    """Look past an unknown prefix (a capture header): the first offset where WSMP or 1609.2
    starts, parses and ends exactly at the end of the bytes wins. Bounded: MAX_PREFIX tries."""
    for pos in range(1, min(MAX_PREFIX, len(data) - 3) + 1):
        if not (looks_like_wsmp(data, pos) or looks_like_dot2(data, pos)):
            continue
        try:
            layers = _layers(data, pos)
            if _structure_end(layers) != len(data):
                continue
            return _finish(data, layers, "j2735")
        except FramingError:
            continue
    return None


def _unwrap_csae53(data: bytes) -> Unwrapped:
    if looks_like_wsmp(data, 0) or looks_like_dot2(data, 0):
        try:
            layers = _layers(data, 0)
        except FramingError as err:
            note = f"not WSMP/1609.2 ({err.reason}); taken as a bare frame"
            return Unwrapped(data, Envelope(notes=(note,)))
        if _structure_end(layers) == len(data) and not _truncated(layers):
            return _finish(data, layers, "csae53")
        note = "WSMP/1609.2 lookalike does not span the input; taken as a bare frame"
        return Unwrapped(data, Envelope(notes=(note,)))
    return Unwrapped(data, Envelope())


def _truncated(layers: _Layers) -> bool:
    return (layers.wsmp is not None and layers.wsmp.truncated) or (
        layers.dot2 is not None and layers.dot2.truncated
    )


def _finish(data: bytes, layers: _Layers, standard: str) -> Unwrapped:
    """Cut the frame out of the payload span and describe the envelope."""
    stop = layers.end
    if standard == "j2735":
        try:
            stop = _j2735_end(data, layers)
        except FramingError as err:
            if not _truncated(layers):
                raise
            cut = "; ".join(_envelope(data, layers, layers.end).notes)
            raise FramingError(
                f"truncated: {cut}; no whole MessageFrame inside ({err.reason})",
                bit_offset=err.bit_offset,
                data=data,
            ) from err
    return Unwrapped(data[layers.start : stop], _envelope(data, layers, stop))


def _j2735_end(data: bytes, layers: _Layers) -> int:
    start = layers.start
    if not looks_like_j2735(data, start):
        where = "1609.2 payload" if layers.dot2 else "WSM data" if layers.wsmp else "input"
        raise FramingError(
            f"{where} is not a J2735 MessageFrame (starts {data[start : start + 4].hex(' ')})",
            bit_offset=start * 8,
            data=data,
        )
    return start + j2735_frame_length(data, start, layers.end)


def _envelope(data: bytes, layers: _Layers, stop: int) -> Envelope:
    wsmp, dot2 = layers.wsmp, layers.dot2
    notes: list[str] = []
    if layers.prefix:
        notes.append(
            f"skipped a {layers.prefix}-octet unknown prefix {data[: layers.prefix].hex()}"
        )
    if wsmp is not None and wsmp.truncated:
        notes.append(
            f"WSM length declares {wsmp.length} octets, {wsmp.data_end - wsmp.data_start} present"
        )
    wsmp_psid = wsmp.psid if wsmp is not None else None
    if dot2 is None:
        kind = "bare"
        psid = wsmp_psid
    else:
        notes.extend(dot2.notes)
        kind = dot2.kind
        psid = dot2.psid if dot2.psid is not None else wsmp_psid
    return Envelope(
        kind=kind,
        offset=layers.start,
        trailing=len(data) - stop,
        wsmp_psid=wsmp_psid,
        wsmp_header=data[wsmp.start : wsmp.data_start] if wsmp is not None else b"",
        dot2_version=dot2.version if dot2 is not None else None,
        psid=psid,
        generation_time=dot2.generation_time if dot2 is not None else None,
        signer_kind=dot2.signer_kind if dot2 is not None else None,
        signer_digest=dot2.signer_digest if dot2 is not None else None,
        signer_certificate=dot2.signer_certificate if dot2 is not None else None,
        signature=dot2.signature if dot2 is not None else None,
        to_be_signed=dot2.to_be_signed if dot2 is not None else None,
        truncated=_truncated(layers),
        notes=tuple(notes),
    )
