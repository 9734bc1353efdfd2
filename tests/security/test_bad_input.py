"""Bad input: truncated and odd SPDUs, points off the curve, wrong lengths, certificate loops
and long chains, CRLs that do not parse. Always a result code and a counter, never a crash."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsu.errors import FramingError
from rsu.security import encode
from rsu.security.crl import CrlContents, encode_contents, load_crl
from rsu.security.keys import MemoryKeyStore
from rsu.security.pki import Subject, issue_with_key
from rsu.security.sign import Signer
from rsu.security.times import utc_to_time32, utc_to_time64
from rsu.security.trust import TrustStore, signing_input
from rsu.security.verify import RESULTS, Verifier
from rsu.v2x.dot2 import parse_dot2
from rsu.v2x.dot2_cert import CurvePoint
from tests.security.helpers import FRAME, MAP, NOW, pki
from tests.v2x.vectors import load

REAL = [bytes.fromhex(r["hex"]) for r in load("security_real.jsonl")]
FIELD = [bytes.fromhex(r["outer_hex"]) for r in load("j2735_real.jsonl") if r["outer_hex"]][:80]
OURS = [pki().signer().sign(FRAME, MAP, NOW), pki().signer(mode="digest").sign(FRAME, MAP, NOW)]
CORPUS = REAL + FIELD + OURS


def test_every_truncation_of_every_spdu_gives_a_result_code() -> None:
    verifier = pki().verifier()
    for spdu in REAL + OURS:
        for cut in range(len(spdu)):
            assert verifier.verify(spdu[:cut], NOW).result in RESULTS


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(0, len(CORPUS) - 1),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 255)), max_size=6),
    cut=st.integers(0, 10_000),
    tail=st.binary(max_size=16),
)
def test_mutated_spdus_never_crash_the_parser_or_the_verifier(
    index: int, flips: list[tuple[int, int]], cut: int, tail: bytes
) -> None:
    data = bytearray(CORPUS[index])
    for pos, mask in flips:
        data[pos % len(data)] ^= mask
    mutated = bytes(data[: max(1, cut % (len(data) + 1))]) + tail
    with contextlib.suppress(FramingError):  # the one exception the parser may raise
        parse_dot2(mutated)
    assert pki().verifier().verify(mutated, NOW).result in RESULTS


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_give_a_result_code(data: bytes) -> None:
    assert pki().verifier().verify(b"\x03\x81" + data, NOW).result in RESULTS


def _with_key(point: CurvePoint) -> bytes:
    """Our RSU certificate with its key replaced by ``point`` (re-signed by the CA)."""
    ca = pki().ca
    spec = encode.CertificateSpec(
        "bad", utc_to_time32(NOW) - 60, 3600, "nistp256", point, app_permissions=()
    )
    tbs = encode.to_be_signed(spec)
    assert ca.key is not None
    sig = MemoryKeyStore(ca.key).sign(signing_input(tbs, ca.cert.encoded, "sha256"))
    return encode.certificate(tbs, implicit=False, issuer_id8=ca.cert.id8, sig=sig)


def test_a_signer_key_off_the_curve_is_an_invalid_signature_and_counted() -> None:
    bad_cert = _with_key(CurvePoint("compressed-y-0", _x_off_the_curve()))
    tbs = encode.to_be_signed_data(FRAME, encode.HeaderSpec(MAP, utc_to_time64(NOW)))
    rsu_key = pki().rsu.key
    assert rsu_key is not None
    sig = MemoryKeyStore(rsu_key).sign(signing_input(tbs, bad_cert, "sha256"))
    spdu = encode.signed_data(tbs, "sha256", (bad_cert,), sig)
    verifier = pki().verifier()
    got = verifier.verify(spdu, NOW)
    assert got.result == "invalid_signature"
    assert verifier.store.n.bad_certificates >= 1


def test_a_signature_of_the_wrong_length_is_a_parse_error() -> None:
    spdu = pki().signer().sign(FRAME, MAP, NOW)
    assert pki().verifier().verify(spdu[:-1], NOW).result == "parse_error"
    assert pki().verifier().verify(spdu + b"\x00", NOW).result == "valid"  # trailing ignored


def _x_off_the_curve() -> bytes:
    """The smallest x with no point on P-256 (half of all x have none)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    for x in range(1, 100):
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), b"\x02" + x.to_bytes(32, "big")
            )
        except ValueError:
            return x.to_bytes(32, "big")
    raise AssertionError("every small x is on the curve?")


def test_certificate_loops_and_long_chains_end_as_unknown_signer() -> None:
    start = utc_to_time32(NOW) - 60
    store = TrustStore()  # no anchor at all: every chain must end, unknown
    chain = [pki().ca]
    for i in range(12):  # a chain of 12 CAs: longer than MAX_CHAIN_DEPTH
        chain.append(issue_with_key(chain[-1], Subject(f"ca{i}", start, 3600, issue_psids=None)))
    ee = issue_with_key(chain[-1], Subject("ee", start, 3600, app_psids=(MAP,)))
    for c in chain:
        store.add_intermediate(c.cert)
    store.add_anchor(pki().root.cert)
    spdu = Signer(MemoryKeyStore(ee.key), ee.cert).sign(FRAME, MAP, NOW)  # type: ignore[arg-type]
    assert Verifier(store).verify(spdu, NOW).result == "unknown_signer"
    # a loop: a certificate whose issuer digest is its own is not an anchor and never ends
    loop = TrustStore()
    loop.add_intermediate(ee.cert)
    looped = Verifier(loop).verify(spdu, NOW)
    assert looped.result == "unknown_signer"


def test_a_crl_that_does_not_parse_or_verify_is_refused_and_changes_nothing() -> None:
    verifier = pki().verifier()
    assert not load_crl(b"\x03\x81garbage", verifier, NOW).ok
    assert not load_crl(b"", verifier, NOW).ok
    crl_signer = issue_with_key(
        pki().ca, Subject("crl", utc_to_time32(NOW) - 60, 3600, app_psids=(256,))
    )
    signer = Signer(MemoryKeyStore(crl_signer.key), crl_signer.cert)  # type: ignore[arg-type]
    bad_body = signer.sign(b"\x01\x00\x00" + bytes(30), 256, NOW)  # version 1, then garbage
    result = load_crl(bad_body, verifier, NOW)
    assert not result.ok
    assert "does not parse" in result.detail
    assert verifier.store.revoked == {}


def test_a_good_crl_revokes_a_certificate() -> None:
    verifier = pki().verifier()
    victim = pki().end_entity()
    spdu = pki().signer(victim).sign(FRAME, MAP, NOW)
    assert verifier.verify(spdu, NOW).result == "valid"
    crl_signer = issue_with_key(
        pki().ca, Subject("crl", utc_to_time32(NOW) - 60, 3600, app_psids=(256,))
    )
    contents = CrlContents(
        0, pki().ca.cert.id8, utc_to_time32(NOW), utc_to_time32(NOW) + 86400, "fullHashCrl", 1,
        ((victim.cert.id10, utc_to_time32(NOW) + 86400),),
    )  # fmt: skip
    signer = Signer(MemoryKeyStore(crl_signer.key), crl_signer.cert)  # type: ignore[arg-type]
    result = load_crl(signer.sign(encode_contents(contents), 256, NOW), verifier, NOW)
    assert result.ok
    assert verifier.verify(spdu, NOW).result == "revoked"
    other = pki().signer().sign(FRAME, MAP, NOW)
    assert verifier.verify(other, NOW).result == "valid"
    # a CRL signed by someone without PSID 256 does not count
    rsu = pki().rsu  # signs its own "CRL" though its certificate lacks PSID 256
    tbs = encode.to_be_signed_data(
        encode_contents(contents), encode.HeaderSpec(256, utc_to_time64(NOW))
    )
    assert rsu.key is not None
    sig = MemoryKeyStore(rsu.key).sign(signing_input(tbs, rsu.cert.encoded, "sha256"))
    forged = encode.signed_data(tbs, "sha256", (rsu.cert.encoded,), sig)
    refused = load_crl(forged, pki().verifier(), NOW)
    assert not refused.ok
    assert "psid_not_permitted" in refused.detail
