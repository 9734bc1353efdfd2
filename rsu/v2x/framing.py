"""Find the V2X MessageFrame inside what radios and RSUs deliver (sans-I/O, pure functions).

Seen in the field, in any combination:

- a bare MessageFrame, sometimes with bytes after it (CR LF, padding, a stray signature);
- an IEEE 1609.2 ``Ieee1609Dot2Data`` (unsecuredData or signedData, COER) around it;
- an IEEE 1609.3 WSMP header in front of that;
- an unknown capture/log prefix in front of a WSMP header (found by a bounded scan).

``unwrap(data)`` returns the frame bytes and an :class:`~rsu.v2x.message.Envelope` saying
what was around them. The layers (WSMP, 1609.2, a prefix) are found here, the same for every
message set; where the frame ends inside them is the set's frame strategy
(``MessageSet.unwrap``: ``rsu.j2735.framing`` cuts a J2735 frame at its own end, CSAE 53 has no
length of its own and the codec trims). Malformed input always raises
:class:`~rsu.errors.FramingError`, after work bounded by the input size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rsu.errors import FramingError
from rsu.registry import DEFAULT_MESSAGE_SET, message_set
from rsu.v2x.dot2 import Dot2Data, looks_like_dot2, parse_dot2
from rsu.v2x.message import Envelope
from rsu.v2x.wsmp import WsmpHeader, looks_like_wsmp, parse_wsmp

MAX_PREFIX = 32
"""Longest unknown prefix skipped in front of a WSMP header or 1609.2 data."""


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """The MessageFrame bytes and what was found around them."""

    frame: bytes
    envelope: Envelope


def unwrap(data: bytes, *, standard: str = DEFAULT_MESSAGE_SET) -> Unwrapped:
    """Find the MessageFrame in ``data`` as received; raise ``FramingError`` if there is none.

    How is the message set's own frame strategy (``MessageSet.unwrap``): J2735 cuts the frame
    at its own end; CSAE 53 strips WSMP and 1609.2 and returns the rest whole (bytes that do
    not parse completely as WSMP/1609.2 are passed through as a bare frame, since a CSAE frame
    may start like them).
    """
    strategy = message_set(standard)
    data = bytes(data)
    if not data:
        raise FramingError("empty input: no MessageFrame", bit_offset=0, data=data)
    return strategy.unwrap(data)


def find_frame(data: bytes, *, standard: str = DEFAULT_MESSAGE_SET) -> tuple[int, int]:
    """The ``(start, end)`` span of the MessageFrame inside ``data`` (see :func:`unwrap`)."""
    env = unwrap(data, standard=standard).envelope
    return env.offset, len(data) - env.trailing


@dataclass(slots=True)
class Layers:
    """The layers found so far; ``start``/``end`` bound the payload (the frame's bytes)."""

    start: int
    end: int
    wsmp: WsmpHeader | None = None
    dot2: Dot2Data | None = None
    prefix: int = 0


FrameCut = Callable[[bytes, Layers], int] | None
"""Where a set's MessageFrame ends inside the payload span of ``Layers`` (None: at its end)."""


def layers_at(data: bytes, pos: int) -> Layers:
    """WSMP (optional) then 1609.2 (optional) at ``pos``; the payload span they leave."""
    layers = Layers(start=pos, end=len(data), prefix=pos)
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


def structure_end(layers: Layers) -> int:
    """Where the outermost structure found ends (the WSM end, else the 1609.2 end)."""
    if layers.wsmp is not None:
        return layers.wsmp.data_start + layers.wsmp.length
    if layers.dot2 is not None:
        return layers.dot2.end
    return layers.end


def scan_prefix(data: bytes, cut: FrameCut) -> Unwrapped | None:
    """Look past an unknown prefix (a capture header): the first offset where WSMP or 1609.2
    starts, parses and ends exactly at the end of the bytes wins. Bounded: MAX_PREFIX tries."""
    for pos in range(1, min(MAX_PREFIX, len(data) - 3) + 1):
        if not (looks_like_wsmp(data, pos) or looks_like_dot2(data, pos)):
            continue
        try:
            layers = layers_at(data, pos)
            if structure_end(layers) != len(data):
                continue
            return finish(data, layers, cut)
        except FramingError:
            continue
    return None


def truncated(layers: Layers) -> bool:
    return (layers.wsmp is not None and layers.wsmp.truncated) or (
        layers.dot2 is not None and layers.dot2.truncated
    )


def finish(data: bytes, layers: Layers, cut: FrameCut) -> Unwrapped:
    """Cut the frame out of the payload span (``cut``: where the set's frame ends; None: at
    the end of the span) and describe the envelope."""
    stop = layers.end
    if cut is not None:
        try:
            stop = cut(data, layers)
        except FramingError as err:
            if not truncated(layers):
                raise
            what = "; ".join(_envelope(data, layers, layers.end).notes)
            raise FramingError(
                f"truncated: {what}; no whole MessageFrame inside ({err.reason})",
                bit_offset=err.bit_offset,
                data=data,
            ) from err
    return Unwrapped(data[layers.start : stop], _envelope(data, layers, stop))


def _envelope(data: bytes, layers: Layers, stop: int) -> Envelope:
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
        truncated=truncated(layers),
        notes=tuple(notes),
    )
