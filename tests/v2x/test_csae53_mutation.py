"""Mutation fuzz of real CSAE 53 frames: bit flips, truncation and corrupted length fields.

Random bytes hardly get past a CHOICE index; mutations of real frames reach deep into MAP lane
lists, RSI text and RSM participants. The length and count fields are found exactly: a traced
decode of each frame (a separate compiled copy of the modules, with the decode of every
SEQUENCE OF, OCTET/BIT STRING and character string node wrapped) records the bit where each
size is read. Every mutant must decode (and then round-trip through JER) or fail with a
``DecodeError``; the fast path and the general decoder must agree.

(A mutant may decode to a value the encoder writes canonically: a BIT STRING with named bits
loses trailing 0 bits, as X.691 requires. Found by this fuzz; the check is that re-encoding
reaches a fixed point.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from asn1tools.codecs import per, uper
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsu.errors import DecodeError, EncodeError
from rsu.v2x.asn1 import children, compile_standard
from rsu.v2x.codec import Codec
from rsu.v2x.standards import get_standard
from tests.v2x.vectors import load

FRAMES = [
    bytes.fromhex(f["hex"]) for f in load("csae53_real.jsonl") + load("csae53_generated.jsonl")
]
_SIZED = (per.ArrayType, per.OctetString, per.BitString, per.KnownMultiplierStringType)


@pytest.fixture(scope="module")
def codec() -> Codec:
    return Codec(compile_standard(get_standard("csae53")), repeat_cache_size=0)


def _traced_sizes(tmp: Path) -> Any:
    """A function frame -> [(bit position, size field width)] from a traced decode."""
    spec = compile_standard(get_standard("csae53"), tmp).spec  # its own node objects
    marks: list[tuple[int, int]] = []
    seen: set[int] = set()

    def wrap(node: Any) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, _SIZED) and getattr(node, "number_of_bits", None) != 0:
            original = node.decode
            width = node.number_of_bits if node.number_of_bits is not None else 8
            ext = int(bool(getattr(node, "has_extension_marker", False)))

            def traced(decoder: Any, original: Any = original, width: int = width) -> Any:
                marks.append((decoder.number_of_read_bits() + ext, width))
                return original(decoder)

            node.decode = traced
        for child in children(node):
            wrap(child)

    frame_type = spec.types["MessageFrame"]
    wrap(frame_type.type)

    def sizes(frame: bytes) -> list[tuple[int, int]]:
        marks.clear()
        frame_type.type.decode(uper.Decoder(bytearray(frame)))
        return [m for m in marks if m[1] and m[0] + m[1] <= 8 * len(frame)]

    return sizes


@pytest.fixture(scope="module")
def size_fields(tmp_path_factory: pytest.TempPathFactory) -> dict[bytes, list[tuple[int, int]]]:
    sizes = _traced_sizes(tmp_path_factory.mktemp("traced"))
    return {frame: sizes(frame) for frame in FRAMES}


def _check(codec: Codec, data: bytes) -> None:
    try:
        message = codec.decode(data)
    except DecodeError:
        pass
    else:
        try:
            again = codec.encode(message.jer())
        except EncodeError:  # a mutant may decode to values outside a constraint
            return
        # Re-encoding is canonical (X.691 drops trailing 0 bits of a BIT STRING with named
        # bits, which a mutant may carry), so the first round may change bits; from then on
        # the value is a fixed point.
        assert codec.encode(codec.decode(again).jer()) == again
    fast = codec._decode_fast(data)
    if fast is not None:
        assert fast == codec._decode_general(data), data.hex()


def _set_bits(frame: bytes, position: int, width: int, value: int) -> bytes:
    number = int.from_bytes(frame, "big")
    total = 8 * len(frame)
    shift = total - position - width
    mask = ((1 << width) - 1) << shift
    number = (number & ~mask) | ((value & ((1 << width) - 1)) << shift)
    return number.to_bytes(len(frame), "big")


def test_every_frame_has_size_fields_to_corrupt(
    size_fields: dict[bytes, list[tuple[int, int]]],
) -> None:
    with_sizes = [f for f, marks in size_fields.items() if marks]
    assert len(with_sizes) > len(FRAMES) * 0.8  # nearly every frame holds a list or a string
    assert sum(len(m) for m in size_fields.values()) > 1000


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_corrupted_length_fields(
    codec: Codec, size_fields: dict[bytes, list[tuple[int, int]]], data: st.DataObject
) -> None:
    original = FRAMES[
        data.draw(st.sampled_from([i for i, f in enumerate(FRAMES) if size_fields[f]]))
    ]
    frame = original
    for _ in range(data.draw(st.integers(1, 2))):
        position, width = data.draw(st.sampled_from(size_fields[original]))
        value = data.draw(
            st.sampled_from([0, (1 << width) - 1, 1 << (width - 1), 0x80, 0xBF, 0xC4])
            | st.integers(0, (1 << width) - 1)
        )
        frame = _set_bits(frame, position, width, value)
    _check(codec, frame)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_bit_flips_and_truncation(codec: Codec, data: st.DataObject) -> None:
    frame = bytearray(data.draw(st.sampled_from(FRAMES)))
    for _ in range(data.draw(st.integers(0, 4))):
        position = data.draw(st.integers(0, 8 * len(frame) - 1))
        frame[position // 8] ^= 0x80 >> (position % 8)
    cut = data.draw(st.integers(1, len(frame)))
    _check(codec, bytes(frame[:cut]))


def test_every_truncation_of_every_real_frame(codec: Codec) -> None:
    for frame in load("csae53_real.jsonl"):
        data = bytes.fromhex(frame["hex"])
        for cut in range(1, len(data)):
            _check(codec, data[:cut])
