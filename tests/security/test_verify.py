"""Every result code of the verifier, with a PKI made here (root -> CA -> end entity)."""

from __future__ import annotations

import pytest

from rsu.security import encode
from rsu.security.keys import MemoryKeyStore
from rsu.security.pki import Subject, issue_implicit, issue_with_key, make_root
from rsu.security.sign import Signer
from rsu.security.times import utc_to_time32, utc_to_time64
from rsu.security.trust import TrustStore, signing_input
from rsu.security.verify import Verifier, VerifySettings
from rsu.v2x.dot2_cert import Region
from tests.security.helpers import BSM, FRAME, MAP, NOW, SPAT, TIM, pki


def test_a_frame_signed_by_our_rsu_is_valid_with_its_ssp_and_header() -> None:
    spdu = pki().signer().sign(FRAME, MAP, NOW)
    got = pki().verifier().verify(spdu, NOW + 0.2)
    assert (got.result, got.signature, got.psid, got.signer_kind) == (
        "valid", "valid", MAP, "certificate"
    )  # fmt: skip
    assert got.signer_id8 == pki().rsu.cert.id8.hex()
    assert got.generation_time == utc_to_time64(NOW)
    assert got.as_dict()["psid_pencoded"] == "0xE0000017"


def test_digest_signer_is_unknown_until_its_certificate_was_seen_then_valid() -> None:
    verifier, signer = pki().verifier(), pki().signer(mode="digest")
    by_digest = signer.sign(FRAME, SPAT, NOW)
    assert verifier.verify(by_digest, NOW).result == "unknown_signer"
    verifier.verify(pki().signer().sign(FRAME, SPAT, NOW), NOW)  # the certificate, once
    assert verifier.verify(by_digest, NOW).result == "valid"
    stats = verifier.store.stats()
    assert stats["cache_hits"] >= 1
    assert stats["cache_misses"] >= 1


def test_a_changed_payload_octet_is_an_invalid_signature() -> None:
    spdu = bytearray(pki().signer().sign(FRAME, MAP, NOW))
    spdu[10] ^= 0x01  # inside the MessageFrame
    got = pki().verifier().verify(bytes(spdu), NOW)
    assert (got.result, got.signature) == ("invalid_signature", "invalid")


def test_a_foreign_root_is_unknown_signer_even_with_a_good_signature() -> None:
    stranger = make_root("stranger", utc_to_time32(NOW) - 60, 86400)
    ee = issue_with_key(
        stranger, Subject("x", utc_to_time32(NOW) - 60, 3600, app_psids=(MAP,))
    )  # a root cannot usually issue an EE directly, but its signature is real
    got = pki().verifier().verify(pki().signer(ee).sign(FRAME, MAP, NOW), NOW)
    assert (got.result, got.signature) == ("unknown_signer", "valid")


@pytest.mark.parametrize(
    ("offset_s", "expected"),
    [(-7200, "not_yet_valid"), (8 * 86400, "expired"), (3600, "valid")],
)
def test_generation_time_must_lie_inside_the_signer_validity(offset_s: int, expected: str) -> None:
    ee = pki().end_entity()  # valid from NOW - 1 h for a week
    spdu = pki().signer(ee).sign(FRAME, MAP, NOW + offset_s)
    assert pki().verifier().verify(spdu, NOW + offset_s).result == expected


def test_a_message_past_its_expiry_time_is_expired() -> None:
    ee = pki().rsu
    tbs = encode.to_be_signed_data(
        FRAME, encode.HeaderSpec(MAP, utc_to_time64(NOW), expiry_time=utc_to_time64(NOW + 5))
    )
    assert ee.key is not None
    sig = MemoryKeyStore(ee.key).sign(signing_input(tbs, ee.cert.encoded, "sha256"))
    spdu = encode.signed_data(tbs, "sha256", (ee.cert.encoded,), sig)
    assert pki().verifier().verify(spdu, NOW + 1).result == "valid"
    assert pki().verifier().verify(spdu, NOW + 6).result == "expired"


def test_a_psid_outside_the_app_permissions_is_not_permitted() -> None:
    ee = pki().end_entity(app_psids=(TIM,))
    signer = pki().signer(ee)
    assert not signer.permits(BSM)
    tbs = encode.to_be_signed_data(FRAME, encode.HeaderSpec(BSM, utc_to_time64(NOW)))
    assert ee.key is not None
    sig = MemoryKeyStore(ee.key).sign(signing_input(tbs, ee.cert.encoded, "sha256"))
    spdu = encode.signed_data(tbs, "sha256", (ee.cert.encoded,), sig)
    assert pki().verifier().verify(spdu, NOW).result == "psid_not_permitted"


def _located(ee_region: Region, location: tuple[int, int, int], country: int | None) -> str:
    ee = pki().end_entity(region=ee_region)
    header = encode.HeaderSpec(MAP, utc_to_time64(NOW), generation_location=location)
    tbs = encode.to_be_signed_data(FRAME, header)
    assert ee.key is not None
    sig = MemoryKeyStore(ee.key).sign(signing_input(tbs, ee.cert.encoded, "sha256"))
    spdu = encode.signed_data(tbs, "sha256", (ee.cert.encoded,), sig)
    return pki().verifier(VerifySettings(country=country)).verify(spdu, NOW).result


BERLIN = (525_200_000, 134_050_000, 0)
PARIS = (488_566_000, 23_522_000, 0)


@pytest.mark.parametrize(
    ("region", "country", "at_berlin", "at_paris"),
    [
        (Region("circle", circle=(525_200_000, 134_050_000, 5000)),
         None, "valid", "outside_region"),
        (Region("rectangles", rectangles=((530_000_000, 130_000_000, 520_000_000, 140_000_000),)),
         None, "valid", "outside_region"),
        (Region("polygon", polygon=((520_000_000, 130_000_000), (530_000_000, 130_000_000),
                                    (530_000_000, 140_000_000), (520_000_000, 140_000_000))),
         None, "valid", "outside_region"),
        (Region("identified", countries=(276,)), 276, "valid", "valid"),
        (Region("identified", countries=(276,)), 250, "outside_region", "outside_region"),
    ],
)  # fmt: skip
def test_regions_of_every_kind_bound_where_a_certificate_may_sign(
    region: Region, country: int | None, at_berlin: str, at_paris: str
) -> None:
    assert _located(region, BERLIN, country) == at_berlin
    assert _located(region, PARIS, country) == at_paris


def test_an_implicit_certificate_chain_reconstructs_the_key_and_verifies() -> None:
    ee = issue_implicit(pki().ca, Subject(None, utc_to_time32(NOW) - 60, 3600, app_psids=(TIM,)))
    assert ee.cert.type == "implicit"
    verifier = pki().verifier()
    assert verifier.verify(pki().signer(ee).sign(FRAME, TIM, NOW), NOW).result == "valid"
    other = issue_implicit(
        pki().ca, Subject(None, utc_to_time32(NOW) - 60, 3600, app_psids=(TIM,))
    )  # the wrong private key for this certificate
    assert other.key is not None
    wrong = Signer(MemoryKeyStore(other.key), ee.cert)
    assert verifier.verify(wrong.sign(FRAME, TIM, NOW), NOW).result == "invalid_signature"


@pytest.mark.parametrize("curve", ["nistp384", "brainpoolp256r1", "brainpoolp384r1"])
def test_other_curves_sign_and_verify_end_to_end(curve: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from rsu.security import ecc

    start = utc_to_time32(NOW) - 60
    root = make_root("r", start, 86400, key=ec.generate_private_key(ecc.CURVES[curve]))
    ca = issue_with_key(root, Subject("ca", start, 86400, issue_psids=(MAP,)))
    ee = issue_with_key(ca, Subject("ee", start, 3600, app_psids=(MAP,)))
    store = TrustStore()
    store.add_anchor(root.cert)
    store.add_intermediate(ca.cert)
    spdu = pki().signer(ee).sign(FRAME, MAP, NOW)
    assert Verifier(store).verify(spdu, NOW).result == "valid"
    assert ee.cert.signature is not None
    assert ee.cert.signature.curve == curve


def test_an_issuer_cannot_grant_psids_it_may_not_issue() -> None:
    ee = issue_with_key(
        pki().ca, Subject("ee", utc_to_time32(NOW) - 60, 3600, app_psids=(0x7F,))
    )  # the CA may issue MAP, SPaT, TIM, SDSM, BSM and CRLs, not PSID 127
    got = pki().verifier().verify(pki().signer(ee).sign(FRAME, 0x7F, NOW), NOW)
    assert (got.result, got.signature) == ("invalid_signature", "valid")
