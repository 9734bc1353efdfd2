"""Run one scenario: start the rig, play the timeline (actors and faults), collect what came
out, check the expectations.

Time: scenario time ``t`` starts when the daemon is ready; the loop ticks every few ms and
sends each road user's broadcast when it is due (each member has a seeded phase within its
period). Frames sent while a fault makes their loss legitimate (radio unplugged, bit errors,
daemon killed) are not counted in ``sent``; everything else must arrive.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from hil.actors import frame_jer, message_key
from hil.expect import Observations, Outcome, evaluate
from hil.faults import FaultPlayer
from hil.probe import Probe
from hil.record import Recording, Replaying, ReplayPlayer, golden
from hil.rig import ORIGIN, RSU_ID, Bench, Rig
from hil.scenario import Scenario
from rsu.errors import RsuError
from rsu.registry import message_set

log = structlog.get_logger(__name__)
TICK_S = 0.005


@dataclass(slots=True)
class Result:
    scenario: str
    seed: int
    outcomes: list[tuple[str, Outcome]] = field(default_factory=list)
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    workdir: str = ""
    golden: dict[str, Any] | None = None
    """What a replay of this run must reproduce (``hil.record.golden``)."""

    @property
    def passed(self) -> bool:
        return self.error is None and all(o.passed for _, o in self.outcomes)


class Player:
    """Sends the actors' broadcasts through the rig's radio on time."""

    def __init__(self, rig: Rig, faults: FaultPlayer, recorder: Recording | None) -> None:
        from rsu.v2x.codec import get_codec

        assert rig.traffic is not None
        self.rig, self.faults, self.recorder = rig, faults, recorder
        self.standard = rig.standard  # the daemon's message set: what the actors send
        self.codec = get_codec(self.standard)
        self.psids = message_set(self.standard).psids()
        self.members = [m for m in rig.traffic.members if m.actor.broadcast]
        self.next = [m.actor.start_s + m.phase_s for m in self.members]
        self.counts = [0] * len(self.members)
        self.sent: dict[str, float] = {}
        self.total = 0

    def step(self, t: float, now: float) -> None:
        assert self.rig.traffic is not None
        for i, m in enumerate(self.members):
            if self.next[i] > t:
                continue
            self.next[i] += 1.0 / m.actor.rate_hz
            if not self.rig.traffic.active(m, t):
                continue
            count = self.counts[i] = (self.counts[i] + 1) % 128
            sec_mark = round(time.time() * 1000) % 60000
            pose = self.rig.traffic.pose(m, t)
            jer = frame_jer(m, pose, ORIGIN, count, sec_mark, self.standard)
            if jer is None:  # the set has no message for this kind of road user
                continue
            payload = self.codec.encode(jer)
            short = "BSM" if m.actor.kind == "vehicle" else "PSM"
            self.rig.radio.hear(payload, self.psids[short])
            self.total += 1
            key = message_key(short, m.ident, count, sec_mark)
            counted = self.faults.counts(t)
            if self.recorder is not None:
                self.recorder.radio(t, payload, self.psids[short], key if counted else None)
            if counted:
                self.sent[key] = now


def run_scenario(
    scenario: Scenario,
    *,
    bench: Bench | None = None,
    workdir: Path | None = None,
    recorder: Recording | None = None,
    replay: Replaying | None = None,
) -> Result:
    """Run ``scenario`` end to end; never raises for a failing run (the Result says why)."""
    result = Result(scenario.name, scenario.seed)
    made = workdir is None
    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix=f"hil-{scenario.name}-"))
    result.workdir = str(workdir)
    t_start = time.monotonic()
    rig = Rig(scenario, workdir, bench or Bench())
    clock: dict[str, float] = {"t0": float("inf")}
    try:
        rig.start(lambda: time.monotonic() - clock["t0"])
        result.timings["startup_s"] = time.monotonic() - t_start
        result.timings["daemon_ready_s"] = rig.ready_s
        _wait_link(rig)
        obs = _play(rig, scenario, clock, (recorder, replay), result)
        result.golden = golden(obs.cloud, obs.transmissions, obs.rsu_id)
        result.outcomes = [
            (e.name, evaluate(e.kind, e.name, e.params, obs)) for e in scenario.expectations
        ]
    except (RsuError, OSError) as err:
        result.error = f"{type(err).__name__}: {err}"
        if rig.daemon is not None:
            result.error += "\n" + rig.daemon.tail(8)
    finally:
        rig.stop()
        result.timings["total_s"] = time.monotonic() - t_start
        if made and result.passed:
            shutil.rmtree(workdir, ignore_errors=True)
    return result


def _wait_link(rig: Rig, timeout: float = 5.0) -> None:
    """A serial radio is usable once the daemon said HELLO to the firmware."""
    hellos = getattr(rig.radio, "host_hellos", None)
    if hellos is None:
        return
    deadline = time.monotonic() + timeout
    while rig.radio.host_hellos == 0 and time.monotonic() < deadline:
        time.sleep(0.02)


def _play(
    rig: Rig,
    scenario: Scenario,
    clock: dict[str, float],
    modes: tuple[Recording | None, Replaying | None],
    result: Result,
) -> Observations:
    """The timeline: faults and inputs on time, then the drain, then stop and observe."""
    assert rig.daemon is not None
    recorder, replay = modes
    faults = FaultPlayer(
        rig, scenario.faults, random.Random(scenario.seed), replaying=replay is not None
    )
    probe = Probe(rig.daemon, rig.workdir / "control.sock").start()
    clock["t0"] = t0 = time.monotonic()
    player = _player(rig, faults, recorder, replay)
    while (t := time.monotonic() - t0) < scenario.duration_s:
        if recorder is not None:
            recorder.t = t
        faults.step(t)
        player.step(t, time.monotonic())
        time.sleep(TICK_S)
    faults.finish()
    if isinstance(player, ReplayPlayer):
        player.finish()
    result.timings["played_s"] = time.monotonic() - t0
    if recorder is not None:
        recorder.collect(rig, t0)
    _drain(rig, player.sent, scenario.drain_s)
    probed = probe.stop()
    alive = rig.daemon.alive
    rig.daemon.stop()
    time.sleep(0.3)  # the final stats record
    result.stats = {
        "frames_sent": player.total,
        "frames_counted": len(player.sent),
        **faults.stats(),
    }
    return _observe(rig, t0, player.sent, alive, probed, result)


def _player(
    rig: Rig, faults: FaultPlayer, recorder: Recording | None, replay: Replaying | None
) -> Player | ReplayPlayer:
    if replay is not None:
        return ReplayPlayer(rig, replay)
    if recorder is not None:
        faults.hear = recorder.tap(faults.hear)
        recorder.garbage_tap(rig)
    return Player(rig, faults, recorder)


def _observe(
    rig: Rig, t0: float, sent: dict[str, float], alive: bool, probed: Any, result: Result
) -> Observations:
    assert rig.daemon is not None
    assert rig.cloud is not None
    end = time.monotonic()
    result.timings["scenario_s"] = end - t0
    cloud = rig.cloud.snapshot()
    _save_cloud(rig.workdir / "cloud.jsonl", cloud, t0)
    return Observations(
        rsu_id=RSU_ID,
        t0=t0,
        end=end,
        sent=sent,
        cloud=cloud,
        transmissions=rig.radio.transmissions() if rig.radio is not None else [],
        log=rig.daemon.log_events(),
        daemon_alive=alive,
        exit_codes=list(rig.daemon.exit_codes),
        probe=probed,
        enforce_timing=rig.bench.enforce_timing,
    )


def _save_cloud(path: Path, cloud: list[Any], t0: float) -> None:
    """What the cloud got, one JSON line per MQTT message (for people and for replays)."""
    import json

    with path.open("w") as fh:
        for m in cloud:
            item = {"t": round(m.at - t0, 4), "topic": m.topic, "retained": m.retained}
            fh.write(json.dumps({**item, "payload": m.payload.decode(errors="replace")}) + "\n")


def _drain(rig: Rig, sent: dict[str, float], drain_s: float) -> None:
    """Wait until every counted frame reached the cloud, at most ``drain_s`` (at least 1 s
    for the events and object lists that follow the last input)."""
    from hil.actors import key_of_decoded

    assert rig.cloud is not None
    start = time.monotonic()
    got: set[str | None] = set()
    read = 0  # the cloud's messages only grow: parse each one once
    while time.monotonic() - start < drain_s:
        time.sleep(0.2)
        if time.monotonic() - start < 1.0:
            continue
        new = rig.cloud.snapshot()[read:]
        read += len(new)
        for m in new:
            if "/v2x/" in m.topic:
                short = m.topic.rsplit("/", 1)[-1]
                got.update(key_of_decoded(short, r.get("decoded", {})) for r in m.records())
        if all(k in got for k in sent):
            return
