"""Camera calibration: pixel <-> ground plane (local ENU metres) <-> WGS84. Pure numpy.

A ground-plane homography is fitted (normalised DLT, least squares) to >= 4 surveyed points,
each a pixel and a latitude/longitude (or ENU metres). Optional intrinsics and distortion
(OpenCV's k1, k2, p1, p2, k3 model) undistort pixels first, so a wide-angle camera's straight
lane lines stay straight. The ground point of a detection is the bottom-centre of its box.

Points file (TOML)::

    [origin]                  # the RSU reference point; default: the first point
    lat = 31.2304
    lon = 121.4737

    [intrinsics]              # optional
    fx = 1000.0
    fy = 1000.0
    cx = 960.0
    cy = 540.0
    distortion = [-0.3, 0.1, 0.0, 0.0, 0.0]

    [[points]]
    pixel = [412.0, 655.5]
    lat = 31.230512
    lon = 121.473801          # or: enu = [12.5, -3.0]
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rsu.config.fields import Table
from rsu.errors import ConfigError
from rsu.geo import LocalFrame
from rsu.perception.types import Detection
from rsu.road_users import GroundDetection

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Intrinsics:
    fx: float
    fy: float
    cx: float
    cy: float
    distortion: tuple[float, ...] = ()

    def undistort(self, px: F64) -> F64:
        """Distorted pixels (N, 2) -> ideal pixels (iterative inverse of the distortion)."""
        k = (*self.distortion, 0.0, 0.0, 0.0, 0.0, 0.0)[:5]
        if not any(k):
            return px
        k1, k2, p1, p2, k3 = k
        xd = (px[:, 0] - self.cx) / self.fx
        yd = (px[:, 1] - self.cy) / self.fy
        x, y = xd.copy(), yd.copy()
        for _ in range(20):
            r2 = x * x + y * y
            radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2**3
            dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
            dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
            x, y = (xd - dx) / radial, (yd - dy) / radial
        return np.stack([x * self.fx + self.cx, y * self.fy + self.cy], axis=1)

    def distort(self, px: F64) -> F64:
        """Ideal pixels (N, 2) -> distorted pixels, as the camera sees them."""
        k1, k2, p1, p2, k3 = (*self.distortion, 0.0, 0.0, 0.0, 0.0, 0.0)[:5]
        x = (px[:, 0] - self.cx) / self.fx
        y = (px[:, 1] - self.cy) / self.fy
        r2 = x * x + y * y
        radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2**3
        xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
        yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
        return np.stack([xd * self.fx + self.cx, yd * self.fy + self.cy], axis=1)


@dataclass(frozen=True, slots=True)
class SurveyPoint:
    pixel: tuple[float, float]
    enu: tuple[float, float]


@dataclass(frozen=True, slots=True)
class PointError:
    """How well one surveyed point fits: residual on the ground (m) and in the image (px).
    ``leave_one_out_m`` is the ground error with the point left out of the fit (>= 5 points)."""

    pixel: tuple[float, float]
    enu: tuple[float, float]
    error_m: float
    error_px: float
    leave_one_out_m: float | None


def fit_homography(src: F64, dst: F64) -> F64:
    """The 3x3 homography taking ``src`` (N, 2) to ``dst`` (N, 2), N >= 4, least squares."""
    if len(src) < 4:
        raise ValueError(f"a homography needs at least 4 points, got {len(src)}")

    def norm(p: F64) -> F64:
        c = p.mean(axis=0)
        d = np.sqrt(((p - c) ** 2).sum(axis=1)).mean()
        s = math.sqrt(2) / d if d > 0 else 1.0
        return np.array([[s, 0, -s * c[0]], [0, s, -s * c[1]], [0, 0, 1]])

    ts, td = norm(src), norm(dst)
    a = _homog(src) @ ts.T
    b = _homog(dst) @ td.T
    rows = []
    for (x, y, _), (u, v, _) in zip(a, b, strict=True):
        rows.append([-x, -y, -1, 0, 0, 0, u * x, u * y, u])
        rows.append([0, 0, 0, -x, -y, -1, v * x, v * y, v])
    _, sv, vt = np.linalg.svd(np.asarray(rows))
    if sv[-2] < 1e-9 * sv[0]:
        raise ValueError("points are degenerate (three or more collinear, or repeated)")
    h = np.linalg.inv(td) @ vt[-1].reshape(3, 3) @ ts
    return np.asarray(h / h[2, 2], dtype=np.float64)


def _homog(p: F64) -> F64:
    return np.hstack([p, np.ones((len(p), 1))])


def _apply(h: F64, p: F64) -> tuple[F64, F64]:
    q = _homog(p) @ h.T
    return q[:, :2] / q[:, 2:3], q[:, 2]


@dataclass(frozen=True, slots=True, eq=False)
class Calibration:
    """Pixel <-> ENU metres for one camera. Build with ``from_points`` or ``load``."""

    homography: F64
    """Ideal (undistorted) pixel -> ENU (east, north) metres."""
    frame: LocalFrame
    intrinsics: Intrinsics | None
    points: tuple[SurveyPoint, ...]
    w_sign: float
    """Sign of the homogeneous w of ground points; the other sign is above the horizon."""

    @classmethod
    def from_points(
        cls, points: Sequence[SurveyPoint], frame: LocalFrame, intrinsics: Intrinsics | None = None
    ) -> Calibration:
        px = np.array([p.pixel for p in points], dtype=np.float64)
        enu = np.array([p.enu for p in points], dtype=np.float64)
        if intrinsics is not None:
            px = intrinsics.undistort(px)
        h = fit_homography(px, enu)
        _, w = _apply(h, px)
        return cls(h, frame, intrinsics, tuple(points), float(np.sign(np.median(w))) or 1.0)

    @classmethod
    def load(cls, path: str | Path) -> Calibration:
        """Read a points file (see the module docstring) and fit the calibration."""
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise ConfigError(str(path), f"cannot read calibration points: {err}") from err
        return cls.from_data(data, str(path))

    @classmethod
    def from_data(cls, data: dict[str, Any], where: str = "calibration") -> Calibration:
        t = Table(data, "")
        raw = t.tables("points")
        origin = t.table("origin") if t.has("origin") else None
        intr = _intrinsics(t.table("intrinsics")) if t.has("intrinsics") else None
        t.done()
        frame = _origin(origin, raw, where)
        points = tuple(_point(p, frame) for p in raw)
        try:
            return cls.from_points(points, frame, intr)
        except ValueError as err:
            raise ConfigError(f"{where}: points", str(err)) from err

    def pixels_to_enu(self, px: F64) -> F64:
        """(N, 2) image pixels -> (N, 2) ENU metres; NaN for points above the horizon."""
        ideal = self.intrinsics.undistort(px) if self.intrinsics else px
        enu, w = _apply(self.homography, ideal)
        enu[w * self.w_sign <= 1e-12] = np.nan
        return enu

    def pixel_to_enu(self, u: float, v: float) -> tuple[float, float] | None:
        e, n = self.pixels_to_enu(np.array([[u, v]], dtype=np.float64))[0]
        return None if math.isnan(e) else (float(e), float(n))

    def enu_to_pixels(self, enu: F64) -> F64:
        """(N, 2) ENU metres -> (N, 2) image pixels (distorted, as the camera sees them)."""
        px, _ = _apply(np.asarray(np.linalg.inv(self.homography), dtype=np.float64), enu)
        return self.intrinsics.distort(px) if self.intrinsics else px

    def pixel_to_geodetic(self, u: float, v: float) -> tuple[float, float] | None:
        enu = self.pixel_to_enu(u, v)
        if enu is None:
            return None
        lat, lon, _ = self.frame.to_geodetic(enu[0], enu[1])
        return lat, lon

    def ground(self, det: Detection, time: float, sensor_id: str) -> GroundDetection | None:
        """The detection's ground point (box bottom-centre) in ENU, or None above the horizon."""
        enu = self.pixel_to_enu(*det.box.bottom_centre)
        if enu is None:
            return None
        return GroundDetection(time, enu[0], enu[1], det.label, det.score, sensor_id)

    def errors(self) -> list[PointError]:
        """Residual of every surveyed point, and its leave-one-out error with >= 5 points."""
        px = np.array([p.pixel for p in self.points], dtype=np.float64)
        enu = np.array([p.enu for p in self.points], dtype=np.float64)
        fit_m = np.linalg.norm(self.pixels_to_enu(px) - enu, axis=1)
        fit_px = np.linalg.norm(self.enu_to_pixels(enu) - px, axis=1)
        out = []
        for i, p in enumerate(self.points):
            loo: float | None = None
            if len(self.points) >= 5:
                rest = [q for j, q in enumerate(self.points) if j != i]
                try:
                    other = Calibration.from_points(rest, self.frame, self.intrinsics)
                    loo = float(np.linalg.norm(other.pixels_to_enu(px[i : i + 1])[0] - enu[i]))
                except ValueError:
                    loo = None
            out.append(PointError(p.pixel, p.enu, float(fit_m[i]), float(fit_px[i]), loo))
        return out


def _pair(t: Table, key: str) -> tuple[float, float]:
    v = t.array(key)
    if len(v) != 2 or not all(isinstance(x, int | float) for x in v):
        raise ConfigError(t.where(key), f"expected [x, y] numbers, got {v!r}")
    return float(v[0]), float(v[1])


def _point(t: Table, frame: LocalFrame) -> SurveyPoint:
    pixel = _pair(t, "pixel")
    if t.has("enu"):
        enu = _pair(t, "enu")
    else:
        e, n, _ = frame.to_enu(t.number("lat", lo=-90, hi=90), t.number("lon", lo=-180, hi=180))
        enu = (e, n)
    t.done()
    return SurveyPoint(pixel, enu)


def _origin(origin: Table | None, points: list[Table], where: str) -> LocalFrame:
    if origin is not None:
        frame = LocalFrame(
            origin.number("lat", lo=-90, hi=90),
            origin.number("lon", lo=-180, hi=180),
            origin.number("alt", 0.0),
        )
        origin.done()
        return frame
    for p in points:
        if p.has("lat"):
            return LocalFrame(float(p.data["lat"]), float(p.data["lon"]))
    if not points:
        raise ConfigError(f"{where}: points", "no surveyed points")
    return LocalFrame(0.0, 0.0)


def _intrinsics(t: Table) -> Intrinsics:
    intr = Intrinsics(
        t.number("fx", lo=1.0),
        t.number("fy", lo=1.0),
        t.number("cx"),
        t.number("cy"),
        tuple(float(v) for v in t.array("distortion", [])),
    )
    t.done()
    return intr
