"""``rsu-hil run`` reports a scenario whose expectations do not hold as failed: exit code 1, a
FAIL line naming the check in the table, a ``<failure>`` in the JUnit XML. (The checks bite on
real output, not only on the shipped suite's happy paths.)"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LAWFUL_ONLY = """
[scenario]
name = "lawful_only"
duration_s = 2.0
drain_s = 1.0
seed = 2

[[actors]]
name = "lawful"
count = 2
path = [[1.8, -80.0], [1.8, 80.0]]
speed_mps = 12.0

[config.fusion]
sdsm_hz = 2.0

[[config.events.zones]]
name = "northbound-lane"
kind = "lane"
points = [[0.0, -100.0], [3.6, -100.0], [3.6, 100.0], [0.0, 100.0]]
direction_deg = 0.0

[[expect]]
kind = "delivered"
name = "bsms arrive"
types = ["BSM"]

[[expect]]
kind = "mqtt"
name = "a wrong-way event that must not happen"
stream = "events"
where = { "data.type" = "wrong_way" }
min_count = 1

[[expect]]
kind = "radio_tx"
name = "a MAP that is not configured"
message_type = "MAP"
min_count = 1
"""


def test_failed_expectations_fail_the_run_and_the_junit(tmp_path: Path) -> None:
    scenario = tmp_path / "lawful_only.toml"
    scenario.write_text(LAWFUL_ONLY)
    junit = tmp_path / "out.xml"
    work = tmp_path / "work"  # the failed run's files stay in tmp_path, not in /tmp
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hil",
            "run",
            str(scenario),
            "--junit",
            str(junit),
            "--workdir",
            str(work),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "lawful_only" in proc.stdout
    assert "FAIL a wrong-way event that must not happen" in proc.stdout
    assert "ok   bsms arrive" in proc.stdout
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "2"
    failed = {c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None}
    assert failed == {"a wrong-way event that must not happen", "a MAP that is not configured"}


def test_a_bad_scenario_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nname = "x"\nradio = "carrier-pigeon"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "hil", "run", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "scenario.radio" in proc.stderr
