"""Calibration on a synthetic camera: a pinhole 9 m up a pole, pitched 30 degrees down."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rsu.errors import ConfigError
from rsu.geo import LocalFrame
from rsu.perception.calibration import Calibration, Intrinsics, SurveyPoint
from rsu.perception.types import Box, Detection

FRAME = LocalFrame(31.2304, 121.4737)
F, CX, CY = 900.0, 640.0, 360.0
HEIGHT, PITCH = 9.0, math.radians(30)
POLE = np.array([3.0, -20.0])  # camera position, east/north metres; it looks north


def project(enu: np.ndarray) -> np.ndarray:
    """ENU ground points (N, 2) -> ideal pixels (N, 2) of the synthetic camera."""
    x = enu[:, 0] - POLE[0]
    y = enu[:, 1] - POLE[1]
    z = -HEIGHT
    fwd = y * math.cos(PITCH) - z * math.sin(PITCH)
    down = -(z * math.cos(PITCH) + y * math.sin(PITCH))
    return np.stack([CX + F * x / fwd, CY + F * down / fwd], axis=1)


SURVEY = np.array([[-4, 0], [10, 0], [-8, 25], [14, 25], [3, 10], [0, 40], [8, 40]], float)


def _points_file(tmp_path: Path, pixels: np.ndarray, enu: np.ndarray) -> Path:
    lines = ["[origin]", f"lat = {FRAME.lat0}", f"lon = {FRAME.lon0}", ""]
    for (u, v), (e, n) in zip(pixels, enu, strict=True):
        lat, lon, _ = FRAME.to_geodetic(e, n)
        lines += ["[[points]]", f"pixel = [{u}, {v}]", f"lat = {lat!r}", f"lon = {lon!r}", ""]
    path = tmp_path / "points.toml"
    path.write_text("\n".join(lines))
    return path


def test_homography_from_surveyed_latlon_points_maps_ground_pixels_to_centimetres(
    tmp_path: Path,
) -> None:
    cal = Calibration.load(_points_file(tmp_path, project(SURVEY), SURVEY))
    rng = np.random.default_rng(1)
    truth = np.stack([rng.uniform(-8, 14, 200), rng.uniform(0, 45, 200)], axis=1)
    err = np.linalg.norm(cal.pixels_to_enu(project(truth)) - truth, axis=1)
    assert err.max() < 0.01
    back = cal.enu_to_pixels(truth)
    assert np.abs(back - project(truth)).max() < 0.01


def test_pixel_noise_gives_errors_that_grow_with_distance_but_stay_small(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    noisy = project(SURVEY) + rng.normal(0, 0.5, (len(SURVEY), 2))
    cal = Calibration.from_points(
        [SurveyPoint((u, v), (e, n)) for (u, v), (e, n) in zip(noisy, SURVEY, strict=True)], FRAME
    )
    near = np.array([[3.0, 5.0]])
    far = np.array([[3.0, 40.0]])
    near_err = np.linalg.norm(cal.pixels_to_enu(project(near)) - near)
    far_err = np.linalg.norm(cal.pixels_to_enu(project(far)) - far)
    assert near_err < 0.1
    assert far_err < 0.6


def test_geodetic_output_round_trips_through_the_local_frame(tmp_path: Path) -> None:
    cal = Calibration.load(_points_file(tmp_path, project(SURVEY), SURVEY))
    u, v = project(np.array([[5.0, 12.0]]))[0]
    got = cal.pixel_to_geodetic(u, v)
    assert got is not None
    lat, lon, _ = FRAME.to_geodetic(5.0, 12.0)
    assert got == pytest.approx((lat, lon), abs=1e-7)  # ~1 cm


def test_distortion_is_removed_when_intrinsics_are_given() -> None:
    intr = Intrinsics(F, F, CX, CY, (-0.25, 0.08, 0.001, -0.0005, 0.0))
    seen = intr.distort(project(SURVEY))
    points = [SurveyPoint((u, v), (e, n)) for (u, v), (e, n) in zip(seen, SURVEY, strict=True)]
    with_k = Calibration.from_points(points, FRAME, intr)
    without = Calibration.from_points(points, FRAME)
    truth = np.array([[-6.0, 3.0], [12.0, 35.0], [0.0, 18.0]])
    pixels = intr.distort(project(truth))
    assert np.abs(with_k.pixels_to_enu(pixels) - truth).max() < 0.01
    assert np.abs(without.pixels_to_enu(pixels) - truth).max() > 0.1
    assert np.abs(intr.undistort(pixels) - project(truth)).max() < 1e-6


def test_a_point_above_the_horizon_has_no_ground_position() -> None:
    points = [SurveyPoint(tuple(p), tuple(e)) for p, e in zip(project(SURVEY), SURVEY, strict=True)]
    cal = Calibration.from_points(points, FRAME)  # type: ignore[arg-type]
    horizon_v = CY - F * math.tan(PITCH)
    assert cal.pixel_to_enu(CX, horizon_v - 20) is None
    below = horizon_v + 20  # far down the road: where that ray meets the ground
    far_north = POLE[1] + HEIGHT / math.tan(PITCH + math.atan((below - CY) / F))
    assert cal.pixel_to_enu(CX, below) == pytest.approx((POLE[0], far_north), rel=1e-6)


def test_a_detection_stands_on_the_bottom_centre_of_its_box() -> None:
    points = [SurveyPoint(tuple(p), tuple(e)) for p, e in zip(project(SURVEY), SURVEY, strict=True)]
    cal = Calibration.from_points(points, FRAME)  # type: ignore[arg-type]
    ((u, v),) = project(np.array([[2.0, 15.0]]))
    det = Detection("person", 0, 0.8, Box(u - 10, v - 60, u + 10, v))
    g = cal.ground(det, 12.5, "north")
    assert g is not None
    assert (g.x_m, g.y_m) == pytest.approx((2.0, 15.0), abs=0.01)
    assert (g.label, g.time, g.sensor_id, g.score) == ("person", 12.5, "north", 0.8)


def test_leave_one_out_error_points_at_the_mis_surveyed_point(tmp_path: Path) -> None:
    survey = np.array([(e, n) for e in (-6.0, 0.0, 6.0, 12.0) for n in (2.0, 15.0, 35.0)])
    wrong = survey.copy()
    wrong[4] += (2.0, 1.0)  # surveyed 2.24 m off
    cal = Calibration.load(_points_file(tmp_path, project(survey), wrong))
    loo = [e.leave_one_out_m for e in cal.errors()]
    assert all(x is not None for x in loo)
    assert int(np.argmax(loo)) == 4
    assert loo[4] == pytest.approx(math.hypot(2.0, 1.0), abs=0.01)


def test_too_few_or_collinear_points_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least 4 points"):
        Calibration.load(_points_file(tmp_path, project(SURVEY[:3]), SURVEY[:3]))
    line = np.array([[0, 5], [0, 10], [0, 15], [0, 20], [0, 25]], float)
    with pytest.raises(ConfigError, match="degenerate"):
        Calibration.load(_points_file(tmp_path, project(line), line))


def test_unknown_key_in_points_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("[[points]]\npixel = [1, 2]\nlat = 1.0\nlon = 2.0\nlatt = 3\n")
    with pytest.raises(ConfigError, match=r"points\[0\]\.latt: unknown key"):
        Calibration.load(path)
