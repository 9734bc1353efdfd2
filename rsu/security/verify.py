"""Verification of received IEEE 1609.2 signed data (sans-I/O: bytes and ``now`` in, a
:class:`SecurityResult` out).

What is checked, in this order (the first failure is the result):

1. the SPDU parses (``parse_error``); unsecured data is ``unsecured``;
2. the signer is known: a digest found in the trust store or its cache of certificates seen,
   or a certificate (chain) carried in the message (``unknown_signer`` otherwise);
3. the signature, with the signer certificate's key (``invalid_signature``); this is checked
   even when the chain is not ours, so a genuine message from a foreign PKI is told apart
   from a forged one;
4. the chain up to a trust anchor: each issuer's signature (or ECQV reconstruction), issue
   permissions and revocation (``unknown_signer``, ``invalid_signature``, ``revoked``);
5. the generation time inside every certificate's validity, and the message's own expiry
   time (``expired``, ``not_yet_valid``);
6. the PSID of the header inside the signer's ``appPermissions`` (its SSP is kept)
   (``psid_not_permitted``);
7. the generation location (or the RSU's own position) inside the signer's region, or its
   issuer's when it has none (``outside_region``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rsu.errors import FramingError
from rsu.security import ecc, region
from rsu.security.times import EPOCH_2004, time64_to_utc, utc_iso, utc_to_time64
from rsu.security.trust import VALID, Entry, TrustStore, signing_input
from rsu.v2x.dot2 import Dot2Data, looks_like_dot2, parse_dot2
from rsu.v2x.psid import pencoded_hex
from rsu.v2x.wsmp import looks_like_wsmp, parse_wsmp

RESULTS = (
    "valid",
    "invalid_signature",
    "unknown_signer",
    "expired",
    "not_yet_valid",
    "psid_not_permitted",
    "outside_region",
    "revoked",
    "parse_error",
    "unsecured",
    "not_verified",
)
MAX_PREFIX = 32
"""Octets of an unknown capture prefix looked past for the 1609.2 data (as framing does)."""


@dataclass(frozen=True, slots=True)
class SecurityResult:
    """What verification found; ``as_dict`` is the ``security`` part of an uplink record."""

    result: str
    signer_id8: str | None = None
    psid: int | None = None
    """Integer PSID of the 1609.2 header (not p-encoded; ``psid_pencoded`` gives that)."""
    generation_time: int | None = None
    """1609.2 Time64 (microseconds of TAI since 2004-01-01)."""
    signature: str = "unknown"
    """``valid``, ``invalid`` or ``unknown`` (no key to check it with)."""
    signer_kind: str | None = None
    ssp: str | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "result": self.result,
            "signer_id8": self.signer_id8,
            "psid": self.psid,
            "psid_form": "integer",
            "psid_pencoded": pencoded_hex(self.psid) if self.psid is not None else None,
            "generation_time": self.generation_time,
            "signature": self.signature,
        }
        if self.generation_time is not None:
            out["generation_time_utc"] = utc_iso(time64_to_utc(self.generation_time))
        if self.signer_kind is not None:
            out["signer"] = self.signer_kind
        if self.ssp is not None:
            out["ssp"] = self.ssp
        if self.detail:
            out["detail"] = self.detail
        return out


UNSECURED = SecurityResult("unsecured")
NOT_VERIFIED = SecurityResult("not_verified")


@dataclass(frozen=True, slots=True)
class VerifySettings:
    country: int | None = None
    """UN M.49 code of the RSU's country (identified regions); None: not checked."""
    position: tuple[int, int] | None = None
    """The RSU's position (1e-7 degrees) for messages without a generation location."""


def locate(data: bytes) -> Dot2Data | None:
    """The ``Ieee1609Dot2Data`` in what a radio delivered (behind WSMP or a short unknown
    prefix, like :mod:`rsu.v2x.framing`); None for bare frames. Raises ``FramingError``."""
    start, end = 0, len(data)
    if looks_like_wsmp(data, 0):
        try:
            wsmp = parse_wsmp(data, 0)
            start, end = wsmp.data_start, wsmp.data_end
        except FramingError:
            start, end = 0, len(data)
    if looks_like_dot2(data, start):
        return parse_dot2(data, start, end)
    first_error: FramingError | None = None
    for pos in range(1, min(MAX_PREFIX, len(data) - 2) + 1):
        if looks_like_dot2(data, pos):
            try:
                return parse_dot2(data, pos)
            except FramingError as err:
                first_error = first_error or err
    if first_error is not None:
        raise first_error
    return None


class Verifier:
    """Checks signed data against a :class:`TrustStore` (which it fills with certificates
    it sees)."""

    def __init__(self, store: TrustStore, settings: VerifySettings | None = None) -> None:
        self.store = store
        self.settings = settings or VerifySettings()

    def verify(self, data: bytes, now_utc: float) -> SecurityResult:
        """Verify what the radio delivered (bytes as received)."""
        try:
            found = locate(data)
        except FramingError as err:
            return SecurityResult("parse_error", detail=err.reason)
        return UNSECURED if found is None else self.verify_parsed(found, now_utc)

    def verify_parsed(self, d: Dot2Data, now_utc: float) -> SecurityResult:
        if d.kind != "signed":
            return UNSECURED
        base = SecurityResult("unknown_signer", psid=d.psid, generation_time=d.generation_time)
        if d.truncated or d.signature_value is None or d.to_be_signed is None:
            return _with(base, "parse_error", detail="signed data cut short: no signature")
        entry = self._signer(d)
        signer_id8 = entry.cert.id8 if entry is not None else d.signer_digest
        base = _with(
            base, base.result, signer_kind=d.signer_kind,
            signer_id8=signer_id8.hex() if signer_id8 is not None else None,
        )  # fmt: skip
        if entry is None:
            return _with(base, "unknown_signer", detail=f"signer {d.signer_kind} not known")
        return self._signed_by(d, entry, base, now_utc)

    def _signed_by(
        self, d: Dot2Data, entry: Entry, base: SecurityResult, now_utc: float
    ) -> SecurityResult:
        chain = self.store.chain(entry)
        signature = self._signature_ok(d, entry)
        if signature is None:
            return _with(base, chain if chain != VALID else "unknown_signer", detail="no key")
        if not signature:
            return _with(base, "invalid_signature", signature="invalid")
        base = _with(base, base.result, signature="valid")
        if chain != VALID:
            why = {"unknown_signer": "the chain does not reach a trust anchor"}.get(chain, "")
            return _with(base, chain, detail=why or f"a certificate of the chain: {chain}")
        return self._checks(d, entry, base, now_utc)

    def _signer(self, d: Dot2Data) -> Entry | None:
        if d.signer_kind == "digest" and d.signer_digest is not None:
            return self.store.find(d.signer_digest)
        if d.signer_kind == "certificate" and d.signer_certificates:
            for cert in reversed(d.signer_certificates[1:]):
                self.store.learn(cert)
            return self.store.learn(d.signer_certificates[0])
        return None

    def _signature_ok(self, d: Dot2Data, entry: Entry) -> bool | None:
        sig = d.signature_value
        key = entry.key if entry.key is not None else self.store.key_of(entry)
        if key is None or sig is None:
            return None
        if sig.curve != entry.curve:
            return False
        if d.hash_id not in ("sha256", "sha384"):
            return None  # SM3 (China): no implementation here
        message = signing_input(d.to_be_signed or b"", entry.cert.encoded, d.hash_id)
        r = int.from_bytes(sig.r.x, "big") % ecc.order(sig.curve)
        return ecc.verify(key, sig.curve, r, int.from_bytes(sig.s, "big"), message)

    def _checks(
        self, d: Dot2Data, entry: Entry, base: SecurityResult, now_utc: float
    ) -> SecurityResult:
        now64 = utc_to_time64(now_utc)
        when = (d.generation_time if d.generation_time is not None else now64) / 1e6
        for cert in entry.path:
            if when < cert.start:
                return _with(base, "not_yet_valid", detail=f"before {cert.id8.hex()} starts")
            if when >= cert.end:
                return _with(base, "expired", detail=f"after {cert.id8.hex()} ended")
        if d.expiry_time is not None and now64 > d.expiry_time:
            return _with(base, "expired", detail="message expiry time passed")
        permission = entry.cert.permits(d.psid if d.psid is not None else -1)
        if permission is None:
            return _with(base, "psid_not_permitted")
        base = _with(base, base.result, ssp=permission.ssp.hex() if permission.ssp else None)
        if self._outside(d, entry):
            return _with(base, "outside_region")
        return _with(base, "valid")

    def _outside(self, d: Dot2Data, entry: Entry) -> bool:
        where = next((c.region for c in entry.path if c.region is not None), None)
        if where is None:
            return False
        loc = d.generation_location[:2] if d.generation_location else self.settings.position
        if loc is None and where.kind != "identified":
            return False
        lat, lon = loc if loc is not None else (0, 0)
        return region.contains(where, lat, lon, self.settings.country) is False


def _with(base: SecurityResult, result: str, **changes: object) -> SecurityResult:
    from dataclasses import replace

    return replace(base, result=result, **changes)  # type: ignore[arg-type]


__all__ = ["EPOCH_2004", "RESULTS", "SecurityResult", "Verifier", "VerifySettings", "locate"]
