"""Interoperability: every real frame decodes to its reference and re-encodes bit-identically.

Ground truth: ``../shared/vectors`` (J2735 frames from field deployments, CSAE 53 frames), each
with a reference decode by two independent ASN.1 engines.
"""

from __future__ import annotations

import collections
import json

import asn1tools
import pytest

from rsu.v2x.codec import Codec, get_codec
from tests.v2x.vectors import load, mismatches

J2735 = load("j2735_real.jsonl")
CSAE = load("csae53_real.jsonl") + load("csae53_generated.jsonl")


@pytest.fixture(scope="module")
def j2735() -> Codec:
    return get_codec("j2735")


@pytest.fixture(scope="module")
def csae53() -> Codec:
    return get_codec("csae53")


def _failures(codec: Codec, frames: list[dict[str, object]], field: str) -> list[str]:
    failures = []
    for frame in frames:
        data = frame.get(field)
        if not isinstance(data, str):
            continue
        name = f"{frame.get('id')} ({frame.get('type')})"
        message = codec.decode(bytes.fromhex(data))
        diff = mismatches(frame["value"], message.jer())
        if diff:
            failures.append(f"{name}: {diff[:3]}")
            continue
        if message.raw.hex() != frame["hex"]:
            failures.append(f"{name}: raw {message.raw.hex()[:40]} != {str(frame['hex'])[:40]}")
        again = codec.encode(message.jer())
        if again.hex() != frame["hex"]:
            failures.append(f"{name}: re-encoded {again.hex()[:40]}... differs")
    return failures


@pytest.mark.parametrize("message_id", sorted({f["messageId"] for f in J2735}))
def test_every_real_j2735_frame_decodes_to_its_reference(j2735: Codec, message_id: int) -> None:
    frames = [f for f in J2735 if f["messageId"] == message_id]
    assert frames
    assert _failures(j2735, frames, "hex") == []


def test_every_wrapped_j2735_frame_decodes_from_its_outer_bytes(j2735: Codec) -> None:
    wrapped = [f for f in J2735 if f.get("outer_hex")]
    assert len(wrapped) > 1000
    assert _failures(j2735, wrapped, "outer_hex") == []


def test_wrapped_frames_report_their_envelope(j2735: Codec) -> None:
    kinds: collections.Counter[str] = collections.Counter()
    for frame in J2735:
        if not frame.get("outer_hex"):
            continue
        message = j2735.decode(bytes.fromhex(frame["outer_hex"]))
        assert message.outer == bytes.fromhex(frame["outer_hex"])
        kinds[message.envelope.kind] += 1
        if message.envelope.truncated:  # a few captures were cut inside the 1609.2 data
            kinds["truncated"] += 1
        elif message.envelope.kind == "signed":
            assert message.envelope.signature
            assert message.envelope.signer_kind in {"digest", "certificate", "self"}
    assert kinds["signed"] > 500
    assert kinds["unsecured"] > 100
    assert kinds["truncated"] < 10


def test_every_csae53_frame_decodes_to_its_reference(csae53: Codec) -> None:
    assert len(CSAE) == 206
    assert _failures(csae53, CSAE, "hex") == []


def test_csae53_frame_jer_is_a_choice_and_names_its_standard(csae53: Codec) -> None:
    bsm = next(f for f in CSAE if "bsmFrame" in f["value"])
    message = csae53.decode(bytes.fromhex(bsm["hex"]))
    assert message.standard == "csae53"
    assert message.frame_choice == "bsmFrame"
    assert message.message_type == "BasicSafetyMessage"
    assert message.short_name == "BSM"
    assert set(message.jer()) == {"bsmFrame"}


def test_jer_is_what_asn1tools_jer_codec_writes(csae53: Codec) -> None:
    """Our JER (built from UPER values) equals asn1tools' own ``jer`` encoding of them."""
    jer_spec = asn1tools.compile_files(list(csae53.compiled.files), "jer")
    for frame in CSAE[:60]:
        data = bytes.fromhex(frame["hex"])
        python_value = csae53.compiled.spec.decode("MessageFrame", data)
        expected = json.loads(jer_spec.encode("MessageFrame", python_value))
        assert csae53.decode(data).jer() == expected, frame["id"]


def test_both_standards_live_in_one_process(j2735: Codec, csae53: Codec) -> None:
    assert "BasicSafetyMessage" in j2735.message_types()
    assert "BasicSafetyMessage" in csae53.message_types()
    assert j2735.compiled.spec is not csae53.compiled.spec
