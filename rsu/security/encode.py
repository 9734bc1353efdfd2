"""COER encodings that rsu-edge writes: certificates, signatures, curve points, signed data.

The decoder is :mod:`rsu.v2x.dot2` / :mod:`rsu.v2x.dot2_cert` (one parser); this is its
inverse for what the RSU produces (its own signed SPDUs, the test PKI of ``rsu pki init``,
CRLs in tests). Everything is canonical (shortest lengths, zero padding, DEFAULT values left
out), so a decode followed by an encode gives the same octets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rsu.security.ecc import SIZES, RawSignature
from rsu.v2x.coer import Writer
from rsu.v2x.dot2_cert import CURVES, POINT_KINDS, CurvePoint, IssuePermission, PsidSsp, Region

_DURATION_UNITS = ((2, 1), (3, 60), (4, 3600), (5, 216000), (6, 31556952))
"""(Duration alternative, seconds) from seconds to years."""


@dataclass(frozen=True, slots=True)
class CertificateSpec:
    """What goes into a ``ToBeSignedCertificate``."""

    name: str | None
    """``id`` as a ``name`` (Hostname); None: ``none`` (as authorization tickets use)."""
    start: int
    """Time32 of the validity start."""
    duration_s: int
    key_curve: str
    verify_key: CurvePoint
    """The verification key, or the reconstruction value when ``implicit``."""
    implicit: bool = False
    craca_id: bytes = b"\x00\x00\x00"
    crl_series: int = 0
    region: Region | None = None
    assurance_level: int | None = None
    app_permissions: tuple[PsidSsp, ...] = ()
    issue_permissions: tuple[IssuePermission, ...] = field(default=())


def curve_point(w: Writer, point: CurvePoint) -> None:
    w.tag(POINT_KINDS.index(point.kind)).raw(point.x)
    if point.kind == "uncompressed":
        w.raw(point.y)


def signature(sig: RawSignature) -> bytes:
    """A ``Signature`` with ``rSig`` as x-only."""
    size = SIZES[sig.curve]
    body = Writer()
    curve_point(body, CurvePoint("x-only", sig.r.to_bytes(size, "big")))
    body.raw(sig.s.to_bytes(size, "big"))
    tag = CURVES.index(sig.curve)
    w = Writer().tag(tag)
    return bytes(w.raw(bytes(body)) if tag < 2 else w.open_type(bytes(body)))


def _duration(w: Writer, seconds: int) -> None:
    for tag, unit in _DURATION_UNITS:
        if seconds % unit == 0 and seconds // unit < 0x10000:
            w.tag(tag).uint(2, seconds // unit)
            return
    raise ValueError(f"a validity of {seconds} s has no exact 1609.2 Duration")


def _region(w: Writer, region: Region) -> None:
    if region.kind == "circle" and region.circle is not None:
        lat, lon, radius = region.circle
        w.tag(0).raw(_loc(lat, lon)).uint(2, radius)
    elif region.kind == "rectangles":
        w.tag(1).quantity(len(region.rectangles))
        for a, b, c, d in region.rectangles:
            w.raw(_loc(a, b) + _loc(c, d))
    elif region.kind == "polygon":
        w.tag(2).quantity(len(region.polygon))
        for lat, lon in region.polygon:
            w.raw(_loc(lat, lon))
    elif region.kind == "identified":
        w.tag(3).quantity(len(region.countries))
        for country in region.countries:
            w.tag(0).uint(2, country)
    else:
        raise ValueError(f"cannot encode a {region.kind} region")


def _loc(lat: int, lon: int) -> bytes:
    return lat.to_bytes(4, "big", signed=True) + lon.to_bytes(4, "big", signed=True)


def _psid_ssp(w: Writer, p: PsidSsp) -> None:
    w.preamble(1, p.ssp is not None).unsigned(p.psid)
    if p.ssp is None:
        return
    if p.ssp_kind == "bitmap":
        w.tag(1).open_type(bytes(Writer().octets(p.ssp)))
    else:
        w.tag(0).octets(p.ssp)


def _group(w: Writer, g: IssuePermission) -> None:
    w.preamble(3, (g.min_chain_length != 1) << 2 | (g.chain_length_range != 0) << 1)
    if g.psids is None:
        w.tag(1)
    else:
        w.tag(0).quantity(len(g.psids))
        for psid in g.psids:
            w.preamble(1, 0).unsigned(psid)
    if g.min_chain_length != 1:
        w.signed(g.min_chain_length)
    if g.chain_length_range != 0:
        w.signed(g.chain_length_range)


def to_be_signed(spec: CertificateSpec) -> bytes:
    """The COER ``ToBeSignedCertificate``."""
    w = Writer()
    bits = (spec.region is not None) << 6 | (spec.assurance_level is not None) << 5
    bits |= bool(spec.app_permissions) << 4 | bool(spec.issue_permissions) << 3
    w.preamble(8, bits)
    if spec.name is None:
        w.tag(3)
    else:
        w.tag(1).octets(spec.name.encode())
    w.raw(spec.craca_id).uint(2, spec.crl_series).uint(4, spec.start)
    _duration(w, spec.duration_s)
    if spec.region is not None:
        _region(w, spec.region)
    if spec.assurance_level is not None:
        w.u8(spec.assurance_level)
    if spec.app_permissions:
        w.quantity(len(spec.app_permissions))
        for p in spec.app_permissions:
            _psid_ssp(w, p)
    if spec.issue_permissions:
        w.quantity(len(spec.issue_permissions))
        for g in spec.issue_permissions:
            _group(w, g)
    if spec.implicit:
        w.tag(1)
    else:
        w.tag(0).tag(CURVES.index(spec.key_curve))
    if spec.implicit or CURVES.index(spec.key_curve) < 2:
        curve_point(w, spec.verify_key)
    else:
        inner = Writer()
        curve_point(inner, spec.verify_key)
        w.open_type(bytes(inner))
    return bytes(w)


def certificate(
    tbs: bytes,
    *,
    implicit: bool,
    issuer_id8: bytes | None,
    issuer_hash: str = "sha256",
    sig: RawSignature | None = None,
) -> bytes:
    """A whole ``Certificate`` around ``tbs``: issuer ``self`` when ``issuer_id8`` is None."""
    w = Writer().preamble(1, sig is not None).u8(3).u8(1 if implicit else 0)
    if issuer_id8 is None:
        w.tag(1).u8(0 if issuer_hash == "sha256" else 1)
    elif issuer_hash == "sha256":
        w.tag(0).raw(issuer_id8)
    else:
        w.tag(2).open_type(issuer_id8)
    w.raw(tbs)
    if sig is not None:
        w.raw(signature(sig))
    return bytes(w)


@dataclass(frozen=True, slots=True)
class HeaderSpec:
    """The ``HeaderInfo`` the RSU sends: PSID (integer), generation time, options."""

    psid: int
    generation_time: int | None = None
    expiry_time: int | None = None
    generation_location: tuple[int, int, int] | None = None


def to_be_signed_data(payload: bytes, header: HeaderSpec) -> bytes:
    """``ToBeSignedData`` holding ``payload`` as unsecuredData."""
    inner = Writer().u8(3).tag(0).octets(payload)
    w = Writer().preamble(3, 0b010).raw(bytes(inner))
    bits = (header.generation_time is not None) << 5 | (header.expiry_time is not None) << 4
    bits |= (header.generation_location is not None) << 3
    w.preamble(7, bits).unsigned(header.psid)
    if header.generation_time is not None:
        w.uint(8, header.generation_time)
    if header.expiry_time is not None:
        w.uint(8, header.expiry_time)
    if header.generation_location is not None:
        lat, lon, elevation = header.generation_location
        w.raw(_loc(lat, lon)).uint(2, elevation)
    return bytes(w)


def signed_data(
    tbs: bytes, hash_alg: str, signer: bytes | Sequence[bytes], sig: RawSignature
) -> bytes:
    """``Ieee1609Dot2Data`` signedData: ``signer`` is a HashedId8 (bytes of 8) or the
    certificates of the chain (a sequence of encoded certificates)."""
    w = Writer().u8(3).tag(1).u8(0 if hash_alg == "sha256" else 1).raw(tbs)
    if isinstance(signer, bytes):
        w.tag(0).raw(signer)
    else:
        w.tag(1).quantity(len(signer))
        for cert in signer:
            w.raw(cert)
    return bytes(w.raw(signature(sig)))
