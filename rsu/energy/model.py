"""Charging sites as the RSU knows them (sans-I/O): EVSEs, connectors, statuses and their age.

A *site* (a charging hub at one position, run by one operator) has EVSEs; an EVSE (one charge
point that charges one vehicle at a time) has one or more connectors, each of one standard
(CCS, CHAdeMO, Type 2, GB/T AC/DC ...) and a power. A source (OCPI, Modbus, the cloud, the
sim) reports :class:`SiteReading` values; :class:`Site` keeps, per EVSE, its status and *when
the source last confirmed it* (the RSU's monotonic clock at the read), and derives the free
counts per connector standard that go on the air (:class:`SiteView`).

Staleness runs from the last successful read, never from a time stamp inside the data (OCPI's
``last_updated`` says when a status *changed*; an EVSE free for an hour is still free): an
EVSE not confirmed for ``stale_after_s`` counts as unknown. A failed read
(:class:`SiteFailure`: the server down, a timeout, a 401, broken JSON) makes the whole site
unknown at once until the next successful read, so an old count is never shown as current.

The shape follows what the message sets need: J2735 TIM and CSAE 53 RSI take the per-standard
counts; ETSI's EVCSN (charging station -> charging spots with their receptacle type, power and
availability) and POI map site -> station, EVSE -> spot, connector -> receptacle.

>>> site = Site(SiteIdentity("hub-1", "Main St", 42.281, -83.7425), stale_after_s=300.0)
>>> ccs = (Connector("CCS", 150.0),)
>>> site.apply(SiteReading("hub-1", (EvseStatus("E1", "available", ccs),
...                                  EvseStatus("E2", "occupied", ccs)), 10.0, 0.0, "sim"))
>>> [c.phrase() for c in site.view(20.0).counts]
['CCS 1/2']
>>> [c.phrase() for c in site.view(311.0).counts]
['CCS unknown']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["available", "occupied", "reserved", "out_of_order", "unknown"]
STATUSES: tuple[Status, ...] = ("available", "occupied", "reserved", "out_of_order", "unknown")

STANDARDS: tuple[str, ...] = (
    "CCS",
    "CHAdeMO",
    "Type 2",
    "Type 1",
    "GB/T AC",
    "GB/T DC",
    "NACS",
    "ChaoJi",
    "Other",
)
"""Connector standards by the short names used in config, commands and on the air (a name
must leave room in a 16-character ITIS phrase: ``"GB/T DC 12/16"``). CCS covers both combo
inlets (CCS1, CCS2); ``Other`` is a domestic or industrial socket."""
MAX_PHRASE = 16
"""J2735 ITIStextPhrase: IA5String (SIZE(1..16))."""
DEFAULT_STALE_S = 300.0


@dataclass(frozen=True, slots=True)
class Connector:
    """One connector of an EVSE: its standard (one of ``STANDARDS``) and power in kW."""

    standard: str
    power_kw: float | None = None


@dataclass(frozen=True, slots=True)
class EvseStatus:
    """One EVSE as a source reported it."""

    uid: str
    status: Status
    connectors: tuple[Connector, ...]

    @property
    def standards(self) -> tuple[str, ...]:
        """The standards of its connectors, each once, in ``STANDARDS`` order."""
        mine = {c.standard for c in self.connectors}
        return tuple(s for s in STANDARDS if s in mine)


@dataclass(frozen=True, slots=True)
class SiteIdentity:
    """What the config says a site is (``[[energy.sites]]``)."""

    id: str
    name: str
    latitude: float
    longitude: float
    operator: str = ""


@dataclass(frozen=True, slots=True)
class SiteReading:
    """One successful read of a site's source. ``complete``: the reading lists every EVSE of
    the site (EVSEs it does not list are gone); otherwise only the listed ones are confirmed
    (a cloud command setting one EVSE)."""

    site_id: str
    evses: tuple[EvseStatus, ...]
    rx_monotonic: float
    rx_utc: float
    source: str
    complete: bool = True
    operator: str = ""


@dataclass(frozen=True, slots=True)
class SiteFailure:
    """One failed read: ``reason`` is a stable snake_case name (``unreachable``, ``timeout``,
    ``unauthorized``, ``http_status``, ``bad_json``, ``bad_shape`` ...), ``detail`` for a
    person."""

    site_id: str
    reason: str
    detail: str
    rx_monotonic: float
    rx_utc: float
    source: str


@dataclass(frozen=True, slots=True)
class StandardCount:
    """The free and total EVSEs with a connector of one standard; ``free`` None: unknown."""

    standard: str
    free: int | None
    total: int
    max_kw: float | None = None

    def phrase(self) -> str:
        """``CCS 2/6`` or ``CCS unknown`` (at most 16 characters: an ITIS text phrase)."""
        text = f"{self.standard} {self.free}/{self.total}" if self.free is not None else ""
        return (text or f"{self.standard} unknown")[:MAX_PHRASE]


SiteState = Literal["ok", "unknown"]


@dataclass(frozen=True, slots=True)
class SiteView:
    """What is known about a site at one moment (what goes on the air and to the cloud)."""

    identity: SiteIdentity
    state: SiteState
    counts: tuple[StandardCount, ...]
    confirmed: float | None
    """Monotonic time of the latest successful read (None: never read)."""
    reason: str = ""
    """Why the state is unknown: ``never_read``, ``stale`` or ``source_failed``."""
    operator: str = ""
    free_evses: int = 0
    """Confirmed available EVSEs (over all standards)."""
    total_evses: int = 0

    @property
    def full(self) -> bool:
        """Known, with EVSEs, and not one free."""
        return self.state == "ok" and bool(self.counts) and not any(c.free for c in self.counts)

    @property
    def free(self) -> int | None:
        """Free EVSEs over all standards (None: unknown)."""
        return None if self.state == "unknown" else self.free_evses

    def on_air(self) -> tuple[SiteState, tuple[StandardCount, ...]]:
        """The part of the view that goes on the air (a change of it is a new revision)."""
        return self.state, self.counts

    def text(self) -> str:
        """``CCS 2/6, Type 2 4/8`` (or ``unknown``)."""
        if self.state == "unknown" or not self.counts:
            return "unknown"
        return ", ".join(c.phrase() for c in self.counts)


@dataclass(slots=True)
class _Evse:
    status: EvseStatus
    confirmed: float


@dataclass(slots=True)
class Site:
    """One site's EVSEs and when each was last confirmed. Not thread-safe (the core owns it)."""

    identity: SiteIdentity
    stale_after_s: float = DEFAULT_STALE_S
    _evses: dict[str, _Evse] = field(default_factory=dict)
    failure: SiteFailure | None = None
    """The last read failed (cleared by the next successful one)."""
    last_read: float | None = None
    operator: str = ""
    source: str = ""

    def apply(self, reading: SiteReading) -> None:
        """Take a successful read: its EVSEs are confirmed at ``reading.rx_monotonic``."""
        now = reading.rx_monotonic
        if reading.complete:
            self._evses = {e.uid: _Evse(e, now) for e in reading.evses}
        else:
            for e in reading.evses:
                self._evses[e.uid] = _Evse(e, now)
        self.failure = None
        self.last_read = now if self.last_read is None else max(self.last_read, now)
        self.operator = reading.operator or self.operator
        self.source = reading.source

    def fail(self, failure: SiteFailure) -> None:
        """A read failed: nothing is confirmed until the next successful one."""
        self.failure = failure

    def fresh(self, evse: str, now: float) -> bool:
        e = self._evses.get(evse)
        return e is not None and self.failure is None and now - e.confirmed < self.stale_after_s

    def next_stale(self, now: float | None = None) -> float | None:
        """Monotonic time when the next confirmed EVSE goes stale (after ``now`` when given;
        None: nothing left to expire)."""
        if self.failure is not None:
            return None
        times = [e.confirmed + self.stale_after_s for e in self._evses.values()]
        if now is not None:
            times = [t for t in times if t > now]
        return min(times, default=None)

    def view(self, now: float) -> SiteView:
        """The derived counts at ``now`` (stale or failed EVSEs count as unknown)."""
        fresh: list[EvseStatus] = []
        unknown: list[EvseStatus] = []
        for uid, e in sorted(self._evses.items()):
            if self.fresh(uid, now) and e.status.status != "unknown":
                fresh.append(e.status)
            else:
                unknown.append(e.status)
        counts = _counts(fresh, unknown)
        state: SiteState = "ok" if fresh else "unknown"
        reason = ""
        if state == "unknown":
            reason = "never_read" if self.last_read is None else "stale"
            if self.failure is not None:
                reason = "source_failed"
        return SiteView(
            self.identity,
            state,
            counts,
            self.last_read,
            reason,
            self.operator or self.identity.operator,
            free_evses=sum(1 for e in fresh if e.status == "available"),
            total_evses=len(fresh) + len(unknown),
        )


def _counts(fresh: list[EvseStatus], unknown: list[EvseStatus]) -> tuple[StandardCount, ...]:
    """Per standard (in ``STANDARDS`` order): EVSEs with such a connector, and how many of
    the confirmed ones are available; an EVSE with connectors of two standards counts in
    both (it charges one vehicle at a time with either)."""
    out: list[StandardCount] = []
    for standard in STANDARDS:
        known = [e for e in fresh if standard in e.standards]
        others = [e for e in unknown if standard in e.standards]
        if not known and not others:
            continue
        powers = [
            c.power_kw
            for e in (*known, *others)
            for c in e.connectors
            if c.standard == standard and c.power_kw is not None
        ]
        free = sum(1 for e in known if e.status == "available") if known else None
        out.append(
            StandardCount(standard, free, len(known) + len(others), max(powers, default=None))
        )
    return tuple(out)
