"""The RSU certificate's expiry as NTCIP 1218 reports it, and the alarms it raises.

NTCIP 1218 ``rsuSecAppCertState``: other(1), valid(2), notValid(3), future(4), with
``rsuSecAppCertExpiration`` in hours. Alarms (source ``security``): ``certificate_expiring``
(warning) from ``warning_days`` before the end, ``certificate_expired`` (critical) from the
end on, ``certificate_not_yet_valid`` (warning) before the start; each is cleared when the
condition ends (a new certificate loaded at reload).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rsu.alarms import Alarm
from rsu.security.times import time32_to_utc, utc_iso
from rsu.v2x.dot2_cert import Certificate

NTCIP_STATE = {"valid": 2, "notValid": 3, "future": 4}
SOURCE = "security"
KINDS = ("certificate_expiring", "certificate_expired", "certificate_not_yet_valid")


@dataclass(frozen=True, slots=True)
class CertificateStatus:
    id8: str
    state: str
    """``valid``, ``notValid`` (expired) or ``future`` (not yet valid)."""
    hours_left: int
    """Whole hours until the end (0 once expired)."""
    start_utc: float
    end_utc: float

    @property
    def ntcip_state(self) -> int:
        return NTCIP_STATE[self.state]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id8": self.id8,
            "state": self.state,
            "ntcip_state": self.ntcip_state,
            "hours_left": self.hours_left,
            "valid_from": utc_iso(self.start_utc),
            "valid_until": utc_iso(self.end_utc),
        }


def certificate_status(cert: Certificate, now_utc: float) -> CertificateStatus:
    start = time32_to_utc(cert.start)
    end = start + cert.duration_s
    state = "future" if now_utc < start else "notValid" if now_utc >= end else "valid"
    hours = max(0, math.floor((end - now_utc) / 3600)) if state != "notValid" else 0
    return CertificateStatus(cert.id8.hex(), state, hours, start, end)


def expiry_alarms(
    status: CertificateStatus, now_utc: float, warning_days: float
) -> tuple[tuple[Alarm, ...], tuple[str, ...]]:
    """(alarms to raise, kinds to clear) for the certificate's state at ``now_utc``."""
    raised: list[Alarm] = []
    if status.state == "notValid":
        raised.append(
            Alarm(SOURCE, "certificate_expired", f"certificate {status.id8} expired "
                  f"{utc_iso(status.end_utc)}; nothing can be signed", "critical")
        )  # fmt: skip
    elif status.state == "future":
        raised.append(
            Alarm(SOURCE, "certificate_not_yet_valid",
                  f"certificate {status.id8} valid from {utc_iso(status.start_utc)}")
        )  # fmt: skip
    elif status.end_utc - now_utc <= warning_days * 86400:
        raised.append(
            Alarm(SOURCE, "certificate_expiring", f"certificate {status.id8} expires "
                  f"{utc_iso(status.end_utc)} ({status.hours_left} h left)")
        )  # fmt: skip
    kinds = {a.kind for a in raised}
    return tuple(raised), tuple(k for k in KINDS if k not in kinds)
