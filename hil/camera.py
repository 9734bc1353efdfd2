"""The camera: a live camera source with generated frames, calibrated onto an actor's path.

The daemon's ``sim`` camera (``sim://road?...&realtime=1``) renders, in real time, one person
(a red box) walking left to right across a 320x240 image at 4 px a frame, starting at x = 0
when the camera opens. The harness writes a calibration (surveyed points file) that puts that
walk exactly on the named actor's path: the first path point is the box's start, the image x
axis runs along the path and ``4 * fps`` px/s equals the actor's speed. So the camera and the
radar see the same pedestrian, and the daemon's real pipeline (grab, detect, track, ground
projection, fusion) runs on it.

A ``camera_stall`` fault becomes a frozen stretch of frames (``freeze=a-b``): the encoder
sends the same picture, which the daemon must count and report as a stall.

``video`` in the scenario gives a real file instead (``loop = true``); see docs/hil.md for
why files are not used for timing-sensitive scenarios (they are read faster than real time).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from hil.scenario import Actor, CameraSpec, Fault
from rsu.geo import offset_latlon

WIDTH, HEIGHT = 320, 240
PX_PER_FRAME = 4
BOX_W, BOX_H = 16, 40
ROW = HEIGHT // 3  # the top of the sim scene's first person


def camera_table(
    spec: CameraSpec,
    actor: Actor | None,
    faults: tuple[Fault, ...],
    origin: tuple[float, float],
    workdir: Path,
    ready_s: float = 0.0,
) -> dict[str, Any]:
    """The ``[[perception.cameras]]`` table for ``spec`` (and its calibration file)."""
    if spec.video:
        return {"name": spec.name, "source": spec.video, "loop": True, "target_fps": spec.fps}
    stalls = [f for f in faults if f.kind == "camera_stall"]
    freeze = ",".join(
        f"{int((f.at_s + ready_s) * spec.fps)}-{int((f.at_s + ready_s + f.duration_s) * spec.fps)}"
        for f in stalls
    )
    source = f"sim://road?size={WIDTH}x{HEIGHT}&fps={spec.fps:g}&people=1&cars=0&realtime=1" + (
        f"&freeze={freeze}" if freeze else ""
    )
    table: dict[str, Any] = {
        "name": spec.name,
        "source": source,
        "target_fps": spec.fps,
        "stall_timeout_s": 1.0,
    }
    if actor is not None:
        path = workdir / f"{spec.name}-points.toml"
        path.write_text(calibration_points(spec, actor, origin))
        table["calibration"] = str(path)
    return table


def calibration_points(spec: CameraSpec, actor: Actor, origin: tuple[float, float]) -> str:
    """A points file mapping the sim scene's walk onto ``actor``'s first path segment."""
    (e0, n0), (e1, n1) = actor.path[0], actor.path[1]
    heading = math.atan2(e1 - e0, n1 - n0)
    ux, uy = math.sin(heading), math.cos(heading)  # along the path
    mpp = max(actor.speed_mps, 0.1) / (PX_PER_FRAME * spec.fps)
    start_u, row_v = BOX_W / 2, ROW + BOX_H - 1  # bottom-centre of the box at frame 0
    lines = [f"[origin]\nlat = {origin[0]!r}\nlon = {origin[1]!r}\n"]
    for pu, pv in ((0.0, 0.0), (WIDTH, 0.0), (0.0, HEIGHT), (WIDTH, HEIGHT), (160.0, 120.0)):
        a = (pu - start_u) * mpp  # metres along the path
        b = (pv - row_v) * mpp  # metres to the right of it (image down = right of travel)
        e = e0 + a * ux + b * uy
        n = n0 + a * uy - b * ux
        lat, lon = offset_latlon(*origin, e, n)
        lines.append(f"[[points]]\npixel = [{pu!r}, {pv!r}]\nlat = {lat!r}\nlon = {lon!r}\n")
    return "\n".join(lines)
