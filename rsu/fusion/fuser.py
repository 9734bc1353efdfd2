"""The fusion core: latest inputs per source in, one object list out (sans-I/O).

Each call to :meth:`Fusion.fuse` predicts every fresh input to ``now`` (constant velocity),
merges camera and radar observations source by source with
``scipy.optimize.linear_sum_assignment`` inside a distance gate (observations of one source
never merge with each other), then attaches V2X senders (BSM/PSM) to the object they are:
such objects are ``self_reported`` and are not re-announced in SDSMs. Positions and
velocities are inverse-variance weighted; ids stay stable while any input id of an object
survives from one cycle to the next.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import structlog
from scipy.optimize import linear_sum_assignment

from rsu.fusion.model import FusedObject, FusionConfig, V2xSender
from rsu.fusion.v2x import sender_from_message
from rsu.geo import LocalFrame, heading_from_velocity, velocity_from_heading
from rsu.road_users import VEHICLE_LABELS, VRU_LABELS, Track
from rsu.v2x.message import V2xMessage

if TYPE_CHECKING:
    from rsu.sensors.radar import RadarObject

log = structlog.get_logger(__name__)
_BIG = 1e9
_MAX_ID = 65535  # SDSM objectID is 0..65535; 0 is never used


@dataclass(slots=True)
class _Obs:
    key: str
    source: str
    kind: str  # vehicle / vru / any
    label: str
    x: float
    y: float
    vx: float
    vy: float
    has_velocity: bool
    sigma: float
    score: float
    moving: bool
    length: float | None = None
    width: float | None = None
    v2x_id: str | None = None
    heading: float | None = None


def _kind(label: str) -> str:
    if label in VEHICLE_LABELS:
        return "vehicle"
    if label in VRU_LABELS:
        return "vru"
    return "any"


class Fusion:
    """Keeps the latest input of each source; ``fuse(now)`` returns the fused picture."""

    def __init__(self, config: FusionConfig, frame: LocalFrame) -> None:
        self.config = config
        self.frame = frame
        self._cameras: dict[str, tuple[float, tuple[Track, ...]]] = {}
        self._radars: dict[str, tuple[float, tuple[RadarObject, ...]]] = {}
        self._senders: dict[str, V2xSender] = {}
        self._ids: dict[str, int] = {}
        self._next_id = 1
        self.counters = {"v2x_used": 0, "v2x_ignored": 0, "v2x_far": 0, "v2x_dropped": 0}

    # -- inputs ---------------------------------------------------------------------------------

    def update_camera(self, camera: str, tracks: Sequence[Track], now: float) -> None:
        """The confirmed tracks of one camera's tracker after its latest frame."""
        self._cameras[camera] = (now, tuple(t for t in tracks if t.confirmed))

    def update_radar(self, radar: str, objects: Sequence[RadarObject], now: float) -> None:
        """The objects of one radar's latest scan (``RadarScan.objects``)."""
        keep = tuple(
            o
            for o in objects
            if o.prob_exist is None or o.prob_exist >= self.config.radar_min_exist
        )
        self._radars[radar] = (now, keep)

    def update_v2x(self, message: V2xMessage, now: float) -> V2xSender | None:
        """Remember the sender of a BSM/PSM; other messages are ignored (counted)."""
        sender = sender_from_message(message, self.frame, now)
        if sender is None:
            self.counters["v2x_ignored"] += 1
            return None
        if math.hypot(sender.x_m, sender.y_m) > self.config.v2x_range_m:
            self.counters["v2x_far"] += 1
            return None
        self.counters["v2x_used"] += 1
        self._senders.pop(sender.v2x_id, None)
        self._senders[sender.v2x_id] = sender
        if len(self._senders) > self.config.max_v2x_senders:
            oldest = next(iter(self._senders))
            del self._senders[oldest]
            self.counters["v2x_dropped"] += 1
        return sender

    # -- fusion ---------------------------------------------------------------------------------

    def fuse(self, now: float) -> tuple[FusedObject, ...]:
        """The fused object list at ``now``, ordered by object id."""
        clusters: list[list[_Obs]] = []
        for group in self._sensor_groups(now):
            self._merge(clusters, group, self.config.gate_m)
        self._merge(clusters, self._sender_obs(now), self.config.v2x_gate_m)
        objects = [self._fused(c, now) for c in self._assign_ids(clusters)]
        return tuple(sorted(objects, key=lambda o: o.object_id))

    def _sensor_groups(self, now: float) -> list[list[_Obs]]:
        cfg = self.config
        groups: list[list[_Obs]] = []
        for cam, (t0, tracks) in self._cameras.items():
            if now - t0 <= cfg.max_age_s:
                groups.append([self._track_obs(cam, tr, now) for tr in tracks])
        for radar, (t0, objs) in self._radars.items():
            if now - t0 <= cfg.max_age_s:
                groups.append([self._radar_obs(radar, o, now) for o in objs])
        return groups

    def _track_obs(self, cam: str, tr: Track, now: float) -> _Obs:
        dt = max(0.0, now - tr.time)
        return _Obs(
            key=f"{cam}#{tr.track_id}",
            source=f"camera:{cam}",
            kind=_kind(tr.label),
            label=tr.label,
            x=tr.x_m + tr.vx_mps * dt,
            y=tr.y_m + tr.vy_mps * dt,
            vx=tr.vx_mps,
            vy=tr.vy_mps,
            has_velocity=True,
            sigma=max(tr.pos_sigma_m, self.config.camera_sigma_m),
            score=tr.score,
            moving=tr.moving,
            length=tr.length_m,
            width=tr.width_m,
        )

    def _radar_obs(self, radar: str, o: RadarObject, now: float) -> _Obs:
        dt = max(0.0, now - o.time)
        return _Obs(
            key=f"{radar}#{o.object_id}",
            source=f"radar:{radar}",
            kind=_kind(o.label),
            label=o.label,
            x=o.x_m + o.vx_mps * dt,
            y=o.y_m + o.vy_mps * dt,
            vx=o.vx_mps,
            vy=o.vy_mps,
            has_velocity=True,
            sigma=o.sigma_m if o.sigma_m is not None else self.config.radar_sigma_m,
            score=o.prob_exist if o.prob_exist is not None else 0.75,
            moving=o.speed_mps > self.config.stationary_mps,
            length=o.length_m,
            width=o.width_m,
            heading=o.heading_deg,
        )

    def _sender_obs(self, now: float) -> list[_Obs]:
        cfg = self.config
        stale = [k for k, s in self._senders.items() if now - s.time > cfg.v2x_max_age_s]
        for k in stale:
            del self._senders[k]
        out = []
        for s in self._senders.values():
            vx, vy = (0.0, 0.0)
            if s.speed_mps is not None and s.heading_deg is not None:
                vx, vy = velocity_from_heading(s.speed_mps, s.heading_deg)
            dt = max(0.0, now - s.time)
            out.append(
                _Obs(
                    key=f"v2x#{s.v2x_id}",
                    source=f"v2x:{s.message}",
                    kind=s.kind,
                    label="car" if s.kind == "vehicle" else "person",
                    x=s.x_m + vx * dt,
                    y=s.y_m + vy * dt,
                    vx=vx,
                    vy=vy,
                    has_velocity=s.speed_mps is not None and s.heading_deg is not None,
                    sigma=s.sigma_m if s.sigma_m is not None else cfg.v2x_sigma_m,
                    score=0.99,
                    moving=(s.speed_mps or 0.0) > cfg.stationary_mps,
                    length=s.length_m,
                    width=s.width_m,
                    v2x_id=s.v2x_id,
                    heading=s.heading_deg,
                )
            )
        return out

    @staticmethod
    def _merge(clusters: list[list[_Obs]], group: list[_Obs], gate: float) -> None:
        """Add one source's observations: each joins at most one cluster, or starts one."""
        if not group:
            return
        if not clusters:
            clusters.extend([o] for o in group)
            return
        centre = np.array([_centre(c) for c in clusters])
        kinds = np.array([_cluster_kind(c) for c in clusters])
        pos = np.array([(o.x, o.y) for o in group])
        gkinds = np.array([o.kind for o in group])
        dist = np.hypot(centre[:, None, 0] - pos[None, :, 0], centre[:, None, 1] - pos[None, :, 1])
        ok = (dist <= gate) & (
            (kinds[:, None] == gkinds[None, :]) | (kinds[:, None] == "any") | (gkinds == "any")
        )
        taken = [False] * len(group)
        if ok.any():
            rows, cols = linear_sum_assignment(np.where(ok, dist, _BIG))
            for r, c in zip(rows, cols, strict=True):
                if ok[r, c]:
                    clusters[r].append(group[c])
                    taken[c] = True
        clusters.extend([o] for o, t in zip(group, taken, strict=True) if not t)

    def _assign_ids(self, clusters: list[list[_Obs]]) -> list[tuple[int, list[_Obs]]]:
        used: set[int] = set()
        out: list[tuple[int, list[_Obs]]] = []
        fresh: list[list[_Obs]] = []
        for c in clusters:
            known = sorted({self._ids[o.key] for o in c if o.key in self._ids} - used)
            if known:
                used.add(known[0])
                out.append((known[0], c))
            else:
                fresh.append(c)
        for c in fresh:
            oid = self._new_id(used)
            used.add(oid)
            out.append((oid, c))
        self._ids = {o.key: oid for oid, c in out for o in c}
        return out

    def _new_id(self, used: set[int]) -> int:
        live = used | set(self._ids.values())
        for _ in range(_MAX_ID):
            oid = self._next_id
            self._next_id = oid % _MAX_ID + 1
            if oid not in live:
                return oid
        return self._next_id  # 65535 live objects: not reachable with bounded inputs

    def _fused(self, item: tuple[int, list[_Obs]], now: float) -> FusedObject:
        oid, obs = item
        w = [1.0 / (o.sigma * o.sigma) for o in obs]
        wsum = sum(w)
        x = sum(wi * o.x for wi, o in zip(w, obs, strict=True)) / wsum
        y = sum(wi * o.y for wi, o in zip(w, obs, strict=True)) / wsum
        vel = [(wi, o) for wi, o in zip(w, obs, strict=True) if o.has_velocity]
        vw = sum(wi for wi, _ in vel)
        vx = sum(wi * o.vx for wi, o in vel) / vw if vel else 0.0
        vy = sum(wi * o.vy for wi, o in vel) / vw if vel else 0.0
        speed = math.hypot(vx, vy)
        heading = heading_from_velocity(vx, vy) if speed > self.config.stationary_mps else None
        if heading is None:
            heading = next((o.heading for o in obs if o.heading is not None), None)
        sender = next((o for o in obs if o.v2x_id is not None), None)
        label = _label(obs)
        miss = 1.0
        for o in obs:
            miss *= 1.0 - min(max(o.score, 0.0), 1.0)
        return FusedObject(
            object_id=oid,
            time=now,
            x_m=x,
            y_m=y,
            vx_mps=vx,
            vy_mps=vy,
            speed_mps=speed,
            heading_deg=heading,
            label=label,
            kind=_kind(label) if _kind(label) != "any" else "unknown",
            moving=speed > self.config.stationary_mps or any(o.moving for o in obs),
            confidence=1.0 - miss,
            pos_sigma_m=math.sqrt(1.0 / wsum),
            sources=tuple(sorted({o.source for o in obs})),
            source_ids=tuple(o.key for o in obs),
            self_reported=sender is not None,
            v2x_id=sender.v2x_id if sender is not None else None,
            length_m=next((o.length for o in obs if o.length is not None), None),
            width_m=next((o.width for o in obs if o.width is not None), None),
        )


def _centre(c: list[_Obs]) -> tuple[float, float]:
    if len(c) == 1:
        return c[0].x, c[0].y
    w = [1.0 / (o.sigma * o.sigma) for o in c]
    s = sum(w)
    return (
        sum(wi * o.x for wi, o in zip(w, c, strict=True)) / s,
        sum(wi * o.y for wi, o in zip(w, c, strict=True)) / s,
    )


def _cluster_kind(c: list[_Obs]) -> str:
    return next((o.kind for o in c if o.kind != "any"), "any")


def _label(obs: list[_Obs]) -> str:
    """The most confident specific label; a sensor's class beats the V2X default."""
    sensed = [o for o in obs if o.label != "unknown" and o.v2x_id is None]
    if sensed:
        return max(sensed, key=lambda o: o.score).label
    return next((o.label for o in obs if o.v2x_id is not None), "unknown")
