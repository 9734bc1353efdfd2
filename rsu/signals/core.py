"""The SPaT core (sans-I/O): controller reports and ``now`` in, SPaT, records and alarms out.

``on_datagram`` takes raw TSCBM bytes with the sender's address (parsed and counted here),
``on_report`` a state another source already read (NTCIP 1202). Both return ``rsu.stage``
``Outputs``: each update of an intersection its SPaT at once (one ``TxRequest``, encoded), the
phase changes it made (one record on the ``signals`` stream), and a SPaT record every
``1 / record_hz`` seconds (``spat`` stream). ``tick`` finds controllers that went quiet for
more than ``STALE_S`` (300 ms): their SPaT stops (nothing is sent for them until a fresh
update) and the ``signal_controller_lost`` alarm is raised; it clears when every controller
is back. One alarm for all intersections, its detail naming the lost ones.

Reports are told apart by the sender's address: an intersection whose ``controller`` is set
takes only that address (``host`` or ``host:port``); the single intersection of a config
without ``controller`` takes the first sender until it goes quiet. Reports from any other
address are counted (``unknown_source`` / ``other_source``) and dropped: never mixed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from rsu.alarms import Alarm
from rsu.errors import RsuError
from rsu.lograte import due
from rsu.registry import DEFAULT_MESSAGE_SET, message_set
from rsu.signals import spat, tscbm
from rsu.signals.config import STALE_S, IntersectionConfig, SignalsConfig
from rsu.signals.mapref import MapRef
from rsu.signals.model import ControllerState, Datagram, Report
from rsu.signals.states import GroupState, group_states, phase_rows
from rsu.stage import NOTHING, Clear, Outputs, Record
from rsu.v2x.messageset import SpatRequest
from rsu.wire import DEFAULT_CHANNEL, TxRequest

log = structlog.get_logger(__name__)

ALARM_SOURCE = "signals"
ALARM_KIND = "signal_controller_lost"
STARTUP_GRACE_S = 2.0
"""A controller never heard from is reported lost this long after start-up."""


@dataclass(frozen=True, slots=True)
class SpatSettings:
    """How SPaT goes on the air: the RSU's message set and the radio fields."""

    standard: str = DEFAULT_MESSAGE_SET
    psid: int = 0x8002
    channel: int = DEFAULT_CHANNEL
    priority: int = 6


@dataclass(slots=True)
class Live:
    """One intersection as the core follows it."""

    cfg: IntersectionConfig
    revision: int = 0
    peer: str | None = None
    source: str = ""
    rx_monotonic: float | None = None
    rx_utc: float = 0.0
    state: ControllerState | None = None
    groups: tuple[GroupState, ...] = ()
    lost: bool = False
    updates: int = 0
    sent: int = 0
    last_record: float = float("-inf")
    changes: int = 0


@dataclass(slots=True)
class Counters:
    datagrams: int = 0
    reports: int = 0
    bad: dict[str, int] = field(default_factory=dict)
    unknown_source: int = 0
    other_source: int = 0
    stale_on_arrival: int = 0
    encode_errors: int = 0
    spat_sent: int = 0


class SignalsCore:
    def __init__(
        self,
        config: SignalsConfig,
        settings: SpatSettings,
        encode: Callable[[dict[str, Any]], bytes],
        *,
        revisions: dict[str, int] | None = None,
        started: float = 0.0,
    ) -> None:
        """``revisions``: intersection key -> MAP revision (``mapref.check_groups``)."""
        self.config = config
        self.settings = settings
        self._encode = encode
        self.live = [Live(i, (revisions or {}).get(i.key, 0)) for i in config.intersections]
        self._by_peer: dict[str, Live] = {}
        for item in self.live:
            if item.cfg.controller is not None:
                self._by_peer[item.cfg.controller] = item
        self._latching = len(self.live) == 1 and self.live[0].cfg.controller is None
        self.started = started
        self.n = Counters()
        self._count = 0
        self._alarm_on = False

    # --- inputs -----------------------------------------------------------------------------

    def on_datagram(self, d: Datagram, now: float) -> Outputs:
        self.n.datagrams += 1
        try:
            state = tscbm.parse(d.data)
        except tscbm.TscbmError as err:
            self._bad(err.reason, d.data, d.peer)
            return NOTHING
        return self.on_report(Report(state, d.peer, d.rx_monotonic, d.rx_utc, "tscbm"), now)

    def on_report(self, r: Report, now: float) -> Outputs:
        self.n.reports += 1
        item = self._find(r.peer, now)
        if item is None:
            return NOTHING
        if now - r.rx_monotonic > STALE_S:
            self.n.stale_on_arrival += 1  # waited too long in a queue: not fit to send
            return NOTHING
        return self._update(item, r, now)

    def _find(self, peer: str, now: float) -> Live | None:
        host = peer.rpartition(":")[0].strip("[]") if ":" in peer else peer
        item = self._by_peer.get(peer) or self._by_peer.get(host)
        if item is not None:
            return item
        if not self._latching:
            self._count_source("unknown_source", peer)
            return None
        single = self.live[0]
        fresh = single.rx_monotonic is not None and now - single.rx_monotonic <= STALE_S
        if single.peer is not None and single.peer != peer and fresh:
            self._count_source("other_source", peer)
            return None
        if single.peer != peer:
            if single.peer is not None:  # a new address for the one controller
                log.info("signal_controller_address", intersection=single.cfg.key, peer=peer)
            single.peer = peer
        return single

    def _count_source(self, reason: str, peer: str) -> None:
        n = getattr(self.n, reason) + 1
        setattr(self.n, reason, n)
        if due(n):
            log.warning("signal_report_dropped", reason=reason, peer=peer, count=n)

    def _bad(self, reason: str, data: bytes, peer: str) -> None:
        n = self.n.bad.get(reason, 0) + 1
        self.n.bad[reason] = n
        if due(n):
            log.warning(
                "signal_datagram_bad", reason=reason, peer=peer, size=len(data), count=n,
                hex=data[:512].hex(),
            )  # fmt: skip

    # --- one update -------------------------------------------------------------------------

    def _update(self, item: Live, r: Report, now: float) -> Outputs:
        before = item.groups
        item.state, item.peer, item.source = r.state, r.peer, r.source
        item.rx_monotonic, item.rx_utc = r.rx_monotonic, r.rx_utc
        item.groups = group_states(r.state, item.cfg.groups)
        item.updates += 1
        records: list[Record] = []
        changed = _changes(before, item.groups)
        if changed:
            item.changes += len(changed)
            text = " ".join(f"{g.signal_group}:{g.colour}" for _, g in changed)
            records.append(Record("signals", self._change_record(item, changed), text))
        if self.config.record_hz > 0 and now - item.last_record >= 1.0 / self.config.record_hz:
            item.last_record = now
            records.append(Record("spat", self.record(item), groups_text(item.groups)))
        alarms = NOTHING
        if item.lost:
            item.lost = False
            log.info("signal_controller_back", intersection=item.cfg.key, peer=r.peer)
            alarms = self._alarm()
        tx = self._transmission(item)
        out = Outputs(records=tuple(records), transmissions=(tx,) if tx is not None else ())
        return out + alarms

    def _transmission(self, item: Live) -> TxRequest | None:
        assert item.state is not None
        s, utc, ref = self.settings, item.rx_utc, (item.cfg.region, item.cfg.intersection_id)
        request = SpatRequest(
            ref, item.revision, item.state.status, item.groups, utc, item.cfg.name, self._count
        )
        frame = message_set(s.standard).spat_frame(request)
        self._count = (self._count + 1) % 128  # the message counter of the set's SPaT stream
        try:
            payload = self._encode(frame)
        except RsuError as err:
            self.n.encode_errors += 1
            log.error("spat_encode_failed", intersection=item.cfg.key, error=str(err))
            return None
        item.sent += 1
        self.n.spat_sent += 1
        return TxRequest(
            payload=payload,
            psid=s.psid,
            channel=s.channel,
            priority=s.priority,
            message_type="SPAT",
            key=f"spat-{item.cfg.key}",
            interval_ms=100,
        )

    def _change_record(
        self, item: Live, changed: Sequence[tuple[str, GroupState]]
    ) -> dict[str, Any]:
        return {
            "type": "signal_phase_change",
            "intersection": item.cfg.key,
            "intersection_id": item.cfg.intersection_id,
            "region": item.cfg.region,
            "rx_utc": item.rx_utc,
            "changes": [
                {"signal_group": g.signal_group, "from": old, "to": g.j2735, "colour": g.colour}
                for old, g in changed
            ],
        }

    # --- time -------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        out: float | None = None
        for item in self.live:
            if item.lost:
                continue
            base = item.rx_monotonic
            at = (self.started + STARTUP_GRACE_S) if base is None else base + STALE_S
            out = at if out is None else min(out, at)
        return None if out is None else out + 1e-3

    def tick(self, now: float) -> Outputs:
        newly = False
        for item in self.live:
            if item.lost:
                continue
            if item.rx_monotonic is None:
                quiet = now - self.started > STARTUP_GRACE_S
            else:
                quiet = now - item.rx_monotonic > STALE_S
            if quiet:
                item.lost = newly = True
                log.warning(
                    "signal_controller_lost", intersection=item.cfg.key, peer=item.peer,
                    age_s=self._age(item, now),
                )  # fmt: skip
        return self._alarm() if newly else NOTHING

    def _alarm(self) -> Outputs:
        """Raise (or refresh the detail of) the one alarm while any controller is lost;
        clear it when none is."""
        lost = [i for i in self.live if i.lost]
        if not lost:
            if not self._alarm_on:
                return NOTHING
            self._alarm_on = False
            detail = "every signal controller reports again"
            return Outputs(clears=(Clear(ALARM_SOURCE, ALARM_KIND, detail),))
        self._alarm_on = True
        names = ", ".join(
            f"{i.cfg.key} ({i.peer or i.cfg.controller or 'never heard'})" for i in lost
        )
        detail = f"no update for more than {STALE_S * 1000:.0f} ms: intersection {names}"
        return Outputs(raises=(Alarm(ALARM_SOURCE, ALARM_KIND, detail, "critical"),))

    # --- MAP changes ------------------------------------------------------------------------

    def on_map(self, name: str, ref: MapRef) -> list[str]:
        """A MAP entry was replaced (cloud or reload): follow its revisions; the problems
        found (an intersection or group the new MAP lacks) are returned and logged."""
        problems: list[str] = []
        for item in self.live:
            if item.cfg.map != name:
                continue
            found = ref.intersections.get((item.cfg.region, item.cfg.intersection_id))
            if found is None:
                problems.append(f"intersection {item.cfg.key} is not in MAP {name!r}")
                continue
            groups = sorted(g.signal_group for g in item.cfg.groups)
            missing = [sg for sg in groups if sg not in found.groups]
            if missing:
                problems.append(f"MAP {name!r} lacks signal groups {missing} of {item.cfg.key}")
            if found.revision is not None:
                item.revision = found.revision
        for p in problems:
            log.warning("signals_map_mismatch", problem=p)
        return problems

    # --- reporting --------------------------------------------------------------------------

    @staticmethod
    def _age(item: Live, now: float) -> float | None:
        return None if item.rx_monotonic is None else round(now - item.rx_monotonic, 3)

    def record(self, item: Live) -> dict[str, Any]:
        """The cloud's SPaT record of one intersection (its last update)."""
        status = item.state.status if item.state is not None else 0
        return {
            "intersection": item.cfg.key,
            "intersection_id": item.cfg.intersection_id,
            "region": item.cfg.region,
            "revision": item.revision,
            "controller": item.peer,
            "rx_utc": item.rx_utc,
            "status": spat.status_names(status),
            "groups": [_group_row(g) for g in item.groups],
        }

    def snapshot(self, now: float) -> dict[str, Any]:
        """For ``rsu status`` and the stats record: per intersection its controller, the
        age of its last update, the group table and the controller's phase table."""
        return {
            "source": self.config.source,
            "counters": {
                "datagrams": self.n.datagrams,
                "reports": self.n.reports,
                "bad": dict(self.n.bad),
                "unknown_source": self.n.unknown_source,
                "other_source": self.n.other_source,
                "stale_on_arrival": self.n.stale_on_arrival,
                "encode_errors": self.n.encode_errors,
                "spat_sent": self.n.spat_sent,
            },
            "intersections": [self._live_row(i, now) for i in self.live],
        }

    def _live_row(self, item: Live, now: float) -> dict[str, Any]:
        return {
            **self.record(item),
            "source": item.source or self.config.source,
            "age_s": self._age(item, now),
            "lost": item.lost,
            "updates": item.updates,
            "spat_sent": item.sent,
            "phase_changes": item.changes,
            "phases": phase_rows(item.state) if item.state is not None else [],
        }


def groups_text(groups: Sequence[GroupState]) -> str:
    """``2:green(8.5s) 4:red*`` (``*`` flashing): a group table on one line."""
    return " ".join(
        f"{g.signal_group}:{g.colour}{'*' if g.flashing else ''}"
        + (f"({g.min_tenths / 10:g}s)" if g.min_tenths is not None else "")
        for g in groups
    )


def _group_row(g: GroupState) -> dict[str, Any]:
    return {
        "signal_group": g.signal_group,
        "kind": g.kind,
        "colour": g.colour,
        "flashing": g.flashing,
        "state": g.j2735,
        "light": g.csae,
        "min_s": None if g.min_tenths is None else g.min_tenths / 10,
        "max_s": None if g.max_tenths is None else g.max_tenths / 10,
    }


def _changes(
    before: Sequence[GroupState], after: Sequence[GroupState]
) -> list[tuple[str, GroupState]]:
    """(old state, new group) for each group whose state changed (none on the first update)."""
    if not before:
        return []
    return [(b.j2735, a) for b, a in zip(before, after, strict=True) if b.j2735 != a.j2735]
