"""A self-contained test PKI: a root CA, an authorization CA and the RSU's certificate.

All explicit IEEE 1609.2 certificates in COER, made with keys from a key store or generated
here. ``issue_implicit`` makes ECQV implicit certificates (SEC 4) for tests and benchmarks.
This is what ``rsu pki init`` writes; a deployment replaces it with certificates from a real
SCMS (US) or the Chinese V2X CA (see docs/security.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from rsu.security import ecc, encode
from rsu.security.trust import signing_input
from rsu.v2x.dot2_cert import (
    Certificate,
    CurvePoint,
    IssuePermission,
    PsidSsp,
    Region,
    certificate_from_bytes,
)
from rsu.v2x.names import PSIDS
from rsu.v2x.psid import to_integer

RSU_PSIDS = tuple(to_integer(PSIDS[t]) for t in ("SPAT", "MAP", "TIM", "SDSM"))
"""Integer PSIDs the RSU's certificate gets by default: SPaT, MAP, TIM/RSM/RSI, SDSM."""
CRL_PSID = 256
HOUR = 3600
YEAR = 31556952


@dataclass(frozen=True, slots=True)
class Issued:
    """A certificate and, when we made it, its private key."""

    cert: Certificate
    key: ec.EllipticCurvePrivateKey | None = None


def _sign(issuer: Issued | None, key: ec.EllipticCurvePrivateKey, tbs: bytes) -> ecc.RawSignature:
    curve = ecc.curve_of(key)
    alg = ecc.HASH_OF_CURVE[curve]
    message = signing_input(tbs, issuer.cert.encoded if issuer else None, alg)
    return ecc.sign(key, curve, message)


def make_root(
    name: str, start: int, duration_s: int, *, key: ec.EllipticCurvePrivateKey | None = None
) -> Issued:
    key = key or ec.generate_private_key(ec.SECP256R1())
    curve = ecc.curve_of(key)
    spec = encode.CertificateSpec(
        name=name, start=start, duration_s=duration_s, key_curve=curve,
        verify_key=ecc.compressed(key.public_key()),
        issue_permissions=(IssuePermission(None, min_chain_length=2, chain_length_range=0),),
    )  # fmt: skip
    tbs = encode.to_be_signed(spec)
    alg = ecc.HASH_OF_CURVE[curve]
    der = encode.certificate(
        tbs, implicit=False, issuer_id8=None, issuer_hash=alg, sig=_sign(None, key, tbs)
    )
    return Issued(certificate_from_bytes(der), key)


@dataclass(frozen=True, slots=True)
class Subject:
    """What a certificate is issued for (the issuer signs it)."""

    name: str | None
    start: int
    duration_s: int
    app_psids: Sequence[int] = ()
    issue_psids: Sequence[int] | None = ()
    """PSIDs it may issue (None: all; empty: an end entity)."""
    ssp: dict[int, bytes] | None = None
    region: Region | None = None
    craca_id: bytes = b"\x00\x00\x00"


def _spec(subject: Subject, curve: str, point: CurvePoint, implicit: bool) -> bytes:
    ssp = subject.ssp or {}
    perms = tuple(PsidSsp(p, ssp.get(p), "opaque" if p in ssp else "") for p in subject.app_psids)
    issue: tuple[IssuePermission, ...] = ()
    if subject.issue_psids is None:
        issue = (IssuePermission(None),)
    elif subject.issue_psids:
        issue = (IssuePermission(tuple(subject.issue_psids)),)
    spec = encode.CertificateSpec(
        name=subject.name, start=subject.start, duration_s=subject.duration_s,
        key_curve=curve, verify_key=point, implicit=implicit, craca_id=subject.craca_id,
        region=subject.region, app_permissions=perms, issue_permissions=issue,
    )  # fmt: skip
    return encode.to_be_signed(spec)


def issue(issuer: Issued, subject: Subject, public: ec.EllipticCurvePublicKey) -> Certificate:
    """An explicit certificate for ``public``, signed by ``issuer`` (whose key we hold)."""
    if issuer.key is None:
        raise ValueError("the issuer's private key is needed to issue")
    curve = ecc.curve_of(public)
    tbs = _spec(subject, curve, ecc.compressed(public), implicit=False)
    der = encode.certificate(
        tbs, implicit=False, issuer_id8=issuer.cert.id8,
        issuer_hash=issuer.cert.hash_algorithm, sig=_sign(issuer, issuer.key, tbs),
    )  # fmt: skip
    return certificate_from_bytes(der)


def issue_with_key(issuer: Issued, subject: Subject) -> Issued:
    key = ec.generate_private_key(ecc.CURVES[ecc.curve_of(_key_of(issuer))])
    return Issued(issue(issuer, subject, key.public_key()), key)


def issue_implicit(issuer: Issued, subject: Subject) -> Issued:
    """An implicit (ECQV) certificate and its private key: the issuer picks ``k``, sends
    ``P_U = k*G`` as the reconstruction value, and the holder's key is ``e*k + d_CA``."""
    ca_key = _key_of(issuer)
    curve = ecc.curve_of(ca_key)
    k = ec.generate_private_key(ecc.CURVES[curve])
    tbs = _spec(subject, curve, ecc.compressed(k.public_key()), implicit=True)
    der = encode.certificate(
        tbs, implicit=True, issuer_id8=issuer.cert.id8, issuer_hash=issuer.cert.hash_algorithm
    )
    cert = certificate_from_bytes(der)
    alg = cert.hash_algorithm
    e = ecc.hash_to_int(ecc.sha(alg, signing_input(cert.tbs, issuer.cert.encoded, alg)), curve)
    d = ecc.ecqv_issue(curve, e, k.private_numbers().private_value, 0)
    d = (d + ca_key.private_numbers().private_value) % ecc.order(curve)
    return Issued(cert, ec.derive_private_key(d, ecc.CURVES[curve]))


def _key_of(issued: Issued) -> ec.EllipticCurvePrivateKey:
    if issued.key is None:
        raise ValueError("the issuer's private key is needed to issue")
    return issued.key


@dataclass(frozen=True, slots=True)
class LocalPki:
    root: Issued
    ca: Issued
    rsu: Issued


def make_test_pki(
    now32: int,
    *,
    psids: Sequence[int] = RSU_PSIDS,
    rsu_hours: int = 24 * 365,
    rsu_key: ec.EllipticCurvePrivateKey | None = None,
) -> LocalPki:
    """Root (10 years), authorization CA (5 years) and RSU certificate from ``now32``."""
    start = now32 - HOUR  # an hour of slack for receivers whose clocks run a little behind
    root = make_root("rsu-edge test root CA", start, 10 * YEAR)
    ca_psids = (*psids, CRL_PSID)  # the CA may also issue a CRL signer
    ca_subject = Subject("rsu-edge test authorization CA", start, 5 * YEAR, issue_psids=ca_psids)
    ca = issue_with_key(root, ca_subject)
    key = rsu_key or ec.generate_private_key(ec.SECP256R1())
    rsu_subject = Subject("rsu-edge RSU", start, rsu_hours * HOUR, app_psids=psids)
    return LocalPki(root, ca, Issued(issue(ca, rsu_subject, key.public_key()), key))
