"""The daemon's alarms as NTCIP 1218 notifications (rsuAsync). Pure.

| alarm (source / kind)                    | notification              |
|------------------------------------------|---------------------------|
| gnss / loss_of_fix                       | rsuTimeSourceLost         |
| gnss / drift                             | rsuGnssDeviationError     |
| gnss / anything else                     | rsuGnssAnomaly            |
| security / *signature*                   | rsuSignatureVerifyError   |
| security / *certificate* and the rest    | rsuCertificateError       |
| core / internal_error, *watchdog*        | rsuWatchdogError          |
| power / * (battery, temperature, BMS)    | rsuEnvironError           |
| signals / signal_controller_lost, others | rsuServiceDenialError     |

``core/internal_error`` (an exception the core loop survived, ``rsu.daemon.guard``) is a
failed software process, what rsuWatchdogError reports. NTCIP 1218 has no notification for a
lost signal controller: rsuServiceDenialError ("a service of the RSU is not available")
carries it, its message naming the alarm. A cleared alarm is sent again with
``rsuAlertLevel`` info(0) and a message starting with "cleared".
"""

from __future__ import annotations

from rsu.alarms import AlarmChange

LEVELS = {"info": 0, "warning": 2, "critical": 4}
"""rsuAlertLevel: info(0), notice(1), warning(2), error(3), critical(4)."""


def notification_name(source: str, kind: str) -> str:
    if source == "gnss":
        return {"loss_of_fix": "rsuTimeSourceLost", "drift": "rsuGnssDeviationError"}.get(
            kind, "rsuGnssAnomaly"
        )
    if source == "security":
        return "rsuSignatureVerifyError" if "signature" in kind else "rsuCertificateError"
    if source == "core" or "watchdog" in kind:
        return "rsuWatchdogError"
    if source == "power":
        return "rsuEnvironError"
    return "rsuServiceDenialError"


def notification(change: AlarmChange) -> tuple[str, int, str]:
    """(notification name, rsuAlertLevel, message) for one raise or clear."""
    alarm = change.alarm
    name = notification_name(alarm.source, alarm.kind)
    text = f"{alarm.source} {alarm.kind}: {alarm.detail}".strip(": ")
    if change.state == "cleared":
        return name, 0, f"cleared: {text}"
    return name, LEVELS.get(alarm.severity, 2), text
