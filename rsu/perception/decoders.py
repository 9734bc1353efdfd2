"""Output decoders for the common ONNX detector families, and NMS. Pure numpy (sans-I/O).

A decoder is made for one model (``make_decoder``), bound once to the shapes of the model's
outputs at start-up (``bind`` raises ``ValueError`` naming the mismatch, which the detector turns
into a ``ModelError``), then turns each run's outputs into candidate boxes in network-input
pixels. Families:

- ``nanodet``: GFL head. Per-level class scores (sigmoid applied) ``(1, HW, C)`` and distance
  distributions ``(1, HW, 4 * (reg_max + 1))`` (left, top, right, bottom; softmax, expectation,
  times stride), or one merged ``(1, N, C + 4 * (reg_max + 1))`` output (NanoDet-Plus export).
- ``yolov5``: ``(1, N, 5 + C)`` rows of cx, cy, w, h (pixels), objectness, class scores.
- ``yolov8``: ``(1, 4 + C, N)`` (or transposed) rows of cx, cy, w, h, class scores.
- ``yolox``: ``(1, N, 5 + C)`` raw grid outputs (``decode_in_inference=False`` export):
  ``cx = (x + grid_x) * stride``, ``w = exp(w) * stride``; objectness and scores sigmoid applied.
- ``ssd``: boxes ``(1, N, 4)`` and scores ``(1, N, C)`` or ``(1, N, C + 1)`` with background at
  column 0; boxes normalised 0..1, ``xyxy`` or ``yxyx`` (TF Object Detection API order).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rsu.perception.preprocess import InputSpec

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
Shape = tuple[int, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Candidates:
    """Boxes (N, 4) xyxy in network pixels, scores (N,), model class ids (N,)."""

    boxes: F32
    scores: F32
    class_ids: I64

    @staticmethod
    def empty() -> Candidates:
        return Candidates(
            np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
        )


def _best(scores: F32, keep_ids: I64, threshold: float) -> tuple[I64, F32, I64]:
    """Rows whose best kept class scores >= threshold: (rows, score, model class id)."""
    sub = scores[:, keep_ids]
    arg = sub.argmax(axis=1)
    best = sub[np.arange(sub.shape[0]), arg]
    rows = np.nonzero(best >= threshold)[0]
    return rows, best[rows].astype(np.float32), keep_ids[arg[rows]]


def _cxcywh(b: F32) -> F32:
    out = np.empty_like(b)
    out[:, 0] = b[:, 0] - b[:, 2] / 2
    out[:, 1] = b[:, 1] - b[:, 3] / 2
    out[:, 2] = b[:, 0] + b[:, 2] / 2
    out[:, 3] = b[:, 1] + b[:, 3] / 2
    return out


def _grid(spec: InputSpec, stride: int, offset: float) -> tuple[F32, int]:
    """Centres (HW, 2) of one feature level, row-major, in network pixels."""
    gw, gh = math.ceil(spec.width / stride), math.ceil(spec.height / stride)
    ys, xs = np.divmod(np.arange(gw * gh), gw)
    centres = np.stack([(xs + offset) * stride, (ys + offset) * stride], axis=1)
    return centres.astype(np.float32), gw * gh


def _strides_for(spec: InputSpec, counts: Sequence[int]) -> list[int]:
    out = []
    for n in counts:
        match = [s for s in (8, 16, 32, 64, 128) if _grid_size(spec, s) == n]
        if not match:
            raise ValueError(f"{n} positions match no stride of a {spec.width}x{spec.height} input")
        out.append(match[0])
    return out


def _grid_size(spec: InputSpec, stride: int) -> int:
    return math.ceil(spec.width / stride) * math.ceil(spec.height / stride)


def _fmt(shapes: Sequence[Shape]) -> str:
    return ", ".join(str(tuple(s)) for s in shapes)


class Decoder:
    """Base: one model family's output layout. ``bind`` once, then ``decode`` per frame."""

    family = ""

    def __init__(self, spec: InputSpec, num_classes: int, **options: object) -> None:
        self.spec = spec
        self.num_classes = num_classes
        self.options = options

    def bind(self, shapes: Sequence[Shape]) -> None:
        raise NotImplementedError

    def decode(self, outputs: Sequence[F32], keep_ids: I64, threshold: float) -> Candidates:
        raise NotImplementedError

    def _single(self, shapes: Sequence[Shape], expected: str) -> Shape:
        if len(shapes) != 1 or len(shapes[0]) != 3 or shapes[0][0] != 1:
            raise ValueError(f"expected one output {expected}, got {_fmt(shapes)}")
        return shapes[0]


class NanoDetDecoder(Decoder):
    family = "nanodet"

    def bind(self, shapes: Sequence[Shape]) -> None:
        c = self.num_classes
        self.merged = len(shapes) == 1
        if self.merged:
            n, width = self._single(shapes, f"(1, N, {c} + 4*(reg_max+1))")[1:]
            bins, rest = divmod(width - c, 4)
            strides = [int(s) for s in self.options.get("strides", (8, 16, 32, 64))]  # type: ignore[attr-defined]
            if rest or bins < 2 or sum(_grid_size(self.spec, s) for s in strides) != n:
                raise ValueError(
                    f"merged output {tuple(shapes[0])} does not fit {c} classes, strides {strides}"
                )
            self.levels: list[tuple[int, int | None, int | None]] = [
                (s, None, None) for s in strides
            ]
        else:
            by_n: dict[int, dict[int, int]] = {}
            for i, s in enumerate(shapes):
                if len(s) != 3 or s[0] != 1:
                    raise ValueError(f"expected (1, HW, C) outputs, got {_fmt(shapes)}")
                by_n.setdefault(s[1], {})[s[2]] = i
            widths = {w for d in by_n.values() for w in d if w != c}
            if (
                len(shapes) % 2
                or any(c not in d or len(d) != 2 for d in by_n.values())
                or len(widths) != 1
            ):
                raise ValueError(
                    f"expected per-level ({c}-class score, 4*(reg_max+1) box) pairs, "
                    f"got {_fmt(shapes)}"
                )
            bins, rest = divmod(widths.pop(), 4)
            if rest:
                raise ValueError(f"box output width {bins * 4 + rest} is not 4*(reg_max+1)")
            counts = sorted(by_n, reverse=True)
            strides = _strides_for(self.spec, counts)
            self.levels = [
                (s, by_n[n][c], by_n[n][bins * 4]) for s, n in zip(strides, counts, strict=True)
            ]
        self.bins = bins
        offset = float(self.options.get("center_offset", 0.5))  # type: ignore[arg-type]
        self.centres = [_grid(self.spec, s, offset)[0] for s, _, _ in self.levels]

    def decode(self, outputs: Sequence[F32], keep_ids: I64, threshold: float) -> Candidates:
        c, parts = self.num_classes, []
        start = 0
        for (stride, ci, ri), centres in zip(self.levels, self.centres, strict=True):
            if ci is None or ri is None:
                block = outputs[0][0, start : start + len(centres)]
                start += len(centres)
                cls, reg = block[:, :c], block[:, c:]
            else:
                cls, reg = outputs[ci][0], outputs[ri][0]
            rows, scores, ids = _best(cls, keep_ids, threshold)
            if len(rows) == 0:
                continue
            logits = reg[rows].reshape(-1, 4, self.bins)
            e = np.exp(logits - logits.max(axis=2, keepdims=True))
            dist = (e / e.sum(axis=2, keepdims=True)) @ np.arange(self.bins, dtype=np.float32)
            dist *= stride
            ctr = centres[rows]
            boxes = np.concatenate([ctr - dist[:, :2], ctr + dist[:, 2:]], axis=1)
            parts.append(Candidates(boxes.astype(np.float32), scores, ids))
        return _concat(parts)


class YoloV5Decoder(Decoder):
    family = "yolov5"

    def bind(self, shapes: Sequence[Shape]) -> None:
        s = self._single(shapes, f"(1, N, 5 + {self.num_classes})")
        if s[2] != 5 + self.num_classes:
            raise ValueError(f"output {tuple(s)}: last dimension should be 5 + {self.num_classes}")

    def decode(self, outputs: Sequence[F32], keep_ids: I64, threshold: float) -> Candidates:
        out = outputs[0][0]
        out = out[out[:, 4] >= threshold]
        rows, scores, ids = _best(out[:, 5:] * out[:, 4:5], keep_ids, threshold)
        return Candidates(_cxcywh(out[rows, :4]), scores, ids)


class YoloV8Decoder(Decoder):
    family = "yolov8"

    def bind(self, shapes: Sequence[Shape]) -> None:
        s = self._single(shapes, f"(1, 4 + {self.num_classes}, N)")
        want = 4 + self.num_classes
        if want not in (s[1], s[2]):
            raise ValueError(f"output {tuple(s)}: no dimension of 4 + {self.num_classes}")
        self.transposed = s[1] == want and s[2] != want

    def decode(self, outputs: Sequence[F32], keep_ids: I64, threshold: float) -> Candidates:
        out = outputs[0][0].T if self.transposed else outputs[0][0]
        rows, scores, ids = _best(out[:, 4:], keep_ids, threshold)
        return Candidates(_cxcywh(out[rows, :4]), scores, ids)


class YoloXDecoder(Decoder):
    family = "yolox"

    def bind(self, shapes: Sequence[Shape]) -> None:
        s = self._single(shapes, f"(1, N, 5 + {self.num_classes})")
        strides = [int(v) for v in self.options.get("strides", (8, 16, 32))]  # type: ignore[attr-defined]
        n = sum(_grid_size(self.spec, st) for st in strides)
        if s[2] != 5 + self.num_classes or s[1] != n:
            raise ValueError(
                f"output {tuple(s)}: expected (1, {n}, {5 + self.num_classes}) "
                f"for strides {strides}"
            )
        grids = [_grid(self.spec, st, 0.0) for st in strides]
        self.centres = np.concatenate([g for g, _ in grids])
        self.strides = np.concatenate(
            [np.full(k, st, np.float32) for (_, k), st in zip(grids, strides, strict=True)]
        )

    def decode(self, outputs: Sequence[F32], keep_ids: I64, threshold: float) -> Candidates:
        out = outputs[0][0]
        rows, scores, ids = _best(out[:, 5:] * out[:, 4:5], keep_ids, threshold)
        st = self.strides[rows, None]
        cxcy = out[rows, :2] * st + self.centres[rows]  # centres are grid * stride
        wh = np.exp(np.minimum(out[rows, 2:4], 20.0)) * st
        return Candidates(_cxcywh(np.concatenate([cxcy, wh], axis=1)), scores, ids)


class SsdDecoder(Decoder):
    family = "ssd"

    def bind(self, shapes: Sequence[Shape]) -> None:
        c = self.num_classes
        if len(shapes) != 2:
            raise ValueError(
                f"expected two outputs, boxes (1, N, 4) and scores (1, N, {c}), got {_fmt(shapes)}"
            )
        box_i = 0 if shapes[0][-1] == 4 else 1
        b, s = shapes[box_i], shapes[1 - box_i]
        if len(b) != 3 or len(s) != 3 or b[1] != s[1] or s[2] not in (c, c + 1):
            raise ValueError(
                f"expected boxes (1, N, 4) and scores (1, N, {c} or {c + 1}), got {_fmt(shapes)}"
            )
        self.box_i, self.background = box_i, int(s[2] == c + 1)
        self.yxyx = self.options.get("box_order", "xyxy") == "yxyx"

    def decode(self, outputs: Sequence[F32], keep_ids: I64, threshold: float) -> Candidates:
        boxes, scores = outputs[self.box_i][0], outputs[1 - self.box_i][0]
        rows, best, ids = _best(scores, keep_ids + self.background, threshold)
        b = boxes[rows][:, [1, 0, 3, 2]] if self.yxyx else boxes[rows]
        size = np.array([self.spec.width, self.spec.height] * 2, np.float32)
        return Candidates((b * size).astype(np.float32), best, ids - self.background)


DECODERS: dict[str, type[Decoder]] = {
    d.family: d for d in (NanoDetDecoder, YoloV5Decoder, YoloV8Decoder, YoloXDecoder, SsdDecoder)
}


def make_decoder(family: str, spec: InputSpec, num_classes: int, **options: object) -> Decoder:
    try:
        cls = DECODERS[family]
    except KeyError:
        raise ValueError(
            f"unknown model family {family!r} (known: {', '.join(DECODERS)})"
        ) from None
    return cls(spec, num_classes, **options)


def _concat(parts: list[Candidates]) -> Candidates:
    if not parts:
        return Candidates.empty()
    return Candidates(
        np.concatenate([p.boxes for p in parts]),
        np.concatenate([p.scores for p in parts]),
        np.concatenate([p.class_ids for p in parts]),
    )


def nms(
    c: Candidates,
    iou_threshold: float,
    max_detections: int = 100,
    groups: npt.NDArray[np.int64] | None = None,
) -> Candidates:
    """Greedy non-maximum suppression per class; the result is sorted by score.

    ``groups`` (class id -> group id) suppresses across the classes of one group, so a van
    scored as both car and truck stays one object.
    """
    if len(c.scores) == 0:
        return c
    order = np.argsort(-c.scores, kind="stable")[: max(1000, max_detections)]
    # Offsetting each class (group) far apart makes one pass class-aware.
    key = c.class_ids[order] if groups is None else groups[c.class_ids[order]]
    shift = (key * (float(np.abs(c.boxes).max()) + 1.0))[:, None].astype(np.float32)
    b = c.boxes[order] + shift
    area = (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)
    keep: list[int] = []
    alive = np.ones(len(order), dtype=bool)
    for i in range(len(order)):
        if not alive[i]:
            continue
        keep.append(i)
        if len(keep) >= max_detections:
            break
        xx1 = np.maximum(b[i, 0], b[i + 1 :, 0])
        yy1 = np.maximum(b[i, 1], b[i + 1 :, 1])
        xx2 = np.minimum(b[i, 2], b[i + 1 :, 2])
        yy2 = np.minimum(b[i, 3], b[i + 1 :, 3])
        inter = (xx2 - xx1).clip(0) * (yy2 - yy1).clip(0)
        iou = inter / np.maximum(area[i] + area[i + 1 :] - inter, 1e-9)
        alive[i + 1 :] &= iou <= iou_threshold
    idx = order[keep]
    return Candidates(c.boxes[idx], c.scores[idx], c.class_ids[idx])
