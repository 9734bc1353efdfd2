"""``rsu camera detect``, ``rsu camera snapshot`` and ``rsu calibrate`` on the real video."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from rsu.cli.main import main

POINTS = Path(__file__).parent / "data" / "vtest_points.toml"


def test_detect_prints_one_json_line_per_frame_with_people(
    vtest_avi: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["camera", "detect", "--source", str(vtest_avi), "--frames", "100:103", "--json"]) == 0
    )
    out, err = capsys.readouterr()
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["frame"] for x in lines] == [100, 101, 102]
    assert lines[1]["time"] - lines[0]["time"] == pytest.approx(0.1, abs=1e-3)
    for line in lines:
        people = [d for d in line["detections"] if d["label"] == "person"]
        assert len(people) >= 4
        assert all(len(d["box"]) == 4 and "enu" not in d for d in people)
    # image-plane track ids: none while tracks are tentative, then on most walkers (min_hits 3)
    assert all("track_id" not in d for line in lines[:2] for d in line["detections"])
    assert sum("track_id" in d for d in lines[2]["detections"]) >= 4
    summary = json.loads(err.strip().splitlines()[-1])["summary"]
    assert summary["frames"] == 3
    assert summary["camera"]["frames"] == 3
    assert "no calibration" in err


def test_detect_with_calibration_adds_ground_positions_and_stable_track_ids(
    vtest_avi: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["camera", "detect", "--source", str(vtest_avi), "--frames", "100:112", "--json",
            "--calibration", str(POINTS)]  # fmt: skip
    assert main(argv) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    last = lines[-1]["detections"]
    assert all("enu" in d and "lat" in d and "lon" in d for d in last)
    tracked = [d for d in last if "track_id" in d]
    assert len(tracked) >= 4
    # The same walkers keep their ids over the last frames (people move < 0.3 m per frame).
    ids = [{d["track_id"] for d in line["detections"] if "track_id" in d} for line in lines[-4:]]
    assert len(ids[0] & ids[-1]) >= 3
    assert all(51.38 < d["lat"] < 51.39 for d in last)


def test_detect_text_output_and_frame_pacing(
    vtest_avi: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["camera", "detect", "--source", str(vtest_avi), "--frames", ":6", "--target-fps", "5"]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in out] == ["0", "2", "4"]
    assert "person 0." in out[0]


def test_bad_frame_range_and_missing_model_are_reported(
    vtest_avi: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["camera", "detect", "--source", str(vtest_avi), "--frames", "9:3"]) == 2
    assert "--frames" in capsys.readouterr().err
    missing = str(tmp_path / "m.onnx")
    assert main(["camera", "detect", "--source", str(vtest_avi), "--model", missing]) == 1
    assert "m.onnx: file not found" in capsys.readouterr().err


def test_snapshot_writes_an_annotated_frame(vtest_avi: Path, tmp_path: Path) -> None:
    out = tmp_path / "snap.jpg"
    zones = tmp_path / "zones.toml"
    zones.write_text('[[zones]]\nname = "path"\npolygon = [[-4, 10], [4, 10], [4, 16], [-4, 16]]\n')
    argv = ["camera", "snapshot", "--source", str(vtest_avi), "--frame", "150", "--annotate",
            str(out), "--calibration", str(POINTS), "--zones", str(zones)]  # fmt: skip
    assert main(argv) == 0
    image = cv2.imread(str(out))
    assert image.shape == (576, 768, 3)
    raw = Path(tmp_path / "raw.png")
    argv = ["camera", "snapshot", "--source", str(vtest_avi), "--frame", "150", "--annotate",
            str(raw), "--no-detect"]  # fmt: skip
    assert main(argv) == 0
    plain = cv2.imread(str(raw))
    assert (cv2.absdiff(image, plain).max(axis=2) > 60).mean() > 0.01  # grid, zone, boxes drawn


def test_calibrate_reports_per_point_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calibrate", str(POINTS), "--json", "--pixel", "384,288"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["points"]) == 7
    assert all(p["error_m"] < 0.01 and p["leave_one_out_m"] < 0.01 for p in report["points"])
    assert report["pixels"][0]["enu"] == pytest.approx([0.0, 14.3], abs=0.05)
    assert main(["calibrate", str(POINTS), "--max-error-m", "0.5"]) == 0
    assert "rms error" in capsys.readouterr().out


def test_calibrate_fails_on_a_bad_fit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = POINTS.read_text().replace("pixel = [384.0, 400.0]", "pixel = [300.0, 420.0]")
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    assert main(["calibrate", str(bad), "--max-error-m", "0.5"]) == 1


def test_detect_takes_camera_and_detector_from_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "rsu.toml"
    config.write_text(
        '[perception.detector]\nbackend = "sim"\n\n'
        '[[perception.cameras]]\nname = "demo"\nsource = "sim://road?people=2&cars=1"\n'
        f'calibration = "{POINTS}"\n'
    )
    argv = ["camera", "detect", "--config", str(config), "--camera", "demo", "--frames", ":6"]
    assert main([*argv, "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["camera"] for x in lines] == ["demo"] * 6
    labels = sorted(d["label"] for d in lines[-1]["detections"])
    assert labels == ["car", "person", "person"]
    assert all("track_id" in d for d in lines[-1]["detections"])
    assert main([*argv[:-2], "--camera", "east"]) == 2
    assert "no camera 'east'" in capsys.readouterr().err
