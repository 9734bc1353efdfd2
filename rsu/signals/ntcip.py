"""NTCIP 1202 objects the ``ntcip1202`` source reads, and values -> ``ControllerState`` (pure).

Object identifiers are NTCIP 1202's (under ``1.3.6.1.4.1.1206.4.2.1``, "asc"):

- ``phaseStatusGroupTable`` (``...1.1.4.1``): per group of eight phases (group 1: phases 1-8,
  group 2: 9-16) the bitmaps Reds (column 2), Yellows (3), Greens (4), DontWalks (5),
  PedClears (6), Walks (7); bit 0 is the group's first phase.
- ``overlapStatusGroupTable`` (``...9.4.1``): Reds (2), Yellows (3), Greens (4) per group of
  eight overlaps.
- ``unitControlStatus`` (``...3.5.0``, manual(5), systemStandby(3)), ``unitFlashStatus``
  (``...3.6.0``: notFlash(2), automatic(3) .. preempt(8) are flash) and ``preemptState``
  (``...6.2.1.16.N``: entryStarted(4) .. maxPresence(9) are active) for the status bits.

NTCIP 1202 v2 has no time-to-change objects; those a controller offers (v03, vendor MIBs) are
configured as OID prefixes (``[signals.snmp] vehicle_min_oid`` ...), read per phase.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rsu.signals.model import Bitmaps, ControllerState, PhaseTimes

ASC = "1.3.6.1.4.1.1206.4.2.1"
PHASE_STATUS = f"{ASC}.1.4.1"
OVERLAP_STATUS = f"{ASC}.9.4.1"
UNIT_CONTROL_STATUS = f"{ASC}.3.5.0"
UNIT_FLASH_STATUS = f"{ASC}.3.6.0"
PREEMPT_STATE = f"{ASC}.6.2.1.16"
PHASE_COLUMNS = {
    "reds": 2,
    "yellows": 3,
    "greens": 4,
    "dont_walks": 5,
    "ped_clears": 6,
    "walks": 7,
}
OVERLAP_COLUMNS = {"overlap_reds": 2, "overlap_yellows": 3, "overlap_greens": 4}
FLASH_VALUES = frozenset(range(3, 9))
PREEMPT_ACTIVE = frozenset(range(4, 10))
MANUAL, STANDBY = 5, 3


@dataclass(frozen=True, slots=True)
class PollPlan:
    """The OIDs one poll reads: status bitmaps (required), unit status and preempts
    (optional: a controller without them still works), timing per phase."""

    status: tuple[str, ...]
    extra: tuple[str, ...]
    timing: tuple[tuple[str, int, str], ...]
    """(time name, phase, OID)."""


def _groups(numbers: Iterable[int]) -> range:
    top = max(numbers, default=0)
    return range(1, (top + 7) // 8 + 1)


def poll_plan(
    phases: Iterable[int],
    overlaps: Iterable[int],
    timing: Iterable[tuple[str, str]],
    preempts: int,
) -> PollPlan:
    """What to read for the phases and overlaps the mapping uses (and only their groups: an
    SNMPv1 agent fails a whole GET for an object it does not have)."""
    phases, overlaps = sorted(set(phases)), sorted(set(overlaps))
    status = [
        f"{PHASE_STATUS}.{col}.{g}" for g in _groups(phases) for col in PHASE_COLUMNS.values()
    ]
    status += [
        f"{OVERLAP_STATUS}.{col}.{g}" for g in _groups(overlaps) for col in OVERLAP_COLUMNS.values()
    ]
    extra = [UNIT_CONTROL_STATUS, UNIT_FLASH_STATUS]
    extra += [f"{PREEMPT_STATE}.{n}" for n in range(1, preempts + 1)]
    times = []
    for name, prefix in timing:
        numbers = overlaps if name.startswith("overlap") else phases
        times += [(name, n, f"{prefix}.{n}") for n in numbers]
    return PollPlan(tuple(status), tuple(extra), tuple(times))


def _bitmap(values: Mapping[str, int], base: str, column: int) -> int:
    out = 0
    for oid, value in values.items():
        prefix = f"{base}.{column}."
        if oid.startswith(prefix):
            group = int(oid[len(prefix) :])
            out |= (value & 0xFF) << (8 * (group - 1))
    return out & 0xFFFF


def status_byte(values: Mapping[str, int]) -> int:
    """The IntersectionStatusObject low byte from the unit and preempt objects."""
    status = 0
    if values.get(UNIT_CONTROL_STATUS) == MANUAL:
        status |= 1 << 0
    if values.get(UNIT_FLASH_STATUS) in FLASH_VALUES:
        status |= 1 << 2
    if any(v in PREEMPT_ACTIVE for k, v in values.items() if k.startswith(PREEMPT_STATE + ".")):
        status |= 1 << 3
    if values.get(UNIT_CONTROL_STATUS) == STANDBY:
        status |= 1 << 7
    return status


def to_state(values: Mapping[str, int], plan: PollPlan, sequence: int = 0) -> ControllerState:
    """One poll's values (OID -> integer; absent: not read or not there) as a state."""
    maps = {name: _bitmap(values, PHASE_STATUS, col) for name, col in PHASE_COLUMNS.items()}
    maps |= {name: _bitmap(values, OVERLAP_STATUS, c) for name, c in OVERLAP_COLUMNS.items()}
    status = status_byte(values)
    if status & (1 << 2):  # in flash every lit output flashes (1202 v2 has no per-phase flag)
        maps["flashing"] = maps["reds"] | maps["yellows"] | maps["greens"]
        maps["overlap_flashing"] = (
            maps["overlap_reds"] | maps["overlap_yellows"] | maps["overlap_greens"]
        )
    times: dict[int, dict[str, int]] = {}
    for name, number, oid in plan.timing:
        value = values.get(oid)
        if value is not None and 0 <= value < 0xFFFF:
            times.setdefault(number, {})[name] = value
    blocks = tuple(PhaseTimes(n, **t) for n, t in sorted(times.items()))
    return ControllerState(phases=blocks, maps=Bitmaps(**maps), status=status, sequence=sequence)
