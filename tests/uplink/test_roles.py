"""Client ids per role against a real mosquitto: a field engineer's ``rsu replay`` and
``rsu spool drain`` never take over the daemon's session (its connection does not flap), and
take no commands; two processes sharing one id do flap (what the ids prevent)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rsu.uplink.identity import DAEMON, DRAIN, REPLAY, client_id, spool_path
from rsu.uplink.service import Uplink
from tests.conftest import Broker, wait_until
from tests.uplink.conftest import Collector, config_dict, make_config, write_toml

STATUS = "rsu/rsu-0042/status"


def test_ids_and_spools_differ_per_role() -> None:
    assert client_id("rsu-7", DAEMON) == "rsu-7"
    assert client_id("rsu-7", REPLAY, 12) == "rsu-7-replay-12"
    assert client_id("rsu-7", DRAIN, 12) != client_id("rsu-7", REPLAY, 12)
    assert spool_path("/var/lib/rsu/spool.db", REPLAY) == "/var/lib/rsu/spool.replay.db"
    assert spool_path("/var/lib/rsu/spool.db", DRAIN) == "/var/lib/rsu/spool.db"


def test_replay_beside_the_running_daemon_leaves_its_session_alone(
    tmp_path: Path,
    mosquitto: Broker,
    collect: Callable[..., Collector],
    frames: list[dict[str, Any]],
) -> None:
    sub = collect(mosquitto.url, ["rsu/rsu-0042/#"])
    daemon = Uplink(make_config(tmp_path, mosquitto.url, protocol="5", heartbeat_s=0.2))
    daemon.start()
    try:
        assert wait_until(lambda: bool(sub.on(STATUS)))
        cfg = write_toml(tmp_path / "rsu.toml", config_dict(tmp_path, mosquitto.url, protocol="5"))
        src = tmp_path / "frames.hex"
        src.write_text("\n".join(f["outer_hex"] or f["hex"] for f in frames[:300]) + "\n")
        done = subprocess.run(
            [sys.executable, "-m", "rsu.cli.main", "replay", "--config", str(cfg), str(src)],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert wait_until(lambda: len(sub.records("rsu/rsu-0042/v2x/")) >= 300)
        ack_before = len(sub.on("rsu/rsu-0042/cmd/ack"))
        sub.publish("rsu/rsu-0042/cmd/standby", b'{"id": "s"}')
        assert wait_until(lambda: len(sub.on("rsu/rsu-0042/cmd/ack")) > ack_before)
        st = daemon.stats()
        assert (st.connected, st.connects, st.takeovers) == (True, 1, 0)
    finally:
        daemon.stop()
    states = [m["state"] for m in sub.on(STATUS)]
    assert "offline" not in states[:-1]  # offline only at the daemon's own stop
    assert states[-1] == "offline"
    assert len(sub.on("rsu/rsu-0042/cmd/ack")) == 1  # one ACK: replay took no command


def test_two_processes_with_one_client_id_flap(
    tmp_path: Path, mosquitto: Broker, collect: Callable[..., Collector]
) -> None:
    cfg = make_config(tmp_path, mosquitto.url, protocol="5", reconnect_max_s=0.3)
    first = Uplink(cfg)
    twin = Uplink(dataclasses.replace(cfg, spool_path=str(tmp_path / "twin.db")))
    first.start()
    try:
        assert wait_until(lambda: first.stats().connected)
        twin.start()
        assert wait_until(lambda: first.stats().connects >= 3)  # kicked off, back, kicked...
    finally:
        twin.stop()
        first.stop()
