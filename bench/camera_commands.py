"""Issue 14.3, measured through the commands a user runs (``bench/perception.py --cli/--cameras``).

``cli_versus_plain``: ``rsu camera detect`` over 300 frames of vtest.avi (start-up included,
default model and threads) against ``bench/plain_detector.py`` with the same model and thread
count, alternated so both see the same machine; wall clock around each subprocess.

``daemon_cameras``: ``rsu run`` with N cameras fed from the video file at 10 frames/s each;
the sustained processed frames/s per camera, the frames its reader dropped (bounded queue,
oldest dropped, counted) and the daemon's CPU over a window after a warm-up. On a shared
machine the cores are not all ours, so it also gives the daemon's CPU time per processed
frame and what that makes on free cores: cores x 1000 ms / (10 frames/s x CPU ms per frame).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.daemon import proc_stats, start, stop
from rsu.daemon.control import ControlClient
from rsu.perception.detector import DetectorConfig, resolve_threads

ROOT = Path(__file__).resolve().parents[1]
POINTS = ROOT / "tests" / "perception" / "data" / "vtest_points.toml"
FRAMES = 300


def _timed(argv: list[str], out: Path) -> float:
    with out.open("w") as f:
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=f, stderr=subprocess.DEVNULL, check=True, cwd=ROOT)
        return time.perf_counter() - t0


def _ids_share(out: Path) -> tuple[int, float]:
    """(frames printed, share of person detections in frames 100-199 with a track id)."""
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    people = [
        d
        for x in lines
        if 100 <= x["frame"] < 200
        for d in x["detections"]
        if d["label"] == "person"
    ]
    return len(lines), sum("track_id" in d for d in people) / max(1, len(people))


def cli_versus_plain(video: Path, rounds: int) -> None:
    threads = resolve_threads(DetectorConfig().threads)
    model = str(DetectorConfig().model_path)
    plain = [sys.executable, str(ROOT / "bench" / "plain_detector.py"), model, str(video),
             str(FRAMES), str(threads)]  # fmt: skip
    rsu = [sys.executable, "-m", "rsu.cli.main", "camera", "detect", "--source", str(video),
           "--frames", f":{FRAMES}", "--json"]  # fmt: skip
    load0 = os.getloadavg()[0]
    rsu_fps: list[float] = []
    plain_fps: list[float] = []
    nospin_fps: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        for k in range(rounds):
            plain_fps.append(FRAMES / _timed(plain, Path(tmp) / "plain.json"))
            nospin_fps.append(FRAMES / _timed([*plain, "nospin"], Path(tmp) / "plain.json"))
            rsu_fps.append(FRAMES / _timed(rsu, out))
            frames, share = _ids_share(out)
            assert frames == FRAMES, f"rsu camera detect printed {frames} frames"
            ratio = rsu_fps[-1] / plain_fps[-1]
            print(
                f"round {k + 1}: rsu {rsu_fps[-1]:.1f} fps, plain {plain_fps[-1]:.1f} fps "
                f"(not spinning: {nospin_fps[-1]:.1f}), ratio {ratio:.2f}, ids on "
                f"{100 * share:.0f} % of people in frames 100-199, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    r, p, q = (statistics.median(x) for x in (rsu_fps, plain_fps, nospin_fps))
    ratios = ", ".join(f"{a / b:.2f}" for a, b in zip(rsu_fps, plain_fps, strict=True))
    print(
        f"rsu camera detect, {FRAMES} frames, start-up included, {threads} thread(s): "
        f"median {r:.1f} fps; plain detector median {p:.1f} fps (not spinning: {q:.1f}); "
        f"ratio of medians {r / p:.2f} (to the plain detector not spinning: {r / q:.2f}); "
        f"per-round ratios {ratios}; load average {load0:.1f} -> {os.getloadavg()[0]:.1f}"
    )


CONFIG = """
[rsu]
id = "bench-cameras"
latitude = 51.3816
longitude = -2.3615
[daemon]
control_socket = "{work}/control.sock"
metrics_listen = ""
[log]
level = "warning"
[radio]
backend = "sim"
[radio.sim]
vehicles = 0
pedestrians = 0
[uplink]
broker = "mqtt://127.0.0.1:9"
spool_path = "{work}/spool.db"
[fusion]
object_list_hz = 1.0
sdsm_hz = 1.0
"""

CAMERA = """
[[perception.cameras]]
name = "cam{i}"
source = "{video}"
loop = true
target_fps = 10
calibration = "{points}"
"""


def _status(client: ControlClient) -> dict[str, Any]:
    status: dict[str, Any] = client.request("status")["status"]
    return status


def daemon_run(video: Path, n: int, window: float, work: Path) -> dict[str, Any]:
    text = CONFIG.format(work=work) + "".join(
        CAMERA.format(i=i, video=video, points=POINTS) for i in range(n)
    )
    config = work / "cameras.toml"
    config.write_text(text)
    proc, ready = start(work, config, work / "cache")
    try:
        client = ControlClient(work / "control.sock", timeout=10)
        deadline = time.monotonic() + 120
        while min(c["frames"] for c in _status(client)["cameras"].values()) < 20:
            if time.monotonic() > deadline:
                raise RuntimeError("cameras did not start within 120 s")
            time.sleep(0.5)
        s0, (cpu0, _), t0 = _status(client), proc_stats(proc.pid), time.perf_counter()
        time.sleep(window)
        s1, (cpu1, rss), t1 = _status(client), proc_stats(proc.pid), time.perf_counter()
    finally:
        stop(proc)
    seconds = t1 - t0
    fps, dropped, offered, processed = [], 0, 0, 0
    for name, c1 in s1["cameras"].items():
        c0 = s0["cameras"][name]
        done = c1["frames"] - c0["frames"]
        lost = c1["dropped"] - c0["dropped"]
        fps.append(done / seconds)
        processed += done
        dropped += lost
        offered += done + lost
    core_dropped = sum(
        q["dropped"] for k, q in s1["queues"].items() if k.startswith("camera-")
    ) - sum(q["dropped"] for k, q in s0["queues"].items() if k.startswith("camera-"))
    return {
        "cameras": n,
        "ready_s": ready,
        "fps_min": min(fps),
        "fps_mean": statistics.mean(fps),
        "dropped": dropped,
        "dropped_pct": 100 * dropped / max(1, offered),
        "core_queue_dropped": core_dropped,
        "cpu_pct": 100 * (cpu1 - cpu0) / seconds,
        "cpu_ms_per_frame": 1000 * (cpu1 - cpu0) / max(1, processed),
        "detect_ms": statistics.mean(c["inference_ms"] for c in s1["cameras"].values()),
        "rss_mb": rss / 2**20,
        "sustained": min(fps) >= 9.5 and dropped <= 0.01 * max(1, offered),
        "load": os.getloadavg()[0],
    }


def daemon_cameras(video: Path, counts: list[int], window: float) -> None:
    cores = len(os.sched_getaffinity(0))
    head = "| cameras | per camera fps min / mean | frames dropped | daemon CPU | CPU per frame "
    print(f"{head}(detect) | cameras {cores} free cores carry at 10 fps | RSS | sustained | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in counts:
        work = Path(tempfile.mkdtemp(prefix="rsu-bench-cam-"))
        try:
            r = daemon_run(video, n, window, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(f"| {n} | {r['fps_min']:.1f} / {r['fps_mean']:.1f} | {r['dropped']} "
              f"({r['dropped_pct']:.1f} %; core queue {r['core_queue_dropped']}) | "
              f"{r['cpu_pct']:.0f} % | {r['cpu_ms_per_frame']:.0f} ms ({r['detect_ms']:.0f} ms) | "
              f"{cores * 100 / r['cpu_ms_per_frame']:.1f} | {r['rss_mb']:.0f} MB | "
              f"{'yes' if r['sustained'] else 'no'} | {r['load']:.1f} |", flush=True)  # fmt: skip
