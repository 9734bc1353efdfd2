"""Cheap, pure look at received bytes: is this V2X, and which PSID / message id does it carry?

J2735 knowledge, used by the radio edges (``rsu.radio.sniff`` re-exports it).

Full decoding is the codec's job (``rsu.v2x``); the radio edges only need to reject datagrams
that are plainly not V2X (text, other protocols) and to find a PSID for the per-PSID counters.
Recognised shapes: a bare J2735 MessageFrame, IEEE 1609.2 Ieee1609Dot2Data (version 3), and
either of these behind an IEEE 1609.3 WSMP header (``03 00 <psid> <length>``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rsu.j2735.messages import J2735_MESSAGES, PSIDS, SHORT

_DOT2_CONTENT = (0x80, 0x81, 0x82)  # unsecuredData, signedData, encryptedData


@dataclass(frozen=True, slots=True)
class Sniff:
    """What could be seen without decoding: ``kind`` is bare, dot2, wsmp or unknown."""

    kind: str
    psid: int | None = None
    message_id: int | None = None

    @property
    def is_v2x(self) -> bool:
        return self.kind != "unknown"

    @property
    def message_type(self) -> str:
        """Short name (``BSM``, ``MAP``...) when the message id is known, else ``""``."""
        name = J2735_MESSAGES.get(self.message_id or -1)
        return SHORT.get(name, name) if name else ""


def read_psid(data: bytes, at: int) -> tuple[int, int] | None:
    """IEEE 1609.3 p-encoded PSID at ``at``: ``(psid, next offset)`` or None."""
    if at >= len(data):
        return None
    first = data[at]
    size = 1 if first < 0x80 else 2 if first < 0xC0 else 3 if first < 0xE0 else 4
    if first >= 0xF0 or at + size > len(data):
        return None
    return int.from_bytes(data[at : at + size], "big"), at + size


def bare_message_id(data: bytes, at: int = 0) -> int | None:
    """The J2735 DSRCmsgID of a bare UPER MessageFrame starting at ``at`` (if plausible)."""
    if len(data) < at + 3 or data[at] & 0x80:
        return None
    mid = int.from_bytes(data[at : at + 2], "big") & 0x7FFF
    return mid if mid in J2735_MESSAGES else None


def _oer_length(data: bytes, at: int) -> int | None:
    """Offset just after an OER length determinant at ``at``."""
    if at >= len(data):
        return None
    first = data[at]
    return at + 1 if first < 0x80 else at + 1 + (first & 0x7F)


def _dot2_message_id(data: bytes, at: int) -> int | None:
    """Message id inside 1609.2 unsecured data, or signed data with the usual SHA-256 layout."""
    if data[at + 1 : at + 2] == b"\x80":
        body = _oer_length(data, at + 2)
        return None if body is None else bare_message_id(data, body)
    # signedData: 03 81 <hashId> <tbs bitmap> 03 80 <len> frame
    if data[at + 1 : at + 2] == b"\x81" and data[at + 4 : at + 6] == b"\x03\x80":
        body = _oer_length(data, at + 6)
        return None if body is None else bare_message_id(data, body)
    return None


def _sniff_at(data: bytes, at: int, psid: int | None, kind: str) -> Sniff | None:
    mid = bare_message_id(data, at)
    if mid is not None:
        return Sniff(kind, psid if psid is not None else _psid_for(mid), mid)
    if len(data) >= at + 2 and data[at] == 0x03 and data[at + 1] in _DOT2_CONTENT:
        mid = _dot2_message_id(data, at)
        if psid is None and mid is not None:
            psid = _psid_for(mid)
        return Sniff("dot2" if kind == "bare" else kind, psid, mid)
    return None


def sniff(data: bytes) -> Sniff:
    """Classify ``data``; never raises."""
    found = _sniff_at(data, 0, None, "bare")
    if found is not None:
        return found
    if len(data) >= 4 and data[0] == 0x03 and data[1] == 0x00:  # WSMP v3, TPID 0
        got = read_psid(data, 2)
        if got is not None:
            psid, at = got
            body = at + (1 if data[at : at + 1] < b"\x80" else 2)
            inner = _sniff_at(data, body, psid, "wsmp")
            if inner is not None:
                return inner
    return Sniff("unknown")


def _psid_for(message_id: int) -> int | None:
    name = J2735_MESSAGES.get(message_id)
    return PSIDS.get(SHORT.get(name, name)) if name else None
