"""Frames of every message set in one broadcast table (sans-I/O).

One scheduler holds MAP/SPAT files of several sets and the RSM/RSI/SDSM the daemon builds.
Which set a frame belongs to is the set's own knowledge: each ``MessageSet`` of
``rsu.registry`` says whether a MessageFrame's JER has its shape (``frame_key``), and
``FrameEncoder`` encodes each frame with the codec of the set that owns it. UPER bytes carry
no such mark: a hex file of a frame of another set than the default names its set with
``standard = ...`` in its ``[[broadcast.messages]]`` table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rsu.errors import EncodeError
from rsu.registry import message_set, message_sets

if TYPE_CHECKING:
    from rsu.v2x.messageset import MessageSet

__all__ = [
    "FrameEncoder",
    "default_psid",
    "frame_set",
    "frame_standard",
    "frame_type",
    "make_frame",
]


def frame_set(frame_jer: Any) -> MessageSet | None:
    """The message set whose MessageFrame shape ``frame_jer`` has (the first in registry order)."""
    for ms in message_sets():
        if ms.owns(frame_jer):
            return ms
    return None


def frame_standard(frame_jer: Any) -> str | None:
    """The name of the set of a MessageFrame's JER, or ``None``."""
    found = frame_set(frame_jer)
    return None if found is None else found.name


def frame_type(frame_jer: Any) -> str:
    """The short message name (``MAP``, ``RSI`` ...) of a MessageFrame's JER, or ``""``."""
    found = frame_set(frame_jer)
    return "" if found is None else found.frame_type(frame_jer)


def make_frame(standard: str, message_type: str, value: Any) -> dict[str, Any] | None:
    """The MessageFrame JER of a message value, or ``None`` when ``standard`` has no such
    message (``RSI`` is not J2735, ``SDSM`` is not CSAE 53)."""
    return message_set(standard).make_frame(message_type, value)


def default_psid(standard: str, message_type: str) -> int | None:
    """PSID (J2735) or AID (CSAE 53) for a message type, when one is known."""
    return message_set(standard).default_psid(message_type)


class FrameEncoder:
    """``encode(frame_jer) -> bytes`` for frames of any set (codecs compiled on first use of
    each set, then cached by ``get_codec``)."""

    def __init__(self, get_codec: Callable[[str], Any] | None = None) -> None:
        if get_codec is None:
            from rsu.v2x.codec import get_codec as real

            get_codec = real
        self._get_codec = get_codec

    def __call__(self, frame_jer: dict[str, Any]) -> bytes:
        found = frame_set(frame_jer)
        if found is None:
            keys = ", ".join(sorted(frame_jer)) if isinstance(frame_jer, dict) else "?"
            labels = " or ".join(ms.label for ms in message_sets())
            raise EncodeError(
                f"not the JER of a {labels} MessageFrame", message="MessageFrame", path=keys
            )
        data: bytes = self._get_codec(found.name).encode(frame_jer)
        return data
