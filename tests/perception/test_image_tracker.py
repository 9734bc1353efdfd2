"""The image-plane tracker: synthetic boxes (exact cases) and the real video (frames 100-200)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rsu.config.fields import Table
from rsu.errors import ConfigError
from rsu.perception.image_tracker import ImageTracker, ImageTrackerConfig, iou_matrix
from rsu.perception.types import Box, Detection


def det(x: float, y: float, label: str = "person", w: float = 40.0, h: float = 100.0) -> Detection:
    return Detection(label, 0, 0.9, Box(x, y, x + w, y + h))


def test_iou_matrix_of_identical_disjoint_and_half_overlapping_boxes() -> None:
    a = np.array([[0, 0, 10, 10], [100, 100, 110, 110]], float)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [50, 50, 50, 60]], float)
    iou = iou_matrix(a, b)
    assert iou[0].tolist() == pytest.approx([1.0, 50 / 150, 0.0])
    assert iou[1].tolist() == [0.0, 0.0, 0.0]  # including the zero-area box: no division by 0


def test_ids_come_after_min_hits_and_stay_with_walkers_moving_fast_between_frames() -> None:
    tracker = ImageTracker(ImageTrackerConfig(min_hits=3))
    history: list[tuple[int | None, ...]] = []
    for k in range(30):
        # two walkers crossing paths, 12 px per frame (IoU of consecutive boxes ~0.5)
        a, b = det(100.0 + 12 * k, 200.0), det(460.0 - 12 * k, 230.0)
        history.append(tracker.update([a, b], 0.1 * k).track_ids)
    assert history[0] == history[1] == (None, None)
    assert history[2] == (1, 2)
    assert all(h == (1, 2) for h in history[2:]), history  # no swap while they pass each other


def test_a_missed_frame_keeps_the_id_and_a_long_absence_ends_the_track() -> None:
    tracker = ImageTracker(ImageTrackerConfig(min_hits=2, max_age_s=0.5))
    t = 0.0
    for k in range(5):
        ids = tracker.update([det(100.0 + 10 * k, 200.0)], t := 0.1 * k).track_ids
    assert ids == (1,)
    tracker.update([], t + 0.1)  # missed once: coasts on its velocity
    assert tracker.update([det(160.0, 200.0)], t + 0.2).track_ids == (1,)
    update = tracker.update([], t + 0.9)
    assert update.deleted == (1,)
    tracker.update([det(160.0, 200.0)], t + 1.0)
    assert tracker.update([det(160.0, 200.0)], t + 1.1).track_ids == (2,)  # ids never reused


def test_a_car_does_not_take_over_a_pedestrians_track() -> None:
    tracker = ImageTracker(ImageTrackerConfig(min_hits=1))
    assert tracker.update([det(100, 100)], 0.0).track_ids == (1,)
    assert tracker.update([det(102, 100, label="car")], 0.1).track_ids == (2,)


def test_live_tracks_are_bounded_and_the_rest_counted() -> None:
    tracker = ImageTracker(ImageTrackerConfig(max_tracks=3))
    tracker.update([det(100.0 * i, 0.0) for i in range(5)], 0.0)
    assert len(tracker) == 3
    assert tracker.dropped == 2


def test_config_keys_are_checked() -> None:
    cfg = ImageTrackerConfig.from_table(Table({"iou_min": 0.3, "min_hits": 2}, "t"))
    assert (cfg.iou_min, cfg.min_hits) == (0.3, 2)
    with pytest.raises(ConfigError):
        ImageTrackerConfig.from_table(Table({"iou": 0.3}, "t"))


def test_most_people_in_frames_100_to_200_of_vtest_carry_a_stable_id(
    vtest_avi: Path, default_detector: object
) -> None:
    from rsu.perception.camera import Camera, CameraConfig
    from rsu.perception.detector import OnnxDetector
    from rsu.perception.pipeline import CameraPipeline

    assert isinstance(default_detector, OnnxDetector)
    pipeline = CameraPipeline(default_detector, image_tracker=ImageTracker())
    camera = Camera(CameraConfig(source=str(vtest_avi), realtime=False))
    people: list[int | None] = []
    lengths: dict[int, int] = {}
    try:
        for frame in camera.frames(100, 200):
            result = pipeline.process(frame)
            for d, tid in zip(result.detections, result.track_ids, strict=True):
                if d.label == "person":
                    people.append(tid)
                    if tid is not None:
                        lengths[tid] = lengths.get(tid, 0) + 1
    finally:
        camera.close()
    assert len(people) > 500  # about 9 walkers in view
    assert sum(t is not None for t in people) / len(people) >= 0.8
    # ids are stable: most tracked detections belong to tracks that last 30+ of the 100 frames
    long = sum(n for n in lengths.values() if n >= 30)
    assert long / sum(lengths.values()) >= 0.7, sorted(lengths.values())
