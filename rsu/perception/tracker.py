"""Ground-plane multi-object tracker in metres (sans-I/O).

Constant-velocity Kalman filter per track with the real time step between updates, global
nearest-neighbour assignment with ``scipy.optimize.linear_sum_assignment`` on Mahalanobis
distances, gating (chi-square and a hard distance cap), tentative -> confirmed birth after
``min_hits`` detections, death after ``max_age_s`` without one, ids that are never reused,
smoothed class labels and a stationary/moving state with hysteresis.

Usage::

    tracker = Tracker(TrackerConfig())
    result = tracker.update(detections, now)      # detections: Sequence[GroundDetection]
    result.tracks                                 # confirmed Track values
    result.track_ids                              # per input detection: its track id or None

No clock reads, no I/O: ``now`` is the capture time of the frame/scan being fed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Self

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from rsu.config.fields import Table, read, setting
from rsu.geo import heading_from_velocity
from rsu.road_users import VEHICLE_LABELS, VRU_LABELS, GroundDetection, Track

_CHI2_2DOF_99 = 9.21
_BIG = 1e9


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """``[perception.tracker]``: how observations become tracks."""

    gate_m: float = setting(4.0, lo=0.1)
    """Hard cap on the distance between a prediction and a detection it may take."""
    gate_chi2: float = setting(_CHI2_2DOF_99, lo=0.1)
    """Mahalanobis gate (squared, 2 degrees of freedom); 9.21 keeps 99% of true matches."""
    accel_sigma: float = setting(3.0, lo=0.0)
    """Process noise: 1-sigma unmodelled acceleration in m/s^2."""
    measurement_sigma_m: float = setting(0.5, lo=0.01)
    """Default 1-sigma position error of a detection without its own ``sigma_m``."""
    initial_speed_sigma: float = setting(10.0, lo=0.1)
    """1-sigma of the unknown velocity of a newborn track, m/s."""
    min_hits: int = setting(3, lo=1)
    max_age_s: float = setting(1.0, lo=0.0)
    """A confirmed track without a detection for this long is deleted."""
    tentative_max_age_s: float = setting(0.35, lo=0.0)
    """A tentative track without a detection for this long is deleted."""
    stationary_mps: float = setting(0.5, lo=0.0)
    """Below this speed a track is stationary; it becomes moving again above 1.5x this."""
    label_decay: float = setting(0.9, lo=0.0, hi=1.0)
    """Per-update decay of accumulated class scores (class smoothing)."""
    max_tracks: int = setting(1024, lo=1)
    """Bound on live tracks; detections beyond it are not born (counted in ``dropped``)."""

    @classmethod
    def from_table(cls, t: Table) -> Self:
        return read(cls, t)


@dataclass(frozen=True, slots=True)
class TrackerUpdate:
    """What one :meth:`Tracker.update` returns."""

    tracks: tuple[Track, ...]
    """Confirmed tracks, after this update, ordered by id."""
    track_ids: tuple[int | None, ...]
    """For each input detection (same order): the id of the track that took it, or ``None``."""
    born: tuple[int, ...] = ()
    deleted: tuple[int, ...] = ()


@dataclass(slots=True)
class _State:
    track_id: int
    x: NDArray[np.float64]
    p: NDArray[np.float64]
    time: float
    born: float
    last_hit: float
    sensor_id: str
    hits: int = 1
    score: float = 0.0
    moving: bool = False
    labels: dict[str, float] = field(default_factory=dict)
    length_m: float | None = None
    width_m: float | None = None


_GROUP = dict.fromkeys(VEHICLE_LABELS, 1) | dict.fromkeys(VRU_LABELS, 2)
"""Class groups that may share a track: vehicles (1), vulnerable road users (2); others any."""


class Tracker:
    """The tracker core. Not thread-safe: one owner feeds it (the core loop)."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self._tracks: list[_State] = []
        self._next_id = 1
        self.dropped = 0
        """Detections not born as tracks because ``max_tracks`` was reached."""

    def __len__(self) -> int:
        return len(self._tracks)

    def update(self, detections: Sequence[GroundDetection], now: float) -> TrackerUpdate:
        """Predict every track to ``now``, assign ``detections``, correct, birth and death."""
        self._predict(now)
        pairs = self._assign(detections)
        ids: list[int | None] = [None] * len(detections)
        for ti, di in pairs:
            st = self._tracks[ti]
            self._correct(st, detections[di], now)
            ids[di] = st.track_id
        born = self._birth(detections, ids, now)
        deleted = self._death(now)
        self._decay_labels(now)
        return TrackerUpdate(self.tracks(now), tuple(ids), born=born, deleted=deleted)

    def tracks(self, now: float, include_tentative: bool = False) -> tuple[Track, ...]:
        """Current tracks (confirmed only unless asked), as last corrected (not predicted)."""
        return tuple(
            self._view(s, now)
            for s in self._tracks
            if include_tentative or s.hits >= self.config.min_hits
        )

    # -- filter ---------------------------------------------------------------------------------

    def _predict(self, now: float) -> None:
        q = self.config.accel_sigma**2
        cache: dict[float, tuple[NDArray[np.float64], NDArray[np.float64]]] = {}
        for st in self._tracks:
            dt = now - st.time
            if dt <= 0.0:
                continue
            if dt not in cache:  # tracks updated together share one dt: build F and Q once
                f = np.array([[1.0, 0, dt, 0], [0, 1.0, 0, dt], [0, 0, 1.0, 0], [0, 0, 0, 1.0]])
                a, b, c = dt**4 / 4.0, dt**3 / 2.0, dt**2
                qm = q * np.array([[a, 0, b, 0], [0, a, 0, b], [b, 0, c, 0], [0, b, 0, c]])
                cache[dt] = (f, qm)
            f, qm = cache[dt]
            st.x = f @ st.x
            st.p = f @ st.p @ f.T + qm
            st.time = now

    def _assign(self, dets: Sequence[GroundDetection]) -> list[tuple[int, int]]:
        if not self._tracks or not dets:
            return []
        cfg = self.config
        pos = np.array([[d.x_m, d.y_m] for d in dets])
        pred = np.array([s.x[:2] for s in self._tracks])
        r = cfg.measurement_sigma_m**2
        s_mats = np.array([s.p[:2, :2] for s in self._tracks]) + r * np.eye(2)
        s_inv = np.linalg.inv(s_mats)
        diff = pos[None, :, :] - pred[:, None, :]
        maha = np.einsum("tdi,tij,tdj->td", diff, s_inv, diff)
        dist = np.hypot(diff[..., 0], diff[..., 1])
        allowed = (maha <= cfg.gate_chi2) & (dist <= cfg.gate_m)
        gt = np.array([_GROUP.get(_smoothed_label(s.labels), 0) for s in self._tracks])
        gd = np.array([_GROUP.get(d.label, 0) for d in dets])
        allowed &= (gt[:, None] == gd[None, :]) | (gt[:, None] == 0) | (gd[None, :] == 0)
        cost = np.where(allowed, maha, _BIG)
        rows, cols = linear_sum_assignment(cost)
        return [(int(t), int(d)) for t, d in zip(rows, cols, strict=True) if allowed[t, d]]

    def _correct(self, st: _State, det: GroundDetection, now: float) -> None:
        sigma = det.sigma_m if det.sigma_m is not None else self.config.measurement_sigma_m
        # Kalman update with H = [I 0]: S = P[:2,:2] + R, K = P[:, :2] S^-1, P -= K P[:2, :]
        p = st.p
        a, b, d = p[0, 0] + sigma**2, p[0, 1], p[1, 1] + sigma**2
        det_s = a * d - b * b
        s_inv = np.array([[d, -b], [-b, a]]) / det_s
        k = p[:, :2] @ s_inv
        st.x = st.x + k @ np.array([det.x_m - st.x[0], det.y_m - st.x[1]])
        st.p = p - k @ p[:2, :]
        st.hits += 1
        st.last_hit = now
        st.sensor_id = det.sensor_id
        st.score = max(det.score, st.score * self.config.label_decay)
        st.labels[det.label] = st.labels.get(det.label, 0.0) + det.score
        st.length_m = det.length_m if det.length_m is not None else st.length_m
        st.width_m = det.width_m if det.width_m is not None else st.width_m
        self._update_motion(st)

    def _update_motion(self, st: _State) -> None:
        speed = math.hypot(st.x[2], st.x[3])
        if st.hits < self.config.min_hits:
            return
        if st.moving and speed < self.config.stationary_mps:
            st.moving = False
        elif not st.moving and speed > 1.5 * self.config.stationary_mps:
            st.moving = True

    # -- birth and death --------------------------------------------------------------------------

    def _birth(
        self, dets: Sequence[GroundDetection], ids: list[int | None], now: float
    ) -> tuple[int, ...]:
        cfg = self.config
        born: list[int] = []
        for di, d in enumerate(dets):
            if ids[di] is not None:
                continue
            if len(self._tracks) >= cfg.max_tracks:
                self.dropped += 1
                continue
            sigma = d.sigma_m if d.sigma_m is not None else cfg.measurement_sigma_m
            p = np.diag(
                [sigma**2, sigma**2, cfg.initial_speed_sigma**2, cfg.initial_speed_sigma**2]
            )
            st = _State(
                track_id=self._next_id,
                x=np.array([d.x_m, d.y_m, 0.0, 0.0]),
                p=p,
                time=now,
                born=now,
                last_hit=now,
                sensor_id=d.sensor_id,
                score=d.score,
                labels={d.label: d.score},
                length_m=d.length_m,
                width_m=d.width_m,
            )
            self._next_id += 1
            self._tracks.append(st)
            ids[di] = st.track_id
            born.append(st.track_id)
        return tuple(born)

    def _death(self, now: float) -> tuple[int, ...]:
        cfg = self.config
        keep: list[_State] = []
        gone: list[int] = []
        for st in self._tracks:
            limit = cfg.max_age_s if st.hits >= cfg.min_hits else cfg.tentative_max_age_s
            if now - st.last_hit > limit:
                gone.append(st.track_id)
            else:
                keep.append(st)
        self._tracks = keep
        return tuple(gone)

    def _decay_labels(self, now: float) -> None:
        decay = self.config.label_decay
        for st in self._tracks:
            if st.last_hit == now:
                for k in st.labels:
                    st.labels[k] *= decay

    def _view(self, st: _State, now: float) -> Track:
        vx, vy = float(st.x[2]), float(st.x[3])
        speed = math.hypot(vx, vy)
        return Track(
            track_id=st.track_id,
            time=st.time,
            x_m=float(st.x[0]),
            y_m=float(st.x[1]),
            vx_mps=vx,
            vy_mps=vy,
            speed_mps=speed,
            heading_deg=heading_from_velocity(vx, vy),
            label=_smoothed_label(st.labels),
            score=st.score,
            moving=st.moving,
            confirmed=st.hits >= self.config.min_hits,
            hits=st.hits,
            age_s=now - st.born,
            pos_sigma_m=math.sqrt(max(0.0, (st.p[0, 0] + st.p[1, 1]) / 2.0)),
            sensor_id=st.sensor_id,
            length_m=st.length_m,
            width_m=st.width_m,
        )


def _smoothed_label(labels: dict[str, float]) -> str:
    if not labels:
        return "unknown"
    return max(labels.items(), key=lambda kv: kv[1])[0]
