"""The elliptic-curve side of IEEE 1609.2: keys from curve points, ECDSA, ECQV.

ECDSA (verify, and sign with a key held in memory) is ``cryptography``'s (OpenSSL). The one
operation it does not expose is point arithmetic, which the reconstruction of an implicit
certificate's key needs (SEC 4 ECQV as IEEE 1609.2 5.3.2 applies it)::

    e   = the 1609.2 hash of the certificate (Hash(Hash(tbsCertificate) || Hash(issuer)))
    Q_U = e * P_U + Q_CA         (P_U: reconstruction value, Q_CA: the issuer's key)

That is done with ``python-ecdsa``'s point arithmetic (pure Python, a few milliseconds), once
per implicit certificate: the result is cached with the certificate.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from rsu.v2x.dot2_cert import CurvePoint

CURVES: dict[str, ec.EllipticCurve] = {
    "nistp256": ec.SECP256R1(),
    "brainpoolp256r1": ec.BrainpoolP256R1(),
    "nistp384": ec.SECP384R1(),
    "brainpoolp384r1": ec.BrainpoolP384R1(),
}
SIZES = {"nistp256": 32, "brainpoolp256r1": 32, "nistp384": 48, "brainpoolp384r1": 48}
HASH_OF_CURVE = {"nistp256": "sha256", "brainpoolp256r1": "sha256"} | {
    "nistp384": "sha384",
    "brainpoolp384r1": "sha384",
}
_HASHES: dict[str, Any] = {"sha256": hashes.SHA256, "sha384": hashes.SHA384}


class CryptoFailure(ValueError):
    """A key or signature that cannot be used: unknown curve, point not on the curve ..."""


@dataclass(frozen=True, slots=True)
class RawSignature:
    """An ECDSA signature as two integers, with the curve it is on."""

    curve: str
    r: int
    s: int


def public_key(curve: str, point: CurvePoint) -> ec.EllipticCurvePublicKey:
    """The public key at ``point`` (compressed or uncompressed) on ``curve``."""
    if curve not in CURVES:
        raise CryptoFailure(f"curve {curve} is not supported")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(CURVES[curve], point.sec1())
    except ValueError as err:
        raise CryptoFailure(f"{curve} key: {err}") from err


def verify(key: ec.EllipticCurvePublicKey, curve: str, r: int, s: int, message: bytes) -> bool:
    """ECDSA verification of ``message`` (hashed with the curve's hash) by ``key``."""
    digest = _HASHES[HASH_OF_CURVE[curve]]()
    try:
        key.verify(encode_dss_signature(r, s), message, ec.ECDSA(digest))
    except InvalidSignature:
        return False
    return True


def sign(key: ec.EllipticCurvePrivateKey, curve: str, message: bytes) -> RawSignature:
    """ECDSA signature of ``message`` with an in-memory key."""
    digest = _HASHES[HASH_OF_CURVE[curve]]()
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(digest)))
    return RawSignature(curve, r, s)


def curve_of(key: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) -> str:
    name = key.curve.name
    for ours, c in CURVES.items():
        if c.name == name:
            return ours
    raise CryptoFailure(f"curve {name} is not one of 1609.2's")


def compressed(key: ec.EllipticCurvePublicKey) -> CurvePoint:
    """The key as a 1609.2 compressed point."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    octets = key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    kind = "compressed-y-0" if octets[0] == 2 else "compressed-y-1"
    return CurvePoint(kind, octets[1:])


def hash_to_int(digest: bytes, curve: str) -> int:
    """A hash as an integer modulo the curve order (SEC 1 4.1.3 step 5 for equal sizes)."""
    return int.from_bytes(digest, "big") % order(curve)


def reconstruct(
    curve: str, reconstruction: CurvePoint, e: int, issuer: ec.EllipticCurvePublicKey
) -> ec.EllipticCurvePublicKey:
    """ECQV: the implicit certificate's key ``e * P_U + Q_CA``."""
    p_u = _ecdsa_point(curve, reconstruction.sec1())
    q_ca = _ecdsa_point(curve, _x962(issuer))
    from ecdsa.ellipticcurve import INFINITY

    q_u = p_u * e + q_ca
    if q_u == INFINITY:
        raise CryptoFailure("reconstructed key is the point at infinity")
    size = SIZES[curve]
    octets = b"\x04" + q_u.x().to_bytes(size, "big") + q_u.y().to_bytes(size, "big")
    return ec.EllipticCurvePublicKey.from_encoded_point(CURVES[curve], octets)


def ecqv_private_key(curve: str, e: int, k_u: int, r: int) -> ec.EllipticCurvePrivateKey:
    """The private key of an implicit certificate: ``d_U = e * k_U + r (mod n)`` (SEC 4)."""
    return ec.derive_private_key((e * k_u + r) % order(curve), CURVES[curve])


def ecqv_issue(curve: str, e: int, k: int, ca_private: int) -> int:
    """The CA's private-key reconstruction value ``r = e * k + d_CA (mod n)`` (SEC 4)."""
    return (e * k + ca_private) % order(curve)


def sha(alg: str, data: bytes) -> bytes:
    return hashlib.new(alg, data).digest()


def _x962(key: ec.EllipticCurvePublicKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def _ecdsa_curve(curve: str) -> Any:
    from ecdsa import curves

    table = {
        "nistp256": curves.NIST256p,
        "brainpoolp256r1": curves.BRAINPOOLP256r1,
        "nistp384": curves.NIST384p,
        "brainpoolp384r1": curves.BRAINPOOLP384r1,
    }
    if curve not in table:
        raise CryptoFailure(f"curve {curve} is not supported")
    return table[curve]


@functools.cache
def order(curve: str) -> int:
    return int(_ecdsa_curve(curve).order)


def _ecdsa_point(curve: str, octets: bytes) -> Any:
    from ecdsa import VerifyingKey
    from ecdsa.errors import MalformedPointError

    try:
        return VerifyingKey.from_string(octets, curve=_ecdsa_curve(curve)).pubkey.point
    except (MalformedPointError, ValueError) as err:
        raise CryptoFailure(f"{curve} point: {err}") from err
