"""Fusion + events for 100 road users per cycle (target < 5 ms per cycle on this machine).

Scene: 60 vehicles seen by a camera and a radar (10 of them also send BSMs), 30 pedestrians
and 10 cyclists seen by the camera; 8 zones (crosswalks, lanes with direction, speed limit and
dwell, approaches with queues) and 4 counting lines. Each 100 ms cycle: camera tracks and
radar objects in, 10 BSMs in, ``Fusion.fuse``, ``EventEngine.update``. Also timed: the SDSM
builder, the MQTT object-list record, the tracker on 100 detections, and a baseline measured
in the same run: ``dataclasses.asdict`` of the same 100 fused objects (the cost of merely
touching every field of every object once in plain Python).

    .venv/bin/python bench/fusion.py [--cycles 300]
"""

from __future__ import annotations

import argparse
import math
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.fusion.helpers

from rsu.events.engine import EventEngine
from rsu.events.zones import EventsConfig, Line, Zone
from rsu.fusion.fuser import Fusion
from rsu.fusion.model import FusionConfig
from rsu.fusion.record import object_list_record
from rsu.fusion.sdsm import SdsmBuilder, SdsmSettings
from rsu.perception.tracker import Tracker
from rsu.road_users import GroundDetection
from tests.fusion.helpers import FRAME, bsm, radar_obj, track


def scene(rng: random.Random) -> list[dict[str, float | str | int]]:
    users: list[dict[str, float | str | int]] = []
    for i in range(100):
        label = "car" if i < 60 else ("person" if i < 90 else "bicycle")
        speed = {"car": rng.uniform(0, 15), "person": 1.4, "bicycle": 5.0}[label]
        heading = rng.choice((0.0, 90.0, 180.0, 270.0)) + rng.uniform(-5, 5)
        users.append(
            {
                "id": i + 1,
                "label": label,
                "x": rng.uniform(-80, 80),
                "y": rng.uniform(-80, 80),
                "vx": speed * math.sin(math.radians(heading)),
                "vy": speed * math.cos(math.radians(heading)),
            }
        )
    return users


def config() -> EventsConfig:
    zones = (
        Zone("xwalk-n", ((-10, 10), (10, 10), (10, 14), (-10, 14)), kind="crosswalk"),
        Zone("xwalk-s", ((-10, -14), (10, -14), (10, -10), (-10, -10)), kind="crosswalk"),
        Zone("nb", ((0, -80), (8, -80), (8, -14), (0, -14)), kind="approach", direction_deg=0.0),
        Zone("sb", ((-8, 14), (0, 14), (0, 80), (-8, 80)), kind="approach", direction_deg=180.0),
        Zone(
            "eb",
            ((-80, -8), (-14, -8), (-14, 0), (-80, 0)),
            kind="lane",
            direction_deg=90.0,
            speed_limit_mps=13.9,
            dwell_s=10.0,
        ),
        Zone(
            "wb",
            ((14, 0), (80, 0), (80, 8), (14, 8)),
            kind="lane",
            direction_deg=270.0,
            speed_limit_mps=13.9,
            dwell_s=10.0,
        ),
        Zone("box", ((-14, -14), (14, -14), (14, 14), (-14, 14)), presence=True),
        Zone("shoulder", ((60, -80), (80, -80), (80, -20), (60, -20)), dwell_s=30.0),
    )
    lines = (
        Line("n-stop", (0, 14), (8, 14)),
        Line("s-stop", (-8, -14), (0, -14)),
        Line("e-stop", (14, -8), (14, 0)),
        Line("w-stop", (-14, 0), (-14, 8)),
    )
    return EventsConfig(zones=zones, lines=lines)


def timed(fn: Callable[..., object], *args: object) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) * 1000.0


def run(cycles: int) -> dict[str, list[float]]:
    rng = random.Random(1)
    users = scene(rng)
    fusion = Fusion(FusionConfig(), FRAME)
    engine = EventEngine(config())
    builder = SdsmBuilder(SdsmSettings(FRAME))
    tracker = Tracker()
    out: dict[str, list[float]] = {
        k: [] for k in ("cycle", "fuse", "events", "sdsm", "record", "baseline", "tracker")
    }
    n_events = 0
    for c in range(cycles):
        now = c * 0.1
        for u in users:
            u["x"] = float(u["x"]) + float(u["vx"]) * 0.1
            u["y"] = float(u["y"]) + float(u["vy"]) * 0.1
            if abs(float(u["x"])) > 90 or abs(float(u["y"])) > 90:
                u["x"], u["y"] = -float(u["x"]) * 0.95, -float(u["y"]) * 0.95
        tracks = [
            track(
                int(u["id"]),
                float(u["x"]),
                float(u["y"]),
                float(u["vx"]),
                float(u["vy"]),
                label=str(u["label"]),
                t=now,
            )
            for u in users
        ]
        radar = [
            radar_obj(
                int(u["id"]),
                float(u["x"]) + 0.3,
                float(u["y"]) - 0.2,
                float(u["vx"]),
                float(u["vy"]),
                t=now,
            )
            for u in users[:60]
        ]
        msgs = [
            bsm(
                f"{int(u['id']):08x}",
                float(u["x"]) + 0.5,
                float(u["y"]),
                math.hypot(float(u["vx"]), float(u["vy"])),
                math.degrees(math.atan2(float(u["vx"]), float(u["vy"]))) % 360,
            )
            for u in users[:10]
        ]
        dets = [
            GroundDetection(now, float(u["x"]), float(u["y"]), str(u["label"]), 0.8, "cam0")
            for u in users
        ]
        t0 = time.perf_counter()
        fusion.update_camera("cam0", tracks, now)
        fusion.update_radar("r0", radar, now)
        for m in msgs:
            fusion.update_v2x(m, now)
        objects = fusion.fuse(now)
        t1 = time.perf_counter()
        events = engine.update(objects, now)
        t2 = time.perf_counter()
        n_events += len(events)
        out["fuse"].append((t1 - t0) * 1000)
        out["events"].append((t2 - t1) * 1000)
        out["cycle"].append((t2 - t0) * 1000)
        out["sdsm"].append(timed(builder.build, objects, 1.7e9 + now))
        out["record"].append(
            timed(lambda o: object_list_record(o, FRAME, utc=1.7e9, seq=0, rsu_id="b"), objects)
        )
        out["baseline"].append(timed(lambda o: [asdict(x) for x in o], objects))
        out["tracker"].append(timed(tracker.update, dets, now))
    print(f"objects per cycle: {len(objects)}, events over the run: {n_events}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=300)
    args = ap.parse_args()
    res = run(args.cycles)
    print(
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"{args.cycles} cycles (first 10 dropped as warm-up)"
    )
    print(f"{'ms per cycle':<34} {'p50':>7} {'p95':>7} {'max':>7}")
    names = {
        "cycle": "fusion + events (the target)",
        "fuse": "  fusion (inputs + fuse)",
        "events": "  events (8 zones, 4 lines)",
        "sdsm": "SDSM builder",
        "record": "object-list record (MQTT)",
        "baseline": "baseline: asdict() of 100 objects",
        "tracker": "tracker, 100 detections",
    }
    for key, label in names.items():
        xs = sorted(res[key][10:])
        p95 = xs[int(0.95 * (len(xs) - 1))]
        print(f"{label:<34} {statistics.median(xs):7.2f} {p95:7.2f} {xs[-1]:7.2f}")


if __name__ == "__main__":
    main()
