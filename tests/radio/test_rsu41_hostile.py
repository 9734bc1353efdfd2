"""Hostile datagrams on the RSU 4.1 received-message port (issue 11, RSU 4.1 UDP table).

The daemon is built on the rsu41 backend (its radio really listens on a loopback UDP port;
the core handles what arrives, as in the running daemon). Each row is one datagram a broken or
hostile forwarder can send; it must be counted where the row says (the radio's ``bad_input``
before decoding, the core's ``decode_errors`` after), and a good MAP sent right after it must
still be received and decoded.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from rsu.clock import FakeClock
from rsu.config.loader import config_from_dict, demo_config_path, read_toml
from rsu.daemon import Daemon, build
from rsu.radio.rsu41 import Rsu41Radio
from tests.conftest import free_port, narrow, wait_until

MAP_HEX = "".join(
    line
    for line in (Path(__file__).parents[2] / "configs/examples/map.hex").read_text().splitlines()
    if not line.startswith("#")
)
MAP = bytes.fromhex(MAP_HEX)
IFM = b"Version=0.7\nType=MAP\nPSID=0xE0000017\nPayload=" + MAP_HEX.encode() + b"\n"

# (name, datagram, counter: "bad:<reason>" on the radio or "decode" in the core)
ROWS: list[tuple[str, bytes, str]] = [
    ("empty", b"", "bad:not_v2x"),
    ("an IFM text frame sent the wrong way", IFM, "bad:not_v2x"),
    ("all ones", b"\xff" * 64, "bad:not_v2x"),
    ("oversized", bytes(5000), "bad:oversized"),
    ("one byte over max_datagram", MAP + bytes(2049 - len(MAP)), "bad:oversized"),
    ("truncated BSM", b"\x00\x14\x25", "decode"),
    ("BSM length past the end", b"\x00\x14\x25" + b"\x00" * 8, "decode"),
    ("MAP cut in half", MAP[: len(MAP) // 2], "decode"),
    ("1609.2 header, nothing inside", b"\x03\x81\x00", "decode"),
]


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    path = demo_config_path()
    data = read_toml(path)
    data["radio"] = {
        "backend": "rsu41",
        "rsu41": {"listen": "127.0.0.1:0", "ifm_target": f"127.0.0.1:{free_port()}"},
    }
    data["daemon"]["metrics_listen"] = ""
    workdir = tmp_path_factory.mktemp("rsu41")
    data["uplink"]["spool_path"] = str(workdir / "spool.db")
    data["daemon"]["control_socket"] = str(workdir / "control.sock")
    d = build(config_from_dict(data, path), FakeClock())
    d.parts.radio.start()
    yield d
    d.parts.radio.stop()


def counts(d: Daemon) -> tuple[dict[str, int], int, int]:
    snap = d.parts.radio.counters.snapshot()
    bad = snap["bad_input"]
    assert isinstance(bad, dict)
    return dict(bad), sum(d.core.n.decode_errors.values()), d.core.n.decoded


@pytest.mark.parametrize(("name", "datagram", "counter"), ROWS, ids=[r[0] for r in ROWS])
def test_bad_datagrams_are_counted_and_a_good_frame_is_still_served(
    daemon: Daemon, name: str, datagram: bytes, counter: str
) -> None:
    radio = narrow(daemon.parts.radio, Rsu41Radio)
    bad0, errors0, decoded0 = counts(daemon)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        tx.sendto(datagram, radio.listen_address)
        tx.sendto(MAP, radio.listen_address)  # good input afterwards
        assert wait_until(lambda: daemon.serve() >= 0 and counts(daemon)[2] == decoded0 + 1)
    bad, errors, _ = counts(daemon)
    if counter == "decode":
        assert (errors, bad) == (errors0 + 1, bad0), name
    else:
        reason = counter.split(":", 1)[1]
        assert bad.get(reason, 0) == bad0.get(reason, 0) + 1, name
        assert errors == errors0, name
    assert daemon.core.guard.total == 0  # nothing reached the core's guard: no internal error
