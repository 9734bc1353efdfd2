"""Signing: digest or certificate as signer, once a second and on request; PSIDs refused."""

from __future__ import annotations

import pytest

from rsu.errors import KeyStoreError, SecurityError
from rsu.security.keys import MemoryKeyStore
from rsu.security.sign import Signer
from rsu.v2x.dot2 import parse_dot2
from tests.security.helpers import BSM, FRAME, MAP, NOW, SPAT, pki


def _kind(spdu: bytes) -> str | None:
    return parse_dot2(spdu).signer_kind


def test_auto_sends_the_certificate_once_a_second_and_the_digest_between() -> None:
    signer = pki().signer(mode="auto")
    kinds = [_kind(signer.sign(FRAME, SPAT, NOW + i * 0.1)) for i in range(25)]
    assert kinds[0] == kinds[10] == kinds[20] == "certificate"
    assert kinds.count("certificate") == 3
    assert kinds.count("digest") == 22
    assert (signer.n.with_certificate, signer.n.with_digest) == (3, 22)


def test_a_neighbours_request_for_our_hashedid3_sends_the_certificate_next() -> None:
    signer = pki().signer(mode="auto")
    signer.sign(FRAME, SPAT, NOW)
    signer.on_certificate_request((b"\x00\x00\x00",))  # someone else's certificate
    assert _kind(signer.sign(FRAME, SPAT, NOW + 0.1)) == "digest"
    signer.on_certificate_request((pki().rsu.cert.id3,))
    assert _kind(signer.sign(FRAME, SPAT, NOW + 0.2)) == "certificate"
    assert _kind(signer.sign(FRAME, SPAT, NOW + 0.3)) == "digest"


def test_the_payload_and_header_are_what_was_asked() -> None:
    d = parse_dot2(pki().signer().sign(FRAME, MAP, NOW))
    spdu = pki().signer().sign(FRAME, MAP, NOW)
    assert spdu[d.payload_start : d.payload_end] == FRAME
    assert (d.psid, d.hash_id) == (MAP, "sha256")


def test_a_psid_the_certificate_does_not_permit_is_refused_not_sent_unsigned() -> None:
    signer = pki().signer(pki().end_entity(app_psids=(MAP,)))
    with pytest.raises(SecurityError, match="not permitted"):
        signer.sign(FRAME, BSM, NOW)
    with pytest.raises(SecurityError, match=r"broadcast\.messages\[0\].*0x20"):
        signer.require(BSM, "broadcast.messages[0]")
    assert signer.n.refused == 1


def test_a_key_that_is_not_the_certificates_is_refused() -> None:
    with pytest.raises(KeyStoreError, match="not the key of certificate"):
        Signer(MemoryKeyStore(), pki().rsu.cert)


def test_signer_mode_must_be_known() -> None:
    assert pki().rsu.key is not None
    with pytest.raises(SecurityError):
        Signer(MemoryKeyStore(pki().rsu.key), pki().rsu.cert, mode="sometimes")
