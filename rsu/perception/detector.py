"""Detector plugins behind one small interface; the ONNX Runtime detector and its models.

``create_detector(config)`` picks a backend by name from a lazy registry (``onnx``, ``sim``).
The ONNX detector loads the model once, checks its input and outputs against the model family's
decoder, and warms up at construction: a missing file or unexpected outputs raise ``ModelError``
naming the model and the mismatch at start-up, not on the first frame.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import structlog

from rsu.config.fields import Table
from rsu.errors import ModelError
from rsu.perception.classes import COCO80, ROAD_USERS, class_map
from rsu.perception.decoders import DECODERS, make_decoder, nms
from rsu.perception.preprocess import InputSpec, Preprocessor
from rsu.perception.types import Box, Detection, Image
from rsu.registry import load

log = structlog.get_logger(__name__)

MODELS_DIR = Path(__file__).parent / "models"

# NanoDet's normalisation: BGR, ImageNet mean/std in 0..255 units.
NANODET_MEAN = (103.53, 116.28, 123.675)
NANODET_STD = (57.375, 57.12, 58.395)

# Per-family input conventions of the usual exports; every field can be overridden in config.
FAMILY_INPUT: dict[str, dict[str, Any]] = {
    "nanodet": {"rgb": False, "mean": NANODET_MEAN, "std": NANODET_STD, "pad_value": 0},
    "yolov5": {"rgb": True, "scale": 1 / 255, "centre": True, "pad_value": 114},
    "yolov8": {"rgb": True, "scale": 1 / 255, "centre": True, "pad_value": 114},
    "yolox": {"rgb": False, "pad_value": 114},
    "ssd": {"rgb": True, "scale": 1 / 255, "resize": "stretch"},
}

BUILTIN_MODELS: dict[str, tuple[str, str, int]] = {
    # name: (file in rsu/perception/models, family, square input size)
    "nanodet-m-416": ("nanodet-m-416.onnx", "nanodet", 416),
    "nanodet-m-416-int8": ("nanodet-m-416-int8.onnx", "nanodet", 416),
}
DEFAULT_MODEL = "nanodet-m-416-int8"


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """``[perception.detector]``: which model, how to feed it, how to run it."""

    backend: str = "onnx"
    model: str = DEFAULT_MODEL
    family: str = "nanodet"
    input: InputSpec = field(default_factory=lambda: family_input("nanodet", 416, 416))
    labels: tuple[str, ...] = COCO80
    classes: tuple[str, ...] = ROAD_USERS
    score_threshold: float = 0.35
    iou_threshold: float = 0.5
    max_detections: int = 100
    nms_groups: tuple[tuple[str, ...], ...] = (("car", "bus", "truck"),)
    """Classes suppressed against each other (one object scored as car and truck)."""
    threads: int = 0
    """onnxruntime intra-op threads; 0: automatic (the CLI: every core this process may use;
    the daemon: those cores shared between its cameras, at least one each)."""
    provider: str = "CPUExecutionProvider"
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def model_path(self) -> Path:
        if self.model in BUILTIN_MODELS:
            return MODELS_DIR / BUILTIN_MODELS[self.model][0]
        return Path(self.model)

    @classmethod
    def from_table(cls, t: Table) -> DetectorConfig:
        backend = t.string("backend", "onnx", choices=tuple(DETECTOR_BACKENDS))
        model = t.string("model", DEFAULT_MODEL)
        builtin = BUILTIN_MODELS.get(model)
        family = t.string("family", builtin[1] if builtin else "nanodet", choices=tuple(DECODERS))
        size = t.array("input_size", [builtin[2]] * 2 if builtin else [416, 416])
        base = FAMILY_INPUT[family]
        spec = family_input(
            family,
            int(size[0]),
            int(size[-1]),
            rgb=t.boolean("rgb", base.get("rgb", False)),
            mean=tuple(t.array("mean", list(base.get("mean", (0.0, 0.0, 0.0))), of=float)),
            std=tuple(t.array("std", list(base.get("std", (1.0, 1.0, 1.0))), of=float)),
            scale=t.number("scale", base.get("scale", 1.0)),
            resize=t.string(
                "resize", base.get("resize", "letterbox"), choices=("letterbox", "stretch")
            ),
        )
        options = {k: t.raw(k) for k in ("strides", "center_offset", "box_order") if t.has(k)}
        config = cls(
            backend=backend,
            model=model,
            family=family,
            input=spec,
            labels=tuple(t.array("labels", list(COCO80))),
            classes=tuple(t.array("classes", list(ROAD_USERS))),
            score_threshold=t.number("score_threshold", 0.35),
            iou_threshold=t.number("iou_threshold", 0.5),
            max_detections=t.integer("max_detections", 100, lo=1),
            nms_groups=tuple(
                tuple(str(x) for x in g) for g in t.array("nms_groups", [["car", "bus", "truck"]])
            ),
            threads=t.integer("threads", 0, lo=0, hi=64),
            provider=t.string("provider", "CPUExecutionProvider"),
            options=tuple(sorted(options.items())),
        )
        t.done()
        return config


def family_input(family: str, width: int, height: int, **overrides: Any) -> InputSpec:
    """The usual input convention of ``family`` at ``width`` x ``height``, with overrides."""
    values = {**FAMILY_INPUT[family], **overrides}
    values["mean"] = tuple(float(v) for v in values.get("mean", (0.0, 0.0, 0.0)))
    values["std"] = tuple(float(v) for v in values.get("std", (1.0, 1.0, 1.0)))
    return InputSpec(width=width, height=height, **values)


@dataclass(frozen=True, slots=True)
class DetectorStats:
    frames: int
    inference_ms_last: float
    inference_ms_mean: float


class Detector(Protocol):
    """What the pipeline needs from a detector: detections for one BGR image."""

    name: str

    def detect(self, image: Image) -> tuple[Detection, ...]: ...

    def stats(self) -> DetectorStats: ...


class OnnxDetector:
    """A detector on onnxruntime. Built once; ``detect`` is the only per-frame call."""

    def __init__(self, config: DetectorConfig) -> None:
        self.config = config
        self.name = config.model
        self._session, self._input_name = _open_session(config)
        self._pre = Preprocessor(config.input)
        self._decoder = make_decoder(
            config.family, config.input, len(config.labels), **dict(config.options)
        )
        self._classes = class_map(config.labels, config.classes)
        self._keep_ids = np.array(sorted(self._classes), dtype=np.int64)
        self._groups = nms_group_ids(config.labels, config.nms_groups)
        if len(self._keep_ids) == 0:
            raise ModelError(
                f"model {self.name}: none of classes {config.classes} is a label of the model"
            )
        self._frames = 0
        self._total_ms = 0.0
        self._last_ms = 0.0
        self._warm_up()

    def _warm_up(self) -> None:
        spec = self.config.input
        blank = np.zeros((spec.height, spec.width, 3), dtype=np.uint8)
        tensor = self._pre.prepare(blank)
        outputs = self._session.run(None, {self._input_name: tensor})
        shapes = [tuple(int(d) for d in np.shape(o)) for o in outputs]
        try:
            self._decoder.bind(shapes)
        except ValueError as err:
            raise ModelError(
                f"model {self.name} ({self.config.model_path}): outputs do not fit the "
                f"{self.config.family} decoder: {err}"
            ) from err
        log.info("detector_ready", model=self.name, family=self.config.family, outputs=shapes)

    def detect(self, image: Image) -> tuple[Detection, ...]:
        cfg = self.config
        tensor = self._pre.prepare(image)
        transform = self._pre.transform
        start = time.perf_counter()
        outputs = self._session.run(None, {self._input_name: tensor})
        self._last_ms = (time.perf_counter() - start) * 1000.0
        self._frames += 1
        self._total_ms += self._last_ms
        cand = self._decoder.decode(outputs, self._keep_ids, cfg.score_threshold)
        cand = nms(cand, cfg.iou_threshold, cfg.max_detections, self._groups)
        boxes = transform.boxes_to_image(cand.boxes)
        return tuple(
            Detection(self._classes[int(cid)], int(cid), float(s), Box(*(float(v) for v in b)))
            for b, s, cid in zip(boxes, cand.scores, cand.class_ids, strict=True)
        )

    def stats(self) -> DetectorStats:
        mean = self._total_ms / self._frames if self._frames else 0.0
        return DetectorStats(self._frames, self._last_ms, mean)


def nms_group_ids(
    labels: tuple[str, ...], groups: tuple[tuple[str, ...], ...]
) -> npt.NDArray[np.int64]:
    """Class id -> NMS group id: classes of one group share the id of its first member."""
    ids = np.arange(len(labels), dtype=np.int64)
    index = {name: i for i, name in enumerate(labels)}
    for group in groups:
        members = [index[name] for name in group if name in index]
        for m in members:
            ids[m] = members[0]
    return ids


def _open_session(config: DetectorConfig) -> tuple[Any, str]:
    import onnxruntime as ort

    path = config.model_path
    if not path.is_file():
        raise ModelError(f"model {config.model}: file not found: {path}")
    if config.provider not in ort.get_available_providers():
        raise ModelError(
            f"model {config.model}: execution provider {config.provider} not available "
            f"(have {', '.join(ort.get_available_providers())})"
        )
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = resolve_threads(config.threads)
    opts.inter_op_num_threads = 1
    # Idle pool threads sleep instead of spinning: on a box shared by several cameras (and the
    # rest of the daemon) spinning threads take the cores the other sessions need.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    try:
        session = ort.InferenceSession(str(path), opts, providers=[config.provider])
    except Exception as err:  # onnxruntime raises its own untyped errors for bad files
        raise ModelError(f"model {config.model}: cannot load {path}: {err}") from err
    inputs = session.get_inputs()
    if len(inputs) != 1 or len(inputs[0].shape) != 4:
        got = [(i.name, i.shape) for i in inputs]
        raise ModelError(f"model {config.model}: expected one 4-D image input, got {got}")
    _check_input(config, inputs[0].shape)
    return session, str(inputs[0].name)


def resolve_threads(threads: int, sessions: int = 1) -> int:
    """``threads``, or for 0 the cores this process may run on shared by ``sessions``."""
    if threads > 0:
        return threads
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // max(1, sessions))


def _check_input(config: DetectorConfig, shape: list[Any]) -> None:
    spec = config.input
    hw = shape[2:4] if spec.nchw else shape[1:3]
    want = [spec.height, spec.width]
    if all(isinstance(d, int) for d in hw) and list(hw) != want:
        raise ModelError(
            f"model {config.model}: input is {shape}, config says {spec.width}x{spec.height} "
            f"({'NCHW' if spec.nchw else 'NHWC'})"
        )


DETECTOR_BACKENDS: dict[str, tuple[str, str]] = {
    "onnx": ("rsu.perception.detector", "OnnxDetector"),
    "sim": ("rsu.perception.sim", "SimDetector"),
}


def create_detector(config: DetectorConfig) -> Detector:
    """The detector backend named by ``config.backend``, imported only when chosen."""
    cls = load(DETECTOR_BACKENDS, config.backend, "detector", extra="vision")
    detector: Detector = cls(config)
    return detector
