"""IEEE 1609.2 ``Ieee1609Dot2Data`` (protocolVersion 3, COER): the payload and what signs it.

Walks unsecuredData and signedData to locate the unsecured payload octets (where the V2X
MessageFrame sits) and keeps what a verifier needs: the hash algorithm, the ``HeaderInfo``
(PSID, generation and expiry time, generation location, peer-to-peer certificate requests),
the signer (HashedId8 digest, a chain of certificates decoded by
:mod:`rsu.v2x.dot2_cert`, or self), the exact octets of the ``ToBeSignedData`` and the
``Signature``. Field layouts follow IEEE 1609.2-2016 and its amendments (extension additions
are skipped as open types, so later editions parse too). This is the one parser of 1609.2
SPDUs: framing (receive path) and :mod:`rsu.security` (verification) both use it.

encryptedData cannot be looked into without keys and raises ``FramingError``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from rsu.errors import FramingError
from rsu.v2x.coer import Reader
from rsu.v2x.dot2_cert import (
    Certificate,
    Signature,
    decode_certificate,
    public_encryption_key,
    signature_at,
)

PROTOCOL_VERSION = 3
_MAX_NESTING = 3
"""signedData inside signedData ... at most this deep (real traffic nests once)."""
MAX_CHAIN = 8
"""Most certificates accepted in one ``SignerIdentifier.certificate`` (real chains: 1..3)."""

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
    """Integer PSID of ``HeaderInfo`` (not p-encoded; see :mod:`rsu.v2x.psid`)."""
    generation_time: int | None = None
    expiry_time: int | None = None
    generation_location: tuple[int, int, int] | None = None
    """(latitude, longitude in 1e-7 degrees, elevation as 1609.2 ``Elevation``)."""
    inline_p2pcd_request: tuple[bytes, ...] = ()
    """HashedId3s of certificates the sender asks its neighbours to send."""
    signer_kind: str | None = None
    signer_digest: bytes | None = None
    signer_certificates: tuple[Certificate, ...] = ()
    signature_value: Signature | None = None
    signature: bytes | None = None
    to_be_signed: bytes | None = None
    truncated: bool = False
    """The payload's length runs past the end of the bytes received (a cut capture)."""
    notes: tuple[str, ...] = field(default=())

    @property
    def signer_certificate(self) -> bytes | None:
        """The encoded signer certificate (the first of the chain), if the signer is one."""
        return self.signer_certificates[0].encoded if self.signer_certificates else None


@dataclass(slots=True)
class _Header:
    psid: int = 0
    generation_time: int | None = None
    expiry_time: int | None = None
    location: tuple[int, int, int] | None = None
    p2pcd: tuple[bytes, ...] = ()


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
    hash_id = r.enumerated("SignedData.hashId")
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
    signer_kind, digest, chain = _signer(r)
    sig_start = r.pos
    signature = signature_at(r, "SignedData.signature")
    notes = inner.notes
    if len(chain) > 1:
        notes = (*notes, f"signer is a chain of {len(chain)} certificates")
    return Dot2Data(
        "signed", version, inner.payload_start, inner.payload_end, r.pos,
        hash_id=hash_name, psid=header.psid, generation_time=header.generation_time,
        expiry_time=header.expiry_time, generation_location=header.location,
        inline_p2pcd_request=header.p2pcd, signer_kind=signer_kind, signer_digest=digest,
        signer_certificates=chain, signature_value=signature,
        signature=r.data[sig_start : r.pos], to_be_signed=r.data[tbs_start:tbs_end],
        notes=notes,
    )  # fmt: skip


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


def _header_info(r: Reader) -> _Header:
    bits = r.preamble(7, "HeaderInfo")
    header = _Header(psid=r.unsigned("HeaderInfo.psid"))
    if bits & 0x20:
        header.generation_time = r.uint(8, "HeaderInfo.generationTime")
    if bits & 0x10:
        header.expiry_time = r.uint(8, "HeaderInfo.expiryTime")
    if bits & 0x08:
        lat = int.from_bytes(r.take(4, "HeaderInfo.generationLocation"), "big", signed=True)
        lon = int.from_bytes(r.take(4, "HeaderInfo.generationLocation"), "big", signed=True)
        header.location = (lat, lon, r.uint(2, "HeaderInfo.generationLocation.elevation"))
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
        for index, start, end in r.extensions("HeaderInfo"):
            if index == 0:  # inlineP2pcdRequest SequenceOfHashedId3 (informative only: a
                # malformed one does not hide the payload, it just asks for nothing)
                with contextlib.suppress(FramingError):
                    header.p2pcd = _hashed_id3s(Reader(r.data, start, end))
    return header


def _hashed_id3s(r: Reader) -> tuple[bytes, ...]:
    count = r.quantity("HeaderInfo.inlineP2pcdRequest", 3)
    return tuple(r.take(3, "HeaderInfo.inlineP2pcdRequest") for _ in range(count))


def _encryption_key(r: Reader, what: str) -> None:
    """EncryptionKey ::= CHOICE { public PublicEncryptionKey, symmetric (aes128Ccm ...) }."""
    start = r.pos
    tag = r.tag(what)
    if tag == 0:
        public_encryption_key(r, what)
    elif tag == 1:
        _choice(r, 1, f"{what}.symmetric", fixed=(16,))
    else:
        raise r.fail(f"{what}: unknown alternative {tag}", start)


def _signer(r: Reader) -> tuple[str, bytes | None, tuple[Certificate, ...]]:
    """SignerIdentifier: (kind, digest, certificate chain, signer first)."""
    tag = _choice(r, 3, "SignedData.signer")
    if tag is None:
        return "extension", None, ()
    if tag == 0:
        return "digest", r.take(8, "SignedData.signer.digest"), ()
    if tag == 2:
        return "self", None, ()
    count = r.quantity("SignedData.signer.certificate", min_octets_each=20)
    if count == 0:
        raise r.fail("SignedData.signer.certificate: empty certificate chain")
    if count > MAX_CHAIN:
        raise r.fail(f"SignedData.signer.certificate: chain of {count} (at most {MAX_CHAIN})")
    return "certificate", None, tuple(decode_certificate(r) for _ in range(count))
