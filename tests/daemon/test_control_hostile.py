"""Hostile input on the control socket of a real running daemon (issue 11.1).

Each row is one bad request and the error text it must get; after each row a good request
must still be served. The rows run against the demo daemon (sim radio) and, for the ranges a
backend supports, against a daemon on the serial backend talking to the firmware emulator on
a real pty. Nothing here may go through the core's guard: every row is refused at the
boundary, so the daemon ends with no internal error at all.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from firmware_bridge.emulator import FirmwareEmulator
from rsu.daemon.control import ControlClient
from tests.daemon.helpers import DEMO, DaemonProcess, copy_demo, rsu

MAP_HEX = (Path(__file__).parents[2] / "rsu" / "config" / "demo" / "map.hex").read_text()
MAP = "".join(line.split("#", 1)[0].strip() for line in MAP_HEX.splitlines())

Row = tuple[str, dict[str, Any] | bytes, str]

ANY_BACKEND: list[Row] = [
    ("oversized", b'{"cmd":"status","x":"' + b"a" * 70_000 + b'"}\n', "request too large"),
    ("deep", b'{"cmd":"status","x":' + b"[" * 5000 + b"]" * 5000 + b"}\n", "nested too deeply"),
    ("not json", b"status please\n", "bad request"),
    ("not utf-8", b'{"cmd":"\xff\xfe"}\n', "bad request"),
    ("array", b'["status"]\n', 'expected {"cmd": "..."}'),
    ("cmd not a string", {"cmd": 5}, 'expected {"cmd": "..."}'),
    ("unknown cmd", {"cmd": "reboot"}, "unknown command 'reboot' (known: status"),
    ("unknown field", {"cmd": "status", "verbose": True}, "status: unknown field 'verbose'"),
    ("channel str", {"cmd": "tx", "hex": MAP, "channel": "abc"}, "channel must be an integer"),
    ("channel list", {"cmd": "tx", "hex": MAP, "channel": [1]}, "channel must be an integer"),
    ("channel float", {"cmd": "tx", "hex": MAP, "channel": 1.5}, "channel must be an integer"),
    ("channel bool", {"cmd": "tx", "hex": MAP, "channel": True}, "channel must be an integer"),
    ("channel null", {"cmd": "tx", "hex": MAP, "channel": None}, "channel must be an integer"),
    ("psid str", {"cmd": "tx", "hex": MAP, "psid": "abc"}, "psid must be an integer"),
    ("psid 2**32", {"cmd": "tx", "hex": MAP, "psid": 2**32}, "psid 4294967296 is out of range"),
    ("psid < 0", {"cmd": "tx", "hex": MAP, "psid": -1}, "psid -1 is out of range"),
    ("hex not str", {"cmd": "tx", "hex": 5}, "hex must be a string"),
    ("hex not hex", {"cmd": "tx", "hex": "zz"}, "tx: hex is not hex"),
    ("hex odd", {"cmd": "tx", "hex": "abc"}, "tx: hex is not hex"),
    ("hex empty", {"cmd": "tx", "hex": ""}, "tx: nothing to send"),
    ("hex huge", {"cmd": "tx", "hex": "00" * 20_000}, "hex is longer than"),
    ("not a frame", {"cmd": "tx", "hex": "00ff00ff"}, "not a valid MessageFrame"),
    ("types int", {"cmd": "tail", "types": 5}, "tail: types must be a list"),
    ("types of ints", {"cmd": "tail", "types": [5]}, "tail: each type must be a name"),
    ("hang NaN", b'{"cmd":"hang","seconds":NaN}\n', "hang: seconds must be in (0, 3600]"),
    ("hang inf", b'{"cmd":"hang","seconds":Infinity}\n', "hang: seconds must be in (0, 3600]"),
    ("hang < 0", {"cmd": "hang", "seconds": -1}, "hang: seconds must be in (0, 3600]"),
]

SERIAL_RANGES: list[Row] = [
    ("channel 70000", {"cmd": "tx", "hex": MAP, "channel": 70000}, "(0..65535)"),
    ("channel -1", {"cmd": "tx", "hex": MAP, "channel": -1}, "the serial radio (0..65535)"),
]
SIM_RANGES: list[Row] = [
    ("channel 256", {"cmd": "tx", "hex": MAP, "channel": 256}, "the sim radio (0..255)"),
]


def ask(path: Path, request: dict[str, Any] | bytes) -> dict[str, Any]:
    """One request as raw bytes or a JSON object; the daemon's one-line answer."""
    raw = request if isinstance(request, bytes) else json.dumps(request).encode() + b"\n"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10.0)
        s.connect(str(path))
        s.sendall(raw)
        line = s.makefile("rb").readline()
    answer: dict[str, Any] = json.loads(line)
    return answer


def run_table(d: DaemonProcess, rows: list[Row]) -> None:
    client = ControlClient(d.socket)
    for name, request, error in rows:
        answer = ask(d.socket, request)
        assert answer["ok"] is False, name
        assert error in answer["error"], (name, answer)
        status = client.request("status")["status"]  # still served, after every row
        assert status["mode"] == "operate", name
    assert d.proc.poll() is None, d.output()
    assert client.request("status")["status"]["internal_errors"]["total"] == 0


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DaemonProcess]:
    d = DaemonProcess(DEMO, tmp_path)
    try:
        d.wait_ready()
        yield d
    finally:
        d.close()


def test_bad_control_requests_get_errors_and_the_demo_daemon_serves_on(
    demo: DaemonProcess,
) -> None:
    run_table(demo, ANY_BACKEND + SIM_RANGES)
    ok = ControlClient(demo.socket).request("tx", hex=MAP, psid=None, channel=183)
    assert ok["type"] == "MAP"  # a good transmission still goes out


def test_the_serial_backend_names_its_own_ranges_and_rsu_tx_says_so(tmp_path: Path) -> None:
    with FirmwareEmulator(str(tmp_path / "ttyRADIO")) as emu:
        config = copy_demo(tmp_path / "etc")
        text = config.read_text().replace(
            '[radio]\nbackend = "sim"\n',
            f'[radio]\nbackend = "serial"\n\n[radio.serial]\nport = "{emu.path}"\n',
        )
        config.write_text(text)
        d = DaemonProcess(config, tmp_path)
        try:
            d.wait_ready()
            run_table(d, SERIAL_RANGES)
            cli = rsu("tx", "--hex", MAP, "--channel", "70000", "--socket", str(d.socket))
            assert cli.returncode != 0
            assert "channel 70000 is out of range for the serial radio (0..65535)" in cli.stderr
            good = rsu("tx", "--hex", MAP, "--channel", "172", "--socket", str(d.socket))
            assert good.returncode == 0, good.stderr
            assert good.stdout.startswith("sent MAP")
            assert d.proc.poll() is None
        finally:
            d.close()


def test_an_unexpected_exception_is_answered_alarmed_and_the_loop_goes_on(
    demo: DaemonProcess,
) -> None:
    client = ControlClient(demo.socket)
    answer = ask(demo.socket, {"cmd": "fail"})  # the test hook raises on the core thread
    assert answer == {
        "ok": False,
        "error": "internal error in fail: RuntimeError('injected failure (test hook)') (logged)",
    }
    status = client.request("status")["status"]
    assert status["internal_errors"] == {"total": 1, "by_where": {"control": 1}}
    (alarm,) = status["alarms"]
    assert (alarm["source"], alarm["kind"], alarm["severity"]) == (
        "core",
        "internal_error",
        "critical",
    )
    human = rsu("status", "--socket", str(demo.socket))
    assert "1 active alarm(s)" in human.stdout
    assert "internal_error" in human.stdout
    assert client.request("status")["status"]["decode"]["ok"] >= 0  # still served
    assert demo.terminate() == 0
    assert "core_internal_error" in demo.output()
    with sqlite3.connect(demo.workdir / "rsu-demo" / "spool.db") as db:  # no broker: spooled
        rows = db.execute("select payload from rows where stream = 'alarms'").fetchall()
    (record,) = [json.loads(zlib.decompress(payload)) for (payload,) in rows]  # one per row
    data = record["data"]
    assert (data["source"], data["kind"], data["state"]) == ("core", "internal_error", "raised")
    assert "injected failure" in data["detail"]
