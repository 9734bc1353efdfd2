"""Signing what the RSU transmits (sans-I/O: a frame, its PSID and ``now`` in, an
``Ieee1609Dot2Data`` signedData out; the ECDSA itself is the key store's).

The signer is the RSU's application certificate, sent as its HashedId8 digest, with the
whole certificate instead once a second (``certificate_every_s``) and whenever a neighbour
asks for it (a received ``inlineP2pcdRequest`` naming the certificate's HashedId3), as IEEE
1609.2 practice and SAE J2945/1 have it; ``signer = "certificate"`` sends it every time. The
header carries the PSID (integer form) and the generation time from the daemon's clock (GNSS
disciplined). A PSID the certificate does not permit is refused (``SecurityError``): the
daemon checks every signed broadcast at start-up, so it is a config error, never a silent
unsigned transmission.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from rsu.errors import KeyStoreError, SecurityError
from rsu.security import ecc, encode
from rsu.security.keys import KeyStore
from rsu.security.times import utc_to_time64
from rsu.security.trust import signing_input
from rsu.v2x.dot2_cert import Certificate
from rsu.v2x.psid import pencoded_hex

SIGNER_MODES = ("auto", "certificate", "digest")


@dataclass(slots=True)
class SignCounters:
    signed: int = 0
    with_certificate: int = 0
    with_digest: int = 0
    certificate_requests: int = 0
    refused: int = 0


class Signer:
    """Signs frames with ``key`` as ``certificate``."""

    def __init__(
        self,
        key: KeyStore,
        certificate: Certificate,
        *,
        mode: str = "auto",
        certificate_every_s: float = 1.0,
    ) -> None:
        if mode not in SIGNER_MODES:
            raise SecurityError(f"signer mode {mode!r} (expected one of {SIGNER_MODES})")
        self.key, self.certificate, self.mode = key, certificate, mode
        self.every_s = certificate_every_s
        self.hash_alg = ecc.HASH_OF_CURVE.get(key.curve, "sha256")
        self._cert_digest = ecc.sha(self.hash_alg, certificate.encoded)
        self._last_certificate: float | None = None
        self._requested = False
        self.n = SignCounters()
        check_key_matches(key, certificate)

    def permits(self, psid: int) -> bool:
        return self.certificate.permits(psid) is not None

    def require(self, psid: int, where: str) -> None:
        """Raise ``SecurityError`` naming ``where`` when ``psid`` (integer) is not permitted."""
        if not self.permits(psid):
            allowed = ", ".join(
                f"{p.psid} ({pencoded_hex(p.psid)})" for p in self.certificate.app_permissions
            )
            raise SecurityError(
                f"{where}: PSID {psid} ({pencoded_hex(psid)}) is not in the RSU certificate's "
                f"appPermissions ({allowed or 'none'}); it cannot be signed"
            )

    def on_certificate_request(self, id3s: tuple[bytes, ...]) -> None:
        """A received message asked for certificates by HashedId3: send ours next time."""
        if self.certificate.id3 in id3s:
            self._requested = True
            self.n.certificate_requests += 1

    def sign(
        self,
        payload: bytes,
        psid: int,
        now_utc: float,
        *,
        location: tuple[int, int, int] | None = None,
    ) -> bytes:
        """``payload`` (a MessageFrame) as signed data for the integer ``psid``."""
        if not self.permits(psid):
            self.n.refused += 1
            raise SecurityError(f"PSID {psid} ({pencoded_hex(psid)}) not permitted")
        header = encode.HeaderSpec(
            psid=psid, generation_time=utc_to_time64(now_utc), generation_location=location
        )
        tbs = encode.to_be_signed_data(payload, header)
        message = ecc.sha(self.hash_alg, tbs) + self._cert_digest
        sig = self.key.sign(message)
        if self._full_certificate(now_utc):
            self.n.with_certificate += 1
            signer: bytes | tuple[bytes, ...] = (self.certificate.encoded,)
        else:
            self.n.with_digest += 1
            signer = self.certificate.id8
        self.n.signed += 1
        return encode.signed_data(tbs, self.hash_alg, signer, sig)

    def _full_certificate(self, now: float) -> bool:
        if self.mode != "auto":
            return self.mode == "certificate"
        last = self._last_certificate
        if self._requested or last is None or now - last >= self.every_s or now < last:
            self._last_certificate, self._requested = now, False
            return True
        return False


def check_key_matches(key: KeyStore, certificate: Certificate) -> None:
    """The key must be the certificate's (explicit certificates; an implicit one's key is
    only known with its issuer, checked when a trust store reconstructs it)."""
    if certificate.type != "explicit":
        return
    try:
        cert_key = ecc.public_key(certificate.key_curve, certificate.verify_key)
    except ecc.CryptoFailure as err:
        raise SecurityError(f"the RSU certificate's key is unusable: {err}") from err
    if not _same(cert_key, key.public_key()):
        raise KeyStoreError(
            f"the {key.name} key is not the key of certificate {certificate.id8.hex()}"
        )


def _same(a: ec.EllipticCurvePublicKey, b: ec.EllipticCurvePublicKey) -> bool:
    return a.public_numbers() == b.public_numbers()


__all__ = ["SIGNER_MODES", "Signer", "check_key_matches", "signing_input"]
