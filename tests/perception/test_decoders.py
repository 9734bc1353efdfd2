"""Decoders and NMS on synthetic outputs (pure numpy, no runtime)."""

from __future__ import annotations

import numpy as np
import pytest

from rsu.perception.classes import COCO80
from rsu.perception.decoders import Candidates, make_decoder, nms
from rsu.perception.detector import family_input, nms_group_ids
from rsu.perception.preprocess import Preprocessor, prepare, resize_for

SPEC = family_input("nanodet", 320, 320)
ALL = np.arange(80, dtype=np.int64)


def _cand(
    boxes: list[tuple[float, float, float, float]], scores: list[float], ids: list[int]
) -> Candidates:
    return Candidates(
        np.array(boxes, np.float32), np.array(scores, np.float32), np.array(ids, np.int64)
    )


def test_nms_keeps_the_best_of_overlapping_boxes_per_class() -> None:
    c = _cand([(0, 0, 10, 10), (1, 1, 11, 11), (0, 0, 10, 10), (50, 50, 60, 60)],
              [0.6, 0.9, 0.8, 0.5], [2, 2, 0, 2])  # fmt: skip
    out = nms(c, 0.5)
    assert out.scores.tolist() == pytest.approx([0.9, 0.8, 0.5])
    assert out.class_ids.tolist() == [2, 0, 2]


def test_nms_groups_suppress_across_classes_of_a_group() -> None:
    c = _cand([(0, 0, 10, 10), (0, 0, 10, 10), (0, 0, 10, 10)], [0.9, 0.7, 0.8], [2, 7, 0])
    groups = nms_group_ids(COCO80, (("car", "bus", "truck"),))
    out = nms(c, 0.5, groups=groups)
    assert out.class_ids.tolist() == [2, 0]


def test_nms_caps_the_number_of_detections() -> None:
    boxes = [(i * 20.0, 0.0, i * 20.0 + 10, 10.0) for i in range(50)]
    out = nms(_cand(boxes, [0.5] * 50, [0] * 50), 0.5, max_detections=7)
    assert len(out.scores) == 7


def test_nms_of_nothing_is_nothing() -> None:
    assert len(nms(Candidates.empty(), 0.5).scores) == 0


@pytest.mark.parametrize(
    ("family", "shapes", "message"),
    [
        ("nanodet", [(1, 1600, 80), (1, 1600, 30)], "4\\*\\(reg_max\\+1\\)"),
        ("nanodet", [(1, 1600, 80)], "merged output"),
        ("nanodet", [(1, 999, 80), (1, 999, 32)], "999 positions match no stride"),
        ("yolov5", [(1, 100, 84)], "5 \\+ 80"),
        ("yolov8", [(1, 100, 85), (1, 2)], "expected one output"),
        ("yolox", [(1, 2000, 85)], "expected \\(1, 2100, 85\\)"),
        ("ssd", [(1, 10, 4)], "expected two outputs"),
        ("ssd", [(1, 10, 4), (1, 11, 81)], "boxes \\(1, N, 4\\)"),
    ],
)
def test_bind_names_the_mismatch(family: str, shapes: list[tuple[int, ...]], message: str) -> None:
    decoder = make_decoder(family, family_input(family, 320, 320), 80)
    with pytest.raises(ValueError, match=message):
        decoder.bind(shapes)


def test_unknown_family_is_named() -> None:
    with pytest.raises(ValueError, match="unknown model family 'detr'"):
        make_decoder("detr", SPEC, 80)


def test_nanodet_distance_is_the_softmax_expectation_times_stride() -> None:
    decoder = make_decoder("nanodet", SPEC, 80)
    shapes = [(1, n, w) for n in (1600, 400, 100) for w in (80, 32)]
    decoder.bind(shapes)
    outs = [np.zeros(s, np.float32) for s in shapes]
    outs[2][0, 0, 0] = 0.8  # stride 16, cell (0, 0): centre (8, 8)
    logits = np.full((4, 8), -30.0, np.float32)
    logits[:, 1] = logits[:, 2] = 0.0  # half at 1, half at 2 -> 1.5 strides = 24 px
    outs[3][0, 0] = logits.reshape(-1)
    c = decoder.decode(outs, ALL, 0.5)
    assert c.boxes.tolist() == [pytest.approx([-16, -16, 32, 32], abs=1e-3)]


def test_scores_below_threshold_and_unkept_classes_are_dropped() -> None:
    decoder = make_decoder("yolov8", SPEC, 80)
    decoder.bind([(1, 84, 3)])
    out = np.zeros((1, 84, 3), np.float32)
    out[0, 4 + 0, 0] = 0.2  # person, weak
    out[0, 4 + 16, 1] = 0.9  # dog
    out[0, 4 + 2, 2] = 0.6  # car
    c = decoder.decode([out], np.array([0, 1, 2, 3, 5, 7]), 0.35)
    assert c.class_ids.tolist() == [2]


def test_letterbox_transform_maps_network_boxes_back_to_the_image() -> None:
    image = np.zeros((480, 640, 3), np.uint8)
    spec = family_input("yolov8", 320, 320)
    tensor, transform = prepare(image, spec)
    assert tensor.shape == (1, 3, 320, 320)
    assert tensor[0, :, 0, 0].tolist() == pytest.approx([114 / 255] * 3)  # padding
    back = transform.boxes_to_image(np.array([[50, 90, 100, 190]], np.float32))
    assert back.tolist() == [pytest.approx([100, 100, 200, 300])]


def test_nanodet_input_is_bgr_with_its_mean_and_std() -> None:
    image = np.zeros((416, 416, 3), np.uint8)
    image[:, :] = (103, 116, 124)  # B, G, R
    tensor, _ = prepare(image, family_input("nanodet", 416, 416))
    assert tensor[0, :, 10, 10].tolist() == pytest.approx(
        [(103 - 103.53) / 57.375, (116 - 116.28) / 57.12, (124 - 123.675) / 58.395], abs=1e-5
    )


def test_the_preprocessor_reuses_its_buffers_and_matches_prepare_for_each_family() -> None:
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (576, 768, 3), dtype=np.uint8)
    for family in ("nanodet", "yolov8", "ssd"):
        spec = family_input(family, 416, 416)
        pre = Preprocessor(spec)
        first = pre.prepare(image)
        # the straightforward computation: resize, pad, channel order, scale, mean, std
        canvas, transform = resize_for(image, spec)
        x = canvas[:, :, ::-1] if spec.rgb else canvas
        want = (x.astype(np.float32) * spec.scale - np.float32(spec.mean)) / np.float32(spec.std)
        assert np.abs(first[0] - want.transpose(2, 0, 1)).max() < 1e-4
        assert pre.transform == transform
        again = pre.prepare(np.zeros_like(image))
        assert again is first  # one buffer, no allocation per frame
    small = Preprocessor(family_input("yolov8", 320, 320))
    small.prepare(image)
    out = small.prepare(np.zeros((480, 640, 3), np.uint8))  # a new frame size re-lays the pad
    assert small.transform.pad_y == 40.0
    assert out[0, :, 0, 0].tolist() == pytest.approx([114 / 255] * 3)
