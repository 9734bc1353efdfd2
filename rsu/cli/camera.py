"""``rsu camera detect`` and ``rsu camera snapshot``: run the detector on a camera or file.

``detect`` prints one line per processed frame (``--json``: one JSON object per line with the
frame index, capture time, and detections with label, score, box in pixels, ground position
when calibrated and track id once tracked), and a summary with fps and camera health to stderr.
Track ids come from the ground-plane tracker (metres) with a calibration, else from the
image-plane tracker (pixels). Frames are decoded in a thread ahead of the detector.

``snapshot`` saves one frame with boxes, track ids, zones and a metre grid drawn on it.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import sys
import time
from dataclasses import asdict, replace
from typing import Any

from rsu.cli._args import index, number, rate, whole
from rsu.errors import CameraError, UsageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("camera", help="run the detector on a camera, stream or video file")
    csub = p.add_subparsers(dest="camera_command", metavar="ACTION", required=True)
    d = csub.add_parser("detect", help="detections per frame, as text or JSON lines")
    _common(d)
    d.add_argument("--frames", help="START:END frame range (END exclusive; either may be empty)")
    d.add_argument("--json", action="store_true", help="one JSON object per frame")
    d.set_defaults(func=run_detect)
    s = csub.add_parser("snapshot", help="save an annotated frame (boxes, tracks, zones, grid)")
    _common(s)
    s.add_argument("--annotate", required=True, metavar="OUT.jpg", help="image file to write")
    s.add_argument("--frame", type=index, default=0, help="frame index (files; default 0)")
    s.add_argument(
        "--track-frames", type=index, default=10, help="frames to track before it (default 10)"
    )
    s.add_argument("--zones", help="TOML file of [[zones]] name + polygon [[e, n], ...] metres")
    s.add_argument("--no-detect", action="store_true", help="grid and zones only")
    s.set_defaults(func=run_snapshot)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", help="file, rtsp:// or http:// URL, /dev/videoN, or sim://...")
    p.add_argument("--config", help="rsu.toml: [perception] detector/tracker/cameras")
    p.add_argument("--camera", help="camera name in the config (source and calibration)")
    p.add_argument("--model", help="built-in model name or .onnx path (default: int8 NanoDet)")
    p.add_argument("--calibration", help="calibration points file (TOML)")
    p.add_argument("--target-fps", type=rate, help="frames per second to process")
    p.add_argument(
        "--threads", type=whole(1, 256), help="onnxruntime intra-op threads (default: the cores)"
    )
    p.add_argument(
        "--score", type=number("a score", above=0, most=1), help="score threshold (default 0.35)"
    )


def parse_range(text: str | None) -> tuple[int, int | None]:
    if not text:
        return 0, None
    start, sep, end = text.partition(":")
    try:
        lo = int(start) if start else 0
        hi = int(end) if end else None
    except ValueError:
        raise UsageError(f"--frames: expected START:END, got {text!r}") from None
    if not sep or lo < 0 or (hi is not None and hi <= lo):
        raise UsageError(f"--frames: expected START:END with 0 <= START < END, got {text!r}")
    return lo, hi


def _setup(args: argparse.Namespace) -> tuple[Any, Any]:
    """(camera, pipeline) from the config file and the command-line overrides."""
    from rsu.clock import SystemClock
    from rsu.config.fields import Table
    from rsu.config.loader import read_toml
    from rsu.perception.calibration import Calibration
    from rsu.perception.camera import Camera
    from rsu.perception.config import PerceptionConfig
    from rsu.perception.detector import create_detector
    from rsu.perception.image_tracker import ImageTracker
    from rsu.perception.pipeline import CameraPipeline
    from rsu.perception.tracker import Tracker

    perception = PerceptionConfig()
    if args.config:
        data = read_toml(args.config)
        perception = PerceptionConfig.from_table(Table(data.get("perception"), "perception"))
    cam = _camera_config(perception.cameras, args.camera)
    if args.source:
        cam = replace(cam, source=args.source, backend=_backend_for(args.source))
    if not cam.source:
        raise UsageError("give --source (or --config with --camera)")
    cam = replace(cam, realtime=False)  # a batch run reads files as fast as it can
    if args.target_fps is not None:
        cam = replace(cam, target_fps=args.target_fps)
    det = perception.detector
    if args.model:
        det = replace(det, model=args.model)
    if args.threads:
        det = replace(det, threads=args.threads)
    if args.score is not None:
        det = replace(det, score_threshold=args.score)
    calib_path = args.calibration or cam.calibration
    calibration = Calibration.load(calib_path) if calib_path else None
    tracker = Tracker(perception.tracker) if calibration else None
    image_tracker = ImageTracker(perception.image_tracker)
    pipeline = CameraPipeline(create_detector(det), calibration, tracker, image_tracker)
    return Camera(cam, clock=SystemClock()), pipeline


def _camera_config(cameras: Any, name: str | None) -> Any:
    from rsu.perception.camera import CameraConfig

    if name is None:
        return cameras[0] if len(cameras) == 1 else CameraConfig(name="cli")
    for cam in cameras:
        if cam.name == name:
            return cam
    raise UsageError(f"--camera: no camera {name!r} in the config")


def _backend_for(source: str) -> str:
    return "sim" if source.startswith("sim:") else "opencv"


def run_detect(args: argparse.Namespace) -> int:
    start, end = parse_range(args.frames)
    camera, pipeline = _setup(args)
    from rsu.perception.prefetch import prefetch

    if pipeline.calibration is None:
        print("note: no calibration: track ids in the image, no ground positions", file=sys.stderr)
    t0 = time.perf_counter()
    n = 0
    try:  # a reader that goes away (`| head`) ends it quietly: rsu.cli.main handles that
        # frames are decoded in a thread while this one runs the detector (no frame dropped)
        with contextlib.closing(prefetch(camera.frames(start, end), name="camera-decode")) as fs:
            for frame in fs:
                result = pipeline.process(frame)
                n += 1
                if args.json:
                    print(json.dumps(result.as_dict(pipeline.calibration)), flush=True)
                else:
                    print(_text(result), flush=True)
    finally:
        camera.close()
    if n == 0:
        where = f"frames {args.frames}" if args.frames else "any frame"
        raise CameraError(f"no frames: {camera.config.source} has no {where} to read")
    seconds = time.perf_counter() - t0
    stats = pipeline.detector.stats()
    summary = {
        "frames": n,
        "seconds": round(seconds, 2),
        "fps": round(n / seconds, 1) if seconds > 0 else 0.0,
        "inference_ms_mean": round(stats.inference_ms_mean, 1),
        "camera": asdict(camera.health()),
    }
    print(json.dumps({"summary": summary}), file=sys.stderr)
    return 0


def _text(result: Any) -> str:
    parts = []
    for det, g, tid in zip(result.detections, result.ground, result.track_ids, strict=True):
        text = f"{det.label} {det.score:.2f} [{', '.join(f'{v:.0f}' for v in det.box.as_list())}]"
        if g is not None:
            text += f" @({g.x_m:.1f}, {g.y_m:.1f}) m"
        if tid is not None:
            text += f" #{tid}"
        parts.append(text)
    head = f"frame {result.index} t={result.time:.3f} {len(parts)} detections"
    return head + (": " + "; ".join(parts) if parts else "")


def run_snapshot(args: argparse.Namespace) -> int:
    import cv2

    from rsu.perception.draw import annotate

    _check_output(args.annotate, cv2)
    camera, pipeline = _setup(args)
    zones = _zones(args.zones, pipeline.calibration) if args.zones else []
    if camera.live:
        frames = itertools.islice(camera.frames(), max(0, args.track_frames) + 1)
    else:
        frames = camera.frames(max(0, args.frame - max(0, args.track_frames)), args.frame + 1)
    result = frame = None
    try:
        for frame in frames:
            if not args.no_detect:
                result = pipeline.process(frame)
    finally:
        camera.close()
    if frame is None:
        raise UsageError(f"no frame {args.frame} in {camera.config.source}")
    image = annotate(frame.image, result, pipeline.calibration, zones)
    if not cv2.imwrite(args.annotate, image):
        raise UsageError(f"cannot write {args.annotate} (extension .jpg or .png?)")
    print(f"wrote {args.annotate}: frame {frame.index}, "
          f"{len(result.detections) if result else 0} detections")  # fmt: skip
    return 0


def _check_output(path: str, cv2: Any) -> None:
    """Refuse an output OpenCV cannot write, before opening the camera and the model."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"--annotate: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"--annotate: folder {folder} is not writable")
    if not cv2.haveImageWriter(path):
        raise UsageError(f"--annotate: cannot write an image named {path!r} (use .jpg or .png)")


def _zones(path: str, calibration: Any) -> list[tuple[str, list[tuple[float, float]]]]:
    from rsu.config.fields import Table
    from rsu.config.loader import read_toml

    zones = []
    for t in Table(read_toml(path), "").tables("zones"):
        name = t.string("name")
        if t.has("polygon_latlon"):
            if calibration is None:
                raise UsageError("--zones with polygon_latlon needs a calibration")
            pts = [calibration.frame.to_enu(lat, lon)[:2] for lat, lon in t.array("polygon_latlon")]
        else:
            pts = [(float(e), float(n)) for e, n in t.array("polygon")]
        t.done()
        zones.append((name, pts))
    return zones
