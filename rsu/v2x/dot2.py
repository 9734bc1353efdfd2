"""IEEE 1609.2 ``Ieee1609Dot2Data`` (protocolVersion 3, COER): find the payload, keep the rest.

Walks unsecuredData and signedData far enough to locate the unsecured payload octets (where
the V2X MessageFrame sits) and to keep what a verifier needs later: the hash algorithm, the
``HeaderInfo`` PSID and generation time, the signer (HashedId8 digest, certificate or self),
the encoded ``ToBeSignedData`` and the encoded ``Signature``. Certificates are walked, not
decoded: only their extent matters here. Field layouts follow IEEE 1609.2-2016 and its
amendments (extension additions are skipped as open types, so later editions parse too).

encryptedData cannot be looked into without keys and raises ``FramingError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rsu.v2x.coer import Reader

PROTOCOL_VERSION = 3
_MAX_NESTING = 3
"""signedData inside signedData ... at most this deep (real traffic nests once)."""

_CONTENT = ("unsecuredData", "signedData", "encryptedData", "signedCertificateRequest")
HASH_ALGORITHMS = ("sha256", "sha384", "sm3")
SIGNER_KINDS = ("digest", "certificate", "self")


@dataclass(frozen=True, slots=True)
class Dot2Data:
    """What one ``Ieee1609Dot2Data`` held. Spans are offsets into the buffer parsed."""

    kind: str
    """``"unsecured"`` or ``"signed"``."""
    version: int
    payload_start: int
    payload_end: int
    end: int
    """Offset just past the whole ``Ieee1609Dot2Data`` (past the signature when signed)."""
    hash_id: str | None = None
    psid: int | None = None
    generation_time: int | None = None
    signer_kind: str | None = None
    signer_digest: bytes | None = None
    signer_certificate: bytes | None = None
    signature: bytes | None = None
    to_be_signed: bytes | None = None
    truncated: bool = False
    """The payload's length runs past the end of the bytes received (a cut capture)."""
    notes: tuple[str, ...] = field(default=())


@dataclass(slots=True)
class _Header:
    psid: int = 0
    generation_time: int | None = None


def looks_like_dot2(data: bytes, pos: int) -> bool:
    """Cheap sniff: protocolVersion 3 then the unsecuredData/signedData/... CHOICE tag."""
    return len(data) >= pos + 2 and data[pos] == PROTOCOL_VERSION and 0x80 <= data[pos + 1] <= 0x83


def parse_dot2(data: bytes, pos: int = 0, end: int | None = None, *, depth: int = 0) -> Dot2Data:
    """Parse the ``Ieee1609Dot2Data`` at ``data[pos:end]`` (raises ``FramingError``)."""
    r = Reader(data, pos, end)
    version = r.u8("Ieee1609Dot2Data.protocolVersion")
    if version != PROTOCOL_VERSION:
        raise r.fail(f"IEEE 1609.2 protocolVersion {version}, expected 3", pos)
    tag = r.tag("Ieee1609Dot2Data.content")
    if tag == 0:
        return _unsecured(r, version)
    if tag == 1:
        if depth >= _MAX_NESTING:
            raise r.fail("IEEE 1609.2 signedData nested too deeply", pos)
        return _signed(r, version, depth)
    name = _CONTENT[tag] if tag < len(_CONTENT) else f"content alternative {tag}"
    raise r.fail(f"IEEE 1609.2 {name} carries no readable MessageFrame", pos + 1)


def _unsecured(r: Reader, version: int) -> Dot2Data:
    start = r.pos
    n = r.length("unsecuredData", check=False)
    if n > r.remaining:
        # A capture cut short (seen in the field): keep what arrived and say so; whether a
        # whole MessageFrame is inside is for the caller to check.
        note = f"1609.2 unsecuredData declares {n} octets, {r.remaining} present"
        return Dot2Data("unsecured", version, r.pos, r.end, r.end, truncated=True, notes=(note,))
    if n == 0:
        raise r.fail("IEEE 1609.2 unsecuredData is empty", start)
    payload = r.pos
    r.skip(n, "unsecuredData")
    return Dot2Data("unsecured", version, payload, r.pos, r.pos)


def _signed(r: Reader, version: int, depth: int) -> Dot2Data:
    hash_id = _enumerated(r, "SignedData.hashId")
    tbs_start = r.pos
    bits = r.preamble(3, "SignedDataPayload")
    if not bits & 0b010:
        raise r.fail("IEEE 1609.2 signedData has no payload data (external data hash only)")
    inner = parse_dot2(r.data, r.pos, r.end, depth=depth + 1)
    hash_name = HASH_ALGORITHMS[hash_id] if hash_id < len(HASH_ALGORITHMS) else str(hash_id)
    if inner.truncated:
        return Dot2Data(
            "signed", version, inner.payload_start, inner.payload_end, inner.end,
            hash_id=hash_name, truncated=True, notes=inner.notes,
        )  # fmt: skip
    r.pos = inner.end
    if bits & 0b001:
        _choice(r, 1, "SignedDataPayload.extDataHash", fixed=(32,))
    if bits & 0b100:
        r.extensions("SignedDataPayload")
    header = _header_info(r)
    tbs_end = r.pos
    signer_kind, digest, certificate, count = _signer(r)
    sig_start = r.pos
    _signature(r, "SignedData.signature")
    notes = inner.notes
    if count > 1:
        notes = (*notes, f"signer is a chain of {count} certificates; the first is kept")
    return Dot2Data(
        "signed", version, inner.payload_start, inner.payload_end, r.pos,
        hash_id=hash_name, psid=header.psid, generation_time=header.generation_time,
        signer_kind=signer_kind, signer_digest=digest, signer_certificate=certificate,
        signature=r.data[sig_start : r.pos], to_be_signed=r.data[tbs_start:tbs_end],
        notes=notes,
    )  # fmt: skip


def _enumerated(r: Reader, what: str) -> int:
    start = r.pos
    first = r.u8(what)
    if first < 0x80:
        return first
    raise r.fail(f"{what}: enumerated value in long form (0x{first:02x})", start)


def _choice(r: Reader, root: int, what: str, *, fixed: tuple[int, ...] = ()) -> int | None:
    """Read a CHOICE tag. Extension alternatives (tag >= ``root``) are skipped as open types
    and give ``None``. With ``fixed`` (octet sizes per root alternative) the value is skipped
    too."""
    tag = r.tag(what)
    if tag >= root:
        r.open_type(f"{what} (extension alternative {tag})")
        return None
    if fixed:
        r.skip(fixed[tag], what)
    return tag


def _curve_point(r: Reader, size: int, what: str) -> None:
    """EccP256CurvePoint / EccP384CurvePoint: x-only, fill, compressed-y-0/1, uncompressed."""
    start = r.pos
    tag = r.tag(what)
    if tag > 4:
        raise r.fail(f"{what}: unknown curve point alternative {tag}", start)
    r.skip((size, 0, size, size, 2 * size)[tag], what)


def _signature(r: Reader, what: str) -> None:
    """Signature: ecdsaNistP256 / brainpoolP256r1 (root); P384 and SM2 are extensions."""
    if _choice(r, 2, what) is not None:
        _curve_point(r, 32, f"{what}.rSig")
        r.skip(32, f"{what}.sSig")


def _header_info(r: Reader) -> _Header:
    bits = r.preamble(7, "HeaderInfo")
    header = _Header(psid=r.unsigned("HeaderInfo.psid"))
    if bits & 0x20:
        header.generation_time = r.uint(8, "HeaderInfo.generationTime")
    if bits & 0x10:
        r.skip(8, "HeaderInfo.expiryTime")
    if bits & 0x08:
        r.skip(10, "HeaderInfo.generationLocation")
    if bits & 0x04:
        r.skip(3, "HeaderInfo.p2pcdLearningRequest")
    if bits & 0x02:
        if r.preamble(1, "MissingCrlIdentifier"):
            r.skip(5, "MissingCrlIdentifier")
            r.extensions("MissingCrlIdentifier")
        else:
            r.skip(5, "MissingCrlIdentifier")
    if bits & 0x01:
        _encryption_key(r, "HeaderInfo.encryptionKey")
    if bits & 0x40:
        r.extensions("HeaderInfo")
    return header


def _encryption_key(r: Reader, what: str) -> None:
    """EncryptionKey ::= CHOICE { public PublicEncryptionKey, symmetric (aes128Ccm ...) }."""
    start = r.pos
    tag = r.tag(what)
    if tag == 0:
        _public_encryption_key(r, what)
    elif tag == 1:
        _choice(r, 1, f"{what}.symmetric", fixed=(16,))
    else:
        raise r.fail(f"{what}: unknown alternative {tag}", start)


def _public_encryption_key(r: Reader, what: str) -> None:
    _enumerated(r, f"{what}.supportedSymmAlg")
    if _choice(r, 2, f"{what}.publicKey") is not None:
        _curve_point(r, 32, f"{what}.publicKey")


def _signer(r: Reader) -> tuple[str, bytes | None, bytes | None, int]:
    """SignerIdentifier: (kind, digest, first certificate, certificate count)."""
    tag = _choice(r, 3, "SignedData.signer")
    if tag is None:
        return "extension", None, None, 0
    if tag == 0:
        return "digest", r.take(8, "SignedData.signer.digest"), None, 0
    if tag == 2:
        return "self", None, None, 0
    count = r.quantity("SignedData.signer.certificate", min_octets_each=20)
    if count == 0:
        raise r.fail("SignedData.signer.certificate: empty certificate chain")
    first = b""
    for i in range(count):
        start = r.pos
        _certificate(r)
        if i == 0:
            first = r.data[start : r.pos]
    return "certificate", None, first, count


def _certificate(r: Reader) -> None:
    """CertificateBase: version 3, type, issuer, toBeSigned, signature OPTIONAL."""
    has_signature = r.preamble(1, "Certificate")
    start = r.pos
    version = r.u8("Certificate.version")
    if version != PROTOCOL_VERSION:
        raise r.fail(f"Certificate.version {version}, expected 3", start)
    _enumerated(r, "Certificate.type")
    issuer = _choice(r, 2, "Certificate.issuer")
    if issuer == 0:
        r.skip(8, "Certificate.issuer.sha256AndDigest")
    elif issuer == 1:
        _enumerated(r, "Certificate.issuer.self")
    _to_be_signed_certificate(r)
    if has_signature:
        _signature(r, "Certificate.signature")


def _to_be_signed_certificate(r: Reader) -> None:
    what = "ToBeSignedCertificate"
    bits = r.preamble(8, what)
    _certificate_id(r)
    r.skip(3 + 2 + 4, f"{what}.cracaId/crlSeries/validityPeriod")
    if _choice(r, 7, f"{what}.validityPeriod.duration") is not None:
        r.skip(2, f"{what}.validityPeriod.duration")
    if bits & 0x40:
        _geographic_region(r)
    if bits & 0x20:
        r.skip(1, f"{what}.assuranceLevel")
    if bits & 0x10:
        for _ in range(r.quantity(f"{what}.appPermissions", 2)):
            _psid_ssp(r)
    for mask, name in ((0x08, "certIssuePermissions"), (0x04, "certRequestPermissions")):
        if bits & mask:
            for _ in range(r.quantity(f"{what}.{name}", 2)):
                _psid_group_permissions(r, f"{what}.{name}")
    if bits & 0x01:
        _public_encryption_key(r, f"{what}.encryptionKey")
    _verify_key_indicator(r, f"{what}.verifyKeyIndicator")
    if bits & 0x80:
        r.extensions(what)


def _verify_key_indicator(r: Reader, what: str) -> None:
    """verificationKey (PublicVerificationKey CHOICE) or reconstructionValue (implicit)."""
    key = _choice(r, 2, what)
    if key == 0:
        if _choice(r, 2, f"{what}.verificationKey") is not None:
            _curve_point(r, 32, f"{what}.verificationKey")
    elif key == 1:
        _curve_point(r, 32, f"{what}.reconstructionValue")


def _certificate_id(r: Reader) -> None:
    what = "ToBeSignedCertificate.id"
    tag = _choice(r, 4, what)
    if tag == 0:
        group = r.preamble(1, f"{what}.linkageData")
        r.skip(2 + 9 + (13 if group else 0), f"{what}.linkageData")
    elif tag in (1, 2):
        r.octets(what)


def _geographic_region(r: Reader) -> None:
    what = "ToBeSignedCertificate.region"
    tag = _choice(r, 4, what)
    if tag == 0:
        r.skip(10, f"{what}.circularRegion")
    elif tag == 1:
        r.skip(16 * r.quantity(f"{what}.rectangularRegion", 16), f"{what}.rectangularRegion")
    elif tag == 2:
        r.skip(8 * r.quantity(f"{what}.polygonalRegion", 8), f"{what}.polygonalRegion")
    elif tag == 3:
        for _ in range(r.quantity(f"{what}.identifiedRegion", 2)):
            _identified_region(r, f"{what}.identifiedRegion")


def _identified_region(r: Reader, what: str) -> None:
    tag = _choice(r, 3, what)
    if tag is None:
        return
    r.skip(2, f"{what}.country")
    if tag == 1:
        r.skip(r.quantity(f"{what}.regions", 1), f"{what}.regions")
    elif tag == 2:
        for _ in range(r.quantity(f"{what}.regionAndSubregions", 2)):
            r.skip(1, f"{what}.region")
            r.skip(2 * r.quantity(f"{what}.subregions", 2), f"{what}.subregions")


def _psid_ssp(r: Reader) -> None:
    what = "PsidSsp"
    has_ssp = r.preamble(1, what)
    r.unsigned(f"{what}.psid")
    if has_ssp and _choice(r, 1, f"{what}.ssp") == 0:
        r.octets(f"{what}.ssp.opaque")


def _psid_group_permissions(r: Reader, what: str) -> None:
    bits = r.preamble(3, what)
    if _choice(r, 2, f"{what}.subjectPermissions") == 0:
        for _ in range(r.quantity(f"{what}.explicit", 2)):
            _psid_ssp_range(r, f"{what}.explicit")
    if bits & 0b100:
        r.signed(f"{what}.minChainLength")
    if bits & 0b010:
        r.signed(f"{what}.chainLengthRange")
    if bits & 0b001:
        r.skip(1, f"{what}.eeType")


def _psid_ssp_range(r: Reader, what: str) -> None:
    has_range = r.preamble(1, what)
    r.unsigned(f"{what}.psid")
    if has_range and _choice(r, 2, f"{what}.sspRange") == 0:
        for _ in range(r.quantity(f"{what}.sspRange.opaque", 1)):
            r.octets(f"{what}.sspRange.opaque")
