"""The running daemon's NTCIP 1218 agent on loopback, driven by net-snmp (the independent
manager): tables read, a store-and-repeat row created and broadcast (the sim radio's
counters), standby/operate, refused credentials and read-only SETs, malformed datagrams
counted and survived, received-message forwarding over UDP, persistence across a restart."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_until
from tests.daemon.helpers import DEMO_DIR
from tests.management.helpers import RSU, VIEWER, Bench, make_bench, values

SPAT_HEX = "".join(
    line.split("#", 1)[0].strip() for line in (DEMO_DIR / "spat.hex").read_text().splitlines()
)
MODE = f"{RSU}.16.2.0"
REPEAT = f"{RSU}.3.2.1"


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    b = make_bench(tmp_path_factory.mktemp("snmp")).start()
    yield b
    b.stop()


def _sent(b: Bench, key: str) -> int:
    entries = {e["key"]: e for e in b.status()["broadcast_entries"]}
    return int(entries[key]["sent"]) if key in entries else -1


def test_identity_mode_and_location_are_read_by_a_manager(bench: Bench) -> None:
    out = bench.snmp("snmpget", f"{RSU}.13.4.0", f"{RSU}.16.3.0", f"{RSU}.13.3.0", f"{RSU}.13.5.0")
    assert out.returncode == 0, out.stderr
    got = values(out.stdout)
    assert got[f".{RSU}.13.4.0"] == 'STRING: "demo-rsu"'
    assert got[f".{RSU}.16.3.0"] == "INTEGER: 3"  # operate, NTCIP 1218's value
    assert got[f".{RSU}.13.3.0"] == 'STRING: "test bench, loopback"'
    assert got[f".{RSU}.13.5.0"] == "INTEGER: 422808000"  # surveyed [rsu] latitude, 1e-7 deg

    def gnss_lat() -> int:
        text = values(bench.snmp("snmpget", f"{RSU}.6.6.0").stdout).get(f".{RSU}.6.6.0", "")
        return int(text.split()[-1]) if text.startswith("INTEGER") else 0

    assert wait_until(lambda: abs(gnss_lat() - 422808000) < 5000, 15)  # the sim GNSS fix


def test_a_row_created_by_snmp_is_broadcast_and_read_back(bench: Bench) -> None:
    out = bench.snmp(
        "snmpset",
        *(f"{REPEAT}.2.7", "x", "8002", f"{REPEAT}.4.7", "i", "100"),
        *(f"{REPEAT}.9.7", "i", "4"),  # createAndGo in the middle, as the CV Manager sends it
        *(f"{REPEAT}.7.7", "x", SPAT_HEX),
    )
    assert out.returncode == 0, out.stderr + out.stdout
    assert wait_until(lambda: _sent(bench, "snmp-srm-7") > 3, 20), bench.status()
    walk = values(bench.snmp("snmpwalk", f"{RSU}.3.2").stdout)
    assert walk[f".{REPEAT}.9.7"] == "INTEGER: 1"  # active
    assert walk[f".{REPEAT}.2.7"].replace(" ", "").endswith("8002")
    entry = next(e for e in bench.status()["broadcast_entries"] if e["key"] == "snmp-srm-7")
    assert (entry["type"], entry["psid"], entry["source"]) == ("SPAT", "0x8002", "snmp")


def test_standby_stops_transmissions_and_operate_resumes_them(bench: Bench) -> None:
    assert bench.snmp("snmpset", MODE, "i", "2").returncode == 0
    assert wait_until(lambda: bench.status()["status"]["mode"] == "standby", 10)
    first = bench.status()["status"]["tx"]
    assert wait_until(lambda: bench.status()["status"]["tx"]["suppressed"] > first["suppressed"])
    assert bench.status()["status"]["tx"]["sent"] == first["sent"]
    assert "INTEGER: 2" in bench.snmp("snmpget", f"{RSU}.16.3.0").stdout
    assert bench.snmp("snmpset", MODE, "i", "3").returncode == 0
    assert wait_until(lambda: bench.status()["status"]["tx"]["sent"] > first["sent"], 10)


def test_wrong_credentials_and_read_only_sets_are_refused(bench: Bench) -> None:
    bad = bench.snmp("snmpget", f"{RSU}.13.4.0", auth="not-the-password")
    assert bad.returncode != 0
    assert "Authentication failure" in bad.stderr
    unknown = bench.snmp("snmpget", f"{RSU}.13.4.0", user=("nobody", "SHA-512", "AES256"))
    assert unknown.returncode != 0
    viewer = bench.snmp("snmpget", f"{RSU}.16.2.0", user=VIEWER)
    assert viewer.returncode == 0, viewer.stderr  # the read-only user reads
    refused = bench.snmp("snmpset", MODE, "i", "2", user=VIEWER)
    assert refused.returncode != 0
    assert "noAccess" in refused.stdout + refused.stderr
    assert bench.status()["status"]["mode"] == "operate"
    stats = bench.status()["status"]["snmp"]
    assert stats["usm"]["wrong_digests"] >= 1
    assert stats["usm"]["unknown_users"] >= 1
    assert stats["refused"] >= 3  # the viewer's SET, the wrong key, the unknown user


def test_bad_values_are_refused_with_their_snmp_error(bench: Bench) -> None:
    cases = [
        ((MODE, "i", "4"), "wrongValue"),  # RSU 4.1's operate: not 1218's
        ((f"{REPEAT}.2.9", "x", "0080", f"{REPEAT}.9.9", "i", "4"), "wrongValue"),  # bad PSID
        ((f"{REPEAT}.4.9", "i", "5", f"{REPEAT}.9.9", "i", "4"), "wrongValue"),  # < 10 ms
        ((f"{REPEAT}.7.9", "x", "DEADBEEF", f"{REPEAT}.9.9", "i", "4"), "wrongValue"),
        ((f"{REPEAT}.3.55", "i", "183"), "noCreation"),  # no such row, no createAndGo
        ((f"{RSU}.13.4.0", "s", "other-id"), "notWritable"),
    ]
    for args, error in cases:
        out = bench.snmp("snmpset", *args)
        assert out.returncode != 0, args
        assert error in out.stdout + out.stderr, (args, out.stdout, out.stderr)
    walk = values(bench.snmp("snmpwalk", f"{RSU}.3.2.1.9").stdout)
    assert f".{REPEAT}.9.9" not in walk  # nothing of a refused PDU was applied


def test_malformed_datagrams_are_counted_and_survived(bench: Bench) -> None:
    before = bench.status()["status"]["snmp"]["agent"]
    garbage = [
        b"\x00" * 7,
        b"not snmp at all",
        bytes.fromhex("3082ffff020103"),  # truncated BER: length says 65535
        bytes.fromhex("30847fffffff020103"),  # a 2 GiB length
        bytes.fromhex("3010020103300402020000") + b"\xff" * 5,  # v3 header cut short
        b"\x30" + b"\x81" * 2000,
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for datagram in garbage * 20:
            sock.sendto(datagram, ("127.0.0.1", bench.port))
    assert wait_until(
        lambda: bench.status()["status"]["snmp"]["agent"]["datagrams"] >= before["datagrams"] + 120,
        10,
    )
    after = bench.status()["status"]["snmp"]["agent"]
    assert after["malformed"] >= before["malformed"] + 100
    assert after["running"]
    out = bench.snmp("snmpget", f"{RSU}.13.4.0")
    assert out.returncode == 0
    assert "demo-rsu" in out.stdout


def test_received_messages_are_forwarded_over_udp(bench: Bench) -> None:
    port = free_port()
    fwd = f"{RSU}.5.2.1"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", port))
        sock.settimeout(10)
        out = bench.snmp(
            "snmpset",
            *(f"{fwd}.2.1", "x", "20", f"{fwd}.3.1", "s", "127.0.0.1"),
            *(f"{fwd}.4.1", "i", str(port), f"{fwd}.6.1", "i", "-100"),
            *(f"{fwd}.10.1", "i", "4"),
        )
        assert out.returncode == 0, out.stderr + out.stdout
        data, _ = sock.recvfrom(4096)
    assert data[:2] == b"\x00\x14"  # a bare J2735 BSM MessageFrame (messageId 20)
    assert bench.snmp("snmpset", f"{fwd}.10.1", "i", "6").returncode == 0  # destroy


def test_changes_persist_across_a_restart(tmp_path: Path) -> None:
    b = make_bench(tmp_path).start()
    try:
        out = b.snmp(
            "snmpset",
            *(f"{REPEAT}.2.3", "x", "8002", f"{REPEAT}.7.3", "x", SPAT_HEX),
            *(f"{REPEAT}.9.3", "i", "4", MODE, "i", "2"),
        )
        assert out.returncode == 0, out.stderr + out.stdout
        assert b.stop() == 0, b.log[-3000:]
        b.start()
        assert b.status()["status"]["mode"] == "standby"
        walk = values(b.snmp("snmpwalk", f"{RSU}.3.2.1.9").stdout)
        assert walk[f".{REPEAT}.9.3"] == "INTEGER: 1"
        keys = {e["key"] for e in b.status()["broadcast_entries"]}
        assert "snmp-srm-3" in keys
    finally:
        b.stop()


def test_rsu_snmp_walk_is_a_self_check_through_the_agent(bench: Bench) -> None:
    from tests.daemon.helpers import rsu

    out = rsu("snmp", "walk", "--config", str(bench.config), "--json")
    assert out.returncode == 0, out.stderr
    assert '"value": "demo-rsu"' in out.stdout
    viewer = rsu("snmp", "walk", "--config", str(bench.config), "--user", "rsu-viewer", f"{RSU}.16")
    assert viewer.returncode == 0, viewer.stderr
    assert "rsuModeStatus.0 = " in viewer.stdout
    dead = rsu(
        "snmp", "walk", "--config", str(bench.config), "--target", "127.0.0.1:9", "--timeout", "0.3"
    )
    assert dead.returncode != 0
    assert "No SNMP response" in dead.stderr


def test_the_unit_grants_only_the_capability_to_bind_port_161() -> None:
    unit = (Path(__file__).parents[2] / "systemd" / "rsu.service").read_text()
    assert "\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n" in unit
    assert "\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n" in unit


def test_rsu_status_shows_the_agent_on_one_line(bench: Bench) -> None:
    from tests.daemon.helpers import rsu

    assert bench.daemon is not None
    bench.snmp("snmpget", f"{RSU}.13.4.0")
    out = rsu("status", "--socket", str(bench.daemon.socket))
    assert out.returncode == 0, out.stderr
    (line,) = [line for line in out.stdout.splitlines() if line.startswith("snmp     listen")]
    head = f"snmp     listen {bench.target}, users 2, requests "
    assert line.startswith(head), line
    fields = dict(part.rsplit(" ", 1) for part in line.removeprefix("snmp     ").split(", "))
    assert list(fields) == ["listen", "users", "requests", "sets", "refused", "notifications"]
    assert int(fields["requests"]) >= 1
