"""The systemd files: the unit verifies, rates "OK" (<= 2.5) and the sysusers file works.

Needs Debian's ``systemd`` package (``systemd-analyze``, ``systemd-sysusers``); no systemd
needs to be running.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
UNIT = ROOT / "systemd" / "rsu.service"


def _unit_here(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this environment's ``rsu`` (verify checks it)."""
    rsu = shutil.which("rsu", path=str(Path(sys.executable).parent))
    assert rsu is not None
    unit = tmp_path / "rsu.service"
    unit.write_text(UNIT.read_text().replace("/opt/rsu-edge/bin/rsu", rsu))
    return unit


def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    out = subprocess.run(
        ["systemd-analyze", "verify", str(_unit_here(tmp_path))],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "rsu.service" not in out.stderr  # no warnings about our unit


def test_the_unit_rates_ok_in_systemd_analyze_security(tmp_path: Path) -> None:
    out = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(_unit_here(tmp_path))],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    found = re.search(r"Overall exposure level for rsu\.service: (\d+\.\d+) (\w+)", out.stdout)
    assert found, out.stdout[-2000:]
    assert float(found.group(1)) <= 2.5
    assert found.group(2) == "OK"


def test_the_unit_is_type_notify_with_watchdog_and_restart() -> None:
    text = UNIT.read_text()
    for line in ("Type=notify", "WatchdogSec=10s", "Restart=on-failure", "User=rsu",
                 "StateDirectory=rsu", "LoadCredential=mqtt-password:", "ProtectSystem=strict",
                 "NoNewPrivileges=yes", "PrivateTmp=yes", "DevicePolicy=closed"):  # fmt: skip
        assert re.search(rf"^{re.escape(line)}", text, re.M), line


def test_sysusers_creates_the_rsu_user_in_dialout(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "passwd").write_text("")
    (etc / "group").write_text("dialout:x:20:\n")
    out = subprocess.run(
        ["systemd-sysusers", f"--root={tmp_path}", str(ROOT / "systemd" / "rsu.sysusers")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert re.search(
        r"^rsu:x:\d+:\d+:.*:/var/lib/rsu:/usr/sbin/nologin$", (etc / "passwd").read_text(), re.M
    )
    assert "dialout:x:20:rsu" in (etc / "group").read_text()
