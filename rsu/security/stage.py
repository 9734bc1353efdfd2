"""The security stage of the daemon: verification policy on receive, signing on transmit,
counters, certificate expiry (sans-I/O: values and ``now`` in, values out).

Receive policy per message type (``all``; ``first-then-every``: the first message of each
sender, then every Nth, as NTCIP 1218's rsuReceivedMsgAuthMsgInterval; ``none``), and what to
do with a message that fails (``forward`` marked, the default, so the cloud sees misbehaviour;
or ``drop``). Counters are kept per PSID (integer form) and result. Signing applies to the
message types and broadcast entry names listed in ``sign``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from rsu.alarms import Alarm
from rsu.security.config import SecurityConfig
from rsu.security.expiry import certificate_status, expiry_alarms
from rsu.security.sign import Signer
from rsu.security.verify import NOT_VERIFIED, RESULTS, SecurityResult, Verifier
from rsu.stage import NOTHING, Clear, Outputs
from rsu.v2x.psid import to_integer

MAX_SENDERS = 20_000
"""Senders remembered by ``first-then-every`` (oldest forgotten first, counted)."""
MAX_PSIDS = 256
"""Distinct PSIDs counted; more are counted under ``other``."""
CHECK_EVERY_S = 60.0
"""How often the certificate's expiry is looked at (alarms)."""
PASS = ("valid", "unsecured", "not_verified")
"""Results that are never dropped (unsecured is a fact, not a failure)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    result: SecurityResult
    forward: bool


@dataclass(slots=True)
class StageCounters:
    by_psid: dict[str, dict[str, int]] = field(default_factory=dict)
    dropped: int = 0
    senders_forgotten: int = 0
    sign_errors: int = 0
    unsigned_by_policy: int = 0

    def count(self, psid: int | None, result: str) -> None:
        key = "unknown" if psid is None else str(psid)
        row = self.by_psid.get(key)
        if row is None:
            if len(self.by_psid) >= MAX_PSIDS:
                key = "other"
            row = self.by_psid.setdefault(key, dict.fromkeys(RESULTS, 0))
        row[result] += 1


class SecurityStage:
    """A stage of the daemon's core (``rsu.stage``): ``tick`` returns the expiry alarms,
    ``status`` is its section of the stats snapshot (``security``)."""

    name = "security"

    def __init__(
        self, config: SecurityConfig, verifier: Verifier | None, signer: Signer | None
    ) -> None:
        self.config = config
        self.verifier = verifier
        self.signer = signer
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._sign = frozenset(config.sign)
        self.n = StageCounters()
        self._next = 0.0
        self._utc = 0.0

    # --- receive ---------------------------------------------------------------------------

    def on_received(
        self, data: bytes, message_type: str, sender: str | None, now_utc: float
    ) -> Verdict:
        """Verify ``data`` (bytes as received) per the policy of ``message_type``."""
        if self.verifier is None or not self._due(message_type, sender):
            result = NOT_VERIFIED
        else:
            result = self.verifier.verify(data, now_utc)
        self.n.count(result.psid, result.result)
        forward = self.config.invalid == "forward" or result.result in PASS
        if not forward:
            self.n.dropped += 1
        return Verdict(result, forward)

    def _due(self, message_type: str, sender: str | None) -> bool:
        policy = self.config.policy_for(message_type)
        if policy != "first-then-every":
            return policy == "all"
        if sender is None:
            return True
        key = f"{message_type}/{sender}"
        count = self._seen.pop(key, -1) + 1
        self._seen[key] = count
        if len(self._seen) > MAX_SENDERS:
            self._seen.popitem(last=False)
            self.n.senders_forgotten += 1
        return count % self.config.verify_every == 0

    # --- transmit --------------------------------------------------------------------------

    def wants_signing(self, message_type: str, entry: str) -> bool:
        return message_type in self._sign or (bool(entry) and entry in self._sign)

    def unsignable(self, message_type: str, entry: str, pencoded_psid: int) -> str | None:
        """Why a broadcast of this type/entry could not be signed (None: it can, or it is
        not to be signed)."""
        if not self.wants_signing(message_type, entry):
            return None
        if self.signer is None:
            return "no signer configured"
        try:
            psid = to_integer(pencoded_psid)
        except ValueError as err:
            return str(err)
        if not self.signer.permits(psid):
            return f"PSID {pencoded_psid:#x} is not in the RSU certificate's appPermissions"
        return None

    def sign_frame(self, payload: bytes, pencoded_psid: int, now_utc: float) -> bytes:
        """``payload`` signed for the PSID as radios and RSU 4.1 write it (p-encoded)."""
        if self.signer is None:
            raise ValueError("no signer configured")
        return self.signer.sign(payload, to_integer(pencoded_psid), now_utc)

    # --- status ----------------------------------------------------------------------------

    def tick(self, now: float, utc: float) -> Outputs:
        """Every ``CHECK_EVERY_S``: the certificate expiry alarms raised and cleared."""
        self._utc = utc
        if now < self._next:
            return NOTHING
        self._next = now + CHECK_EVERY_S
        raised, cleared = self.alarms(utc)
        return Outputs(raises=raised, clears=tuple(Clear("security", k) for k in cleared))

    def next_deadline(self) -> float | None:
        return self._next if self.signer is not None else None

    def certificate(self) -> dict[str, Any] | None:
        """The RSU certificate's NTCIP 1218 state (for the heartbeat), if it signs."""
        if self.signer is None:
            return None
        return certificate_status(self.signer.certificate, self._utc).as_dict()

    def alarms(self, now_utc: float) -> tuple[tuple[Alarm, ...], tuple[str, ...]]:
        """(alarms to raise, kinds to clear) of source ``security``."""
        if self.signer is None:
            return (), ()
        status = certificate_status(self.signer.certificate, now_utc)
        return expiry_alarms(status, now_utc, self.config.expiry_warning_days)

    def status(self) -> dict[str, Any]:
        """The ``security`` section of the stats snapshot (as of the last tick)."""
        return self.status_at(self._utc)

    def status_at(self, now_utc: float) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verify": self.config.verify,
            "invalid": self.config.invalid,
            "sign": list(self.config.sign),
            "received": {"psid_form": "integer", "by_psid": self.n.by_psid},
            "dropped": self.n.dropped,
            "senders_forgotten": self.n.senders_forgotten,
        }
        if self.verifier is not None:
            out["trust"] = self.verifier.store.stats()
        if self.signer is not None:
            cert = self.signer.certificate
            out["certificate"] = certificate_status(cert, now_utc).as_dict()
            n = self.signer.n
            out["signed"] = {
                "total": n.signed,
                "with_certificate": n.with_certificate,
                "with_digest": n.with_digest,
                "certificate_requests": n.certificate_requests,
                "errors": self.n.sign_errors,
            }
        return out
