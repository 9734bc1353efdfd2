"""The stage seam on the floor: what a part of the daemon hands back to the core, as values.

A *stage* is a part of the core loop (the road picture, live SPaT, charging sites ...) that
takes events and time and returns :class:`Outputs`: records for the uplink, entries to put in
or take out of the broadcast table, one-shot transmissions, alarms raised or cleared, and
notices to log. It never calls the uplink, the radio, the scheduler or the alarm board itself:
the daemon's core routes every output (``rsu.daemon.core.Core.route``), so a stage is a pure
object a test drives with values and a clock reading, and a new part plugs in the same way as
the others (docs/daemon.md, "Adding a part to the daemon").

Values only, no I/O; this module imports nothing above the floor.

>>> out = Outputs(records=(Record("events", {"type": "x"}, "x new"),))
>>> (out + Outputs(removals=("rsi",))).removals
('rsi',)
>>> bool(NOTHING)
False
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from rsu.alarms import Alarm
from rsu.wire import BroadcastMessage, TxRequest

T_contra = TypeVar("T_contra", contravariant=True)


@dataclass(frozen=True, slots=True)
class Record:
    """One record for the uplink: ``stream`` ("objects", "events", "alarms"...), its JSON-ready
    ``data``, and the one-line ``summary`` ``rsu status`` and the demo view show for it."""

    stream: str
    data: Mapping[str, Any]
    summary: str = ""


@dataclass(frozen=True, slots=True)
class Clear:
    """Clear the alarm ``(source, kind)``. ``event`` is the part's own name for what happened
    (the GNSS says "fix_restored" when ``loss_of_fix`` clears); the ``alarms`` record carries
    it as its ``kind`` (default: the alarm's kind)."""

    source: str
    kind: str
    detail: str = ""
    event: str = ""


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to log: a stable snake_case ``event`` name with fields."""

    event: str
    level: Literal["debug", "info", "warning", "error"] = "info"
    fields: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Outputs:
    """Everything a stage (or a queue handler) asks the core to do, in order of kind:
    ``upserts`` and ``removals`` change the broadcast table, ``transmissions`` go on the air
    now (once), ``records`` to the uplink, ``raises``/``clears`` to the alarm board (each change
    then to the ``alarms`` stream), ``notices`` to the log."""

    records: tuple[Record, ...] = ()
    upserts: tuple[BroadcastMessage, ...] = ()
    removals: tuple[str, ...] = ()
    transmissions: tuple[TxRequest, ...] = ()
    raises: tuple[Alarm, ...] = ()
    clears: tuple[Clear, ...] = ()
    notices: tuple[Notice, ...] = ()

    def __add__(self, other: Outputs) -> Outputs:
        if not other:
            return self
        if not self:
            return other
        return Outputs(
            self.records + other.records,
            self.upserts + other.upserts,
            self.removals + other.removals,
            self.transmissions + other.transmissions,
            self.raises + other.raises,
            self.clears + other.clears,
            self.notices + other.notices,
        )

    def __bool__(self) -> bool:
        return bool(
            self.records
            or self.upserts
            or self.removals
            or self.transmissions
            or self.raises
            or self.clears
            or self.notices
        )


NOTHING = Outputs()
"""No outputs (the usual answer of a tick that had nothing to do)."""

Handler = Callable[[T_contra, float, float], Outputs | None]
"""What the core calls for each item of one inbound queue: ``handler(item, now, utc)``; the
outputs it returns (if any) are routed. ``now`` is monotonic seconds, ``utc`` wall-clock."""


class Stage(Protocol):
    """A part the core ticks on every loop turn (after the queues were served).

    ``tick`` decides itself whether anything is due (it keeps its own next-due time) and returns
    what to do; ``next_deadline`` (monotonic seconds, or None) lets the loop sleep until then.
    """

    name: str

    def tick(self, now: float, utc: float) -> Outputs: ...

    def next_deadline(self) -> float | None: ...


class Section(Protocol):
    """A part with its own section in the stats snapshot (``rsu status --json``, the ``stats``
    topic, the ``metrics`` control command; numbers also as ``rsu_part_value`` gauges)."""

    name: str

    def status(self) -> Mapping[str, object]: ...
