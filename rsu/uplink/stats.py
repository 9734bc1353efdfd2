"""Uplink counters and the stats snapshot the daemon reads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UplinkStats:
    """A snapshot for the daemon's status and stats records (``Uplink.stats()``)."""

    connected: bool
    pending: int
    inflight: int
    queued: int
    accepted: int
    published: int
    acked: int
    held: dict[str, int]
    dropped: dict[str, int]
    commands: dict[str, int]
    connects: int
    spool_bytes: int
    expired: int = 0
    """Perishable records dropped unsent because they were stale."""
    takeovers: int = 0
    """Times the broker said another connection took this client id's session."""
    client_id: str = ""


@dataclass(slots=True)
class Counters:
    """What the uplink worker counts (mutable, one writer: the worker thread)."""

    accepted: int = 0
    acked: int = 0
    queue_full: int = 0
    spool_failed: int = 0
