"""The stats snapshot as a typed value: what ``rsu status``, ``/metrics`` and the ``stats``
topic show, built once a second on the core thread (``rsu.daemon.stats``).

``Snapshot`` is frozen dataclasses all the way down, except what belongs to an edge and
varies by backend (radio and GNSS health, radar and camera health: JSON-ready mappings) and
the sections of plug-in parts (``sections``: each part's ``status()``). ``as_dict()`` is the
JSON the stats topic and the control socket carry (plug-in sections at the top level, next to
the built-in ones); ``Snapshot.from_dict`` reads it back (``rsu status``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from rsu.daemon.inbox import QueueStats
from rsu.uplink.stats import UplinkStats

OMIT_NONE = {"omit_none": True}
"""Field metadata: left out of ``as_dict()`` when None (as the JSON always had it)."""


@dataclass(frozen=True, slots=True)
class WatchdogStats:
    interval_s: float | None
    pings: int


@dataclass(frozen=True, slots=True)
class Count:
    received: int = 0
    decoded: int = 0
    failed: int = 0
    sent: int = 0
    send_failed: int = 0


@dataclass(frozen=True, slots=True)
class RadioCounts:
    total: Count = field(default_factory=Count)
    by_psid: Mapping[str, Count] = field(default_factory=dict)
    by_type: Mapping[str, Count] = field(default_factory=dict)
    bad_input: Mapping[str, int] = field(default_factory=dict)
    kernel_dropped: int = 0
    """Datagrams the kernel dropped on the backend's socket before they were read."""


@dataclass(frozen=True, slots=True)
class RadioStats:
    backend: str
    health: Mapping[str, object]
    counters: RadioCounts


@dataclass(frozen=True, slots=True)
class DecodeStats:
    ok: int
    errors: Mapping[str, int]
    fast_path_fallbacks: Mapping[str, int] = field(default_factory=dict)
    """Frames the codec's fast path left to the general decoder, per message type."""


@dataclass(frozen=True, slots=True)
class TxStats:
    sent: int
    failed: int
    suppressed: int
    refused: int = 0


@dataclass(frozen=True, slots=True)
class BroadcastStats:
    entries: int
    sent: int
    expired: int
    rejected: int
    by_key: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class StreamStats:
    count: int
    last: str
    last_at: str


@dataclass(frozen=True, slots=True)
class CloudStats:
    streams: Mapping[str, StreamStats]


@dataclass(frozen=True, slots=True)
class FixStats:
    valid: bool
    lat: float
    lon: float
    quality: int
    satellites: int
    utc: str | None


@dataclass(frozen=True, slots=True)
class GnssStats:
    health: Mapping[str, object]
    fix: FixStats | None = field(default=None, metadata=OMIT_NONE)


@dataclass(frozen=True, slots=True)
class FusionStats:
    objects: int = 0
    object_lists: int = 0
    events: int = 0


@dataclass(frozen=True, slots=True)
class InputStats:
    gnss_fixes: int = 0
    gnss_alarms: int = 0
    radar_scans: int = 0
    camera_frames: int = 0


@dataclass(frozen=True, slots=True)
class AlarmStats:
    """One active alarm (``rsu.alarms.ActiveAlarm.as_dict``)."""

    source: str
    kind: str
    detail: str
    severity: str
    since: float
    last: float
    repeats: int = 0


@dataclass(frozen=True, slots=True)
class ErrorStats:
    """Unexpected exceptions the core loop survived (``rsu.daemon.guard``), by where."""

    total: int = 0
    by_where: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Snapshot:
    rsu_id: str
    time: str
    uptime_s: float
    mode: str
    watchdog: WatchdogStats
    queues: Mapping[str, QueueStats]
    radio: RadioStats
    decode: DecodeStats
    tx: TxStats
    broadcast: BroadcastStats
    uplink: UplinkStats
    cloud: CloudStats
    gnss: GnssStats | None
    radar: Mapping[str, Mapping[str, object]]
    cameras: Mapping[str, Mapping[str, object]]
    fusion: FusionStats | None
    """None without ``[fusion]`` (``{}`` in the JSON)."""
    inputs: InputStats
    alarms: tuple[AlarmStats, ...] = ()
    internal_errors: ErrorStats = field(default_factory=ErrorStats)
    sections: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    """Plug-in parts' own sections, by part name (at the top level of ``as_dict()``)."""

    def as_dict(self) -> dict[str, Any]:
        out = plain(self)
        assert isinstance(out, dict)
        sections = out.pop("sections")
        out["fusion"] = out["fusion"] or {}
        return {**out, **sections}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        """The snapshot of ``as_dict()`` JSON (what the control socket's ``status`` carries);
        keys it does not know become ``sections``."""
        import dacite  # only the CLI reads snapshots back

        known = {f.name for f in fields(cls)}
        body = {k: v for k, v in data.items() if k in known}
        body["fusion"] = data.get("fusion") or None
        body["sections"] = {k: v for k, v in data.items() if k not in known}
        config = dacite.Config(cast=[tuple], check_types=False)
        return dacite.from_dict(cls, body, config=config)


def plain(value: object) -> object:
    """JSON-ready form of a snapshot value: dataclasses as dicts (``OMIT_NONE`` fields left out
    when None), mappings as dicts, tuples as lists."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(v)
            for f in fields(value)
            if not ((v := getattr(value, f.name)) is None and f.metadata.get("omit_none"))
        }
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value
