"""Perception benchmark: one camera on vtest.avi, decode + detect (+ ground + track).

Measures, in one run on this machine:

- baseline: decode-only frames/s of vtest.avi through ``Camera`` (OpenCV/FFmpeg);
- sustained frames/s of decode + detect + ground projection + tracking + fusion + events + SDSM
  (built and UPER-encoded) with the default model (NanoDet-m 416 INT8, 1 intra-op thread), and
  the frame-to-SDSM/event latency p50/p95 (from asking the camera for the frame to the SDSM
  bytes and the events of that frame);
- ``session.run`` inference ms p50/p95 for the float and the INT8 model (1 and 2 threads);
- peak RSS of the process.

Usage: ``.venv/bin/python bench/perception.py [--frames 200] [--video PATH] [--write]``;
``--write`` also writes ``bench/RESULTS-perception.md``. vtest.avi comes from Debian's
``opencv-doc`` (the tests' fixture caches it in ``~/.cache/rsu-edge-tests``).

Through the commands a user runs (issue 14.3), each alone with its own flag:

- ``--cli ROUNDS``: ``rsu camera detect --source vtest.avi --frames :300 --json`` as a
  subprocess, start-up included, default model and threads, against the plain detector
  (``bench/plain_detector.py``: OpenCV + onnxruntime on the same model, same thread count, no
  rsu code), alternated ROUNDS times in the same run; the ratio of medians is the result;
- ``--cameras 2,4,6``: ``rsu run`` with N cameras, each the video file looped at its own 10
  frames/s (a live camera's pace), the default detector, calibration, ground tracker and
  fusion; after a warm-up, over ``--window`` seconds: each camera's processed frames/s, the
  frames dropped by its bounded reader queue, the daemon's CPU (of 100 % per core).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

from rsu.clock import SystemClock
from rsu.events.engine import EventEngine
from rsu.events.zones import EventsConfig, Zone
from rsu.fusion.fuser import Fusion
from rsu.fusion.model import FusionConfig
from rsu.fusion.sdsm import SdsmBuilder, SdsmSettings
from rsu.perception.calibration import Calibration
from rsu.perception.camera import Camera, CameraConfig
from rsu.perception.detector import DetectorConfig, OnnxDetector
from rsu.perception.pipeline import CameraPipeline
from rsu.perception.tracker import Tracker
from rsu.v2x.codec import get_codec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.perception.video
from tests.perception.video import vtest_path  # noqa: E402

POINTS = ROOT / "tests" / "perception" / "data" / "vtest_points.toml"


def find_video(given: str | None) -> Path:
    return Path(given) if given and Path(given).is_file() else vtest_path()


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else 0.0


def _camera(video: Path) -> Camera:
    # realtime=False: read the file as fast as the pipeline goes (a live camera would pace it)
    return Camera(CameraConfig(source=str(video), realtime=False), clock=SystemClock())


def decode_only(video: Path, frames: int) -> float:
    cam = _camera(video)
    start = time.perf_counter()
    n = sum(1 for _ in cam.frames(0, frames))
    return n / (time.perf_counter() - start)


def pipeline_run(video: Path, frames: int) -> dict[str, float]:
    cam = _camera(video)
    calibration = Calibration.load(POINTS)
    pipe = CameraPipeline(OnnxDetector(DetectorConfig()), calibration, Tracker())
    fusion = Fusion(FusionConfig(), calibration.frame)
    square = ((-60.0, -60.0), (60.0, -60.0), (60.0, 60.0), (-60.0, 60.0))
    engine = EventEngine(EventsConfig(zones=(Zone("crosswalk", square, kind="crosswalk"),)))
    builder = SdsmBuilder(SdsmSettings(calibration.frame))
    codec = get_codec("j2735")
    latencies, detections, events, sdsms = [], 0, 0, 0
    n = 0
    start = time.perf_counter()
    asked = start
    for frame in cam.frames(0, frames):
        result = pipe.process(frame)
        if result.tracker is not None:
            fusion.update_camera(result.camera, result.tracker.tracks, frame.monotonic)
        objects = fusion.fuse(frame.monotonic)
        events += len(engine.update(objects, frame.monotonic))
        value = builder.build(objects, frame.time)
        if value is not None:
            codec.encode_message("SensorDataSharingMessage", value)
            sdsms += 1
        done = time.perf_counter()
        latencies.append((done - asked) * 1000.0)  # frame asked for -> SDSM bytes and events
        asked = done
        detections += len(result.detections)
        n += 1
    seconds = time.perf_counter() - start
    return {
        "fps": n / seconds,
        "latency_p50": pct(latencies, 50),
        "latency_p95": pct(latencies, 95),
        "detections_per_frame": detections / max(1, n),
        "sdsm_per_frame": sdsms / max(1, n),
        "events": float(events),
    }


def inference(video: Path, model: str, threads: int, frames: int) -> tuple[float, float]:
    det = OnnxDetector(DetectorConfig(model=model, threads=threads))
    cam = _camera(video)
    times = []
    for frame in cam.frames(0, frames):
        det.detect(frame.image)
        times.append(det.stats().inference_ms_last)
    return pct(times, 50), pct(times, 95)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--video")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--cli", type=int, metavar="ROUNDS", help="rsu camera detect vs plain")
    parser.add_argument("--cameras", help="daemon camera counts, e.g. 2,4,6")
    parser.add_argument("--window", type=float, default=20.0, help="daemon seconds measured")
    args = parser.parse_args()
    video = find_video(args.video)
    if args.cli or args.cameras:
        from bench.camera_commands import cli_versus_plain, daemon_cameras

        if args.cli:
            cli_versus_plain(video, args.cli)
        if args.cameras:
            daemon_cameras(video, [int(n) for n in args.cameras.split(",")], args.window)
        return
    load_before = os.getloadavg()
    base = decode_only(video, args.frames)
    run = pipeline_run(video, args.frames)
    rss_pipeline = rss_mb()
    infer = {
        (m, t): inference(video, m, t, args.frames // 2)
        for m in ("nanodet-m-416", "nanodet-m-416-int8")
        for t in (1, 2)
    }
    rows = [
        f"| decode only (baseline) | {base:.0f} frames/s |",
        f"| decode + detect + track + fuse + events + SDSM, int8, 1 thread | "
        f"{run['fps']:.1f} frames/s |",
        f"| frame-to-SDSM/event latency p50 / p95 | "
        f"{run['latency_p50']:.1f} / {run['latency_p95']:.1f} ms |",
        f"| detections per frame; SDSMs per frame; events | {run['detections_per_frame']:.1f}; "
        f"{run['sdsm_per_frame']:.2f}; {run['events']:.0f} |",
    ]
    for (m, t), (p50, p95) in infer.items():
        rows.append(f"| inference {m}, {t} thread(s), p50 / p95 | {p50:.1f} / {p95:.1f} ms |")
    rows.append(f"| peak RSS after the one-camera pipeline | {rss_pipeline:.0f} MB |")
    rows.append(f"| peak RSS at the end (4 more detector sessions loaded) | {rss_mb():.0f} MB |")
    table = "\n".join(["| measure | value |", "|---|---|", *rows])
    env = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average before "
        f"{load_before[0]:.1f} / after {os.getloadavg()[0]:.1f}"
    )
    print(table)
    print(env)
    if args.write:
        write_results(table, env, args.frames)


def write_results(table: str, env: str, frames: int) -> None:
    text = f"""# Perception benchmark (bench/perception.py)

Method: one camera, `vtest.avi` (Debian `opencv-doc`, 768x576, 10 fps) read as fast as
possible through `rsu.perception.camera.Camera` (OpenCV/FFmpeg decode), the default detector
(NanoDet-m 416 INT8, onnxruntime CPU, 1 intra-op thread), ground projection through the test
calibration and the ground-plane tracker, over the first {frames} frames. The decode-only rate is
the baseline measured in the same run. Inference is `session.run` alone on {frames // 2} frames.
Each frame then goes through fusion, the event engine (one crosswalk zone over the scene) and
the SDSM builder, and the SDSM is UPER-encoded. The latency is from asking the camera for the
frame to the SDSM bytes and the frame's events, all in one thread.

Machine: {env}.

{table}

Reproduce: `.venv/bin/python bench/perception.py --frames {frames} --write`.
"""
    (ROOT / "bench" / "RESULTS-perception.md").write_text(text)


if __name__ == "__main__":
    main()
