"""The trust store: anchors, intermediates, certificates learned from the air, revocations.

Sans-I/O: certificates come in as decoded :class:`~rsu.v2x.dot2_cert.Certificate` values
(``rsu.security.files`` reads a trust directory from disk). A certificate is usable once its
chain reaches an anchor: each link's signature is checked with the issuer's key (or, for an
implicit certificate, the key is reconstructed from it), each certificate must not be
revoked, and its permissions must lie inside what its issuer may issue. The result of a chain
is cached on the certificate's entry until the store changes (a CRL, a new anchor), so a warm
store costs one dictionary lookup per message.

Certificates learned from the air go into a bounded LRU cache (``cache_size``); hits and
misses are counted, so the hit rate of digest-signed traffic can be reported.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from rsu.security import ecc
from rsu.v2x.dot2_cert import Certificate

MAX_CHAIN_DEPTH = 8
"""Links followed from a certificate to its anchor; a longer (or looping) chain is unknown."""
MAX_REVOKED = 1_000_000
"""Revocation entries kept (HashedId10 each, ~100 MB at most); more are counted, not kept."""
VALID, UNKNOWN, INVALID, REVOKED = "valid", "unknown_signer", "invalid_signature", "revoked"


@dataclass(slots=True)
class Entry:
    """A certificate the store knows, with what was worked out about it."""

    cert: Certificate
    anchor: bool = False
    key: Any = None
    """The verification key (``cryptography`` public key), once known."""
    chain: str | None = None
    """Result of the chain to an anchor (VALID, UNKNOWN, INVALID, REVOKED), None: not yet."""
    chain_generation: int = -1
    path: tuple[Certificate, ...] = ()
    """This certificate and its issuers up to the anchor (when ``chain`` is VALID)."""
    digest: bytes = b""
    """Hash of the encoded certificate (its HashedId8 is the low 8 octets)."""
    curve: str = ""
    """The key's curve (an implicit certificate's is its issuer's, known once linked)."""


@dataclass(slots=True)
class StoreCounters:
    cache_hits: int = 0
    cache_misses: int = 0
    learned: int = 0
    evicted: int = 0
    bad_certificates: int = 0
    chain_checks: int = 0
    revocations_dropped: int = 0

    def as_dict(self) -> dict[str, Any]:
        looked = self.cache_hits + self.cache_misses
        return {
            "cache_hits": self.cache_hits,
            "cache_misses": self.cache_misses,
            "cache_hit_rate": round(self.cache_hits / looked, 4) if looked else None,
            "learned": self.learned,
            "evicted": self.evicted,
            "bad_certificates": self.bad_certificates,
            "chain_checks": self.chain_checks,
            "revocations_dropped": self.revocations_dropped,
        }


@dataclass(slots=True)
class TrustStore:
    cache_size: int = 4096
    anchors: dict[bytes, Entry] = field(default_factory=dict)
    intermediates: dict[bytes, Entry] = field(default_factory=dict)
    cache: OrderedDict[bytes, Entry] = field(default_factory=OrderedDict)
    revoked: dict[bytes, int] = field(default_factory=dict)
    """HashedId10 -> Time32 until which the revocation entry stays (hash-based CRLs)."""
    generation: int = 0
    """Bumped whenever anchors, intermediates or revocations change (chain results stale)."""
    n: StoreCounters = field(default_factory=StoreCounters)

    # --- filling -------------------------------------------------------------------------

    def add_anchor(self, cert: Certificate) -> Entry:
        """A trust anchor: a self-signed root whose own signature must verify."""
        entry = _entry(cert, anchor=True)
        if not cert.is_self_signed or cert.type != "explicit":
            raise ValueError("a trust anchor must be an explicit, self-signed certificate")
        entry.key = ecc.public_key(cert.key_curve, cert.verify_key)
        if not _link_ok(cert, None, entry.key):
            raise ValueError("the trust anchor's self-signature does not verify")
        entry.chain, entry.path = VALID, (cert,)
        self.anchors[cert.id8] = entry
        self.generation += 1
        return entry

    def pin(self, cert: Certificate) -> Entry:
        """Trust one certificate directly, whoever issued it (certificate pinning: a bench,
        a neighbour RSU's certificate). Explicit certificates only: it needs its own key."""
        if cert.type != "explicit":
            raise ValueError("only an explicit certificate can be pinned")
        entry = _entry(cert, anchor=True)
        entry.key = ecc.public_key(cert.key_curve, cert.verify_key)
        entry.chain, entry.path = VALID, (cert,)
        self.anchors[cert.id8] = entry
        self.generation += 1
        return entry

    def add_intermediate(self, cert: Certificate) -> Entry:
        entry = _entry(cert)
        self.intermediates[entry.cert.id8] = entry
        self.generation += 1
        return entry

    def learn(self, cert: Certificate) -> Entry:
        """A certificate seen on the air (as a signer or in a chain): cached, LRU-bounded."""
        id8 = cert.id8
        found = self.find(id8, count=False)
        if found is not None and found.cert.encoded == cert.encoded:
            return found
        entry = _entry(cert)
        self.cache[id8] = entry
        self.n.learned += 1
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
            self.n.evicted += 1
        return entry

    def revoke(self, id10: bytes, until: int) -> None:
        if id10 not in self.revoked and len(self.revoked) >= MAX_REVOKED:
            self.n.revocations_dropped += 1
            return
        self.revoked[id10] = max(until, self.revoked.get(id10, 0))
        self.generation += 1

    def forget_expired_revocations(self, now32: int) -> int:
        gone = [k for k, until in self.revoked.items() if until < now32]
        for k in gone:
            del self.revoked[k]
        if gone:
            self.generation += 1
        return len(gone)

    # --- looking up ----------------------------------------------------------------------

    def find(self, id8: bytes, *, count: bool = True) -> Entry | None:
        """The entry of a HashedId8 (anchors, intermediates, then the cache)."""
        entry = self.anchors.get(id8) or self.intermediates.get(id8)
        if entry is None:
            entry = self.cache.get(id8)
            if entry is not None:
                self.cache.move_to_end(id8)
        if count:
            if entry is None:
                self.n.cache_misses += 1
            else:
                self.n.cache_hits += 1
        return entry

    def chain(self, entry: Entry) -> str:
        """VALID when the entry's chain reaches an anchor (its key then set), else why not."""
        if entry.chain is not None and entry.chain_generation == self.generation:
            return entry.chain
        self.n.chain_checks += 1
        result, path = self._walk(entry)
        entry.chain, entry.chain_generation, entry.path = result, self.generation, path
        return result

    def _walk(self, entry: Entry) -> tuple[str, tuple[Certificate, ...]]:
        links: list[Entry] = [entry]
        seen = {entry.cert.id8}
        while not links[-1].anchor:
            child = links[-1]
            if child.cert.id10 in self.revoked:
                return REVOKED, ()
            if child.cert.issuer_id8 is None or len(links) > MAX_CHAIN_DEPTH:
                return UNKNOWN, ()  # self-signed but not an anchor, or too long
            parent = self.find(child.cert.issuer_id8, count=False)
            if parent is None or parent.cert.id8 in seen:
                return UNKNOWN, ()  # issuer unknown, or a loop
            seen.add(parent.cert.id8)
            links.append(parent)
        for child, parent in zip(reversed(links[:-1]), reversed(links[1:]), strict=True):
            status = self._link(child, parent)
            if status != VALID:
                return status, ()
        return VALID, tuple(e.cert for e in links)

    def _link(self, child: Entry, parent: Entry) -> str:
        """Check child against its (already checked) parent; sets the child's key."""
        cert = child.cert
        if not _permitted_by(cert, parent.cert):
            return INVALID
        try:
            if cert.type == "implicit":
                child.curve = parent.curve
                e = ecc.hash_to_int(_hash_input(cert, parent.cert), child.curve)
                child.key = ecc.reconstruct(child.curve, cert.verify_key, e, parent.key)
                return VALID
            child.key = child.key or ecc.public_key(cert.key_curve, cert.verify_key)
        except ecc.CryptoFailure:
            self.n.bad_certificates += 1
            return INVALID
        return VALID if _link_ok(cert, parent.cert, parent.key) else INVALID

    def key_of(self, entry: Entry) -> Any:
        """The verification key without the chain: explicit certificates only (else None)."""
        if entry.key is None and entry.cert.type == "explicit":
            try:
                entry.key = ecc.public_key(entry.cert.key_curve, entry.cert.verify_key)
            except ecc.CryptoFailure:
                self.n.bad_certificates += 1
        return entry.key

    def stats(self) -> dict[str, Any]:
        return {
            "anchors": len(self.anchors),
            "intermediates": len(self.intermediates),
            "cached": len(self.cache),
            "cache_size": self.cache_size,
            "revoked": len(self.revoked),
            **self.n.as_dict(),
        }


def _entry(cert: Certificate, *, anchor: bool = False) -> Entry:
    return Entry(cert, anchor=anchor, digest=cert.digest(), curve=cert.key_curve)


def signing_input(tbs: bytes, signer: bytes | None, alg: str) -> bytes:
    """What 1609.2 signs: Hash(tbs) || Hash(signer certificate), Hash("") for self."""
    return ecc.sha(alg, tbs) + ecc.sha(alg, signer or b"")


def _hash_input(cert: Certificate, issuer: Certificate | None) -> bytes:
    alg = cert.hash_algorithm
    return ecc.sha(alg, signing_input(cert.tbs, issuer.encoded if issuer else None, alg))


def _link_ok(cert: Certificate, issuer: Certificate | None, issuer_key: Any) -> bool:
    sig = cert.signature
    if sig is None or sig.curve not in ecc.CURVES or issuer_key is None:
        return False
    message = signing_input(cert.tbs, issuer.encoded if issuer else None, cert.hash_algorithm)
    r = int.from_bytes(sig.r.x, "big") % ecc.order(sig.curve)
    return ecc.verify(issuer_key, sig.curve, r, int.from_bytes(sig.s, "big"), message)


def _permitted_by(cert: Certificate, issuer: Certificate) -> bool:
    """The child's PSIDs lie inside the issuer's certIssuePermissions (``all`` allows any)."""
    if not issuer.issue_permissions:
        return False  # an end-entity certificate cannot issue
    allowed: set[int] = set()
    for group in issuer.issue_permissions:
        if group.psids is None:
            return True
        allowed.update(group.psids)
    wanted = {p.psid for p in cert.app_permissions}
    for group in cert.issue_permissions:
        if group.psids is None:
            return False
        wanted.update(group.psids)
    return wanted <= allowed
