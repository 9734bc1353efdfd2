"""Bad arguments get a clear error and a non-zero exit; a reader that goes away ends quietly.

Each row runs the real ``rsu`` (or ``rsu-hil``) command as a field engineer types it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.daemon.helpers import ROOT, rsu
from tests.perception.video import vtest_path
from tests.v2x.vectors import load

USAGE = 2

BAD_ARGUMENTS = [
    (("demo", "--duration", "-5"), "--duration: expected a number of seconds > 0, got '-5'"),
    (("demo", "--duration", "nan"), "--duration: expected a number of seconds > 0, got 'nan'"),
    (("--log-level", "bogus", "status"), "--log-level: invalid choice: 'bogus'"),
    (("tail", "-n", "0"), "--count/-n: expected a whole number >= 1, got '0'"),
    (("replay", "--config", "x.toml", "f", "--rate", "-1"), "--rate: expected a rate per second"),
    (("replay", "--config", "x.toml", "f", "--timeout", "inf"), "--timeout: expected a number"),
    (("spool", "drain", "--config", "x.toml", "--timeout", "0"), "--timeout: expected a number"),
    (("doctor", "--timeout", "-1"), "--timeout: expected a number of seconds > 0"),
    (("camera", "detect", "--score", "2"), "--score: expected a score > 0 and <= 1, got '2'"),
    (("camera", "detect", "--threads", "0"), "--threads: expected a whole number >= 1"),
    (("camera", "detect", "--target-fps", "-3"), "--target-fps: expected a rate per second"),
    (("camera", "snapshot", "--annotate", "x.jpg", "--frame", "-1"), "--frame: expected a whole"),
    (("calibrate", "p.toml", "--max-error-m", "nan"), "--max-error-m: expected a distance"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_ARGUMENTS, ids=lambda v: " ".join(v)[:40])
def test_a_bad_argument_is_a_usage_error_naming_it(argv: tuple[str, ...], message: str) -> None:
    out = rsu(*argv)
    assert out.returncode == USAGE, out.stderr
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_rsu_hil_only_with_an_unknown_scenario_lists_the_known_ones() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hil.cli", "run", "--only", "nosuch"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == USAGE
    assert "--only: no scenario nosuch (known: " in out.stderr
    assert "busy_intersection" in out.stderr
    assert "passed" not in out.stdout


def _frames_file(tmp_path: Path, n: int) -> Path:
    lines = [v["hex"] for v in load("j2735_real.jsonl")][:n]
    path = tmp_path / "frames.hex"
    path.write_text("\n".join(lines) + "\n")
    return path


def _piped_into_head(argv: list[str], head: list[str]) -> tuple[int, str, str]:
    """``rsu ARGV | head ...``: the exit code and stderr of rsu, and what head printed."""
    producer = subprocess.Popen(
        [sys.executable, "-m", "rsu.cli.main", *argv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert producer.stdout is not None
    assert producer.stderr is not None
    reader = subprocess.run(
        ["head", *head], stdin=producer.stdout, capture_output=True, timeout=120, check=False
    )
    producer.stdout.close()  # head has gone: the next write of rsu meets a broken pipe
    err = producer.stderr.read().decode()
    return producer.wait(timeout=120), err, reader.stdout.decode()


def test_decode_into_head_ends_quietly_like_a_unix_tool(tmp_path: Path) -> None:
    frames = _frames_file(tmp_path, 1000)
    code, err, shown = _piped_into_head(
        ["decode", "--file", str(frames), "--format", "summary"], ["-1"]
    )
    assert json.loads(shown)["standard"] == "j2735"
    assert "Traceback" not in err
    assert "BrokenPipeError" not in err
    assert code == 141  # 128 + SIGPIPE, as a shell reports a tool that SIGPIPE ended


def test_demo_json_into_head_ends_quietly(tmp_path: Path) -> None:
    code, err, shown = _piped_into_head(
        ["demo", "--json", "--no-broker", "--duration", "20"], ["-c", "200"]
    )
    assert shown.startswith('{"uptime_s"')
    assert "Traceback" not in err
    assert code in (0, 141)


def test_camera_snapshot_checks_the_output_before_doing_the_work(tmp_path: Path) -> None:
    video = str(vtest_path())
    wrong_kind = rsu("camera", "snapshot", "--source", video, "--annotate", str(tmp_path / "o.txt"))
    assert wrong_kind.returncode == USAGE
    assert "cannot write an image named" in wrong_kind.stderr
    assert "cv2.error" not in wrong_kind.stderr
    no_folder = tmp_path / "missing" / "o.jpg"
    missing = rsu("camera", "snapshot", "--source", video, "--annotate", str(no_folder))
    assert missing.returncode == USAGE
    assert f"folder {no_folder.parent} does not exist" in missing.stderr


def test_camera_detect_past_the_end_of_the_video_is_an_error() -> None:
    out = rsu("camera", "detect", "--source", str(vtest_path()), "--frames", "100000:100010")
    assert out.returncode == 1
    assert "no frames" in out.stderr
    assert "100000:100010" in out.stderr
