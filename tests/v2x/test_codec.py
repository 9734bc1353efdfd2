"""Codec behaviour beyond the vectors: errors that say where, constraints, open types, cache."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsu.errors import DecodeError, EncodeError, RsuError, UnknownStandardError
from rsu.v2x.asn1 import compile_standard
from rsu.v2x.codec import Codec, get_codec
from rsu.v2x.standards import get_standard
from tests.v2x.vectors import load

J2735 = load("j2735_real.jsonl")
CSAE = load("csae53_real.jsonl")


@pytest.fixture(scope="module")
def j2735() -> Codec:
    return get_codec("j2735")


def _frame(message_id: int, predicate: object = None) -> dict[str, object]:
    for frame in J2735:
        if frame["messageId"] == message_id and (predicate is None or predicate(frame)):  # type: ignore[operator]
            return frame
    raise AssertionError(f"no frame {message_id}")


def test_bsm_part_ii_is_decoded_in_place(j2735: Codec) -> None:
    frame = _frame(20, lambda f: "partII" in f["value"]["value"])
    message = j2735.decode(bytes.fromhex(frame["hex"]))
    part = message.value["partII"][0]
    assert isinstance(part["partII-Value"], dict)
    assert message.message_type == "BasicSafetyMessage"
    assert message.message_id == 20
    assert message.short_name == "BSM"


def test_regional_extensions_are_encoded_and_decoded_in_place(j2735: Codec) -> None:
    """The corpus carries no AddGrp content, so add an AddGrpC altitude to a real MAP."""
    frame = _frame(18)
    value = copy.deepcopy(j2735.decode(bytes.fromhex(frame["hex"])).jer())
    altitude = {"altitude": {"value": 1234, "confidence": "alt-000-20"}}
    value["value"]["intersections"][0]["refPoint"]["regional"] = [
        {"regionId": 3, "regExtValue": altitude},
        {"regionId": 128, "regExtValue": "0102"},  # no type known for region 128: kept as hex
    ]
    data = j2735.encode(value)
    decoded = j2735.decode(data)
    regional = decoded.value["intersections"][0]["refPoint"]["regional"]
    assert regional[0]["regExtValue"] == altitude
    assert regional[1]["regExtValue"] == "0102"
    assert j2735.encode(decoded.jer()) == data
    general = Codec(j2735.compiled, fast=False).decode(data)
    assert general.value == decoded.value


def test_event_flags_with_the_extension_bit_set_decode_and_round_trip(j2735: Codec) -> None:
    frame = _frame(20, lambda f: '"len": 14' in json.dumps(f["value"]))
    message = j2735.decode(bytes.fromhex(frame["hex"]))
    text = json.dumps(message.jer())
    assert '"length": 14' in text
    assert j2735.encode(message.jer()).hex() == frame["hex"]


def test_an_out_of_range_value_is_refused_with_its_path(j2735: Codec) -> None:
    frame = _frame(20)
    value = copy.deepcopy(j2735.decode(bytes.fromhex(frame["hex"])).jer())
    value["value"]["coreData"]["speed"] = 9000  # Speed ::= INTEGER (0..8191)
    with pytest.raises(EncodeError) as err:
        j2735.encode(value)
    assert "speed" in str(err.value)
    assert "BasicSafetyMessage" in str(err.value)


def test_unknown_members_and_bad_shapes_are_refused(j2735: Codec) -> None:
    frame = _frame(20)
    value = copy.deepcopy(j2735.decode(bytes.fromhex(frame["hex"])).jer())
    value["value"]["coreData"]["sped"] = 1
    with pytest.raises(EncodeError, match=r"coreData\.sped"):
        j2735.encode(value)
    with pytest.raises(EncodeError, match="messageId"):
        j2735.encode({"messageId": 99, "value": {}})
    with pytest.raises(EncodeError):
        j2735.encode([1, 2])


def test_encode_message_builds_the_frame(j2735: Codec) -> None:
    frame = _frame(19)
    message = j2735.decode(bytes.fromhex(frame["hex"]))
    assert j2735.encode_message("SPAT", message.value).hex() == frame["hex"]


def test_a_truncated_frame_names_message_path_and_bit_offset(j2735: Codec) -> None:
    frame = bytes.fromhex(_frame(20)["hex"])
    broken = frame[:3] + frame[3:][: len(frame) // 2]
    broken = frame[:2] + bytes([len(broken) - 3]) + broken[3:]
    with pytest.raises(DecodeError) as err:
        j2735.decode(broken, unwrap=False)
    assert err.value.message_type == "BasicSafetyMessage"
    assert err.value.bit_offset is not None
    assert err.value.bit_offset > 24
    assert err.value.as_dict()["hex"] == broken.hex()


def test_a_decode_error_inside_part_ii_points_into_the_whole_frame(j2735: Codec) -> None:
    frame = _frame(20, lambda f: "partII" in f["value"]["value"])
    data = bytearray(bytes.fromhex(frame["hex"]))
    # shorten the declared length of the first Part II content so it runs out of data
    message = j2735.decode(bytes(data))
    assert message.value["partII"]
    found: DecodeError | None = None
    for cut in range(len(data) - 1, 10, -1):
        candidate = bytes(data[:cut])
        candidate = candidate[:2] + bytes([len(candidate) - 3]) + candidate[3:]
        try:
            j2735.decode(candidate, unwrap=False)
        except DecodeError as err:
            if "partII" in err.path:
                found = err
                break
    assert found is not None, "no truncation produced an error inside partII"
    assert found.bit_offset is not None
    assert 24 < found.bit_offset <= len(found.data) * 8


def test_unknown_standard_is_a_clear_error() -> None:
    with pytest.raises(UnknownStandardError, match="etsi"):
        get_codec("etsi")


def test_the_compiled_spec_is_cached_on_disk(tmp_path: Path) -> None:
    standard = get_standard("csae53")
    first = compile_standard(standard, tmp_path)
    cached = list(tmp_path.glob("csae53-*.pickle"))
    assert len(cached) == 1
    second = compile_standard(standard, tmp_path)
    codec = Codec(second)
    frame = CSAE[0]
    assert codec.decode(bytes.fromhex(frame["hex"])).raw.hex() == frame["hex"]
    assert first.tables == second.tables


def test_repeated_frames_come_from_the_cache_with_their_own_envelope(j2735: Codec) -> None:
    frame = _frame(18)
    data = bytes.fromhex(frame["hex"])
    first = j2735.decode(data)
    second = j2735.decode(data + b"\x00\x00")
    assert second.value is first.value  # served from the repeat cache
    assert second.envelope.trailing == 2
    assert first.envelope.trailing == 0


SAMPLES = [bytes.fromhex(f["hex"]) for f in J2735[::40]] + [
    bytes.fromhex(f["outer_hex"]) for f in J2735[::97] if f.get("outer_hex")
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_only_ever_raise_rsu_errors(data: bytes) -> None:
    codec = get_codec("j2735")
    with contextlib.suppress(RsuError):
        codec.decode(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.integers(0, 4000), st.integers(0, 7), st.integers(0, 600))
def test_bit_flips_and_truncations_only_ever_raise_rsu_errors(
    sample: bytes, position: int, bit: int, cut: int
) -> None:
    codec = get_codec("j2735")
    data = bytearray(sample)
    data[position % len(data)] ^= 1 << bit
    for candidate in (bytes(data), bytes(data[: cut % (len(data) + 1)])):
        with contextlib.suppress(RsuError):
            codec.decode(candidate)


def test_absurd_lengths_are_refused_quickly() -> None:
    codec = get_codec("j2735")
    with pytest.raises(DecodeError):
        codec.decode(b"\x00\x14\xc4" + b"\xff" * 10)  # a 64K-fragment length, 10 bytes of data
    with pytest.raises(DecodeError, match="larger than"):
        codec.decode(b"\x00" * 70_000)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_random_csae53_bytes_only_ever_raise_rsu_errors(data: bytes) -> None:
    codec = get_codec("csae53")
    with contextlib.suppress(RsuError):
        codec.decode(data)


def test_the_static_message_names_agree_with_the_compiled_modules(j2735: Codec) -> None:
    """``rsu.v2x.names.J2735_MESSAGES`` serves code that must not compile ASN.1 (the radio
    sniffer, the broadcast loader); it must say what the modules' MessageTypes set says."""
    from rsu.v2x.names import J2735_MESSAGES

    compiled = {k: v.rsplit(".", 1)[-1] for k, v in j2735.message_ids.items()}
    assert compiled == J2735_MESSAGES
