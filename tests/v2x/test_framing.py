"""Framing: the MessageFrame is found inside what radios and RSUs really deliver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsu.errors import DecodeError, FramingError, UnknownStandardError
from rsu.j2735.framing import j2735_frame_length
from rsu.v2x.coer import pdecode_psid, pencode_psid
from rsu.v2x.framing import find_frame, unwrap
from tests.v2x.vectors import load

REAL = load("j2735_real.jsonl")
WRAPPED = [r for r in REAL if r["outer_hex"]]
CSAE = load("csae53_real.jsonl") + load("csae53_generated.jsonl")


def _expected_kind(wrapper: str) -> str:
    if "signedData" in wrapper:
        return "signed"
    if "unsecuredData" in wrapper:
        return "unsecured"
    return "bare"


def _by(prefix: str) -> Iterator[dict[str, Any]]:
    return (r for r in WRAPPED if r["outer_hex"].startswith(prefix))


def _one(prefix: str) -> bytes:
    return bytes.fromhex(next(_by(prefix))["outer_hex"])


# ---- the real corpus --------------------------------------------------------------------------


def test_corpus_has_the_wrappings_seen_in_the_field() -> None:
    kinds = {_expected_kind(r["wrapper"]) for r in WRAPPED}
    assert len(WRAPPED) > 1300
    assert kinds == {"bare", "unsecured", "signed"}


def test_every_wrapped_real_frame_unwraps_to_its_bare_frame_and_kind() -> None:
    failures = []
    for rec in WRAPPED:
        outer = bytes.fromhex(rec["outer_hex"])
        found = unwrap(outer)
        env = found.envelope
        ok = (
            found.frame.hex() == rec["hex"]
            and env.kind == _expected_kind(rec["wrapper"])
            and outer[env.offset : len(outer) - env.trailing] == found.frame
        )
        if not ok:
            failures.append(f"{rec['id']} {rec['wrapper']}: {outer.hex()} -> {found}")
    assert not failures, "\n".join(failures[:5])


def test_signed_real_frames_keep_signer_signature_and_signed_bytes() -> None:
    signers = set()
    for rec in WRAPPED:
        if _expected_kind(rec["wrapper"]) != "signed":
            continue
        env = unwrap(bytes.fromhex(rec["outer_hex"])).envelope
        if env.truncated:  # one capture is cut inside the payload
            assert env.signature is None
            continue
        signers.add(env.signer_kind)
        assert env.signature is not None
        assert env.signature[0] == 0x80  # ecdsaNistP256Signature
        assert len(env.signature) == 66, rec["id"]  # tag + x-only rSig tag + 32 + sSig 32
        assert env.to_be_signed is not None
        assert env.to_be_signed[0] == 0x40  # SignedDataPayload preamble: data present
        assert bytes.fromhex(rec["hex"]) in env.to_be_signed
        assert env.psid is not None
        assert env.dot2_version == 3
        if env.signer_kind == "digest":
            assert env.signer_digest is not None
            assert len(env.signer_digest) == 8
        else:
            assert env.signer_certificate is not None
            assert env.signer_certificate[1] == 3  # preamble, then version 3
    assert signers == {"digest", "certificate"}


def test_truncated_signed_capture_still_yields_its_complete_frame_and_says_so() -> None:
    rec = next(r for r in WRAPPED if r["wrapper"].startswith("IEEE 1609.2 Ieee1609Dot2Data"))
    found = unwrap(bytes.fromhex(rec["outer_hex"]))
    assert found.frame.hex() == rec["hex"]
    assert (found.envelope.kind, found.envelope.truncated) == ("signed", True)
    assert found.envelope.notes == ("1609.2 unsecuredData declares 124 octets, 75 present",)


def test_bare_real_frames_pass_through_untouched() -> None:
    for rec in REAL:
        if rec["outer_hex"]:
            continue
        data = bytes.fromhex(rec["hex"])
        found = unwrap(data)
        assert found.frame == data
        assert not found.envelope.truncated
        assert (found.envelope.kind, found.envelope.offset, found.envelope.trailing) == (
            "bare",
            0,
            0,
        )


def test_generation_time_is_microseconds_since_2004() -> None:
    env = unwrap(_one("0300208095")).envelope
    assert env.generation_time is not None
    years = env.generation_time / 1e6 / 86400 / 365.25
    assert 10 < years < 30  # captured between 2014 and 2034


# ---- WSMP ---------------------------------------------------------------------------------


def test_wsmp_header_gives_its_psid_and_header_bytes() -> None:
    env = unwrap(_one("0300208095")).envelope
    assert env.wsmp_psid == 0x20
    assert env.psid == 0x20
    assert env.wsmp_header == bytes.fromhex("0300208095")
    assert env.offset > 5


def test_four_octet_p_encoded_psid_of_a_map() -> None:
    env = unwrap(_one("0300e0000017")).envelope
    assert env.wsmp_psid == 0x204097
    assert env.psid == 0x204097  # 1609.2 HeaderInfo.psid agrees
    assert pencode_psid(0x204097) == bytes.fromhex("e0000017")


def test_two_octet_p_encoded_psid_of_a_tim() -> None:
    env = unwrap(_one("0300800381")).envelope
    assert env.wsmp_psid == 0x83
    assert env.signer_kind == "certificate"


@pytest.mark.parametrize("psid", [0, 0x20, 0x7F, 0x80, 0x82, 0x407F, 0x4080, 0x204097, 0x10204079])
def test_p_encoding_round_trips(psid: int) -> None:
    encoded = pencode_psid(psid)
    assert pdecode_psid(encoded, 0) == (psid, len(encoded))


def test_wsmp_with_extension_elements_behind_an_unknown_prefix() -> None:
    outer = _one("010b040f01ac")
    found = unwrap(outer)
    assert found.envelope.kind == "unsecured"
    assert found.envelope.wsmp_psid == 0x20
    assert found.envelope.offset == 19 + 4  # 19 header octets, then 03 80 81 cd
    assert found.envelope.notes == ("skipped a 1-octet unknown prefix 01",)


def test_wsmp_in_front_of_a_bare_frame() -> None:
    frame = _bsm()
    data = bytes([0x03, 0x00, 0x20, len(frame)]) + frame
    found = unwrap(data)
    assert found.frame == frame
    assert (found.envelope.kind, found.envelope.wsmp_psid, found.envelope.offset) == ("bare", 32, 4)


def test_wsmp_version_2_of_1609_3_2010() -> None:
    frame = _bsm()
    wsm = bytes([0x03, 0x80, len(frame)]) + frame
    header = bytes.fromhex("02 20 0f01ac 1001 0c 0401 14 80") + len(wsm).to_bytes(2, "big")
    found = unwrap(header + wsm)
    assert found.frame == frame
    assert (found.envelope.kind, found.envelope.wsmp_psid) == ("unsecured", 0x20)
    assert found.envelope.wsmp_header == header


def test_wsmp_version_2_with_an_unknown_element_is_a_framing_error() -> None:
    with pytest.raises(FramingError, match="unexpected element id 99"):
        unwrap(bytes.fromhex("02 20 6301ac 80 0005") + _bsm())


def test_wsmp_tpid_with_ports_and_t_header_extension() -> None:
    frame = _bsm()
    header = bytes([0x03, 0x03, 0x12, 0x34, 0x56, 0x78, 0x01, 0x0F, 0x01, 0xAC, len(frame)])
    found = unwrap(header + frame)
    assert found.frame == frame
    assert found.envelope.wsmp_psid is None
    assert found.envelope.wsmp_header == header


# ---- 1609.2 built by hand --------------------------------------------------------------------


def _bsm() -> bytes:
    return bytes.fromhex(
        next(r["hex"] for r in REAL if r["messageId"] == 20 and len(r["hex"]) < 120)
    )


def _signed(frame: bytes, signer: bytes) -> bytes:
    inner = bytes([0x03, 0x80, len(frame)]) + frame
    header = bytes([0x40, 0x01, 0x20]) + (1234).to_bytes(8, "big")  # psid 32, generationTime
    signature = bytes([0x80, 0x80]) + bytes(range(32)) + bytes(range(32, 64))
    return bytes([0x03, 0x81, 0x00, 0x40]) + inner + header + signer + signature


def test_self_signed_data() -> None:
    frame = _bsm()
    found = unwrap(_signed(frame, b"\x82"))
    env = found.envelope
    assert found.frame == frame
    assert (env.kind, env.signer_kind, env.psid, env.generation_time) == (
        "signed",
        "self",
        32,
        1234,
    )
    assert env.trailing == 11 + 1 + 66  # headerInfo, signer, signature
    assert env.signature is not None
    assert env.signature[2:] == bytes(range(64))


def test_signed_data_with_trailing_bytes_after_the_frame_inside_the_payload() -> None:
    frame = _bsm()
    found = unwrap(_signed(frame + b"\x00\x00", b"\x80" + bytes(8)))
    assert found.frame == frame
    assert found.envelope.signer_digest == bytes(8)
    assert found.envelope.trailing == 2 + 11 + 9 + 66


def _explicit_certificate() -> bytes:
    """An explicit certificate using the optional parts real traffic here does not."""
    h = bytes.fromhex
    region = h("83 0101 82 0348 0101 07 0102 0001 0002")  # countryAndSubregions
    app = h("0101 80 0120 80 02abcd")  # one PsidSsp with an opaque SSP
    issue = h("0101 e0 80 0101 80 0120 80 0101 01ff 0102 0100 80")  # explicit, all DEFAULTs
    enc_key = h("00 80 82") + bytes(32)  # aes128Ccm, eciesNistP256 compressed-y-0
    verify = h("80 80 84") + bytes(64)  # verificationKey ecdsaNistP256 uncompressed
    flags = h("020780 0180")  # extension additions: flags present
    tbs = (
        h("fb 8104") + b"test" + h("000000 0001 20000000 84 0010")
        + region + h("a0") + app + issue + enc_key + verify + flags
    )  # fmt: skip
    return h("80 03 00 81 00") + tbs + h("80 80") + bytes(64)


def test_certificate_signer_with_every_optional_part_is_walked_to_its_end() -> None:
    frame, cert = _bsm(), _explicit_certificate()
    header_all = (
        bytes.fromhex("fe 0120") + (7).to_bytes(8, "big") + bytes(8 + 10 + 3)
        + bytes.fromhex("00 0000000001 81 80") + bytes(16) + bytes.fromhex("020580 03aabbcc")
    )  # fmt: skip
    inner = bytes([0x03, 0x80, len(frame)]) + frame
    signature = bytes([0x81, 0x82]) + bytes(range(64))  # brainpoolP256r1, compressed-y-0 rSig
    data = bytes([0x03, 0x81, 0x00, 0x40]) + inner + header_all + b"\x81\x01\x01" + cert + signature
    env = unwrap(data).envelope
    assert (env.signer_kind, env.signer_certificate) == ("certificate", cert)
    assert (env.signature, env.generation_time, env.psid) == (signature, 7, 32)
    assert env.trailing == len(data) - len(inner) - 4


def test_signed_data_nested_too_deeply_is_refused() -> None:
    data = _bsm()
    data = bytes([0x03, 0x80, len(data)]) + data
    for _ in range(4):
        data = bytes([0x03, 0x81, 0x00, 0x40]) + data + bytes.fromhex("000120 82 8080") + bytes(64)
    with pytest.raises(FramingError, match="nested too deeply"):
        unwrap(data)


def test_encrypted_data_is_reported_as_unreadable() -> None:
    with pytest.raises(FramingError, match="encryptedData"):
        unwrap(bytes([0x03, 0x82, 0x01, 0x00, 0x00, 0x00]))


def test_wrong_1609_2_version_behind_wsmp_is_a_framing_error() -> None:
    frame = _bsm()
    payload = bytes([0x02, 0x80, len(frame)]) + frame
    with pytest.raises(FramingError, match="not a J2735 MessageFrame"):
        unwrap(bytes([0x03, 0x00, 0x20, len(payload)]) + payload)


def test_wrong_wsmp_version_is_a_framing_error() -> None:
    with pytest.raises(FramingError, match=r"not a J2735 MessageFrame, IEEE 1609\.2 data or"):
        unwrap(bytes([0x0C, 0x02, 0x00, 0x20, 0x05]) + _bsm())


# ---- bare frames and their end --------------------------------------------------------------


def test_bare_frame_with_crlf_counts_two_trailing_octets() -> None:
    frame = _bsm()
    found = unwrap(frame + b"\r\n")
    assert found.frame == frame
    assert (found.envelope.kind, found.envelope.trailing) == ("bare", 2)
    assert find_frame(frame + b"\r\n") == (0, len(frame))


def test_frame_length_reads_the_two_octet_length_determinant() -> None:
    body = bytes(300)
    data = b"\x00\x12" + (0x8000 | 300).to_bytes(2, "big") + body + b"tail"
    assert j2735_frame_length(data) == 4 + 300


def test_frame_length_follows_fragments() -> None:
    data = b"\x00\x12\xc1" + bytes(16384) + b"\x03abc" + b"tail"
    assert j2735_frame_length(data) == 3 + 16384 + 1 + 3


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty input"),
        (b"\x00\x14", "needs 2 octets|needs 1 octet"),
        (b"\x00\x14\x10abc", "truncated J2735 MessageFrame"),
        (b"\x00\x14\x00", "empty value"),
        (b"\x00\x14\xc7" + bytes(10), "bad length determinant"),
        (b"\xff\xff\xff\xff", "not a J2735 MessageFrame, IEEE 1609.2 data or IEEE 1609.3 WSMP"),
        (b"hello world", "not a J2735 MessageFrame, IEEE 1609.2 data or IEEE 1609.3 WSMP"),
        (b"\x03\x81\x00\x40\x03\x80", "needs 1 octet"),
        (b"\x03\x80\x84\xff\xff\xff\xff", "truncated.*declares 4294967295 octets, 0 present"),
        (b"\x03\x80\x10\x00\x14\x05abc", "truncated.*declares 16 octets, 6 present"),
        (b"\x03\x81\x00\x00", "no payload data"),
    ],
)
def test_malformed_input_raises_framing_error_naming_the_problem(data: bytes, reason: str) -> None:
    with pytest.raises(FramingError, match=reason) as info:
        unwrap(data)
    assert isinstance(info.value, DecodeError)
    assert info.value.data == data
    assert info.value.bit_offset is not None


def test_unknown_standard_is_refused() -> None:
    with pytest.raises(UnknownStandardError):
        unwrap(_bsm(), standard="etsi")


# ---- CSAE 53 -------------------------------------------------------------------------------


def test_csae53_bare_frames_pass_through_whole_even_when_they_start_like_1609_2() -> None:
    assert any(r["hex"].startswith("0380") for r in CSAE)
    for rec in CSAE:
        data = bytes.fromhex(rec["hex"])
        found = unwrap(data, standard="csae53")
        assert found.frame == data, rec["hex"]
        assert found.envelope.kind == "bare"


def test_csae53_inside_wsmp_and_unsecured_data_is_stripped_not_trimmed() -> None:
    frame = bytes.fromhex(CSAE[0]["hex"])
    dot2 = bytes([0x03, 0x80, 0x82]) + len(frame).to_bytes(2, "big") + frame
    data = bytes([0x03, 0x00, 0x20, 0x80 | len(dot2) >> 8, len(dot2) & 0xFF]) + dot2
    found = unwrap(data, standard="csae53")
    assert found.frame == frame
    assert (found.envelope.kind, found.envelope.wsmp_psid, found.envelope.offset) == (
        "unsecured",
        0x20,
        10,
    )


# ---- fuzz -------------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
OUTERS = [bytes.fromhex(r["outer_hex"]) for r in WRAPPED[:: max(1, len(WRAPPED) // 60)]]


def _only_framing_errors(data: bytes) -> None:
    for standard in ("j2735", "csae53"):
        try:
            found = unwrap(data, standard=standard)
        except FramingError:
            continue
        env = found.envelope
        assert data[env.offset : len(data) - env.trailing] == found.frame


@FUZZ
@given(st.binary(max_size=600))
def test_fuzz_random_bytes_only_raise_framing_error(data: bytes) -> None:
    _only_framing_errors(data)


@FUZZ
@given(st.sampled_from(OUTERS), st.integers(min_value=0, max_value=2000))
def test_fuzz_truncated_real_frames_only_raise_framing_error(outer: bytes, cut: int) -> None:
    _only_framing_errors(outer[: cut % (len(outer) + 1)])


@FUZZ
@given(st.sampled_from(OUTERS), st.lists(st.integers(min_value=0), min_size=1, max_size=4))
def test_fuzz_bit_flips_in_real_frames_only_raise_framing_error(
    outer: bytes, flips: list[int]
) -> None:
    data = bytearray(outer)
    for flip in flips:
        bit = flip % (8 * len(data))
        data[bit // 8] ^= 0x80 >> (bit % 8)
    _only_framing_errors(bytes(data))


@FUZZ
@given(st.sampled_from(OUTERS), st.integers(min_value=0), st.binary(min_size=1, max_size=6))
def test_fuzz_spliced_bytes_only_raise_framing_error(outer: bytes, at: int, junk: bytes) -> None:
    at %= len(outer)
    _only_framing_errors(outer[:at] + junk + outer[at + len(junk) :])
