"""Hash-based certificate revocation lists (IEEE 1609.2 clause 7, ``SecuredCrl``).

A CRL is signed data (PSID 256) whose payload is a COER ``CrlContents``. Of its kinds, the
hash-based ones (``fullHashCrl``, ``deltaHashCrl``) list revoked certificates by HashedId10
with an expiry (the time after which the entry may be dropped, the certificate having
expired anyway); linkage-based CRLs (pseudonym certificates of vehicles) are recognised and
refused as not supported. A CRL counts only when its signature verifies and its signer's
chain reaches a trust anchor with PSID 256 permitted.

``load_crl`` never raises for bad input: it returns a :class:`CrlResult` saying what was
wrong, and the trust store is left unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from rsu.errors import FramingError
from rsu.security.verify import Verifier
from rsu.v2x.coer import Reader, Writer
from rsu.v2x.dot2 import parse_dot2

CRL_PSID = 256
_KINDS = ("fullHashCrl", "deltaHashCrl", "fullLinkedCrl", "deltaLinkedCrl")


@dataclass(frozen=True, slots=True)
class CrlContents:
    crl_series: int
    craca: bytes
    issue_date: int
    next_crl: int
    kind: str
    serial: int
    entries: tuple[tuple[bytes, int], ...]
    """(HashedId10, expiry Time32) of each revoked certificate."""


@dataclass(frozen=True, slots=True)
class CrlResult:
    ok: bool
    detail: str = ""
    contents: CrlContents | None = None


def decode_contents(data: bytes, start: int = 0, end: int | None = None) -> CrlContents:
    """Decode a COER ``CrlContents`` (raises ``FramingError``)."""
    r = Reader(data, start, end)
    version = r.u8("CrlContents.version")
    if version != 1:
        raise r.fail(f"CrlContents.version {version}, expected 1", start)
    series = r.uint(2, "CrlContents.crlSeries")
    craca = r.take(8, "CrlContents.crlCraca")
    issue_date, next_crl = r.uint(4, "CrlContents.issueDate"), r.uint(4, "CrlContents.nextCrl")
    bits = r.preamble(2, "CrlPriorityInfo")
    if bits & 1:
        r.u8("CrlPriorityInfo.priority")
    if bits & 2:
        r.extensions("CrlPriorityInfo")
    at = r.pos
    tag = r.tag("CrlContents.typeSpecific")
    if tag > 1:
        name = _KINDS[tag] if tag < len(_KINDS) else f"alternative {tag}"
        raise r.fail(f"CrlContents.typeSpecific: {name} is not supported (hash-based only)", at)
    extended = r.preamble(1, "ToBeSignedHashIdCrl")
    serial = r.uint(4, "ToBeSignedHashIdCrl.crlSerial")
    count = r.quantity("ToBeSignedHashIdCrl.entries", 15)
    entries = []
    for _ in range(count):
        more = r.preamble(1, "HashBasedRevocationInfo")
        entries.append((r.take(10, "HashBasedRevocationInfo.id"), r.uint(4, "expiry")))
        if more:
            r.extensions("HashBasedRevocationInfo")
    if extended:
        r.extensions("ToBeSignedHashIdCrl")
    return CrlContents(series, craca, issue_date, next_crl, _KINDS[tag], serial, tuple(entries))


def encode_contents(c: CrlContents) -> bytes:
    w = Writer().u8(1).uint(2, c.crl_series).raw(c.craca)
    w.uint(4, c.issue_date).uint(4, c.next_crl).preamble(2, 0)
    w.tag(_KINDS.index(c.kind)).preamble(1, 0).uint(4, c.serial).quantity(len(c.entries))
    for id10, expiry in c.entries:
        w.preamble(1, 0).raw(id10).uint(4, expiry)
    return bytes(w)


def load_crl(data: bytes, verifier: Verifier, now_utc: float) -> CrlResult:
    """Check a ``SecuredCrl`` and, when it is good, add its entries to the verifier's store."""
    check = verifier.verify(data, now_utc)
    if check.result != "valid":
        return CrlResult(False, f"CRL signature: {check.result} {check.detail}".strip())
    if check.psid != CRL_PSID:
        return CrlResult(False, f"signed data with PSID {check.psid}, not a CRL ({CRL_PSID})")
    try:
        outer = parse_dot2(data)
        contents = decode_contents(data, outer.payload_start, outer.payload_end)
    except FramingError as err:
        return CrlResult(False, f"CRL does not parse: {err}")
    for id10, expiry in contents.entries:
        verifier.store.revoke(id10, expiry)
    return CrlResult(True, f"{len(contents.entries)} entries", contents)
