"""``rsu signals listen``: the live phase table from a controller, bad arguments refused."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from rsu.cli.main import main
from rsu.signals import tscbm
from tests.signals.helpers import state


def _port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listen(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rsu.cli.main", "signals", "listen", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _send_until_done(proc: subprocess.Popen[str], port: int, datagrams: list[bytes]) -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        while proc.poll() is None:
            for d in datagrams:
                tx.sendto(d, ("127.0.0.1", port))
            time.sleep(0.1)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    return out


def test_listen_prints_the_phase_table_of_each_sender() -> None:
    port = _port()
    proc = _listen("--listen", f"127.0.0.1:{port}", "--duration", "2", "--every", "0.5")
    out = _send_until_done(proc, port, [tscbm.build(state()), b"\xcd" * 10])
    assert "controller 127.0.0.1:" in out
    assert "status fixedTimeOperation" in out
    last = out.rsplit("controller", 1)[1]
    rows = {line.split()[0]: line.split() for line in last.splitlines()[3:] if line[:1].isdigit()}
    assert rows["2"][:2] == ["2", "green"]
    assert rows["4"][:2] == ["4", "red"]
    assert "bad datagrams: short" in out


def test_listen_json_lines_and_the_mapping_of_a_config(tmp_path: object) -> None:
    from pathlib import Path

    cfg = Path(str(tmp_path)) / "rsu.toml"
    port = _port()
    cfg.write_text(
        "[rsu]\nid = 'x'\n[signals]\nsource = 'tscbm'\nintersection_id = 7\n"
        f"listen = '127.0.0.1:{port}'\n"
        "[[signals.groups]]\nsignal_group = 12\nphase = 2\nkind = 'pedestrian'\n"
    )
    proc = _listen("--config", str(cfg), "--duration", "1.5", "--json")
    out = _send_until_done(proc, port, [tscbm.build(state())])
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert lines
    first = lines[0]
    assert first["groups"] == [
        {"signal_group": 12, "kind": "pedestrian", "state": "protected-Movement-Allowed",
         "min_s": 30}
    ]  # fmt: skip
    assert [p["phase"] for p in first["phases"]] == [1, 2, 4]


@pytest.mark.parametrize(
    "args",
    [
        ["--listen", "nowhere"],
        ["--listen", "127.0.0.1:99999"],
        ["--every", "nan"],
        ["--every", "0"],
        ["--duration", "-1"],
        ["--duration", "inf"],
    ],
)
def test_bad_arguments_are_clear_errors(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["signals", "listen", *args]) == 2
    assert capsys.readouterr().err.startswith("error:")


def test_a_port_in_use_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        assert main(["signals", "listen", "--listen", f"127.0.0.1:{port}", "--duration", "1"]) == 1
    assert "error:" in capsys.readouterr().err
