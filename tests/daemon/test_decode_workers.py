"""``[daemon] decode_workers``: frames from the RSU 4.1 UDP port decoded in worker processes,
through a real mosquitto; order per stream kept and nothing lost across a SIGKILLed worker;
refused where the core needs each decoded message."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest

from rsu.clock import SystemClock
from rsu.config.loader import load_config
from rsu.daemon.build import build
from rsu.errors import ConfigError
from rsu.v2x.codec import get_codec
from tests.conftest import Broker, free_port, wait_until
from tests.daemon.helpers import DaemonProcess
from tests.uplink.conftest import Collector
from tests.v2x.vectors import load

N = 1200


def _config(tmp_path: Path, broker: str, radio_port: int, extra: str = "") -> Path:
    path = tmp_path / "rsu.toml"
    path.write_text(
        f"""
[rsu]
id = "rx-rsu"
[daemon]
control_socket = "rsu-demo/control.sock"
metrics_listen = ""
stats_interval_s = 0.0
decode_workers = 2
[radio]
backend = "rsu41"
[radio.rsu41]
listen = "127.0.0.1:{radio_port}"
ifm_target = "127.0.0.1:{free_port()}"
[uplink]
broker = "{broker}"
spool_path = "rsu-demo/spool.db"
heartbeat_s = 0.0
running_info_s = 0.0
{extra}"""
    )
    return path


def _workers(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        kids += [int(k) for k in text]
    return kids


def test_udp_frames_through_decode_workers_keep_order_and_survive_a_killed_worker(
    tmp_path: Path, mosquitto: Broker
) -> None:
    sub = Collector(mosquitto.url, ["rsu/rx-rsu/v2x/#"])
    frames = [bytes.fromhex(f["hex"]) for f in load("j2735_real.jsonl")]
    frames = (frames * (N // len(frames) + 1))[:N]
    frames[500] = b"\x00\x14\x05garbage"  # one bad frame, counted, not uploaded
    radio_port = free_port()
    d = DaemonProcess(_config(tmp_path, mosquitto.url, radio_port), tmp_path)
    try:
        d.wait_ready()
        workers = _workers(d.proc.pid)
        assert len(workers) == 2, workers
        out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i, frame in enumerate(frames):
            if i == N // 2:
                os.kill(workers[0], signal.SIGKILL)
            out.sendto(frame, ("127.0.0.1", radio_port))
            if i % 50 == 49:
                time.sleep(0.02)  # paced: the kernel's receive buffer never overflows
        out.close()
        assert wait_until(lambda: "decode_worker_restarted" in d.output(), timeout=30)
        assert d.terminate() == 0
    finally:
        d.close()
    try:
        _check(sub, frames)
    finally:
        sub.close()


def _check(sub: Collector, frames: list[bytes]) -> None:
    codec = get_codec("j2735")
    expected: dict[str, list[str]] = {}
    for i, frame in enumerate(frames):
        if i != 500:
            msg = codec.decode(frame)
            expected.setdefault(msg.message_type, []).append(msg.raw.hex())
    assert wait_until(lambda: len(sub.records()) >= N - 1, timeout=30), len(sub.records())
    got = sub.records()
    assert len(got) == N - 1
    assert len({r["id"] for r in got}) == N - 1  # each record once
    seen: dict[str, list[str]] = {}
    for r in got:
        seen.setdefault(r["message_type"], []).append(r["raw"])
    assert seen == expected  # per stream, in the order received


def test_decode_workers_are_refused_where_the_core_needs_each_message(tmp_path: Path) -> None:
    from tests.management.helpers import AUTH_PASS, PRIV_PASS, SNMP_SECTION, write_secret

    secrets = tmp_path / "secrets"
    secrets.mkdir()
    write_secret(secrets / "admin.auth", AUTH_PASS)
    write_secret(secrets / "admin.priv", PRIV_PASS)
    snmp = SNMP_SECTION.format(port=free_port(), state=tmp_path / "snmp.json", secrets=secrets)
    path = _config(tmp_path, f"mqtt://127.0.0.1:{free_port()}", free_port(), snmp)
    with pytest.raises(ConfigError, match=r"decode_workers.*\[snmp\]"):
        build(load_config(path), SystemClock())


def test_a_worker_shapes_records_by_the_policies_that_came_with_the_chunk(tmp_path: Path) -> None:
    """A reload or cloud config command changes the core's policies: the next chunk carries
    them, so a worker's records follow (here: BSM payload ``raw``, then a filter)."""
    from rsu.daemon.offload import frame_worker
    from rsu.uplink.config import Filter, UploadPolicy, read_uplink_config
    from rsu.uplink.policy import PolicyGate
    from rsu.uplink.prepared import Prepared
    from tests.uplink.conftest import config_dict

    cfg = read_uplink_config(config_dict(tmp_path, "mqtt://127.0.0.1:1"))
    work = frame_worker(get_codec("j2735"), cfg)
    bsm = next(bytes.fromhex(f["hex"]) for f in load("j2735_real.jsonl") if f["messageId"] == 20)
    frame = (bsm, 0x20, "rsu41", 172, -60.0, 1.7e9)
    gate = PolicyGate(cfg.policies, cfg.default_policy())
    (full,) = work((gate.table(), [frame]))
    assert b'"decoded"' in Prepared._make(full[1]).tail
    gate.set_policy("BSM", UploadPolicy(payload="raw"))
    (raw,) = work((gate.table(), [frame]))
    assert b'"decoded"' not in Prepared._make(raw[1]).tail
    assert Prepared._make(raw[1]).passed
    gate.set_policy("BSM", UploadPolicy(filters=(Filter("coreData.speed", min=1e9),)))
    (held,) = work((gate.table(), [frame]))
    assert not Prepared._make(held[1]).passed
