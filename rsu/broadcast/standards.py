"""Frames of either standard in one broadcast table (sans-I/O).

A J2735 MessageFrame's JER is ``{"messageId": 18, "value": {...}}``; a CSAE 53 one is a CHOICE,
``{"mapFrame": {...}}``. The shape of the JER says which standard it is, so one scheduler can
hold MAP/SPAT files of both standards and the RSM/RSI/SDSM the daemon builds: ``FrameEncoder``
encodes each frame with the codec of its own standard. UPER bytes carry no such mark: a hex
file of a CSAE frame needs ``standard = "csae53"`` in its ``[[broadcast.messages]]`` table.

The CSAE AIDs below are the values C-V2X RSUs in China commonly use for the day-1 messages;
check them against your radio's DSMP configuration (``psid`` in the config always wins).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rsu.errors import EncodeError
from rsu.v2x.names import J2735_MESSAGES, short_name

CSAE_FRAMES: dict[str, str] = {
    "BSM": "bsmFrame",
    "MAP": "mapFrame",
    "RSM": "rsmFrame",
    "SPAT": "spatFrame",
    "RSI": "rsiFrame",
}
"""Short message name -> alternative of the CSAE MessageFrame CHOICE."""
CSAE_SHORT = {frame: short for short, frame in CSAE_FRAMES.items()}

CSAE_AIDS: dict[str, int] = {"BSM": 111, "MAP": 3618, "SPAT": 3619, "RSI": 3620, "RSM": 3623}
"""Default AID (the PSID field of a TxRequest) per CSAE message."""

_J2735_IDS = {short_name(name): mid for mid, name in J2735_MESSAGES.items()}


def frame_standard(frame_jer: Any) -> str | None:
    """``j2735``, ``csae53`` or ``None`` from the shape of a MessageFrame's JER."""
    if not isinstance(frame_jer, dict):
        return None
    if "messageId" in frame_jer and "value" in frame_jer:
        return "j2735"
    if len(frame_jer) == 1 and next(iter(frame_jer)) in CSAE_SHORT:
        return "csae53"
    return None


def frame_type(frame_jer: Any) -> str:
    """The short message name (``MAP``, ``RSI`` ...) of a MessageFrame's JER, or ``""``."""
    standard = frame_standard(frame_jer)
    if standard == "j2735":
        name = J2735_MESSAGES.get(frame_jer["messageId"])
        return short_name(name) if name else ""
    if standard == "csae53":
        return CSAE_SHORT[next(iter(frame_jer))]
    return ""


def make_frame(standard: str, message_type: str, value: Any) -> dict[str, Any] | None:
    """The MessageFrame JER of a message value, or ``None`` when ``standard`` has no such
    message (``RSI`` is not J2735, ``SDSM`` is not CSAE 53)."""
    if standard == "csae53":
        choice = CSAE_FRAMES.get(message_type)
        return None if choice is None else {choice: value}
    mid = _J2735_IDS.get(message_type)
    return None if mid is None else {"messageId": mid, "value": value}


def default_psid(standard: str, message_type: str) -> int | None:
    """PSID (J2735) or AID (CSAE 53) for a message type, when one is known."""
    if standard == "csae53":
        return CSAE_AIDS.get(message_type)
    from rsu.v2x.names import PSIDS

    return PSIDS.get(message_type)


class FrameEncoder:
    """``encode(frame_jer) -> bytes`` for frames of any standard (codecs compiled on first
    use of each standard, then cached by ``get_codec``)."""

    def __init__(self, get_codec: Callable[[str], Any] | None = None) -> None:
        if get_codec is None:
            from rsu.v2x.codec import get_codec as real

            get_codec = real
        self._get_codec = get_codec

    def __call__(self, frame_jer: dict[str, Any]) -> bytes:
        standard = frame_standard(frame_jer)
        if standard is None:
            keys = ", ".join(sorted(frame_jer)) if isinstance(frame_jer, dict) else "?"
            raise EncodeError(
                "not the JER of a J2735 or CSAE 53 MessageFrame",
                message="MessageFrame",
                path=keys,
            )
        data: bytes = self._get_codec(standard).encode(frame_jer)
        return data
