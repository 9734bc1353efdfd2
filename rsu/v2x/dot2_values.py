"""The values of IEEE 1609.2 certificates as :mod:`rsu.v2x.dot2_cert` decodes them.

Frozen dataclasses, no parsing: curve points, signatures, permissions, regions and the
certificate itself with its hashes (HashedId8/10/3 over the encoding as received).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """An ``EccP256CurvePoint`` / ``EccP384CurvePoint``: ``kind`` is one of ``POINT_KINDS``."""

    kind: str
    x: bytes = b""
    y: bytes = b""

    def sec1(self) -> bytes:
        """The SEC 1 octets (02/03 || x compressed, 04 || x || y); x-only and fill raise."""
        if self.kind == "compressed-y-0":
            return b"\x02" + self.x
        if self.kind == "compressed-y-1":
            return b"\x03" + self.x
        if self.kind == "uncompressed":
            return b"\x04" + self.x + self.y
        raise ValueError(f"a {self.kind} curve point is not a public key")


@dataclass(frozen=True, slots=True)
class Signature:
    """An ECDSA signature: ``curve`` from ``CURVES``, ``r`` as a point (its x is r), ``s``."""

    curve: str
    r: CurvePoint
    s: bytes
    encoded: bytes = b""


@dataclass(frozen=True, slots=True)
class PsidSsp:
    """One entry of ``appPermissions``: an integer PSID and its SSP (opaque or bitmap)."""

    psid: int
    ssp: bytes | None = None
    ssp_kind: str = ""
    """``"opaque"``, ``"bitmap"`` or ``""`` when absent."""


@dataclass(frozen=True, slots=True)
class IssuePermission:
    """One ``PsidGroupPermissions`` of ``certIssuePermissions`` (what a CA may issue)."""

    psids: tuple[int, ...] | None
    """None: ``all``."""
    min_chain_length: int = 1
    chain_length_range: int = 0


@dataclass(frozen=True, slots=True)
class Region:
    """A ``GeographicRegion``. Positions are 1/10 micro-degrees (1e-7 degrees)."""

    kind: str
    """``circle``, ``rectangles``, ``polygon``, ``identified`` or ``unknown`` (extension)."""
    circle: tuple[int, int, int] | None = None
    """(latitude, longitude, radius in metres)."""
    rectangles: tuple[tuple[int, int, int, int], ...] = ()
    """(north-west lat, lon, south-east lat, lon) each."""
    polygon: tuple[tuple[int, int], ...] = ()
    countries: tuple[int, ...] = ()
    """UN M.49 country codes of an identified region (regions inside them are not checked)."""


@dataclass(frozen=True, slots=True)
class Certificate:
    encoded: bytes
    tbs: bytes
    type: str
    issuer: str
    """``self``, ``sha256AndDigest`` or ``sha384AndDigest``."""
    issuer_id8: bytes | None
    hash_algorithm: str
    """The hash of this certificate's HashedId8 and signature (from the issuer field)."""
    id_kind: str
    id_value: str
    craca_id: bytes
    crl_series: int
    start: int
    """Time32 of the validity start."""
    duration_s: float
    key_curve: str
    verify_key: CurvePoint
    """The verification key (explicit) or the reconstruction value (implicit)."""
    region: Region | None = None
    assurance_level: int | None = None
    app_permissions: tuple[PsidSsp, ...] = ()
    issue_permissions: tuple[IssuePermission, ...] = ()
    signature: Signature | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def end(self) -> float:
        """Time32 (float) just after the validity period."""
        return self.start + self.duration_s

    @property
    def is_self_signed(self) -> bool:
        return self.issuer == "self"

    @property
    def is_ca(self) -> bool:
        return bool(self.issue_permissions)

    def digest(self) -> bytes:
        """Hash of the whole certificate with its own hash algorithm."""
        return hashlib.new(self.hash_algorithm, self.encoded).digest()

    @property
    def id8(self) -> bytes:
        """HashedId8: the low-order 8 octets of the certificate's hash."""
        return self.digest()[-8:]

    @property
    def id10(self) -> bytes:
        """HashedId10 (hash-based CRLs)."""
        return self.digest()[-10:]

    @property
    def id3(self) -> bytes:
        """HashedId3 (peer-to-peer certificate requests)."""
        return self.digest()[-3:]

    def permits(self, psid: int) -> PsidSsp | None:
        return next((p for p in self.app_permissions if p.psid == psid), None)
