"""The stage seam in-process (demo daemon built on a FakeClock): outputs routed by the core,
alarms on one board, a failing stage survived, the typed snapshot and its views."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import pytest

from rsu.alarms import Alarm
from rsu.clock import FakeClock
from rsu.config.loader import demo_config_path, load_config
from rsu.daemon import Daemon, build
from rsu.daemon.core import Core
from rsu.daemon.guard import Guard
from rsu.daemon.metrics import render
from rsu.daemon.snapshot import Snapshot
from rsu.gnss import GnssAlarm
from rsu.radio.sim import SimRadio
from rsu.stage import NOTHING, Outputs, Record, Stage
from rsu.wire import BroadcastMessage, TxRequest
from tests.conftest import narrow


@pytest.fixture
def daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Daemon:
    monkeypatch.chdir(tmp_path)
    return build(load_config(demo_config_path()), FakeClock())


def test_outputs_add_up_and_empty_is_falsy() -> None:
    a = Outputs(records=(Record("events", {"n": 1}),))
    b = Outputs(removals=("rsi",), raises=(Alarm("x", "y"),))
    assert (a + b).records == a.records
    assert (a + b).removals == ("rsi",)
    assert a + NOTHING is a
    assert not NOTHING
    assert b


def test_the_core_routes_each_kind_of_output_where_it_belongs(daemon: Daemon) -> None:
    core, clock = daemon.core, daemon.clock
    now, utc = clock.monotonic(), clock.time()
    entry = BroadcastMessage("extra", 0x8002, 183, 1000, payload=bytes.fromhex("0014"))
    core.route(Outputs(upserts=(entry,)), now, utc)
    assert "extra" in {e.key for e in core.scheduler.report(utc)}
    core.route(Outputs(removals=("extra",)), now, utc)
    assert "extra" not in {e.key for e in core.scheduler.report(utc)}
    sent = daemon.parts.radio.counters.snapshot()["total"]["sent"]  # type: ignore[index]
    core.route(Outputs(transmissions=(TxRequest(bytes.fromhex("0014"), 0x20),)), now, utc)
    assert core.n.tx_sent == 1
    assert daemon.parts.radio.counters.snapshot()["total"]["sent"] == sent + 1  # type: ignore[index]
    core.route(Outputs(records=(Record("events", {"type": "x"}, "x new"),)), now, utc)
    assert core.streams["events"].last == "x new"
    out = Outputs(transmissions=(TxRequest(b"\x00\x14", 0x20, channel=999),))
    core.route(out, now, utc)  # outside the sim radio's channels: refused, counted
    assert (core.n.tx_refused, core.n.tx_sent) == (1, 1)


def test_gnss_alarms_raise_and_clear_once_on_the_board_with_records(daemon: Daemon) -> None:
    gnss = daemon.parts.inbox["gnss"]
    for kind in ("loss_of_fix", "loss_of_fix", "fix_restored", "drift"):
        gnss.put(GnssAlarm(0.0, kind, "test"))
    daemon.serve()
    (drift,) = daemon.core.alarms.active()
    assert drift.alarm.key == ("gnss", "drift")
    assert daemon.core.streams["alarms"].count == 3  # the repeated loss_of_fix is no new change
    snap = daemon.snapshot()
    assert [(a.source, a.kind) for a in snap.alarms] == [("gnss", "drift")]
    assert snap.inputs.gnss_alarms == 4
    assert 'rsu_alarm_active{kind="drift",severity="warning",source="gnss"} 1' in render(snap)


def test_the_alarms_record_keeps_the_receivers_names_and_adds_the_state(daemon: Daemon) -> None:
    records: list[tuple[str, dict[str, object]]] = []
    uplink = daemon.parts.uplink
    original = uplink.submit_data

    def spy(kind: str, data: dict[str, object], *, at: float | None = None) -> bool:
        records.append((kind, data))
        return original(kind, data, at=at)

    uplink.submit_data = spy  # type: ignore[method-assign]  # what the uplink is handed
    gnss = daemon.parts.inbox["gnss"]
    gnss.put(GnssAlarm(0.0, "loss_of_fix", "no fix for 5 s"))
    gnss.put(GnssAlarm(0.0, "fix_restored", "quality 1"))
    daemon.serve()
    raised, cleared = (data for kind, data in records if kind == "alarms")
    assert (raised["source"], raised["kind"], raised["state"]) == ("gnss", "loss_of_fix", "raised")
    assert (cleared["kind"], cleared["alarm"], cleared["state"]) == (
        "fix_restored",
        "loss_of_fix",
        "cleared",
    )
    assert cleared["detail"] == "quality 1"


class Broken:
    """A stage with a bug: every tick raises."""

    name = "broken"

    def __init__(self) -> None:
        self.ticks = 0

    def tick(self, now: float, utc: float) -> Outputs:
        self.ticks += 1
        raise ZeroDivisionError("a bug in a stage")

    def next_deadline(self) -> float | None:
        return None


class Counter:
    name = "counter"

    def __init__(self) -> None:
        self.ticks = 0

    def tick(self, now: float, utc: float) -> Outputs:
        self.ticks += 1
        return NOTHING

    def next_deadline(self) -> float | None:
        return None

    def status(self) -> Mapping[str, object]:
        return {"ticks": self.ticks, "state": "fine"}


def test_a_failing_stage_is_survived_alarmed_and_cleared_after_a_quiet_spell(
    daemon: Daemon,
) -> None:
    broken, counter = Broken(), Counter()
    old = daemon.core

    def core_with(*stages: Stage, guard: Guard | None = None) -> Core:
        return Core(
            codec=old.codec,
            radio=old.radio,
            uplink=old.uplink,
            scheduler=old.scheduler,
            tail=old.tail,
            alarms=old.alarms,
            stages=stages,
            guard=guard,
        )

    core = core_with(broken, counter)
    clock = FakeClock()
    for _ in range(3):
        core.tick(clock.monotonic(), clock.time())
        clock.advance(1.0)
    assert (broken.ticks, counter.ticks) == (3, 3)  # the next stage still ticks
    assert core.guard.by_where == {"broken": 3}
    (alarm,) = core.alarms.active()
    assert alarm.alarm.key == ("core", "internal_error")
    assert "ZeroDivisionError" in alarm.alarm.detail
    assert core.streams["alarms"].count == 1  # raised once, refreshed after
    fixed = core_with(counter, guard=core.guard)  # the bug fixed: no more failures
    clock.advance(core.guard.clear_after_s)
    fixed.tick(clock.monotonic(), clock.time())
    assert fixed.alarms.active() == ()
    assert fixed.streams["alarms"].count == 1  # the clear


def test_a_part_with_a_status_gets_its_own_section_in_every_view(daemon: Daemon) -> None:
    part = Counter()
    stats = daemon.parts.stats
    stats.sources = dataclasses.replace(stats.sources, sections=(part,))
    snap = stats.refresh()
    data = snap.as_dict()
    assert data["counter"] == {"ticks": 0, "state": "fine"}  # top level, beside the others
    assert Snapshot.from_dict(data) == snap
    assert 'rsu_part_value{name="ticks",part="counter"} 0' in render(snap)


def test_the_snapshot_reads_back_from_its_json_unchanged(daemon: Daemon) -> None:
    narrow(daemon.parts.radio, SimRadio).step()  # one sim tick onto the radio queue
    daemon.parts.inbox["gnss"].put(GnssAlarm(0.0, "drift", "9 m"))
    assert daemon.serve() == 9
    snap = daemon.snapshot()
    data = snap.as_dict()
    assert Snapshot.from_dict(data) == snap
    assert data["fusion"] == {"objects": 0, "object_lists": 0, "events": 0}
    assert "policy" not in data["queues"]["uplink"]  # only the inbox queues have one
    assert data["radio"]["counters"]["by_type"]["PSM"]["decoded"] == 2
