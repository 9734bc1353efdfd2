"""A cloud ``broadcast`` command checked whole before it is acknowledged.

``hex`` must decode, with the codec of the RSU's standard, as one bare MessageFrame of the
requested type; ``jer`` must encode. The PSID (AID) is resolved here too. A failure is a
``bad_value`` whose ACK carries the codec's error (message, field path, bit offset); a success
returns the request with ``encoded`` (and, for ``jer``, ``frame_jer``) set, which the daemon
uses as it is: nothing is decoded or encoded a second time to accept it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import structlog

from rsu.errors import CodecError, CommandError, DecodeError, EncodeError
from rsu.uplink.commands import BroadcastRequest

if TYPE_CHECKING:
    from rsu.v2x.codec import Codec

log = structlog.get_logger(__name__)

FrameOf = Callable[[str, Any], "dict[str, Any] | None"]
"""(message type, JER of the message value) -> JER of its MessageFrame, or None when the
standard has no such message (``rsu.broadcast.standards.make_frame`` by default)."""


def _detail(err: CodecError) -> dict[str, object]:
    if isinstance(err, DecodeError):
        return {
            "message": err.message_type,
            "path": err.path,
            "bit_offset": err.bit_offset,
            "reason": err.reason,
        }
    if isinstance(err, EncodeError):
        return {"message": err.message_type, "path": err.path, "reason": err.reason}
    return {"reason": str(err)}


class BroadcastCheck:
    """``check(request) -> request`` with ``encoded`` set, or ``CommandError``."""

    def __init__(self, codec: Codec, frame_of: FrameOf | None = None) -> None:
        from rsu.broadcast.standards import default_psid, make_frame

        self.codec = codec
        self.standard = codec.name
        self._psid = default_psid
        self._frame_of: FrameOf = frame_of or (lambda t, v: make_frame(self.standard, t, v))

    @classmethod
    def for_standard(cls, standard: str) -> BroadcastCheck:
        from rsu.v2x.codec import get_codec

        return cls(get_codec(standard))

    def __call__(self, req: BroadcastRequest) -> BroadcastRequest:
        psid = req.psid if req.psid is not None else self._psid(self.standard, req.message_type)
        if psid is None:
            raise CommandError("bad_value", f"broadcast: no PSID known for {req.message_type}")
        if req.data is not None:
            return replace(req, psid=psid, encoded=self._decoded(req))
        frame = self._frame_of(req.message_type, req.jer)
        if frame is None:
            raise CommandError(
                "bad_value", f"broadcast: {self.standard} has no {req.message_type} message"
            )
        return replace(req, psid=psid, frame_jer=frame, encoded=self._encoded(frame))

    def _decoded(self, req: BroadcastRequest) -> bytes:
        assert req.data is not None
        try:
            msg = self.codec.decode(req.data, unwrap=False)
        except CodecError as err:
            raise CommandError(
                "bad_value",
                f"broadcast.hex: not a {self.standard} MessageFrame: {err}",
                _detail(err),
            ) from err
        if msg.short_name != req.message_type:
            raise CommandError(
                "bad_value",
                f"broadcast.hex: a {msg.short_name} MessageFrame, not {req.message_type}",
                {"message": msg.message_type},
            )
        return req.data

    def _encoded(self, frame: dict[str, Any]) -> bytes:
        try:
            return self.codec.encode(frame)
        except CodecError as err:
            raise CommandError(
                "bad_value", f"broadcast.jer: does not encode: {err}", _detail(err)
            ) from err
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as err:
            # asn1tools' own errors for values the JER layer let through: refuse, say what
            log.warning("broadcast_encode_failed", error=repr(err))
            raise CommandError(
                "bad_value", f"broadcast.jer: does not encode: {err}", {"reason": str(err)}
            ) from err
