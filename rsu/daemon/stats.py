"""One JSON-ready snapshot of the daemon: ``rsu status``, ``/metrics`` and the ``stats`` topic.

Everything a field engineer or the cloud asks "how is it doing?" about, in one dict, built on
the core thread once a second (the metrics endpoint serves the latest one).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from rsu.clock import utc_iso

if TYPE_CHECKING:
    from rsu.daemon.daemon import Daemon


def _gnss(d: Daemon) -> dict[str, Any] | None:
    gnss = d.parts.gnss
    if gnss is None:
        return None
    out: dict[str, Any] = {"health": gnss.health()}
    fix = d.core.gnss_fix
    if fix is not None:
        out["fix"] = {
            "valid": fix.valid,
            "lat": fix.latitude,
            "lon": fix.longitude,
            "quality": fix.quality,
            "satellites": fix.satellites,
            "utc": utc_iso(fix.utc) if fix.utc else None,
        }
    return out


def _queues(d: Daemon, up: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every bounded queue: one per edge (radio, gnss, radar-*, camera-*, commands, control),
    then the uplink's and the tail clients'."""
    cfg, core = d.config, d.core
    return {
        **d.parts.inbox.stats(),
        "uplink": {
            "depth": up["queued"],
            "capacity": cfg.uplink.queue_size,
            "dropped": up["dropped"].get("queue_full", 0),
        },
        "tail": {
            "depth": core.tail.depth(),
            "capacity": cfg.daemon.tail_queue * len(core.tail),
            "dropped": core.tail.dropped,
        },
    }


def build_snapshot(d: Daemon) -> dict[str, Any]:
    core, parts, cfg = d.core, d.parts, d.config
    n = core.n
    up = asdict(parts.uplink.stats())
    sched = core.scheduler
    edges = {e.name: e.health() for e in parts.edges}
    return {
        "rsu_id": cfg.rsu.id,
        "time": utc_iso(d.clock.time()),
        "uptime_s": round(d.uptime(), 1),
        "mode": core.mode,
        "watchdog": {"interval_s": d.watchdog_s, "pings": d.pings},
        "queues": _queues(d, up),
        "radio": {
            "backend": parts.radio.name,
            "health": parts.radio.health(),
            "counters": parts.radio.counters.snapshot(),
        },
        "decode": {
            "ok": n.decoded,
            "errors": dict(n.decode_errors),
            "fast_path_fallbacks": core.codec.fast_path_fallbacks(),
        },
        "tx": {"sent": n.tx_sent, "failed": n.tx_failed, "suppressed": n.tx_suppressed},
        "broadcast": {
            "entries": len(sched),
            "sent": sched.stats.sent,
            "expired": sched.stats.expired,
            "rejected": sched.stats.rejected,
            "by_key": dict(sched.stats.by_key),
        },
        "uplink": up,
        "cloud": {
            "streams": {
                k: {"count": s.count, "last": s.last, "last_at": utc_iso(s.last_utc)}
                for k, s in sorted(core.streams.items())
            }
        },
        "gnss": _gnss(d),
        "radar": {k: v for k, v in edges.items() if k.startswith("radar-")},
        "cameras": {k[len("camera-") :]: v for k, v in edges.items() if k.startswith("camera-")},
        "fusion": parts.picture.stats() if parts.picture is not None else {},
        "inputs": {
            "gnss_fixes": n.gnss_fixes,
            "gnss_alarms": n.gnss_alarms,
            "radar_scans": n.radar_scans,
            "camera_frames": n.camera_frames,
        },
    }
