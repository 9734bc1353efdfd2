"""Image -> network input tensor (letterbox or stretch, colour order, mean/std, layout).

Each model family wants its own input: NanoDet BGR with ImageNet mean/std in 0..255 units,
YOLO RGB/255 letterboxed with grey 114, SSD often RGB resized. ``InputSpec`` says which, and
``prepare`` returns the tensor plus the ``Transform`` that maps network boxes back to the image.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from rsu.perception.types import Image

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class InputSpec:
    """How one model wants its input.

    ``resize``: ``letterbox`` keeps the aspect ratio and pads (``pad_value``), anchored top-left
    (``centre=False``, NanoDet/YOLOX) or centred (``centre=True``, YOLOv5/v8); ``stretch``
    resizes to the input size ignoring the aspect ratio (SSD). ``mean``/``std`` are per channel
    in the model's channel order and in 0..255 units, applied after ``scale``.
    """

    width: int
    height: int
    rgb: bool = False
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    scale: float = 1.0
    resize: str = "letterbox"
    centre: bool = False
    pad_value: int = 0
    nchw: bool = True
    dtype: str = "float32"


@dataclass(frozen=True, slots=True)
class Transform:
    """Network-input pixels -> image pixels: ``x_img = (x_net - pad_x) / scale_x``."""

    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float
    image_width: int
    image_height: int

    def boxes_to_image(self, boxes: FloatArray) -> FloatArray:
        """(N, 4) xyxy boxes in network pixels -> image pixels, clipped to the image."""
        out = np.empty_like(boxes)
        out[:, 0::2] = (boxes[:, 0::2] - self.pad_x) / self.scale_x
        out[:, 1::2] = (boxes[:, 1::2] - self.pad_y) / self.scale_y
        np.clip(out[:, 0::2], 0.0, float(self.image_width), out=out[:, 0::2])
        np.clip(out[:, 1::2], 0.0, float(self.image_height), out=out[:, 1::2])
        return out


def resize_for(image: Image, spec: InputSpec) -> tuple[Image, Transform]:
    """Resize (and pad) ``image`` to the network size; the ``Transform`` undoes it for boxes."""
    h, w = image.shape[:2]
    if spec.resize == "stretch":
        sx, sy = spec.width / w, spec.height / h
        out = cv2.resize(image, (spec.width, spec.height), interpolation=cv2.INTER_LINEAR)
        return np.asarray(out, dtype=np.uint8), Transform(sx, sy, 0.0, 0.0, w, h)
    s = min(spec.width / w, spec.height / h)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    px = (spec.width - nw) // 2 if spec.centre else 0
    py = (spec.height - nh) // 2 if spec.centre else 0
    canvas = np.full((spec.height, spec.width, 3), spec.pad_value, dtype=np.uint8)
    canvas[py : py + nh, px : px + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return canvas, Transform(s, s, float(px), float(py), w, h)


def prepare(image: Image, spec: InputSpec) -> tuple[FloatArray, Transform]:
    """The batch-of-one input tensor for ``image`` and the transform back to image pixels."""
    resized, transform = resize_for(image, spec)
    if spec.rgb:
        resized = resized[:, :, ::-1]
    x = resized.astype(np.float32)
    if spec.scale != 1.0:
        x *= np.float32(spec.scale)
    if spec.mean != (0.0, 0.0, 0.0):
        x -= np.asarray(spec.mean, dtype=np.float32)
    if spec.std != (1.0, 1.0, 1.0):
        x /= np.asarray(spec.std, dtype=np.float32)
    if spec.nchw:
        x = x.transpose(2, 0, 1)
    tensor = np.ascontiguousarray(x[None], dtype=np.float32)
    return tensor, transform
