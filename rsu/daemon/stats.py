"""Builds the ``Snapshot`` from the parts that know the numbers; keeps the latest one.

``Stats.refresh()`` runs on the core thread (once a second, and for each ``status``
request); ``Stats.latest()`` is what other threads read (the metrics endpoint, the control
socket's ``metrics`` command): a frozen value, replaced whole. ``uplink_status(snapshot)`` is
what of it the retained MQTT status carries (mode, radio, GNSS, active alarms).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rsu.clock import Clock, utc_iso
from rsu.daemon.core import Core
from rsu.daemon.inbox import Inbox, QueueStats
from rsu.daemon.notify import Watchdog
from rsu.daemon.snapshot import (
    AlarmStats,
    BroadcastStats,
    CloudStats,
    Count,
    DecodeStats,
    ErrorStats,
    FixStats,
    GnssStats,
    InputStats,
    RadioCounts,
    RadioStats,
    Snapshot,
    StreamStats,
    TxStats,
    WatchdogStats,
)
from rsu.radio.types import Radio
from rsu.stage import Section
from rsu.uplink.service import Uplink
from rsu.uplink.status import RsuStatus

if TYPE_CHECKING:
    from rsu.daemon.edges import Edge
    from rsu.daemon.gnss import GnssWatch
    from rsu.daemon.picture import Picture
    from rsu.gnss import Gnss

SnapshotReader = Callable[[Snapshot], None]
"""Told of each new snapshot, on the core thread (a part that shows the daemon's state
elsewhere: the SNMP agent's objects). Quick, and must not block."""


@dataclass(frozen=True, slots=True)
class StatsSources:
    """Everything the snapshot reads (``build`` makes one)."""

    rsu_id: str
    clock: Clock
    started: float
    """Monotonic seconds at build time (uptime)."""
    core: Core
    uplink: Uplink
    uplink_queue: int
    radio: Radio
    inbox: Inbox
    watchdog: Watchdog
    tail_queue: int
    gnss: Gnss | None = None
    gnss_watch: GnssWatch | None = None
    edges: tuple[Edge, ...] = ()
    picture: Picture | None = None
    sections: tuple[Section, ...] = ()
    readers: tuple[SnapshotReader, ...] = ()


class Stats:
    def __init__(self, sources: StatsSources) -> None:
        self.sources = sources
        self._latest: Snapshot | None = None

    def latest(self) -> Snapshot:
        """The last snapshot made (made now if none was yet)."""
        return self._latest if self._latest is not None else self.refresh()

    def refresh(self) -> Snapshot:
        s = self.sources
        core, n = s.core, s.core.n
        sched = core.scheduler
        edges = {e.name: e.health() for e in s.edges}
        snap = Snapshot(
            rsu_id=s.rsu_id,
            time=utc_iso(s.clock.time()),
            uptime_s=round(s.clock.monotonic() - s.started, 1),
            mode=core.mode,
            watchdog=WatchdogStats(s.watchdog.interval_s, s.watchdog.pings),
            queues=self._queues(),
            radio=_radio(s.radio),
            decode=DecodeStats(n.decoded, dict(n.decode_errors), core.codec.fast_path_fallbacks()),
            tx=TxStats(n.tx_sent, n.tx_failed, n.tx_suppressed, n.tx_refused),
            broadcast=BroadcastStats(
                len(sched),
                sched.stats.sent,
                sched.stats.expired,
                sched.stats.rejected,
                dict(sched.stats.by_key),
            ),
            uplink=s.uplink.stats(),
            cloud=CloudStats(
                {
                    k: StreamStats(st.count, st.last, utc_iso(st.last_utc))
                    for k, st in sorted(core.streams.items())
                }
            ),
            gnss=self._gnss(),
            radar={k: v for k, v in edges.items() if k.startswith("radar-")},
            cameras={k[len("camera-") :]: v for k, v in edges.items() if k.startswith("camera-")},
            fusion=s.picture.stats() if s.picture is not None else None,
            inputs=self._inputs(),
            alarms=tuple(AlarmStats(**a.as_dict()) for a in core.alarms.active()),
            internal_errors=ErrorStats(core.guard.total, dict(core.guard.by_where)),
            sections={part.name: part.status() for part in s.sections},
        )
        self._latest = snap
        for reader in s.readers:
            reader(snap)
        return snap

    def _queues(self) -> dict[str, QueueStats]:
        """Every bounded queue: one per edge (radio, gnss, radar-*, camera-*, commands,
        control), then the uplink's and the tail clients'."""
        s = self.sources
        up = s.uplink.stats()
        tail = s.core.tail
        return {
            **s.inbox.stats(),
            "uplink": QueueStats(up.queued, s.uplink_queue, up.dropped.get("queue_full", 0)),
            "tail": QueueStats(tail.depth(), s.tail_queue * len(tail), tail.dropped),
        }

    def _gnss(self) -> GnssStats | None:
        s = self.sources
        if s.gnss is None:
            return None
        fix = s.gnss_watch.fix if s.gnss_watch is not None else None
        if fix is None:
            return GnssStats(s.gnss.health())
        utc = utc_iso(fix.utc) if fix.utc else None
        stats = FixStats(fix.valid, fix.latitude, fix.longitude, fix.quality, fix.satellites, utc)
        return GnssStats(s.gnss.health(), stats)

    def _inputs(self) -> InputStats:
        s, watch = self.sources, self.sources.gnss_watch
        return InputStats(
            gnss_fixes=watch.fixes if watch is not None else 0,
            gnss_alarms=watch.alarms if watch is not None else 0,
            radar_scans=s.inbox.handled("radar-"),
            camera_frames=s.inbox.handled("camera-"),
        )


def _radio(radio: Radio) -> RadioStats:
    c = radio.counters.snapshot()

    def counts(value: object) -> Count:
        return Count(**value) if isinstance(value, dict) else Count()

    def table(value: object) -> dict[str, Count]:
        return {k: counts(v) for k, v in value.items()} if isinstance(value, dict) else {}

    bad = c.get("bad_input")
    return RadioStats(
        radio.name,
        radio.health(),
        RadioCounts(
            counts(c.get("total")),
            table(c.get("by_psid")),
            table(c.get("by_type")),
            dict(bad) if isinstance(bad, dict) else {},
            int(kernel) if isinstance(kernel := c.get("kernel_dropped"), int) else 0,
        ),
    )


def uplink_status(snap: Snapshot) -> RsuStatus:
    """The daemon's side of the retained status (``Uplink.set_status``), from a snapshot."""
    gnss = None
    if snap.gnss is not None:
        fix = snap.gnss.fix
        gnss = {
            "backend": snap.gnss.health.get("backend"),
            "fix": fix is not None and fix.valid,
            "lat": None if fix is None else fix.lat,
            "lon": None if fix is None else fix.lon,
            "satellites": None if fix is None else fix.satellites,
        }
    alarms = tuple(
        {
            "source": a.source,
            "kind": a.kind,
            "severity": a.severity,
            "detail": a.detail,
            "since": utc_iso(a.since),
        }
        for a in snap.alarms
    )
    radio = {"backend": snap.radio.backend, "state": radio_state(snap.radio.health)}
    return RsuStatus(mode=snap.mode, radio=radio, gnss=gnss, alarms=alarms)


def radio_state(health: Mapping[str, object]) -> str:
    """``up`` or ``down`` from a radio backend's ``health()`` (serial: connected, no fatal
    error; RSU 4.1: its thread running; sim: always up)."""
    if health.get("error"):
        return "down"
    for key in ("connected", "running"):
        if key in health:
            return "up" if health[key] else "down"
    return "up"
