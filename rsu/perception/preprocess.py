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
    pre = Preprocessor(spec)
    pre.prepare(image)
    return pre.canvas, pre.transform


def prepare(image: Image, spec: InputSpec) -> tuple[FloatArray, Transform]:
    """The batch-of-one input tensor for ``image`` and the transform back to image pixels.

    A fresh :class:`Preprocessor` each call; the detector keeps one and reuses its buffers.
    """
    pre = Preprocessor(spec)
    return pre.prepare(image), pre.transform


class Preprocessor:
    """``prepare`` for a stream of frames of one size, with its buffers allocated once.

    Per frame: one ``cv2.resize`` straight into the letterbox canvas, a split into colour
    planes, and one multiply-add per plane into the float tensor, over the image's part of it
    only (the padding's normalised value is written once, when the frame size is first seen or
    changes). The returned tensor
    is this object's buffer: it is overwritten by the next ``prepare``.
    """

    def __init__(self, spec: InputSpec) -> None:
        if spec.dtype != "float32":
            raise ValueError(f"input dtype {spec.dtype!r}: only float32 is supported")
        self.spec = spec
        gain = [spec.scale / s for s in spec.std]
        offset = [-m / s for m, s in zip(spec.mean, spec.std, strict=True)]
        self._gain, self._offset = gain, offset
        # model channel c reads image (BGR) channel 2 - c when the model wants RGB
        self._source = (2, 1, 0) if spec.rgb else (0, 1, 2)
        h, w = spec.height, spec.width
        self.canvas: Image = np.full((h, w, 3), spec.pad_value, dtype=np.uint8)
        shape = (1, 3, h, w) if spec.nchw else (1, h, w, 3)
        self._tensor: FloatArray = np.empty(shape, dtype=np.float32)
        self._size: tuple[int, int] | None = None
        self.transform = Transform(1.0, 1.0, 0.0, 0.0, w, h)
        self._roi = (slice(0, h), slice(0, w))
        self._planes: list[Image] | None = None

    def _layout(self, w: int, h: int) -> None:
        """Geometry, transform and padding for ``w`` x ``h`` frames (once per frame size)."""
        spec = self.spec
        if spec.resize == "stretch":
            sx, sy = spec.width / w, spec.height / h
            nw, nh, px, py = spec.width, spec.height, 0, 0
        else:
            sx = sy = min(spec.width / w, spec.height / h)
            nw, nh = max(1, round(w * sx)), max(1, round(h * sy))
            px = (spec.width - nw) // 2 if spec.centre else 0
            py = (spec.height - nh) // 2 if spec.centre else 0
        self.transform = Transform(sx, sy, float(px), float(py), w, h)
        self._roi = (slice(py, py + nh), slice(px, px + nw))
        self.canvas[:] = spec.pad_value
        for c in range(3):  # the padding, normalised: it stays as it is until the size changes
            self._plane(c)[...] = spec.pad_value * self._gain[c] + self._offset[c]
        self._size = (w, h)

    def _plane(self, c: int) -> FloatArray:
        return self._tensor[0, c] if self.spec.nchw else self._tensor[0, :, :, c]

    def prepare(self, image: Image) -> FloatArray:
        """The input tensor for ``image`` (this object's buffer); ``transform`` maps boxes back."""
        h, w = image.shape[:2]
        if self._size != (w, h):
            self._layout(w, h)
        rows, cols = self._roi
        roi = self.canvas[rows, cols]
        size = (cols.stop - cols.start, rows.stop - rows.start)
        resized = cv2.resize(image, size, dst=roi, interpolation=cv2.INTER_LINEAR)
        if resized is not roi and not np.shares_memory(resized, roi):  # OpenCV made its own
            roi[...] = resized
        planes = self._planes
        if planes is None or planes[0].shape != roi.shape[:2]:
            planes = self._planes = [np.empty(roi.shape[:2], dtype=np.uint8) for _ in range(3)]
        cv2.split(roi, planes)  # contiguous planes: the multiply-adds below stream through them
        for c in range(3):
            out = self._plane(c)[rows, cols]
            np.multiply(planes[self._source[c]], self._gain[c], out=out, dtype=np.float32)
            out += self._offset[c]
        return self._tensor
