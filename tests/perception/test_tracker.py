"""The ground-plane tracker on simulated trajectories (seeded noise, real time steps)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rsu.config.fields import Table
from rsu.errors import ConfigError
from rsu.perception.tracker import Tracker, TrackerConfig
from rsu.road_users import GroundDetection


def det(t: float, x: float, y: float, label: str = "car", score: float = 0.9) -> GroundDetection:
    return GroundDetection(time=t, x_m=x, y_m=y, label=label, score=score, sensor_id="cam0")


def run_crossing(rng: np.random.Generator, noise: float, steps: int, dt_jitter: float) -> dict:
    """Two cars on crossing paths plus a pedestrian; returns id history per target."""
    tracker = Tracker(TrackerConfig())
    history: dict[str, list[int | None]] = {"east": [], "north": [], "ped": []}
    t = 0.0
    for _ in range(steps):
        t += 0.1 + rng.uniform(-dt_jitter, dt_jitter)
        truth = {
            "east": (-40.0 + 12.0 * t, 1.5),  # 12 m/s heading east
            "north": (-1.5, -30.0 + 8.0 * t),  # 8 m/s heading north
            "ped": (5.0, 8.0 - 1.4 * t),  # 1.4 m/s heading south
        }
        labels = {"east": "car", "north": "truck", "ped": "person"}
        dets = [
            det(t, x + rng.normal(0, noise), y + rng.normal(0, noise), labels[k])
            for k, (x, y) in truth.items()
        ]
        res = tracker.update(dets, t)
        for k, tid in zip(truth, res.track_ids, strict=True):
            history[k].append(tid)
    return {"tracker": tracker, "history": history, "t": t}


def test_ids_stay_stable_through_crossing_paths_with_noise_and_jittered_steps() -> None:
    out = run_crossing(np.random.default_rng(7), noise=0.3, steps=60, dt_jitter=0.03)
    ids = {k: set(v) for k, v in out["history"].items()}
    assert all(len(v) == 1 for v in ids.values()), ids
    assert len(set().union(*ids.values())) == 3


def test_speed_and_heading_estimates_converge_on_constant_velocity() -> None:
    out = run_crossing(np.random.default_rng(3), noise=0.3, steps=40, dt_jitter=0.02)
    tracks = {t.label: t for t in out["tracker"].tracks(out["t"])}
    assert tracks["car"].speed_mps == pytest.approx(12.0, abs=0.6)
    assert tracks["car"].heading_deg == pytest.approx(90.0, abs=4.0)
    assert tracks["truck"].speed_mps == pytest.approx(8.0, abs=0.6)
    assert tracks["truck"].heading_deg % 360 == pytest.approx(0.0, abs=4.0) or tracks[
        "truck"
    ].heading_deg == pytest.approx(360.0, abs=4.0)
    assert tracks["person"].speed_mps == pytest.approx(1.4, abs=0.4)
    assert tracks["person"].heading_deg == pytest.approx(180.0, abs=12.0)
    assert all(t.moving for t in tracks.values())


def test_irregular_time_steps_use_real_dt() -> None:
    tracker = Tracker()
    times = [0.0, 0.05, 0.3, 0.35, 0.9, 1.0, 1.1, 1.6, 1.65, 1.9]
    for t in times:
        res = tracker.update([det(t, 10.0 * t, 0.0)], t)
    (track,) = res.tracks
    assert track.speed_mps == pytest.approx(10.0, abs=0.3)
    assert track.x_m == pytest.approx(19.0, abs=0.3)


def test_tracks_are_confirmed_after_min_hits_and_deleted_after_max_age() -> None:
    tracker = Tracker(TrackerConfig(min_hits=3, max_age_s=0.5))
    assert tracker.update([det(0.0, 0, 0)], 0.0).tracks == ()
    assert tracker.update([det(0.1, 0, 0)], 0.1).tracks == ()
    res = tracker.update([det(0.2, 0, 0)], 0.2)
    assert [t.track_id for t in res.tracks] == [1]
    assert res.tracks[0].confirmed
    assert tracker.update([], 0.6).tracks != ()  # coasting inside max_age
    res = tracker.update([], 0.75)
    assert res.tracks == ()
    assert res.deleted == (1,)


def test_a_single_false_detection_dies_tentative_and_ids_are_never_reused() -> None:
    tracker = Tracker()
    tracker.update([det(0.0, 50, 50)], 0.0)
    res = tracker.update([], 0.5)
    assert res.deleted == (1,)
    res = tracker.update([det(0.6, 0, 0)], 0.6)
    assert res.track_ids == (2,)


def test_stationary_target_is_reported_stationary_and_becomes_moving() -> None:
    rng = np.random.default_rng(1)
    tracker = Tracker()
    t = 0.0
    for _ in range(30):
        t += 0.1
        res = tracker.update([det(t, 3 + rng.normal(0, 0.1), 4 + rng.normal(0, 0.1))], t)
    assert not res.tracks[0].moving
    x = 3.0
    for _ in range(20):
        t += 0.1
        x += 0.6
        res = tracker.update([det(t, x, 4.0)], t)
    assert res.tracks[0].moving
    assert res.tracks[0].speed_mps == pytest.approx(6.0, abs=0.8)


def test_class_label_is_smoothed_over_flicker() -> None:
    tracker = Tracker()
    labels = ["car", "car", "truck", "car", "car", "truck", "car", "car"]
    for i, lab in enumerate(labels):
        res = tracker.update([det(i * 0.1, 0, 0, lab, 0.8)], i * 0.1)
    assert res.tracks[0].label == "car"
    assert len({res.tracks[0].track_id}) == 1


def test_person_and_car_at_the_same_spot_do_not_share_a_track() -> None:
    tracker = Tracker()
    for i in range(5):
        t = i * 0.1
        res = tracker.update([det(t, 0, 0, "car"), det(t, 0.3, 0, "person")], t)
    assert len(set(res.track_ids)) == 2
    assert {t.label for t in res.tracks} == {"car", "person"}


def test_gate_rejects_far_jumps() -> None:
    tracker = Tracker(TrackerConfig(gate_m=3.0))
    for i in range(5):
        tracker.update([det(i * 0.1, 0, 0)], i * 0.1)
    res = tracker.update([det(0.5, 20, 0)], 0.5)
    assert res.born == (2,)


def test_max_tracks_bounds_births_and_counts_drops() -> None:
    tracker = Tracker(TrackerConfig(max_tracks=5))
    res = tracker.update([det(0, 10.0 * i, 0) for i in range(8)], 0.0)
    assert len(tracker) == 5
    assert tracker.dropped == 3
    assert res.track_ids[5:] == (None, None, None)


def test_position_uncertainty_shrinks_with_updates() -> None:
    tracker = Tracker()
    sigmas = []
    for i in range(10):
        tracker.update([det(i * 0.1, 0, 0)], i * 0.1)
        sigmas.append(tracker.tracks(i * 0.1, include_tentative=True)[0].pos_sigma_m)
    assert sigmas[-1] < sigmas[0]
    assert math.isfinite(sigmas[-1])


def test_config_reads_table_and_rejects_unknown_keys() -> None:
    cfg = TrackerConfig.from_table(Table({"gate_m": 2, "min_hits": 2}, "perception.tracker"))
    assert cfg.gate_m == 2.0
    assert cfg.min_hits == 2
    with pytest.raises(ConfigError, match=r"perception\.tracker\.gate"):
        TrackerConfig.from_table(Table({"gate": 2}, "perception.tracker"))
