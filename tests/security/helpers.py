"""A test PKI made once per session: root -> CA -> RSU (explicit), plus helpers."""

from __future__ import annotations

from dataclasses import dataclass

from rsu.security.keys import MemoryKeyStore
from rsu.security.pki import Issued, Subject, issue_with_key, make_test_pki
from rsu.security.sign import Signer
from rsu.security.times import utc_to_time32
from rsu.security.trust import TrustStore
from rsu.security.verify import Verifier, VerifySettings

NOW = 1_780_000_000.0
"""2026-05-28T20:26:40Z: the tests' clock (never the wall clock)."""
MAP, SPAT, TIM, BSM = 2113687, 130, 131, 32
FRAME = bytes.fromhex("0012830538023000205ea2094d3a3e202ca7783451fa02dc3858")
"""A MapData MessageFrame head (signing does not look inside)."""


@dataclass(frozen=True)
class Pki:
    root: Issued
    ca: Issued
    rsu: Issued

    def store(self, **kwargs: int) -> TrustStore:
        store = TrustStore(**kwargs)
        store.add_anchor(self.root.cert)
        store.add_intermediate(self.ca.cert)
        return store

    def verifier(self, settings: VerifySettings | None = None) -> Verifier:
        return Verifier(self.store(), settings)

    def signer(self, issued: Issued | None = None, mode: str = "certificate") -> Signer:
        issued = issued or self.rsu
        assert issued.key is not None
        return Signer(MemoryKeyStore(issued.key), issued.cert, mode=mode)

    def end_entity(self, **changes: object) -> Issued:
        """A certificate from the CA (defaults: the RSU's PSIDs, a week from NOW - 1 h)."""
        fields: dict[str, object] = {
            "name": "test-ee",
            "start": utc_to_time32(NOW) - 3600,
            "duration_s": 7 * 86400,
            "app_psids": (MAP, SPAT, TIM),
        }
        fields.update(changes)
        return issue_with_key(self.ca, Subject(**fields))  # type: ignore[arg-type]


_PKI: Pki | None = None


def pki() -> Pki:
    global _PKI  # noqa: PLW0603  (one PKI per test session: key generation costs)
    if _PKI is None:
        made = make_test_pki(utc_to_time32(NOW), psids=(MAP, SPAT, TIM, 144, BSM))
        _PKI = Pki(made.root, made.ca, made.rsu)
    return _PKI
