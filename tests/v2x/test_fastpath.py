"""The generated fast decoder gives exactly what the general (asn1tools) decoder gives."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsu.errors import DecodeError
from rsu.v2x.asn1 import compile_standard
from rsu.v2x.codec import Codec
from rsu.v2x.message import V2xMessage
from rsu.v2x.standards import get_standard
from tests.v2x.vectors import load

FRAMES = {
    "j2735": [bytes.fromhex(f["hex"]) for f in load("j2735_real.jsonl")],
    "csae53": [
        bytes.fromhex(f["hex"]) for f in load("csae53_real.jsonl") + load("csae53_generated.jsonl")
    ],
}


@pytest.fixture(scope="module", params=["j2735", "csae53"])
def codec(request: pytest.FixtureRequest) -> Codec:
    return Codec(compile_standard(get_standard(request.param)), repeat_cache_size=0)


def _general(codec: Codec, frame: bytes) -> V2xMessage | DecodeError:
    try:
        return codec._decode_general(frame)
    except DecodeError as err:
        return err


def test_fast_and_general_agree_on_every_real_frame(codec: Codec) -> None:
    frames = FRAMES[codec.name]
    fell_back = 0
    for frame in frames:
        fast = codec._decode_fast(frame)
        if fast is None:
            fell_back += 1
            continue
        assert fast == codec._decode_general(frame), frame.hex()
    assert fell_back == 0  # every real frame is decoded by the fast path itself


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_and_general_agree_on_damaged_frames(codec: Codec, data: st.DataObject) -> None:
    frame = bytearray(data.draw(st.sampled_from(FRAMES[codec.name][::7])))
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(frame) - 1))
        frame[position] ^= 1 << data.draw(st.integers(0, 7))
    frame = frame[: data.draw(st.integers(1, len(frame)))]
    fast = codec._decode_fast(bytes(frame))
    general = _general(codec, bytes(frame))
    if fast is not None:
        assert fast == general, bytes(frame).hex()


def test_the_fast_path_can_be_switched_off() -> None:
    codec = Codec(compile_standard(get_standard("csae53")), fast=False)
    frame = FRAMES["csae53"][0]
    assert codec.decode(frame).raw == frame
