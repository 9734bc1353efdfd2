"""SNMPv1/v2c communities (only when configured) against net-snmp's tools, and community
files that others may read refused like the SNMPv3 pass phrase files."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import wait_until
from tests.daemon.helpers import DaemonProcess
from tests.management.helpers import RSU, SNMPGET, make_bench, values, write_secret

COMMUNITIES = """
[[snmp.communities]]
community_file = "{secrets}/public.community"
access = "read-only"
"""
READ_ONLY = "a-read-only-community"


def _v2c(tool: str, target: str, community: str, *args: str, version: str = "2c") -> str:
    cmd = [tool, f"-v{version}", "-c", community, "-On", "-m", "", "-r", "0", "-t", "2", target]
    out = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=30, check=False)
    return out.stdout + out.stderr


def test_v1_and_v2c_communities_read_and_a_read_only_one_cannot_write(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, COMMUNITIES)
    write_secret(tmp_path / "secrets" / "public.community", READ_ONLY)
    bench.start()
    try:
        got = values(_v2c(SNMPGET, bench.target, READ_ONLY, f"{RSU}.13.4.0", f"{RSU}.16.3.0"))
        assert got == {f".{RSU}.13.4.0": 'STRING: "demo-rsu"', f".{RSU}.16.3.0": "INTEGER: 3"}
        v1 = values(_v2c(SNMPGET, bench.target, READ_ONLY, f"{RSU}.13.4.0", version="1"))
        assert v1 == {f".{RSU}.13.4.0": 'STRING: "demo-rsu"'}
        wrong = _v2c(SNMPGET, bench.target, "not-the-community", f"{RSU}.13.4.0")
        assert "Timeout" in wrong  # an agent says nothing to a wrong community (RFC 3584)
        refused = _v2c("snmpset", bench.target, READ_ONLY, f"{RSU}.16.2.0", "i", "2")
        assert "noAccess" in refused or "notWritable" in refused, refused
        status = bench.status()["status"]
        assert status["mode"] == "operate"
        snmp = status["snmp"]
        assert snmp["usm"]["bad_communities"] >= 1
        assert snmp["agent"]["communities"] == 1
        assert snmp["refused"] >= 2  # the wrong community and the read-only SET
    finally:
        bench.stop()


def test_a_community_file_others_can_read_stops_the_daemon_at_start(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, COMMUNITIES)
    path = write_secret(tmp_path / "secrets" / "public.community", READ_ONLY, mode=0o644)
    daemon = DaemonProcess(bench.config, tmp_path)
    try:
        assert wait_until(lambda: daemon.proc.poll() is not None, 60), daemon.output()
        assert daemon.proc.returncode != 0
        out = daemon.output()
        assert "snmp.communities[0].community_file" in out
        assert f"{path} is mode 0644: other users may read it" in out
        assert "Traceback" not in out
    finally:
        daemon.close()
