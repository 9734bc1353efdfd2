"""``rsu replay`` and ``rsu spool`` as processes: drain, timeout, SIGKILL with a full spool,
last will on a killed uplink; every accepted record arrives with its id."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rsu.uplink.spool import Spool
from tests.conftest import Broker, free_port, wait_until
from tests.uplink.conftest import Collector, config_dict, write_toml
from tests.v2x.vectors import load

STATUS = "rsu/rsu-0042/status"


def rsu(*args: str) -> list[str]:
    return [sys.executable, "-m", "rsu.cli.main", "--log-format", "json", *args]


def run_rsu(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(rsu(*args), capture_output=True, check=False, timeout=90, text=True)


def setup_files(
    tmp_path: Path, url: str, frames: list[dict[str, Any]], n: int
) -> tuple[Path, Path]:
    cfg = write_toml(tmp_path / "rsu.toml", config_dict(tmp_path, url, heartbeat_s=0.5))
    hexes = [f["outer_hex"] or f["hex"] for f in frames[:n]]
    src = tmp_path / "frames.hex"
    src.write_text("# captured frames\n" + "\n".join(hexes) + "\n")
    return cfg, src


def spool_ids(path: Path) -> list[str]:
    spool = Spool(path, salvage=False)  # the file of a running process: never set aside
    try:
        out = []
        for row in spool.fetch(0, 1_000_000):
            out += [json.loads(part)["id"] for part in row.records()]
        return out
    finally:
        spool.close()


def test_replay_drains_to_the_broker_and_exits_0(
    tmp_path: Path,
    mosquitto: Broker,
    collect: Callable[..., Collector],
    frames: list[dict[str, Any]],
) -> None:
    sub = collect(mosquitto.url, ["rsu/rsu-0042/#"])
    cfg, src = setup_files(tmp_path, mosquitto.url, frames, 200)
    with src.open("a") as fh:
        fh.write("not-hex\n0000\n")
    done = run_rsu("replay", "--config", str(cfg), str(src), "--timeout", "30")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["decoded"], summary["bad"], summary["drained"]) == (200, 2, True)
    assert "replay_bad_frame" in done.stderr
    assert wait_until(lambda: len(sub.records("rsu/rsu-0042/v2x/")) == 200)
    got = sub.records("rsu/rsu-0042/v2x/")
    assert sorted(r["raw"] for r in got) == sorted(f["hex"] for f in frames[:200])
    wrapped = {f["hex"]: f["outer_hex"] for f in frames[:200] if f["outer_hex"]}
    assert all(r["outer"] == wrapped[r["raw"]] for r in got if r["raw"] in wrapped)
    assert len({r["id"] for r in got}) == 200


def test_replay_times_out_with_broker_down_and_spool_stats_shows_backlog(
    tmp_path: Path,
    frames: list[dict[str, Any]],
) -> None:
    cfg, src = setup_files(tmp_path, f"mqtt://127.0.0.1:{free_port()}", frames, 50)
    done = run_rsu("replay", "--config", str(cfg), str(src), "--timeout", "0.5")
    assert done.returncode == 1
    assert "not drained" in done.stderr
    assert run_rsu("spool", "stats", "--config", str(cfg)).returncode == 1  # not the daemon's
    stats = run_rsu("spool", "stats", "--config", str(cfg), "--json", "--replay")
    assert stats.returncode == 0, stats.stderr
    out = json.loads(stats.stdout)
    assert out["pending"] == 50
    assert out["dropped"] == 0
    assert out["oldest"].endswith("Z")
    assert sum(out["streams"].values()) == 50
    assert set(out["streams"]) <= {
        f"v2x/{t}"
        for t in ("BSM", "MAP", "SPAT", "TIM", "SSM", "SDSM", "RSM", "SRM", "PSM", "RTCM")
    }


def test_sigkill_with_full_spool_then_restart_delivers_every_record(
    tmp_path: Path,
    broker_factory: Callable[..., Broker],
    collect: Callable[..., Collector],
    frames: list[dict[str, Any]],
) -> None:
    broker = broker_factory(persistent=True)
    broker.start()
    sub = collect(broker.url, ["rsu/rsu-0042/#"], persistent=True)
    broker.stop()
    cfg, src = setup_files(tmp_path, broker.url, frames, 300)
    spool_path = tmp_path / "spool.replay.db"  # replay's own, beside the daemon's

    # 1. broker down: the spool fills, then the uplink is killed -9
    proc = subprocess.Popen(
        rsu("replay", "--config", str(cfg), str(src), "--timeout", "60"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_until(
            lambda: spool_path.exists() and len(spool_ids(spool_path)) == 300, timeout=60.0
        )
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    expected = spool_ids(spool_path)

    # 2. broker back, a new process drains the backlog
    broker.start()
    drain = run_rsu("spool", "drain", "--config", str(cfg), "--timeout", "30", "--replay")
    assert drain.returncode == 0, drain.stderr
    assert wait_until(lambda: set(expected) <= set(sub.ids("rsu/rsu-0042/v2x/")))
    assert len(set(sub.ids("rsu/rsu-0042/v2x/"))) == 300

    # 3. killed while connected: nothing accepted is lost (ids of one process carry a counter:
    #    what arrives is a gap-free prefix), and no will: a tool never speaks for the RSU
    slow = subprocess.Popen(
        rsu("replay", "--config", str(cfg), str(src), "--rate", "100"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_until(lambda: len(set(sub.ids("rsu/rsu-0042/v2x/"))) >= 400, timeout=30.0)
    finally:
        slow.send_signal(signal.SIGKILL)
        slow.wait()
    drain = run_rsu("spool", "drain", "--config", str(cfg), "--timeout", "30", "--replay")
    assert drain.returncode == 0, drain.stderr
    second = {i for i in sub.ids("rsu/rsu-0042/v2x/") if i not in set(expected)}
    salts = {i[12:20] for i in second}
    assert len(salts) == 1
    counters = sorted(int(i[20:], 16) for i in second)
    assert counters == list(range(len(counters)))
    assert len(counters) >= 100
    assert sub.on(STATUS) == []  # neither replay nor drain published the RSU's status or will


def test_replay_uses_the_configured_standard(
    tmp_path: Path, mosquitto: Broker, collect: Callable[..., Collector]
) -> None:
    sub = collect(mosquitto.url, ["rsu/rsu-0042/v2x/#"])
    data = config_dict(tmp_path, mosquitto.url)
    data["rsu"]["standard"] = "csae53"
    cfg = write_toml(tmp_path / "rsu.toml", data)
    frames = load("csae53_real.jsonl")
    src = tmp_path / "csae.hex"
    src.write_text("\n".join(f["hex"] for f in frames) + "\n")
    done = run_rsu("replay", "--config", str(cfg), str(src), "--timeout", "30")
    assert done.returncode == 0, done.stderr
    assert wait_until(lambda: len(sub.records()) == len(frames))
    assert {r["standard"] for r in sub.records()} == {"csae53"}
    assert sorted(r["raw"] for r in sub.records()) == sorted(f["hex"] for f in frames)
