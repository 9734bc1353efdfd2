"""Camera -> detector -> ground -> tracker, and the perception config table."""

from __future__ import annotations

import pytest

from rsu.clock import FakeClock
from rsu.config.fields import Table
from rsu.errors import ConfigError
from rsu.geo import LocalFrame
from rsu.perception.calibration import Calibration, SurveyPoint
from rsu.perception.camera import Camera, CameraConfig
from rsu.perception.config import PerceptionConfig
from rsu.perception.detector import DetectorConfig, create_detector
from rsu.perception.pipeline import CameraPipeline
from rsu.perception.sim import SimBackend
from rsu.perception.tracker import Tracker


def _top_down() -> Calibration:
    """A 640x480 image seen from straight above: 10 px per metre, north up."""
    corners = [((0.0, 0.0), (0.0, 48.0)), ((640.0, 0.0), (64.0, 48.0)),
               ((0.0, 480.0), (0.0, 0.0)), ((640.0, 480.0), (64.0, 0.0))]  # fmt: skip
    points = [SurveyPoint(px, enu) for px, enu in corners]
    return Calibration.from_points(points, LocalFrame(40.0, -74.0))


def test_sim_pipeline_tracks_the_moving_people_with_stable_ids_and_speeds() -> None:
    clock = FakeClock()
    url = "sim://road?fps=10&people=2&cars=1"
    camera = Camera(
        CameraConfig(name="sim", source=url, backend="sim"),
        clock=clock,
        backend=SimBackend(url, clock.advance),
    )
    pipeline = CameraPipeline(
        create_detector(DetectorConfig(backend="sim")), _top_down(), Tracker()
    )
    results = [pipeline.process(f) for f in camera.frames(0, 30)]
    last = results[-1]
    assert sorted(d.label for d in last.detections) == ["car", "person", "person"]
    assert all(g is not None for g in last.ground)
    ids = [set(r.track_ids) for r in results[-10:]]
    assert all(s == ids[0] and None not in s for s in ids)
    assert last.tracker is not None
    speeds = sorted(round(t.speed_mps, 1) for t in last.tracker.tracks)
    # The sim moves its objects 4, 7 and 10 px per frame: 4, 7 and 10 m/s at 10 px/m, 10 fps.
    assert speeds == pytest.approx([4.0, 7.0, 10.0], abs=0.3)


def test_perception_config_reads_detector_tracker_and_cameras() -> None:
    data = {
        "detector": {"model": "nanodet-m-416", "threads": 2, "score_threshold": 0.4},
        "tracker": {"min_hits": 2},
        "cameras": [
            {"name": "north", "source": "rtsp://192.0.2.1/s", "target_fps": 10},
            {"name": "demo", "source": "sim://road"},
        ],
    }
    cfg = PerceptionConfig.from_table(Table(data, "perception"))
    assert cfg.detector.model_path.name == "nanodet-m-416.onnx"
    assert (cfg.detector.threads, cfg.detector.score_threshold) == (2, 0.4)
    assert cfg.detector.input.mean == (103.53, 116.28, 123.675)
    assert cfg.tracker.min_hits == 2
    assert [(c.name, c.backend, c.target_fps) for c in cfg.cameras] == [
        ("north", "opencv", 10.0),
        ("demo", "sim", 0.0),
    ]


def test_default_detector_config_is_the_int8_nanodet_on_automatic_threads() -> None:
    cfg = DetectorConfig.from_table(Table({}, "perception.detector"))
    assert (cfg.model, cfg.family, cfg.threads) == ("nanodet-m-416-int8", "nanodet", 0)
    assert cfg.model_path.is_file()


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"detector": {"modle": "x"}}, "perception.detector.modle"),
        ({"cameras": [{"source": "a.avi", "fps": 3}]}, "perception.cameras[0].fps"),
        ({"cameras": [{"source": "a"}, {"source": "b"}]}, "perception.cameras"),
        ({"detector": {"family": "detr"}}, "perception.detector.family"),
    ],
)
def test_config_errors_name_the_dotted_path(data: dict[str, object], where: str) -> None:
    with pytest.raises(ConfigError) as info:
        PerceptionConfig.from_table(Table(data, "perception"))
    assert info.value.path == where
