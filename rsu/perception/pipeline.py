"""One camera's per-frame work: detect, put on the ground, track. Used by the CLI and daemon.

``CameraPipeline.process(frame)`` returns a ``FrameResult``: the detections in pixels, each one's
ground position (ENU metres, ``None`` without calibration or above the horizon) and track id:
from the ground-plane tracker (metres) when the camera is calibrated, else from the image-plane
tracker (pixels); ``None`` for a detection whose track is not yet confirmed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from rsu.perception.calibration import Calibration
from rsu.perception.detector import Detector
from rsu.perception.image_tracker import ImageTracker
from rsu.perception.tracker import Tracker, TrackerUpdate
from rsu.perception.types import Detection, Frame
from rsu.road_users import GroundDetection


@dataclass(frozen=True, slots=True)
class FrameResult:
    camera: str
    index: int
    time: float
    monotonic: float
    detections: tuple[Detection, ...]
    ground: tuple[GroundDetection | None, ...]
    track_ids: tuple[int | None, ...]
    detect_ms: float
    tracker: TrackerUpdate | None = None

    def as_dict(self, calibration: Calibration | None = None) -> dict[str, Any]:
        """The JSON line of ``rsu camera detect``."""
        dets = []
        for det, g, tid in zip(self.detections, self.ground, self.track_ids, strict=True):
            d = det.as_dict()
            if g is not None:
                d["enu"] = [round(g.x_m, 2), round(g.y_m, 2)]
                if calibration is not None:
                    lat, lon, _ = calibration.frame.to_geodetic(g.x_m, g.y_m)
                    d["lat"], d["lon"] = round(lat, 7), round(lon, 7)
            if tid is not None:
                d["track_id"] = tid
            dets.append(d)
        return {
            "camera": self.camera,
            "frame": self.index,
            "time": round(self.time, 3),
            "detect_ms": round(self.detect_ms, 1),
            "detections": dets,
        }


class CameraPipeline:
    def __init__(
        self,
        detector: Detector,
        calibration: Calibration | None = None,
        tracker: Tracker | None = None,
        image_tracker: ImageTracker | None = None,
    ) -> None:
        """``tracker`` (ground plane) runs when there is a ``calibration``; ``image_tracker``
        when there is none (or no ground tracker)."""
        self.detector = detector
        self.calibration = calibration
        self.tracker = tracker
        self.image_tracker = image_tracker

    def process(self, frame: Frame) -> FrameResult:
        start = time.perf_counter()
        dets = self.detector.detect(frame.image)
        ms = (time.perf_counter() - start) * 1000.0
        cal = self.calibration
        ground = tuple(cal.ground(d, frame.monotonic, frame.camera) if cal else None for d in dets)
        ids: list[int | None] = [None] * len(dets)
        update = None
        if self.tracker is not None and cal is not None:
            fed = [i for i, g in enumerate(ground) if g is not None]
            update = self.tracker.update([g for g in ground if g is not None], frame.monotonic)
            for i, tid in zip(fed, update.track_ids, strict=True):
                ids[i] = tid
        elif self.image_tracker is not None:
            ids = list(self.image_tracker.update(dets, frame.monotonic).track_ids)
        return FrameResult(
            frame.camera,
            frame.index,
            frame.time,
            frame.monotonic,
            dets,
            ground,
            tuple(ids),
            ms,
            update,
        )
