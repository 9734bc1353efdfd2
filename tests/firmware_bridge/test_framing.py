"""The sans-I/O framing: golden frames, COBS, resynchronisation and bounded buffering."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.framing import (
    MAX_PAYLOAD,
    Frame,
    FrameDecoder,
    cobs_decode,
    cobs_encode,
    encode_frame,
)
from firmware_bridge.messages import decode_message, message_frame

VECTORS = Path(__file__).parents[2] / "firmware_bridge" / "vectors" / "frames.jsonl"
CASES = [json.loads(line) for line in VECTORS.read_text().splitlines()]
GOOD = [c for c in CASES if "message" in c]
BAD = [c for c in CASES if "message" not in c]


def _as_json(msg: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": type(msg).__name__}
    for field in dataclasses.fields(msg):
        value = getattr(msg, field.name)
        out[field.name] = value.hex() if isinstance(value, bytes) else value
    return out


@pytest.mark.parametrize("case", GOOD, ids=[c["name"] for c in GOOD])
def test_golden_frame_decodes_to_its_message(case: dict[str, Any]) -> None:
    frames = FrameDecoder().feed(bytes.fromhex(case["hex"]))
    assert len(frames) == 1, case["hex"]
    assert (frames[0].type, frames[0].seq) == (case["type"], case["seq"])
    assert _as_json(decode_message(frames[0].type, frames[0].payload)) == case["message"]


@pytest.mark.parametrize("case", GOOD, ids=[c["name"] for c in GOOD])
def test_golden_message_encodes_to_its_hex(case: dict[str, Any]) -> None:
    data = bytes.fromhex(case["hex"])
    frame = FrameDecoder().feed(data)[0]
    msg = decode_message(frame.type, frame.payload)
    assert message_frame(msg, case["seq"]).hex() == case["hex"]


@pytest.mark.parametrize("case", BAD, ids=[c["name"] for c in BAD])
def test_golden_bad_frames_are_counted_by_reason(case: dict[str, Any]) -> None:
    dec = FrameDecoder()
    frames = dec.feed(bytes.fromhex(case["hex"]))
    assert len(frames) == case["frames"]
    if case["error"]:
        assert dec.stats.by_reason == {case["error"]: 1}


@given(st.binary(max_size=1200))
def test_cobs_round_trips_and_never_emits_zero(data: bytes) -> None:
    enc = cobs_encode(data)
    assert 0 not in enc
    assert cobs_decode(enc) == data


@pytest.mark.parametrize("size", [0, 1, 253, 254, 255, 508, 509, MAX_PAYLOAD])
def test_cobs_block_boundaries_round_trip(size: int) -> None:
    for fill in (b"\x00", b"\x01", b"\xff"):
        data = (fill * size)[:size]
        assert cobs_decode(cobs_encode(data)) == data


@given(st.lists(st.binary(max_size=300), max_size=8), st.integers(1, 64))
def test_frames_survive_arbitrary_chunking(payloads: list[bytes], chunk: int) -> None:
    wire = b"".join(encode_frame(Frame(0x10, i, p)) for i, p in enumerate(payloads))
    dec = FrameDecoder()
    got = []
    for i in range(0, len(wire), chunk):
        got += dec.feed(wire[i : i + chunk])
    assert [f.payload for f in got] == payloads
    assert [f.seq for f in got] == list(range(len(payloads)))
    assert dec.stats.errors == 0


@given(st.binary(max_size=400))
def test_decoder_resynchronises_after_any_garbage(garbage: bytes) -> None:
    good = encode_frame(Frame(0x30, 5, b"status"))
    dec = FrameDecoder()
    frames = dec.feed(garbage + good + good)
    assert [f.payload for f in frames][-2:] == [b"status", b"status"]


def test_single_bit_error_is_a_crc_error_and_next_frame_survives() -> None:
    good = encode_frame(Frame(0x10, 1, b"\x00\x14payload-bytes"))
    bad = bytearray(good)
    bad[8] ^= 0x10
    dec = FrameDecoder()
    frames = dec.feed(bytes(bad) + good)
    assert [f.payload for f in frames] == [b"\x00\x14payload-bytes"]
    assert dec.stats.crc_errors + dec.stats.cobs_errors == 1


def test_endless_bytes_without_delimiter_are_dropped_not_buffered() -> None:
    dec = FrameDecoder()
    for _ in range(100):
        assert dec.feed(b"\x55" * 1000) == []
    assert dec.stats.overflows == 1  # one run, counted once however long it goes on
    assert len(dec._buf) <= 2070  # the bound PROTOCOL.md promises
    assert [f.payload for f in dec.feed(encode_frame(Frame(1, 1, b"ok")))] == [b"ok"]


def test_oversized_payload_is_refused_by_the_encoder() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        encode_frame(Frame(0x20, 1, bytes(MAX_PAYLOAD + 1)))


def test_short_body_and_unknown_type_raise_value_error() -> None:
    with pytest.raises(ValueError, match="too short"):
        decode_message(0x21, b"\x00")
    with pytest.raises(ValueError, match="unknown message type"):
        decode_message(0x55, b"")
