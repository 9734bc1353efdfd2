"""``rsu-hil record`` then ``rsu-hil replay``: the recorded inputs (radio frames, line noise,
GNSS NMEA, CAN frames) played back into a fresh daemon give the same outputs as the golden."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCENARIO = """
[scenario]
name = "record_me"
duration_s = 3.5
drain_s = 2.0
seed = 77
radio = "serial"
gnss = true

[[actors]]
name = "cars"
count = 4
path = [[1.8, -60.0], [1.8, 60.0]]
speed_mps = 12.0

[[radar]]
name = "north"
sees = ["cars"]
north_m = 70.0
yaw_deg = 180.0

[[faults]]
kind = "serial_garbage"
at_s = 0.5
duration_s = 0.5
rate_hz = 20.0

[[faults]]
kind = "gnss_loss"
at_s = 1.0
duration_s = 1.8

[[expect]]
kind = "delivered"
types = ["BSM"]

[[expect]]
kind = "mqtt"
stream = "alarms"
where = { "data.kind" = "loss_of_fix" }
"""


def _hil(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hil", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_a_replayed_session_reproduces_the_recorded_outputs(tmp_path: Path) -> None:
    scenario = tmp_path / "record_me.toml"
    scenario.write_text(SCENARIO)
    session = tmp_path / "session.jsonl"
    rec = _hil("record", str(scenario), "--out", str(session))
    assert rec.returncode == 0, rec.stdout + rec.stderr
    lines = [json.loads(x) for x in session.read_text().splitlines()]
    assert lines[0]["seed"] == 77
    kinds = {x.get("in") for x in lines[1:-1]}
    assert kinds >= {"radio", "radio_raw", "gnss", "can"}
    golden = lines[-1]["golden"]
    assert golden["v2x"]
    assert ["gnss", "loss_of_fix"] in golden["alarms"]

    rep = _hil("replay", str(session))
    assert rep.returncode == 0, rep.stdout + rep.stderr
    assert "outputs match the golden" in rep.stdout


def test_replay_refuses_a_file_that_is_not_a_session(tmp_path: Path) -> None:
    bogus = tmp_path / "x.jsonl"
    bogus.write_text('{"hello": 1}\n{"also": 2}\n')
    rep = _hil("replay", str(bogus))
    assert rep.returncode == 2
    assert "not a session" in rep.stderr
