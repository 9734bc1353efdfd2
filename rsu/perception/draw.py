"""Annotated snapshots: boxes, labels, track ids, zones and a metre grid on the ground.

People check a calibration by looking: the grid lines should lie flat on the road, 5 m apart,
and zones should sit where they were surveyed.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import cv2
import numpy as np

from rsu.perception.calibration import Calibration
from rsu.perception.pipeline import FrameResult
from rsu.perception.types import Image

_COLOURS = {
    "person": (0, 200, 255),
    "bicycle": (255, 200, 0),
    "car": (0, 255, 0),
    "motorcycle": (255, 0, 255),
    "bus": (0, 128, 255),
    "truck": (255, 128, 0),
}
Zone = tuple[str, Sequence[tuple[float, float]]]


def annotate(
    image: Image,
    result: FrameResult | None,
    calibration: Calibration | None = None,
    zones: Sequence[Zone] = (),
    grid_step_m: float = 5.0,
) -> Image:
    """A copy of ``image`` with the grid, zones (ENU metres) and detections drawn on it."""
    out = image.copy()
    if calibration is not None:
        _grid(out, calibration, grid_step_m)
        for name, polygon in zones:
            _zone(out, calibration, name, polygon)
    if result is not None:
        for det, tid in zip(result.detections, result.track_ids, strict=True):
            colour = _COLOURS.get(det.label, (200, 200, 200))
            b = det.box
            cv2.rectangle(out, (int(b.x1), int(b.y1)), (int(b.x2), int(b.y2)), colour, 2)
            text = f"{det.label} {det.score:.2f}" + (f" #{tid}" if tid is not None else "")
            cv2.putText(out, text, (int(b.x1), max(12, int(b.y1) - 4)), cv2.FONT_HERSHEY_SIMPLEX,
                        0.45, colour, 1, cv2.LINE_AA)  # fmt: skip
    return out


def _visible(cal: Calibration, enu: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    px = cal.enu_to_pixels(enu)
    back = cal.pixels_to_enu(px)
    ok = ~np.isnan(back[:, 0]) & (np.abs(back - enu).max(axis=1) < 0.5)
    ok &= (px[:, 0] >= -1) & (px[:, 0] <= shape[1]) & (px[:, 1] >= -1) & (px[:, 1] <= shape[0])
    return np.where(ok[:, None], px, np.nan)


def _polyline(img: Image, px: np.ndarray, colour: tuple[int, int, int], width: int = 1) -> None:
    run: list[tuple[int, int]] = []
    for x, y in [*px, (np.nan, np.nan)]:
        if np.isnan(x):
            if len(run) > 1:
                cv2.polylines(img, [np.array(run, np.int32)], False, colour, width, cv2.LINE_AA)
            run = []
        else:
            run.append((round(float(x)), round(float(y))))


def _grid(img: Image, cal: Calibration, step: float) -> None:
    enu = np.array([p.enu for p in cal.points])
    lo = np.floor((enu.min(axis=0) - 4 * step) / step) * step
    hi = np.ceil((enu.max(axis=0) + 4 * step) / step) * step
    for e in np.arange(lo[0], hi[0] + step / 2, step):
        n = np.arange(lo[1], hi[1] + 0.5, 0.5)
        _polyline(
            img, _visible(cal, np.stack([np.full_like(n, e), n], 1), img.shape), (255, 255, 255)
        )
    for n in np.arange(lo[1], hi[1] + step / 2, step):
        e = np.arange(lo[0], hi[0] + 0.5, 0.5)
        _polyline(
            img, _visible(cal, np.stack([e, np.full_like(e, n)], 1), img.shape), (255, 255, 255)
        )
    for p in cal.points:
        cv2.drawMarker(
            img, (round(p.pixel[0]), round(p.pixel[1])), (0, 0, 255), cv2.MARKER_CROSS, 12, 2
        )


def _zone(img: Image, cal: Calibration, name: str, polygon: Sequence[tuple[float, float]]) -> None:
    pts = np.array([*polygon, polygon[0]], dtype=np.float64)
    dense = np.concatenate(
        [np.linspace(a, b, 20, endpoint=False) for a, b in itertools.pairwise(pts)]
    )
    px = _visible(cal, np.vstack([dense, dense[:1]]), img.shape)
    _polyline(img, px, (255, 0, 255), 2)
    ok = px[~np.isnan(px[:, 0])]
    if len(ok):
        x, y = ok.mean(axis=0)
        cv2.putText(img, name, (int(x), int(y)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 0, 255), 1)
