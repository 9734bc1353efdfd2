"""Alarms: conditions that are raised, stay active, and are cleared (a floor module, no I/O).

Every part of the RSU that can go wrong in a lasting way (GNSS loss of fix, a signal controller
gone quiet, a certificate about to expire, the battery running low, an internal error in the
core loop) raises an :class:`Alarm` on one :class:`AlarmBoard`. The board keeps what is active
and returns an :class:`AlarmChange` only when something changed, so the caller (the daemon's
core) sends one record to the uplink's ``alarms`` stream per raise and per clear, shows the
active set in ``rsu status`` and the heartbeat, and hands it to the SNMP agent as notifications.

An alarm is identified by ``(source, kind)``; raising an active alarm again only refreshes its
detail and counts the repeat, it is not a new change.

>>> board = AlarmBoard()
>>> board.raise_(Alarm("gnss", "loss_of_fix", "no fix for 5 s"), 100.0).state
'raised'
>>> board.raise_(Alarm("gnss", "loss_of_fix", "no fix for 6 s"), 101.0) is None
True
>>> [a.alarm.kind for a in board.active()]
['loss_of_fix']
>>> board.clear("gnss", "loss_of_fix", 102.0).state
'cleared'
>>> board.active()
()
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")


@dataclass(frozen=True, slots=True)
class Alarm:
    """One condition: ``source`` is the part ("gnss", "signals", "security", "power", "core"),
    ``kind`` a stable snake_case name ("loss_of_fix", "signal_controller_lost")."""

    source: str
    kind: str
    detail: str = ""
    severity: Severity = "warning"

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.kind)


@dataclass(frozen=True, slots=True)
class ActiveAlarm:
    """An alarm that is raised now: since when, and how often it was raised again since."""

    alarm: Alarm
    since_utc: float
    last_utc: float
    repeats: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.alarm.source,
            "kind": self.alarm.kind,
            "detail": self.alarm.detail,
            "severity": self.alarm.severity,
            "since": self.since_utc,
            "last": self.last_utc,
            "repeats": self.repeats,
        }


@dataclass(frozen=True, slots=True)
class AlarmChange:
    """What the board reports when an alarm is raised or cleared (one uplink record each)."""

    alarm: Alarm
    state: Literal["raised", "cleared"]
    utc: float
    since_utc: float
    """When the alarm was first raised (equal to ``utc`` for a raise)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.alarm.source,
            "kind": self.alarm.kind,
            "state": self.state,
            "detail": self.alarm.detail,
            "severity": self.alarm.severity,
            "since": self.since_utc,
            "utc": self.utc,
        }


class AlarmBoard:
    """The set of active alarms; bounded by ``max_active`` (further distinct alarms are counted
    in ``overflow`` and not kept, so a flood of distinct kinds cannot grow memory)."""

    def __init__(self, max_active: int = 256) -> None:
        self._active: dict[tuple[str, str], ActiveAlarm] = {}
        self.max_active = max_active
        self.raised = 0
        self.cleared = 0
        self.overflow = 0

    def raise_(self, alarm: Alarm, utc: float) -> AlarmChange | None:
        """Raise ``alarm``; the change when it was not active, else None (detail refreshed)."""
        current = self._active.get(alarm.key)
        if current is not None:
            self._active[alarm.key] = replace(
                current, alarm=alarm, last_utc=utc, repeats=current.repeats + 1
            )
            return None
        if len(self._active) >= self.max_active:
            self.overflow += 1
            return None
        self._active[alarm.key] = ActiveAlarm(alarm, since_utc=utc, last_utc=utc)
        self.raised += 1
        return AlarmChange(alarm, "raised", utc, utc)

    def clear(self, source: str, kind: str, utc: float, detail: str = "") -> AlarmChange | None:
        """Clear the alarm ``(source, kind)``; the change when it was active, else None."""
        current = self._active.pop((source, kind), None)
        if current is None:
            return None
        self.cleared += 1
        alarm = replace(current.alarm, detail=detail) if detail else current.alarm
        return AlarmChange(alarm, "cleared", utc, current.since_utc)

    def is_active(self, source: str, kind: str) -> bool:
        return (source, kind) in self._active

    def active(self, source: str | None = None) -> tuple[ActiveAlarm, ...]:
        """Active alarms (of one ``source`` when given), oldest first."""
        items = sorted(self._active.values(), key=lambda a: a.since_utc)
        return tuple(a for a in items if source is None or a.alarm.source == source)

    def __len__(self) -> int:
        return len(self._active)
