"""Class names: COCO-80 as detectors trained on COCO number them, and the road-user subset."""

from __future__ import annotations

COCO80: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)  # fmt: skip

ROAD_USERS: tuple[str, ...] = ("person", "bicycle", "car", "motorcycle", "bus", "truck")
"""The classes the RSU reports, by default. Fusion and SDSM map them to J2735 object types."""


def class_map(labels: tuple[str, ...], keep: tuple[str, ...]) -> dict[int, str]:
    """Model class index -> reported label, for the labels in ``keep`` only."""
    wanted = set(keep)
    return {i: name for i, name in enumerate(labels) if name in wanted}
