"""Image-plane multi-object tracker in pixels (sans-I/O), for cameras without a calibration.

A camera that is not calibrated has no ground positions, so the ground-plane tracker
(``rsu.perception.tracker``) cannot run; its detections still get track ids from this one:

- each track keeps its last box and a box velocity in pixels per second (smoothed), and is
  predicted to the frame's capture time, so a walker keeps its id through a missed frame;
- detections are assigned to predictions by maximum total IoU
  (``scipy.optimize.linear_sum_assignment`` on 1 - IoU), a pair allowed only above ``iou_min``
  and within one class group (vehicles, vulnerable road users);
- a track gets its id once it has ``min_hits`` detections (tentative before: no id, so one
  false detection does not show up as a track), and dies ``max_age_s`` after its last one;
  ids count up from 1 and are never reused; at most ``max_tracks`` live tracks (detections
  beyond that are not born and are counted in ``dropped``).

Usage::

    tracker = ImageTracker(ImageTrackerConfig())
    update = tracker.update(detections, now)   # detections: Sequence[Detection] (pixel boxes)
    update.track_ids                           # per input detection: its track id or None

No clock reads, no I/O: ``now`` is the frame's capture time (monotonic seconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from rsu.config.fields import Table
from rsu.perception.types import Detection
from rsu.road_users import VEHICLE_LABELS, VRU_LABELS

FloatArray = NDArray[np.float64]

_GROUP = dict.fromkeys(VEHICLE_LABELS, 1) | dict.fromkeys(VRU_LABELS, 2)
"""Class groups that may share a track: vehicles (1), vulnerable road users (2); others any."""


@dataclass(frozen=True, slots=True)
class ImageTrackerConfig:
    """``[perception.image_tracker]``: tracks in the image for cameras without a calibration."""

    iou_min: float = 0.2
    """Least IoU between a track's predicted box and a detection it may take."""
    min_hits: int = 3
    """Detections a track needs before it has an id."""
    max_age_s: float = 1.0
    """A track with an id and no detection for this long is deleted."""
    tentative_max_age_s: float = 0.35
    """A track without an id yet and no detection for this long is deleted."""
    velocity_smoothing: float = 0.5
    """Weight of the newest box displacement in the box velocity (0..1)."""
    max_tracks: int = 1024

    @classmethod
    def from_table(cls, t: Table) -> Self:
        d = cls()
        cfg = cls(
            iou_min=t.number("iou_min", d.iou_min, lo=0.01, hi=1.0),
            min_hits=t.integer("min_hits", d.min_hits, lo=1),
            max_age_s=t.number("max_age_s", d.max_age_s, lo=0.0),
            tentative_max_age_s=t.number("tentative_max_age_s", d.tentative_max_age_s, lo=0.0),
            velocity_smoothing=t.number("velocity_smoothing", d.velocity_smoothing, lo=0, hi=1),
            max_tracks=t.integer("max_tracks", d.max_tracks, lo=1),
        )
        t.done()
        return cfg


@dataclass(frozen=True, slots=True)
class ImageTrackerUpdate:
    """What one :meth:`ImageTracker.update` returns."""

    track_ids: tuple[int | None, ...]
    """For each input detection (same order): its track's id, or ``None`` (tentative/none)."""
    born: tuple[int, ...] = ()
    """Ids given out in this update (tracks that reached ``min_hits``)."""
    deleted: tuple[int, ...] = ()
    """Ids of tracks deleted in this update."""


@dataclass(slots=True)
class _Track:
    box: FloatArray
    velocity: FloatArray
    time: float
    last_hit: float
    group: int
    hits: int = 1
    track_id: int = 0
    """0 while tentative."""


def iou_matrix(a: FloatArray, b: FloatArray) -> FloatArray:
    """IoU of every box of ``a`` (N, 4 xyxy) with every box of ``b`` (M, 4): an (N, M) array."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0.0, None) * np.clip(y2 - y1, 0.0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    out: FloatArray = np.where(union > 0.0, inter / np.where(union > 0.0, union, 1.0), 0.0)
    return out


class ImageTracker:
    """The image-plane tracker core. Not thread-safe: one camera's pipeline feeds it."""

    def __init__(self, config: ImageTrackerConfig | None = None) -> None:
        self.config = config or ImageTrackerConfig()
        self._tracks: list[_Track] = []
        self._next_id = 1
        self.dropped = 0
        """Detections not born as tracks because ``max_tracks`` was reached."""

    def __len__(self) -> int:
        return len(self._tracks)

    def update(self, detections: Sequence[Detection], now: float) -> ImageTrackerUpdate:
        """Assign ``detections`` (one frame, captured at ``now``) to tracks; birth and death."""
        boxes = np.array(
            [(d.box.x1, d.box.y1, d.box.x2, d.box.y2) for d in detections], dtype=np.float64
        ).reshape(-1, 4)
        groups = [_GROUP.get(d.label, 0) for d in detections]
        taken: list[_Track | None] = [None] * len(detections)
        for ti, di in self._assign(boxes, groups, now):
            taken[di] = self._tracks[ti]
            self._correct(self._tracks[ti], boxes[di], now)
        born: list[int] = []
        for di in range(len(taken)):
            if taken[di] is None:
                taken[di] = self._birth(boxes[di], groups[di], now)
            track = taken[di]
            if track is not None and not track.track_id and track.hits >= self.config.min_hits:
                track.track_id = self._next_id
                self._next_id += 1
                born.append(track.track_id)
        deleted = self._death(now)
        ids = tuple(t.track_id if t is not None and t.track_id else None for t in taken)
        return ImageTrackerUpdate(ids, tuple(born), deleted)

    def _assign(self, boxes: FloatArray, groups: list[int], now: float) -> list[tuple[int, int]]:
        if not self._tracks or len(boxes) == 0:
            return []
        pred = np.array([t.box + t.velocity * max(0.0, now - t.time) for t in self._tracks])
        iou = iou_matrix(pred, boxes)
        gt = np.array([t.group for t in self._tracks])[:, None]
        gd = np.array(groups)[None, :]
        allowed = (iou >= self.config.iou_min) & ((gt == gd) | (gt == 0) | (gd == 0))
        rows, cols = linear_sum_assignment(np.where(allowed, 1.0 - iou, 2.0))
        return [(int(t), int(d)) for t, d in zip(rows, cols, strict=True) if allowed[t, d]]

    def _correct(self, track: _Track, box: FloatArray, now: float) -> None:
        dt = now - track.time
        if dt > 0.0:
            a = self.config.velocity_smoothing
            observed = (box - track.box) / dt
            old = track.velocity
            track.velocity = observed if track.hits == 1 else a * observed + (1 - a) * old
        track.box = box.copy()
        track.time = now
        track.last_hit = now
        track.hits += 1

    def _birth(self, box: FloatArray, group: int, now: float) -> _Track | None:
        if len(self._tracks) >= self.config.max_tracks:
            self.dropped += 1
            return None
        track = _Track(box.copy(), np.zeros(4), now, now, group)
        self._tracks.append(track)
        return track

    def _death(self, now: float) -> tuple[int, ...]:
        cfg = self.config
        keep: list[_Track] = []
        gone: list[int] = []
        for t in self._tracks:
            limit = cfg.max_age_s if t.track_id else cfg.tentative_max_age_s
            if now - t.last_hit > limit:
                if t.track_id:
                    gone.append(t.track_id)
            else:
                keep.append(t)
        self._tracks = keep
        return tuple(gone)
