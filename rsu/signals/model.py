"""What a signal controller reports, as frozen values (no I/O).

``ControllerState`` is one report, whatever the source (a TSCBM datagram, one NTCIP 1202 poll,
the emulator): per phase the times to the next change, and the colour bitmaps (bit ``n-1`` for
phase or overlap ``n``). Times are tenths of a second counted from when the RSU received the
report (``None``: the controller did not give one). ``Report`` carries the state with where it
came from and when it arrived on the RSU's clocks; the SPaT core turns reports into SPaT.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PHASES = 16
"""Phases (and overlaps) a report describes: 1..16."""


@dataclass(frozen=True, slots=True)
class PhaseTimes:
    """Tenths of a second until the next change of one phase (and of the overlap with the
    same number); ``None`` when the controller does not give that time."""

    number: int
    vehicle_min: int | None = None
    vehicle_max: int | None = None
    ped_min: int | None = None
    ped_max: int | None = None
    overlap_min: int | None = None
    overlap_max: int | None = None


@dataclass(frozen=True, slots=True)
class Bitmaps:
    """The colour outputs: bit ``n-1`` of each map is phase (or overlap) ``n``."""

    reds: int = 0
    yellows: int = 0
    greens: int = 0
    dont_walks: int = 0
    ped_clears: int = 0
    walks: int = 0
    overlap_reds: int = 0
    overlap_yellows: int = 0
    overlap_greens: int = 0
    flashing: int = 0
    overlap_flashing: int = 0


@dataclass(frozen=True, slots=True)
class ControllerState:
    """One report of a controller.

    ``status`` holds the low byte of the J2735 IntersectionStatusObject as the controller sets
    it (bit 0 manual control, 1 stop time, 2 failure flash, 3 preempt, 4 priority, 5 fixed
    time, 6 traffic dependent, 7 standby). ``controller_time`` is the controller's own clock
    (hour, minute, second, millisecond), kept for display only: it is not trusted.
    """

    phases: tuple[PhaseTimes, ...] = ()
    maps: Bitmaps = field(default_factory=Bitmaps)
    status: int = 0
    action: int = 0
    """TSCBM: the timebase ASC action in effect (NTCIP 1202 timebaseAscActionStatus)."""
    discontinuous: int = 0
    sequence: int = 0
    controller_time: tuple[int, int, int, int] | None = None
    ped_calls: int | None = None
    ped_detects: int | None = None

    def times(self, number: int) -> PhaseTimes | None:
        """The timing block of phase ``number``, if the report has one."""
        for block in self.phases:
            if block.number == number:
                return block
        return None


@dataclass(frozen=True, slots=True)
class Report:
    """A state as received: from which controller (its address, ``host:port``), when (the
    RSU's monotonic and UTC clocks at receipt), by which source (``tscbm``, ``ntcip1202``)."""

    state: ControllerState
    peer: str
    rx_monotonic: float
    rx_utc: float
    source: str = "tscbm"


@dataclass(frozen=True, slots=True)
class Datagram:
    """Bytes from the TSCBM socket, not yet parsed (the core parses and counts)."""

    data: bytes
    peer: str
    rx_monotonic: float
    rx_utc: float


def bit(bitmap: int, number: int) -> bool:
    """Whether phase/overlap ``number`` (1-based) is set in ``bitmap``."""
    return bool(bitmap >> (number - 1) & 1)
