"""``[perception]``: the detector, the tracker and the cameras.

::

    [perception.detector]
    model = "nanodet-m-416-int8"      # built-in name or a path to an .onnx file
    threads = 0                       # 0: automatic (the cores, shared between the cameras)

    [perception.tracker]              # ground plane (metres): calibrated cameras
    min_hits = 3

    [perception.image_tracker]        # image plane (pixels): cameras without a calibration
    iou_min = 0.2

    [[perception.cameras]]
    name = "north"
    source = "rtsp://192.0.2.10/stream1"
    target_fps = 10
    calibration = "/etc/rsu/north-points.toml"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

from rsu.config.fields import Table
from rsu.errors import ConfigError
from rsu.perception.camera import CameraConfig
from rsu.perception.detector import DetectorConfig
from rsu.perception.image_tracker import ImageTrackerConfig
from rsu.perception.tracker import TrackerConfig


@dataclass(frozen=True, slots=True)
class PerceptionConfig:
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    image_tracker: ImageTrackerConfig = field(default_factory=ImageTrackerConfig)
    cameras: tuple[CameraConfig, ...] = ()

    @classmethod
    def from_table(cls, t: Table) -> Self:
        cameras = tuple(CameraConfig.from_table(c) for c in t.tables("cameras"))
        names = [c.name for c in cameras]
        for name in names:
            if names.count(name) > 1:
                raise ConfigError(t.where("cameras"), f"camera name {name!r} used twice")
        cfg = cls(
            detector=DetectorConfig.from_table(t.table("detector")),
            tracker=TrackerConfig.from_table(t.table("tracker")),
            image_tracker=ImageTrackerConfig.from_table(t.table("image_tracker")),
            cameras=cameras,
        )
        t.done()
        return cfg
