"""The ONNX detector: every decoder family end to end through onnxruntime, and bad models."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rsu.errors import BackendError, ModelError
from rsu.perception.detector import (
    DetectorConfig,
    OnnxDetector,
    create_detector,
    family_input,
)
from tests.perception.onnx_models import constant_model

IMAGE = np.full((480, 640, 3), 80, np.uint8)
CAR, DOG = 2, 16


def _config(path: Path, family: str, **kw: Any) -> DetectorConfig:
    options = tuple(sorted(kw.pop("options", {}).items()))
    return DetectorConfig(
        model=str(path), family=family, input=family_input(family, 320, 320), options=options, **kw
    )


def _one_hot_logits(bins: int, sides: list[int]) -> np.ndarray:
    out = np.zeros((4, bins), np.float32)
    for k, b in enumerate(sides):
        out[k, b] = 30.0
    return out.reshape(-1)


def _nanodet_levels(bins: int) -> dict[str, np.ndarray]:
    """Per-level outputs of a 320x320 NanoDet: a car at stride 8 cell (9, 11), a weaker shifted
    duplicate at (10, 11), and a dog (not a road user) elsewhere."""
    outs = {}
    for stride in (8, 16, 32):
        n = (320 // stride) ** 2
        outs[f"cls{stride}"] = np.zeros((1, n, 80), np.float32)
        outs[f"reg{stride}"] = np.zeros((1, n, 4 * bins), np.float32)
    cell = 11 * 40 + 9  # centre (76, 92) in network pixels
    outs["cls8"][0, cell, CAR] = 0.9
    outs["cls8"][0, cell + 1, CAR] = 0.8
    outs["cls8"][0, 5, DOG] = 0.95
    for c in (cell, cell + 1, 5):
        outs["reg8"][0, c] = _one_hot_logits(bins, [3, 6, 3, 7])  # l, t, r, b in strides
    return outs


# network box (52, 44, 100, 148), letterboxed top-left at scale 0.5
NANODET_BOX = (104.0, 88.0, 200.0, 296.0)


def test_nanodet_per_level_outputs_decode_to_the_car_in_image_pixels(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "nanodet.onnx", _nanodet_levels(bins=8))
    det = OnnxDetector(_config(path, "nanodet")).detect(IMAGE)
    assert [d.label for d in det] == ["car"]
    assert det[0].box.as_list() == pytest.approx(NANODET_BOX, abs=0.1)
    assert det[0].score == pytest.approx(0.9, abs=1e-5)


def test_nanodet_merged_output_decodes_like_the_per_level_outputs(tmp_path: Path) -> None:
    levels = _nanodet_levels(bins=11)
    rows = [np.concatenate([levels[f"cls{s}"], levels[f"reg{s}"]], axis=2) for s in (8, 16, 32)]
    rows.append(np.zeros((1, 25, 80 + 44), np.float32))  # stride 64
    path = constant_model(tmp_path / "nanodet_plus.onnx", {"output": np.concatenate(rows, axis=1)})
    cfg = _config(path, "nanodet", options={"strides": [8, 16, 32, 64]})
    det = OnnxDetector(cfg).detect(IMAGE)
    assert [d.label for d in det] == ["car"]
    assert det[0].box.as_list() == pytest.approx(NANODET_BOX, abs=0.1)


def _yolo_rows(with_objectness: bool) -> np.ndarray:
    # network box (50, 90, 100, 190): letterboxed centred (pad 40 px top) at scale 0.5
    rows = np.zeros((10, 85 if with_objectness else 84), np.float32)
    k = 5 if with_objectness else 4
    for r, (cx, cls, score) in enumerate([(75, CAR, 0.9), (78, CAR, 0.8), (200, DOG, 0.95)]):
        rows[r, :4] = (cx, 140, 50, 100)
        rows[r, k + cls] = score
        if with_objectness:
            rows[r, 4] = 1.0
    return rows


def test_yolov8_output_decodes_to_the_car_in_image_pixels(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "v8.onnx", {"output0": _yolo_rows(False).T[None]})
    det = OnnxDetector(_config(path, "yolov8")).detect(IMAGE)
    assert [d.label for d in det] == ["car"]
    assert det[0].box.as_list() == pytest.approx((100, 100, 200, 300), abs=0.1)


def test_yolov5_scores_are_objectness_times_class(tmp_path: Path) -> None:
    rows = _yolo_rows(True)
    rows[:, 4] = 0.5
    path = constant_model(tmp_path / "v5.onnx", {"output": rows[None]})
    det = OnnxDetector(_config(path, "yolov5", score_threshold=0.3)).detect(IMAGE)
    assert [d.label for d in det] == ["car"]
    assert det[0].score == pytest.approx(0.45)
    assert det[0].box.as_list() == pytest.approx((100, 100, 200, 300), abs=0.1)


def test_yolox_raw_grid_outputs_are_decoded_with_strides(tmp_path: Path) -> None:
    out = np.zeros((1, 1600 + 400 + 100, 85), np.float32)
    row = 12 * 40 + 9  # stride 8 cell (9, 12); network box (50, 50, 100, 150)
    out[0, row, :5] = (75 / 8 - 9, 100 / 8 - 12, math.log(50 / 8), math.log(100 / 8), 0.95)
    out[0, row, 5 + CAR] = 0.9
    path = constant_model(tmp_path / "yolox.onnx", {"output": out})
    det = OnnxDetector(_config(path, "yolox")).detect(IMAGE)
    assert [d.label for d in det] == ["car"]
    assert det[0].score == pytest.approx(0.855)
    assert det[0].box.as_list() == pytest.approx((100, 100, 200, 300), abs=0.1)


def test_ssd_normalised_yxyx_boxes_with_background_column(tmp_path: Path) -> None:
    boxes = np.zeros((1, 10, 4), np.float32)
    scores = np.zeros((1, 10, 81), np.float32)
    boxes[0, 0] = (100 / 480, 100 / 640, 300 / 480, 200 / 640)
    scores[0, 0, 1 + CAR] = 0.7
    scores[0, :, 0] = 0.99  # background
    path = constant_model(tmp_path / "ssd.onnx", {"boxes": boxes, "scores": scores})
    det = OnnxDetector(_config(path, "ssd", options={"box_order": "yxyx"})).detect(IMAGE)
    assert [(d.label, d.class_id) for d in det] == [("car", CAR)]
    assert det[0].box.as_list() == pytest.approx((100, 100, 200, 300), abs=0.1)


def test_one_vehicle_scored_as_car_and_truck_is_one_detection(tmp_path: Path) -> None:
    rows = _yolo_rows(False)
    rows[1, :4] = (75, 140, 50, 100)
    rows[1, 4 + CAR] = 0.0
    rows[1, 4 + 7] = 0.6  # truck, same box
    path = constant_model(tmp_path / "v8.onnx", {"output0": rows.T[None]})
    assert [d.label for d in OnnxDetector(_config(path, "yolov8")).detect(IMAGE)] == ["car"]
    split = OnnxDetector(_config(path, "yolov8", nms_groups=())).detect(IMAGE)
    assert sorted(d.label for d in split) == ["car", "truck"]


def test_missing_model_is_a_model_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"nope\.onnx.*file not found"):
        OnnxDetector(DetectorConfig(model=str(tmp_path / "nope.onnx")))


def test_a_file_that_is_not_onnx_is_a_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.onnx"
    bad.write_bytes(b"\x08\x07not a model" * 10)
    with pytest.raises(ModelError, match=r"garbage\.onnx.*cannot load"):
        OnnxDetector(DetectorConfig(model=str(bad)))


def test_unexpected_outputs_fail_at_start_up_naming_model_and_mismatch(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "odd.onnx", {"out": np.zeros((1, 100, 7), np.float32)})
    with pytest.raises(ModelError) as info:
        OnnxDetector(_config(path, "nanodet"))
    text = str(info.value)
    assert "odd.onnx" in text
    assert "nanodet" in text
    assert "(1, 100, 7)" in text


def test_yolov8_model_configured_as_yolox_is_rejected(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "v8.onnx", {"output0": _yolo_rows(False).T[None]})
    with pytest.raises(ModelError, match=r"v8\.onnx.*yolox.*\(1, 84, 10\)"):
        OnnxDetector(_config(path, "yolox"))


def test_input_size_mismatch_is_a_model_error(tmp_path: Path) -> None:
    path = constant_model(
        tmp_path / "small.onnx", {"o": np.zeros((1, 84, 5), np.float32)}, (1, 3, 256, 256)
    )
    with pytest.raises(ModelError, match=r"small\.onnx.*input is \[1, 3, 256, 256\]"):
        OnnxDetector(_config(path, "yolov8"))


def test_unknown_backend_and_provider_are_reported(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="tflite"):
        create_detector(DetectorConfig(backend="tflite"))
    with pytest.raises(ModelError, match="CUDAExecutionProvider not available"):
        OnnxDetector(DetectorConfig(provider="CUDAExecutionProvider"))


def test_default_model_finds_the_pedestrians_in_vtest(
    default_detector: Any, vtest_frames: dict[int, np.ndarray]
) -> None:
    counts = []
    for image in vtest_frames.values():
        dets = default_detector.detect(image)
        people = [d for d in dets if d.label == "person"]
        counts.append(len(people))
        assert all(12 <= d.box.height <= 150 for d in people)  # 15..120 px tall here
        upright = sum(d.box.height > d.box.width for d in people)
        assert upright >= len(people) - 1
    # The scene has 3..12 people in view over these 30 s; the detector misses a few far ones.
    assert min(counts) >= 2
    assert max(counts) <= 14
    assert 5 <= sum(counts) / len(counts) <= 11
    assert default_detector.name == "nanodet-m-416-int8"


def test_int8_default_agrees_with_the_float_model(
    default_detector: Any, vtest_frames: dict[int, np.ndarray]
) -> None:
    fp32 = OnnxDetector(DetectorConfig(model="nanodet-m-416"))
    for image in list(vtest_frames.values())[::4]:
        a = [d for d in default_detector.detect(image) if d.label == "person"]
        b = [d for d in fp32.detect(image) if d.label == "person"]
        assert abs(len(a) - len(b)) <= 2
        matched = sum(any(_iou(x.box, y.box) > 0.5 for y in b) for x in a)
        assert matched >= len(a) - 1


def _iou(a: Any, b: Any) -> float:
    w = max(0.0, min(a.x2, b.x2) - max(a.x1, b.x1))
    h = max(0.0, min(a.y2, b.y2) - max(a.y1, b.y1))
    inter = w * h
    return inter / (a.width * a.height + b.width * b.height - inter)
