"""The real signed SPDUs (a VW Golf 8 CAM, ETSI TS 103 097) and the field captures."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from rsu.security.times import time32_to_utc, time64_to_utc, utc_iso
from rsu.security.trust import TrustStore
from rsu.security.verify import RESULTS, Verifier
from rsu.v2x.dot2 import parse_dot2
from tests.security.helpers import pki
from tests.v2x.vectors import load

SECURITY = {r["name"]: r for r in load("security_real.jsonl")}
FIELD = [r for r in load("j2735_real.jsonl") if r["outer_hex"]]


def _at(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.mark.parametrize("name", sorted(SECURITY))
def test_real_spdu_gives_the_expected_result_signer_and_header(name: str) -> None:
    rec = SECURITY[name]
    expect = rec["expect"]
    verifier = pki().verifier()  # our anchors: the VW chain is not ours
    at = _at(expect.get("valid_at", "2019-11-21T11:30:00Z"))
    got = verifier.verify(bytes.fromhex(rec["hex"]), at).as_dict()
    assert got["result"] == expect["result"]
    assert got["signature"] == {"valid": "valid", "invalid": "invalid"}.get(
        expect["signature"], "unknown"
    )
    assert got["signer_id8"] == expect["signer_id8"]
    assert got["psid"] == expect["its_aid"]
    assert got["generation_time"] == expect["generation_time"]
    if "generation_time_utc" in expect:
        assert (
            utc_iso(time64_to_utc(expect["generation_time"]))[:19]
            == (expect["generation_time_utc"][:19])
        )


def test_vw_certificate_decodes_to_the_published_fields() -> None:
    rec = SECURITY["vanetza-vw-golf8-cam"]
    d = parse_dot2(bytes.fromhex(rec["hex"]))
    cert = d.signer_certificates[0]
    assert cert.id8.hex() == "127cff384ce0b890"
    assert cert.issuer_id8 is not None
    assert cert.issuer_id8.hex() == "56dfd6d627a362dc"
    assert cert.permits(36) is not None
    assert cert.permits(36).ssp == bytes.fromhex("010000")
    assert cert.permits(37) is not None
    assert cert.permits(37).ssp == bytes.fromhex("01901a25")
    assert (cert.key_curve, cert.verify_key.kind) == ("nistp256", "compressed-y-0")
    assert cert.signature is not None
    assert cert.signature.r.kind == "x-only"
    start, end = rec["expect"]["certificate_validity"]
    assert utc_iso(time32_to_utc(cert.start))[:19] == start[:19]
    assert utc_iso(time32_to_utc(cert.start) + cert.duration_s)[:19] == end[:19]
    assert d.payload_end - d.payload_start == 86
    assert rec["hex"][2 * d.payload_start : 2 * d.payload_end] == rec["expect"]["payload_hex"]


def test_the_vw_cam_is_valid_once_its_signer_is_pinned() -> None:
    """With its certificate trusted directly, the real signature passes every later check
    (validity, PSID, SSP kept): our checks accept genuine traffic of another PKI."""
    rec = SECURITY["vanetza-vw-golf8-cam"]
    store = TrustStore()
    store.pin(parse_dot2(bytes.fromhex(rec["hex"])).signer_certificates[0])
    result = Verifier(store).verify(bytes.fromhex(rec["hex"]), _at("2019-11-21T11:30:00Z"))
    assert (result.result, result.ssp) == ("valid", "010000")
    late = Verifier(store).verify(bytes.fromhex(rec["hex"]), _at("2019-11-27T00:00:00Z"))
    assert late.result == "valid"  # validity is judged at the generation time, which is inside
    tampered = bytes.fromhex(SECURITY["vanetza-vw-golf8-cam-tampered"]["hex"])
    assert Verifier(store).verify(tampered, _at("2019-11-21T11:30:00Z")).result == (
        "invalid_signature"
    )


def test_every_field_capture_gets_a_result_code_and_digests_are_unknown_signers() -> None:
    verifier = pki().verifier()
    results: Counter[tuple[str, str | None]] = Counter()
    for rec in FIELD:
        got = verifier.verify(bytes.fromhex(rec["outer_hex"]), _at("2019-01-01T00:00:00Z"))
        assert got.result in RESULTS
        results[(got.result, got.signer_kind)] += 1
    signed = sum(n for (result, _), n in results.items() if result != "unsecured")
    assert signed > 1000  # the captures hold this many signed frames
    assert results[("unknown_signer", "digest")] > 500
    assert results[("unknown_signer", "certificate")] > 100
    assert {r for r, _ in results} <= {"unknown_signer", "unsecured", "parse_error"}


def test_field_certificates_are_real_scms_implicit_certificates_for_the_us() -> None:
    store = TrustStore()
    Verifier(store).verify(bytes.fromhex(FIELD[0]["outer_hex"]), 0.0)
    for rec in FIELD:
        Verifier(store).verify(bytes.fromhex(rec["outer_hex"]), 0.0)
    certs = [e.cert for e in store.cache.values()]
    assert certs
    assert {c.type for c in certs} == {"implicit"}
    assert all(c.region is not None and c.region.countries == (840,) for c in certs)
    assert any(c.permits(32) for c in certs)  # BSM pseudonym certificates
