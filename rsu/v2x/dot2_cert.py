"""IEEE 1609.2 certificates (COER), decoded whole: the one certificate parser of rsu-edge.

``decode_certificate(r)`` reads one ``Certificate`` at the reader's cursor and returns a
:class:`Certificate` holding every field a verifier checks (issuer, validity, region,
permissions, the verification key or the ECQV reconstruction value, the signature; the
values are in :mod:`rsu.v2x.dot2_values`) plus the
exact octets it was read from (``encoded``) and the span of its ``ToBeSignedCertificate``
(``tbs``): 1609.2 hashes and signs these encodings as received. Layouts follow IEEE
1609.2-2016 with 1609.2a-2017 and 1609.2-2022 (extension alternatives and additions are read
where named, skipped as open types otherwise) and the ETSI TS 103 097 profile of them.

Every read is bounded by :class:`~rsu.v2x.coer.Reader`; malformed input raises
``FramingError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rsu.v2x.coer import Reader
from rsu.v2x.dot2_values import (
    Certificate,
    CurvePoint,
    IssuePermission,
    PsidSsp,
    Region,
    Signature,
)

__all__ = [
    "CURVES",
    "Certificate",
    "CurvePoint",
    "IssuePermission",
    "PsidSsp",
    "Region",
    "Signature",
    "certificate_from_bytes",
    "curve_point",
    "decode_certificate",
    "public_encryption_key",
    "public_key_at",
    "signature_at",
]

CURVES = ("nistp256", "brainpoolp256r1", "brainpoolp384r1", "nistp384", "sm2")
"""``Signature`` / ``PublicVerificationKey`` alternatives in tag order (two root, three
extension alternatives)."""
CURVE_SIZE = {"nistp256": 32, "brainpoolp256r1": 32, "brainpoolp384r1": 48, "nistp384": 48}
POINT_KINDS = ("x-only", "fill", "compressed-y-0", "compressed-y-1", "uncompressed")
HASHES = ("sha256", "sha384", "sm3")
CERT_TYPES = ("explicit", "implicit")
_DURATION_S = (1e-6, 1e-3, 1, 60, 3600, 216000, 31556952)
"""Duration alternatives (microseconds .. years) in seconds; a 1609.2 year is 31556952 s."""


def decode_certificate(r: Reader) -> Certificate:
    """Read one ``Certificate`` (CertificateBase) at the cursor."""
    begin = r.pos
    has_signature = r.preamble(1, "Certificate")
    version = r.u8("Certificate.version")
    if version != 3:
        raise r.fail(f"Certificate.version {version}, expected 3", begin + 1)
    kind = r.enumerated("Certificate.type")
    if kind > 1:
        raise r.fail(f"Certificate.type {kind} unknown", r.pos - 1)
    issuer, issuer_id8, hash_alg = _issuer(r)
    tbs_start = r.pos
    body = _TbsFields()
    _to_be_signed(r, body)
    tbs = r.data[tbs_start : r.pos]
    signature = signature_at(r, "Certificate.signature") if has_signature else None
    return Certificate(
        encoded=r.data[begin : r.pos], tbs=tbs, type=CERT_TYPES[kind], issuer=issuer,
        issuer_id8=issuer_id8, hash_algorithm=hash_alg, id_kind=body.id_kind,
        id_value=body.id_value, craca_id=body.craca_id, crl_series=body.crl_series,
        start=body.start, duration_s=body.duration_s, key_curve=body.key_curve,
        verify_key=body.verify_key, region=body.region, assurance_level=body.assurance,
        app_permissions=tuple(body.app), issue_permissions=tuple(body.issue),
        signature=signature, notes=tuple(body.notes),
    )  # fmt: skip


def certificate_from_bytes(data: bytes) -> Certificate:
    """Decode ``data`` as exactly one certificate (trailing octets are an error)."""
    r = Reader(data)
    cert = decode_certificate(r)
    if r.remaining:
        raise r.fail(f"{r.remaining} octets after the certificate")
    return cert


@dataclass(slots=True)
class _TbsFields:
    id_kind: str = "none"
    id_value: str = ""
    craca_id: bytes = b""
    crl_series: int = 0
    start: int = 0
    duration_s: float = 0.0
    region: Region | None = None
    assurance: int | None = None
    app: list[PsidSsp] = field(default_factory=list)
    issue: list[IssuePermission] = field(default_factory=list)
    key_curve: str = ""
    verify_key: CurvePoint = field(default_factory=lambda: CurvePoint("fill"))
    notes: list[str] = field(default_factory=list)


def _issuer(r: Reader) -> tuple[str, bytes | None, str]:
    what = "Certificate.issuer"
    start = r.pos
    tag = r.tag(what)
    if tag == 0:
        return "sha256AndDigest", r.take(8, what), "sha256"
    if tag == 1:
        alg = r.enumerated(f"{what}.self")
        if alg >= len(HASHES):
            raise r.fail(f"{what}.self: unknown hash algorithm {alg}", start)
        return "self", None, HASHES[alg]
    if tag == 2:  # sha384AndDigest, an extension alternative: an open type around 8 octets
        n = r.length(what)
        if n != 8:
            raise r.fail(f"{what}.sha384AndDigest: {n} octets, expected 8", start)
        return "sha384AndDigest", r.take(8, what), "sha384"
    raise r.fail(f"{what}: unknown alternative {tag}", start)


def _to_be_signed(r: Reader, out: _TbsFields) -> None:
    what = "ToBeSignedCertificate"
    bits = r.preamble(8, what)
    _certificate_id(r, out)
    out.craca_id = r.take(3, f"{what}.cracaId")
    out.crl_series = r.uint(2, f"{what}.crlSeries")
    out.start = r.uint(4, f"{what}.validityPeriod.start")
    out.duration_s = _duration(r, f"{what}.validityPeriod.duration")
    if bits & 0x40:
        out.region = _region(r)
    if bits & 0x20:
        out.assurance = r.u8(f"{what}.assuranceLevel")
    if bits & 0x10:
        out.app = [_psid_ssp(r) for _ in range(r.quantity(f"{what}.appPermissions", 2))]
    if bits & 0x08:
        n = r.quantity(f"{what}.certIssuePermissions", 2)
        out.issue = [_group_permissions(r, f"{what}.certIssuePermissions") for _ in range(n)]
    if bits & 0x04:
        for _ in range(r.quantity(f"{what}.certRequestPermissions", 2)):
            _group_permissions(r, f"{what}.certRequestPermissions")
    if bits & 0x01:
        public_encryption_key(r, f"{what}.encryptionKey")
    _verify_key_indicator(r, out)
    if bits & 0x80:
        r.extensions(what)  # flags, appExtensions ... (2022): not needed for verification


def _certificate_id(r: Reader, out: _TbsFields) -> None:
    what = "ToBeSignedCertificate.id"
    tag = r.tag(what)
    if tag == 0:
        group = r.preamble(1, f"{what}.linkageData")
        out.id_kind, out.id_value = "linkage", r.take(11, what).hex()
        if group:
            r.skip(13, f"{what}.linkageData.groupLinkageValue")
    elif tag == 1:
        out.id_kind = "name"
        out.id_value = r.octets(what).decode("utf-8", errors="replace")
    elif tag == 2:
        out.id_kind, out.id_value = "binary", r.octets(what).hex()
    elif tag == 3:
        out.id_kind = "none"
    else:
        r.open_type(f"{what} (extension alternative {tag})")
        out.id_kind = "unknown"


def _duration(r: Reader, what: str) -> float:
    start = r.pos
    tag = r.tag(what)
    if tag >= len(_DURATION_S):
        raise r.fail(f"{what}: unknown alternative {tag}", start)
    return r.uint(2, what) * _DURATION_S[tag]


def _region(r: Reader) -> Region:
    what = "ToBeSignedCertificate.region"
    tag = r.tag(what)
    if tag == 0:
        lat, lon = _location(r, f"{what}.circularRegion")
        return Region("circle", circle=(lat, lon, r.uint(2, f"{what}.circularRegion.radius")))
    if tag == 1:
        n = r.quantity(f"{what}.rectangularRegion", 16)
        rects = []
        for _ in range(n):
            nw, se = _location(r, what), _location(r, what)
            rects.append((*nw, *se))
        return Region("rectangles", rectangles=tuple(rects))
    if tag == 2:
        n = r.quantity(f"{what}.polygonalRegion", 8)
        return Region("polygon", polygon=tuple(_location(r, what) for _ in range(n)))
    if tag == 3:
        n = r.quantity(f"{what}.identifiedRegion", 2)
        return Region("identified", countries=tuple(_identified(r, what) for _ in range(n)))
    r.open_type(f"{what} (extension alternative {tag})")
    return Region("unknown")


def _location(r: Reader, what: str) -> tuple[int, int]:
    """TwoDLocation: Latitude and Longitude, 4-octet two's complement each."""
    lat = int.from_bytes(r.take(4, f"{what}.latitude"), "big", signed=True)
    lon = int.from_bytes(r.take(4, f"{what}.longitude"), "big", signed=True)
    return lat, lon


def _identified(r: Reader, what: str) -> int:
    """IdentifiedRegion: the country of countryOnly / countryAndRegions / ...Subregions."""
    tag = r.tag(what)
    if tag >= 3:
        r.open_type(f"{what} (extension alternative {tag})")
        return -1
    country = r.uint(2, f"{what}.country")
    if tag == 1:
        r.skip(r.quantity(f"{what}.regions", 1), f"{what}.regions")
    elif tag == 2:
        for _ in range(r.quantity(f"{what}.regionAndSubregions", 2)):
            r.skip(1, f"{what}.region")
            r.skip(2 * r.quantity(f"{what}.subregions", 2), f"{what}.subregions")
    return country


def _psid_ssp(r: Reader) -> PsidSsp:
    what = "PsidSsp"
    has_ssp = r.preamble(1, what)
    psid = r.unsigned(f"{what}.psid")
    if not has_ssp:
        return PsidSsp(psid)
    tag = r.tag(f"{what}.ssp")
    if tag == 0:
        return PsidSsp(psid, r.octets(f"{what}.ssp.opaque"), "opaque")
    start, end = r.open_type(f"{what}.ssp")
    if tag == 1:  # bitmapSsp: an OCTET STRING (SIZE (0..31)) inside the open type
        inner = Reader(r.data, start, end)
        ssp = inner.octets(f"{what}.ssp.bitmapSsp")
        if inner.remaining:
            raise inner.fail(f"{what}.ssp.bitmapSsp: octets after the value")
        return PsidSsp(psid, ssp, "bitmap")
    return PsidSsp(psid, r.data[start:end], f"extension-{tag}")


def _group_permissions(r: Reader, what: str) -> IssuePermission:
    bits = r.preamble(3, what)
    start = r.pos
    tag = r.tag(f"{what}.subjectPermissions")
    psids: tuple[int, ...] | None = None
    if tag == 0:
        psids = tuple(_psid_ssp_range(r, what) for _ in range(r.quantity(f"{what}.explicit", 2)))
    elif tag != 1:
        raise r.fail(f"{what}.subjectPermissions: unknown alternative {tag}", start)
    min_chain = r.signed(f"{what}.minChainLength") if bits & 0b100 else 1
    chain_range = r.signed(f"{what}.chainLengthRange") if bits & 0b010 else 0
    if bits & 0b001:
        r.skip(1, f"{what}.eeType")  # BIT STRING (SIZE (8)): fixed size, one octet
    return IssuePermission(psids, min_chain, chain_range)


def _psid_ssp_range(r: Reader, what: str) -> int:
    has_range = r.preamble(1, what)
    psid = r.unsigned(f"{what}.psid")
    if has_range:
        tag = r.tag(f"{what}.sspRange")
        if tag == 0:
            for _ in range(r.quantity(f"{what}.sspRange.opaque", 1)):
                r.octets(f"{what}.sspRange.opaque")
        elif tag > 1:
            r.open_type(f"{what}.sspRange")  # bitmapSspRange (extension)
    return psid


def public_encryption_key(r: Reader, what: str) -> None:
    """``PublicEncryptionKey``: walked (an RSU does not decrypt), its curve point checked."""
    r.enumerated(f"{what}.supportedSymmAlg")
    start = r.pos
    tag = r.tag(f"{what}.publicKey")
    if tag < 2:
        curve_point(r, 32, f"{what}.publicKey")
    elif tag < 8:
        r.open_type(f"{what}.publicKey")
    else:
        raise r.fail(f"{what}.publicKey: unknown alternative {tag}", start)


def _verify_key_indicator(r: Reader, out: _TbsFields) -> None:
    what = "ToBeSignedCertificate.verifyKeyIndicator"
    start = r.pos
    tag = r.tag(what)
    if tag == 0:
        out.key_curve, out.verify_key = public_key_at(r, f"{what}.verificationKey")
    elif tag == 1:
        out.key_curve, out.verify_key = "", curve_point(r, 32, f"{what}.reconstructionValue")
    else:
        raise r.fail(f"{what}: unknown alternative {tag}", start)


def public_key_at(r: Reader, what: str) -> tuple[str, CurvePoint]:
    """``PublicVerificationKey``: (curve, point); P-384 and SM2 sit in open types."""
    start = r.pos
    tag = r.tag(what)
    if tag >= len(CURVES):
        raise r.fail(f"{what}: unknown alternative {tag}", start)
    curve = CURVES[tag]
    if tag < 2:
        return curve, curve_point(r, 32, what)
    begin, end = r.open_type(what)
    inner = Reader(r.data, begin, end)
    point = curve_point(inner, CURVE_SIZE.get(curve, 32), what)
    if inner.remaining:
        raise inner.fail(f"{what}: octets after the key")
    return curve, point


def curve_point(r: Reader, size: int, what: str) -> CurvePoint:
    """EccP256CurvePoint / EccP384CurvePoint."""
    start = r.pos
    tag = r.tag(what)
    if tag > 4:
        raise r.fail(f"{what}: unknown curve point alternative {tag}", start)
    kind = POINT_KINDS[tag]
    if kind == "fill":
        return CurvePoint(kind)
    x = r.take(size, what)
    return CurvePoint(kind, x, r.take(size, what) if kind == "uncompressed" else b"")


def signature_at(r: Reader, what: str) -> Signature:
    """``Signature``: ECDSA P-256 / brainpoolP256r1 (root), brainpoolP384r1 / P-384 / SM2
    (extension alternatives, inside open types)."""
    begin = r.pos
    tag = r.tag(what)
    if tag >= len(CURVES):
        raise r.fail(f"{what}: unknown alternative {tag}", begin)
    curve = CURVES[tag]
    if tag < 2:
        point = curve_point(r, 32, f"{what}.rSig")
        s = r.take(32, f"{what}.sSig")
        return Signature(curve, point, s, r.data[begin : r.pos])
    start, end = r.open_type(what)
    inner = Reader(r.data, start, end)
    size = CURVE_SIZE.get(curve, 32)
    if curve == "sm2":
        point = CurvePoint("x-only", inner.take(32, f"{what}.rSig"))
    else:
        point = curve_point(inner, size, f"{what}.rSig")
    s = inner.take(size, f"{what}.sSig")
    if inner.remaining:
        raise inner.fail(f"{what}: octets after the signature")
    return Signature(curve, point, s, r.data[begin : r.pos])
