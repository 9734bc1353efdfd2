"""The 1609.2 options bit and the certificate table in a running daemon with ``[security]``.

A PKI made by ``rsu pki init``; the daemon beside a "commercial RSU" (``radio.rsu41``: every
transmission is an immediate-forward datagram to this test's UDP socket, so what goes on the
air is read here); net-snmp as the manager. A store-and-repeat row whose options ask for
signing (``80``) goes out as a 1609.2 SPDU that verifies against the PKI's trust directory;
one with ``C0`` (unsecured) goes out bare; one whose PSID the certificate does not permit is
refused (``inconsistentValue``) and never sent. The security group's tables show the RSU
certificate.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from rsu.radio.rsu41 import parse_ifm
from rsu.security.setup import verifier_from_dir
from rsu.v2x.codec import get_codec
from tests.daemon.helpers import DEMO_DIR, rsu
from tests.management.helpers import (
    AUTH_PASS,
    PRIV_PASS,
    RSU,
    SNMP_SECTION,
    Bench,
    free_udp_port,
    values,
    write_secret,
)

REPEAT = f"{RSU}.3.2.1"
CERT = f"{RSU}.8.10.1"


def _hex(name: str) -> str:
    text = (DEMO_DIR / name).read_text().splitlines()
    return "".join(line.split("#", 1)[0].strip() for line in text)


def _config(tmp: Path, ifm_port: int) -> Bench:
    pki = tmp / "pki"
    made = rsu("pki", "init", str(pki))
    assert made.returncode == 0, made.stderr
    secrets = tmp / "secrets"
    secrets.mkdir()
    write_secret(secrets / "admin.auth", AUTH_PASS)
    write_secret(secrets / "admin.priv", PRIV_PASS)
    port = free_udp_port()
    config = tmp / "rsu.toml"
    config.write_text(
        f"""
[rsu]
id = "signing-rsu"
[daemon]
control_socket = "rsu-demo/control.sock"
metrics_listen = ""
stats_interval_s = 0.0
[radio]
backend = "rsu41"
[radio.rsu41]
listen = "127.0.0.1:{free_udp_port()}"
ifm_target = "127.0.0.1:{ifm_port}"
[uplink]
broker = "mqtt://127.0.0.1:{free_udp_port()}"
spool_path = "rsu-demo/spool.db"
[security]
trust_dir = "{pki}/trust"
certificate = "{pki}/rsu.oer"
key = "{pki}/rsu.key.pem"
sign = ["TIM"]
"""
        + SNMP_SECTION.format(port=port, state=tmp / "state.json", secrets=secrets)
    )
    return Bench(tmp, config, port)


def _sent(ifm: socket.socket, kind: str, seconds: float = 15.0) -> list[bytes]:
    """The payloads of the IFM datagrams of ``kind`` received within ``seconds``."""
    out: list[bytes] = []
    deadline = time.monotonic() + seconds
    while len(out) < 3 and time.monotonic() < deadline:
        try:
            fields = parse_ifm(ifm.recv(65535))
        except TimeoutError:
            continue
        if fields["Type"] == kind:
            assert fields["Signature"] == "False"  # signed here: the RSU sends it as it is
            out.append(bytes.fromhex(fields["Payload"]))
    return out


def test_rows_asking_for_signing_are_signed_and_the_certificate_is_listed(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ifm:
        ifm.bind(("127.0.0.1", 0))
        ifm.settimeout(0.5)
        bench = _config(tmp_path, ifm.getsockname()[1]).start()
        try:
            spat, map_ = _hex("spat.hex"), _hex("map.hex")
            signed = bench.snmp(
                "snmpset",
                *(f"{REPEAT}.2.2", "x", "8002", f"{REPEAT}.4.2", "i", "100"),
                *(f"{REPEAT}.7.2", "x", spat, f"{REPEAT}.11.2", "x", "80"),
                *(f"{REPEAT}.9.2", "i", "4"),
            )
            assert signed.returncode == 0, signed.stdout + signed.stderr
            bare = bench.snmp(
                "snmpset",
                *(f"{REPEAT}.2.3", "x", "E0000017", f"{REPEAT}.4.3", "i", "100"),
                *(f"{REPEAT}.7.3", "x", map_, f"{REPEAT}.11.3", "x", "C0"),
                *(f"{REPEAT}.9.3", "i", "4"),
            )
            assert bare.returncode == 0, bare.stdout + bare.stderr
            spats, maps = _sent(ifm, "SPAT"), _sent(ifm, "MAP")
            assert spats, bench.daemon.output()[-3000:] if bench.daemon else ""
            verifier = verifier_from_dir(tmp_path / "pki" / "trust", time.time())
            for payload in spats:
                result = verifier.verify(payload, time.time())
                assert (result.result, result.psid) == ("valid", 130)  # SPaT, integer form
                assert get_codec("j2735").decode(payload).raw == bytes.fromhex(spat)
            assert maps
            assert maps[0] == bytes.fromhex(map_)  # C0: unsecured, the bare frame

            refused = bench.snmp(  # BSM's PSID 0x20 is not in the RSU certificate
                "snmpset",
                *(f"{REPEAT}.2.4", "x", "20", f"{REPEAT}.7.4", "x", spat),
                *(f"{REPEAT}.11.4", "x", "80", f"{REPEAT}.9.4", "i", "4"),
            )
            assert refused.returncode != 0
            assert "inconsistentValue" in refused.stdout + refused.stderr
            entries = {e["key"] for e in bench.status()["broadcast_entries"]}
            assert {"snmp-srm-2", "snmp-srm-3"} <= entries
            assert "snmp-srm-4" not in entries

            table = values(bench.snmp("snmpwalk", f"{RSU}.8").stdout)
            assert table[f".{RSU}.8.2.0"] == "INTEGER: 4"  # enrolled
            assert table[f".{CERT}.3.1"] == "INTEGER: 2"  # valid
            hours = int(table[f".{CERT}.4.1"].split()[-1])
            assert 0 < hours <= 254
            psids = table[f".{CERT}.2.1"].replace(" ", "")  # Hex-STRING of 4-octet PSIDs
            assert "00008002" in psids
            assert "E0000017" in psids
        finally:
            bench.stop()
