"""The CSAE 53 frame strategy (sans-I/O): the MessageFrame is a CHOICE with no length of its
own, so only WSMP/1609.2 are stripped and the codec trims what follows the frame."""

from __future__ import annotations

from rsu.errors import FramingError
from rsu.v2x.dot2 import looks_like_dot2
from rsu.v2x.framing import Unwrapped, finish, layers_at, structure_end, truncated
from rsu.v2x.message import Envelope
from rsu.v2x.wsmp import looks_like_wsmp


def unwrap(data: bytes) -> Unwrapped:
    """WSMP/1609.2 stripped when they span the whole input; anything else (a CSAE frame may
    start like them) is passed through as a bare frame, with a note saying why."""
    if looks_like_wsmp(data, 0) or looks_like_dot2(data, 0):
        try:
            layers = layers_at(data, 0)
        except FramingError as err:
            note = f"not WSMP/1609.2 ({err.reason}); taken as a bare frame"
            return Unwrapped(data, Envelope(notes=(note,)))
        if structure_end(layers) == len(data) and not truncated(layers):
            return finish(data, layers, None)
        note = "WSMP/1609.2 lookalike does not span the input; taken as a bare frame"
        return Unwrapped(data, Envelope(notes=(note,)))
    return Unwrapped(data, Envelope())
