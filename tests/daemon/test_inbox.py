"""One bounded queue per edge: a radio flood cannot push out GNSS alarms or cloud commands."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest

from rsu.clock import FakeClock
from rsu.config.loader import demo_config_path, load_config
from rsu.daemon import Daemon, build
from rsu.daemon.inbox import Inbox
from rsu.daemon.metrics import render
from rsu.errors import CommandError
from rsu.gnss import GnssAlarm
from rsu.queues import DROP_NEWEST, BoundedQueue
from rsu.radio.sim import SimRadio
from rsu.stage import Handler
from rsu.uplink.commands import Command
from tests.conftest import narrow


def _daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **daemon_keys: object) -> Daemon:
    """The demo daemon, built (not started) in ``tmp_path``, with some ``[daemon]`` keys set."""
    monkeypatch.chdir(tmp_path)  # the demo's runtime paths are relative
    config = load_config(demo_config_path())
    daemon_cfg = dataclasses.replace(config.daemon, metrics_listen=None, **daemon_keys)
    return build(dataclasses.replace(config, daemon=daemon_cfg), FakeClock())


def test_a_gnss_alarm_survives_a_radio_flood_and_drops_are_counted_per_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = _daemon(tmp_path, monkeypatch, inbound_queue=16)
    d.parts.gnss.events.put(GnssAlarm(0.0, "loss_of_fix", "antenna cut"))
    frames = narrow(d.parts.radio, SimRadio).step()  # one sim tick: 8 frames queued
    for _ in range(125):
        for f in frames:
            d.parts.radio.rx.put(f)  # 1008 frames onto a radio queue of 16
    d.request_stop()
    assert d.run() == 0  # stops at once; what is queued is handled at shutdown
    snap = d.snapshot()
    assert snap.inputs.gnss_alarms == 1
    assert d.core.n.decoded == 16
    queues = snap.as_dict()["queues"]
    assert queues["radio"] == {
        "depth": 0,
        "capacity": 16,
        "dropped": 1008 - 16,
        "policy": "drop_oldest",
    }
    assert queues["gnss"]["dropped"] == 0
    assert {"control", "commands", "radar-radar-north"} <= set(queues)
    text = render(snap)
    assert 'rsu_queue_dropped_total{queue="radio"} 992' in text
    assert 'rsu_queue_dropped_total{queue="gnss"} 0' in text


def _seen(inbox: Inbox, *queues: BoundedQueue[Any]) -> list[object]:
    """Register a handler on each queue that records what it is given."""
    seen: list[object] = []
    for q in queues:
        inbox.handle(q, lambda item, now, utc: seen.append(item))
    return seen


def _run(queue: str, handler: Handler[Any], item: object) -> None:
    handler(item, 0.0, 0.0)


def test_the_core_serves_every_queue_in_turn_so_a_flood_cannot_starve_a_quiet_one() -> None:
    inbox = Inbox()
    radio = inbox.add("radio", 10_000)
    gnss = inbox.add("gnss", 8)
    seen = _seen(inbox, radio, gnss)
    for i in range(5000):
        radio.put(("bsm", i))
    gnss.put("alarm")
    assert inbox.serve(_run, budget=100, per_queue=10) == 100
    assert "alarm" in seen  # in the first round, not after 5000 BSMs
    assert seen[:10] == [("bsm", i) for i in range(10)]  # each queue in FIFO order
    assert inbox.wake.is_set()  # items left over: the loop comes straight back
    assert inbox.stats()["radio"].depth == 5000 - 99


def test_a_put_on_any_queue_wakes_the_waiting_core_and_no_wake_up_is_lost() -> None:
    inbox = Inbox()
    radio = inbox.add("radio", 4)
    gnss = inbox.add("gnss", 4)
    seen = _seen(inbox, radio, gnss)
    assert not inbox.wait(0.01)  # nothing queued: times out
    putter = threading.Timer(0.05, gnss.put, args=("fix",))
    putter.start()
    assert inbox.wait(30.0)  # woken by the put (not by the timeout)
    putter.join()
    inbox.serve(_run, budget=10)
    assert seen == ["fix"]
    gnss.put("late")  # a put after serving, before the next wait: not lost
    assert inbox.wait(0.0)


def test_a_full_command_queue_refuses_with_an_error_ack_instead_of_losing_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = _daemon(tmp_path, monkeypatch, control_queue=1)
    on_command = d.parts.uplink.on_command
    assert on_command is not None
    on_command(Command("standby", "ref-1"))
    with pytest.raises(CommandError, match="busy") as info:
        on_command(Command("operate", "ref-2"))
    assert info.value.code == "rejected"
    commands = d.parts.inbox["commands"]
    assert (len(commands), commands.dropped, commands.policy) == (1, 1, DROP_NEWEST)
    d.request_stop()
    d.run()
    assert d.core.mode == "standby"  # the accepted one was applied on the core thread
